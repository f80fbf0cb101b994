using System.Text;

namespace ImageBatch.Guest;

/// <summary>
/// The guest's conversion written in C#: the bytes every archive entry must hold. It reads only
/// the PPMs that <see cref="SyntheticImages"/> writes (no comments in the header).
/// </summary>
public static class ReferenceConverter
{
    public static byte[] ConvertPpmToPgm(ReadOnlySpan<byte> ppm)
    {
        if (ppm.Length < 2 || ppm[0] != 'P' || ppm[1] != '6')
        {
            throw new FormatException("Not a binary PPM (P6).");
        }

        var cursor = 2;
        var width = ReadUInt(ppm, ref cursor);
        var height = ReadUInt(ppm, ref cursor);
        if (ReadUInt(ppm, ref cursor) != 255)
        {
            throw new FormatException("Only 8-bit PPMs (maxval 255) are supported.");
        }

        var rgb = ppm[(cursor + 1)..];
        var pixels = width * height;
        var gray = new byte[pixels];
        for (var i = 0; i < pixels; i++)
        {
            gray[i] = (byte)(((77 * rgb[3 * i]) + (150 * rgb[(3 * i) + 1]) + (29 * rgb[(3 * i) + 2]) + 128) >> 8);
        }

        var header = Encoding.ASCII.GetBytes($"P5\n{width} {height}\n255\n");
        var output = new byte[header.Length + pixels];
        header.CopyTo(output, 0);
        var dst = header.Length;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var sum = Row(x, y - 1) + (2 * Row(x, y)) + Row(x, y + 1);
                output[dst++] = (byte)((sum + 8) >> 4);
            }
        }

        return output;

        int Row(int x, int y) => Pixel(x - 1, y) + (2 * Pixel(x, y)) + Pixel(x + 1, y);

        int Pixel(int x, int y) => gray[(Math.Clamp(y, 0, height - 1) * width) + Math.Clamp(x, 0, width - 1)];
    }

    private static int ReadUInt(ReadOnlySpan<byte> data, ref int cursor)
    {
        while (cursor < data.Length && data[cursor] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            cursor++;
        }

        var start = cursor;
        var value = 0;
        while (cursor < data.Length && data[cursor] is >= (byte)'0' and <= (byte)'9')
        {
            value = (value * 10) + (data[cursor] - '0');
            cursor++;
        }

        return cursor > start ? value : throw new FormatException("Expected a number in the PPM header.");
    }
}
