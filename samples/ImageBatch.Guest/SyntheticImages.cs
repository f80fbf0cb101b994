using System.Text;

namespace ImageBatch.Guest;

/// <summary>
/// Deterministic test images: the same seed gives the same sizes and pixels on every machine
/// and every run (its own PRNG, so no dependence on <see cref="Random"/>'s algorithm).
/// </summary>
public static class SyntheticImages
{
    public static IReadOnlyList<SourceImage> Create(int count, ulong seed)
    {
        var random = new SplitMix64(seed);
        var images = new SourceImage[count];
        for (var i = 0; i < count; i++)
        {
            var width = 48 + (int)random.Next(273);
            var height = 32 + (int)random.Next(209);
            images[i] = new SourceImage($"image-{i:D2}.ppm", width, height, Render(width, height, ref random));
        }

        return images;
    }

    /// <summary>A diagonal colour gradient with a few discs and a little noise.</summary>
    private static byte[] Render(int width, int height, ref SplitMix64 random)
    {
        var header = Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n");
        var ppm = new byte[header.Length + (3 * width * height)];
        header.CopyTo(ppm, 0);

        Span<int> from = [(int)random.Next(256), (int)random.Next(256), (int)random.Next(256)];
        Span<int> to = [(int)random.Next(256), (int)random.Next(256), (int)random.Next(256)];
        var discs = new (int X, int Y, int R, byte Red, byte Green, byte Blue)[1 + (int)random.Next(4)];
        for (var d = 0; d < discs.Length; d++)
        {
            discs[d] = ((int)random.Next((ulong)width), (int)random.Next((ulong)height), 4 + (int)random.Next(40),
                (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        }

        var p = header.Length;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var t = (x + y) * 256 / (width + height);
                Span<int> rgb = [from[0] + ((to[0] - from[0]) * t / 256), from[1] + ((to[1] - from[1]) * t / 256), from[2] + ((to[2] - from[2]) * t / 256)];
                foreach (var disc in discs)
                {
                    var dx = x - disc.X;
                    var dy = y - disc.Y;
                    if ((dx * dx) + (dy * dy) <= disc.R * disc.R)
                    {
                        rgb[0] = disc.Red;
                        rgb[1] = disc.Green;
                        rgb[2] = disc.Blue;
                    }
                }

                var noise = (int)random.Next(17) - 8;
                for (var c = 0; c < 3; c++)
                {
                    ppm[p++] = (byte)Math.Clamp(rgb[c] + noise, 0, 255);
                }
            }
        }

        return ppm;
    }

    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        /// <summary>A value in [0, bound).</summary>
        public ulong Next(ulong bound)
        {
            var z = _state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return (z ^ (z >> 31)) % bound;
        }
    }
}
