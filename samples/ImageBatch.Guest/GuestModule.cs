using Wasmtime;

namespace ImageBatch.Guest;

/// <summary>
/// The ImageBatch guest: a WebAssembly module, written in WAT, that converts a binary PPM (P6)
/// image into a smoothed grayscale PGM (P5) inside its own linear memory.
/// </summary>
/// <remarks>
/// Protocol for one image: <c>reset()</c>; <c>in = alloc(ppm.Length)</c>; copy the PPM to
/// <c>in</c>; <c>out = convert(in, ppm.Length)</c> (0 when the input is not a PPM it accepts);
/// the output is <c>output_len()</c> bytes at <c>out</c>. <c>reset</c> recycles the whole arena,
/// so the next image's buffers overwrite this one's, and <c>alloc</c> grows memory when the
/// arena is full, which may move it.
/// </remarks>
public static class GuestModule
{
    public const string MemoryExport = "memory";
    public const string AllocExport = "alloc";
    public const string ResetExport = "reset";
    public const string ConvertExport = "convert";
    public const string OutputLengthExport = "output_len";

    /// <summary>The module's WAT source.</summary>
    public static string Text { get; } = ReadText();

    public static Module Load(Engine engine) => Module.FromText(engine, "imagebatch", Text);

    private static string ReadText()
    {
        const string ResourceName = "ImageBatch.Guest.ImageBatch.wat";
        using var stream = typeof(GuestModule).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{ResourceName}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
