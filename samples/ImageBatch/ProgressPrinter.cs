using ImageBatch.Guest;

namespace ImageBatch;

/// <summary>
/// One plain line per converted image, written as it happens: readable on a terminal and in a
/// redirected CI log alike (no cursor tricks).
/// </summary>
internal sealed class ProgressPrinter(EngineSetup setup) : IProgress<ImageConverted>
{
    private const int PageSize = 64 * 1024;
    private readonly string _growth = setup == EngineSetup.Stress ? "  (grew: memory moved)" : "  (grew)";
    private long _lastMemoryBytes;

    public void Report(ImageConverted value)
    {
        var image = value.Image;
        var growth = value.GuestMemoryBytes > _lastMemoryBytes && _lastMemoryBytes > 0 ? _growth : string.Empty;
        _lastMemoryBytes = value.GuestMemoryBytes;
        Console.WriteLine(
            $"      [{value.Index + 1,2}/{value.Count}] {image.Name} {image.Width,3}x{image.Height,-3} -> {image.OutputName} {value.OutputLength,7:N0} B" +
            $"   guest memory {value.GuestMemoryBytes / PageSize} pages{growth}");
        if (value.Index == value.Count - 1)
        {
            Console.WriteLine($"      writing the ZIP archive from the {value.Count} queued outputs");
        }
    }
}
