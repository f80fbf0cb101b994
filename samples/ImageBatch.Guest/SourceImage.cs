namespace ImageBatch.Guest;

/// <summary>An input image of the batch: a binary PPM (P6) file and the name of its converted entry.</summary>
public sealed class SourceImage
{
    public SourceImage(string name, int width, int height, byte[] ppm)
    {
        Name = name;
        Width = width;
        Height = height;
        Ppm = ppm;
    }

    /// <summary>File name of the PPM, e.g. <c>image-03.ppm</c>.</summary>
    public string Name { get; }

    public int Width { get; }

    public int Height { get; }

    public byte[] Ppm { get; }

    /// <summary>Name of the converted image's entry in the archive, e.g. <c>image-03.pgm</c>.</summary>
    public string OutputName => Path.ChangeExtension(Name, ".pgm");
}
