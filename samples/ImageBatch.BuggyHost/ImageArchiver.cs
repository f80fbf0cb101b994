using System.IO.Compression;
using ImageBatch.Guest;
using Wasmtime;

namespace ImageBatch.BuggyHost;

/// <summary>
/// Converts a batch of images in the guest and zips the results, written the way it is tempting
/// to write it: zero-copy, each output queued as a stream over guest memory, the archive written
/// once the batch is done. By then later conversions have reused those bytes, and growing memory
/// may have moved it, so entries come out as garbage or the read faults.
/// </summary>
public static class ImageArchiver
{
    public static unsafe void ConvertToArchive(
        Engine engine,
        IReadOnlyList<SourceImage> images,
        Stream destination,
        IProgress<ImageConverted>? progress = null)
    {
        using var module = GuestModule.Load(engine);
        using var store = new Store(engine);
        var instance = new Instance(store, module);
        var memory = instance.GetMemory(GuestModule.MemoryExport)!;
        var reset = instance.GetAction(GuestModule.ResetExport)!;
        var alloc = instance.GetFunction<int, int>(GuestModule.AllocExport)!;
        var convert = instance.GetFunction<int, int, int>(GuestModule.ConvertExport)!;
        var outputLength = instance.GetFunction<int>(GuestModule.OutputLengthExport)!;

        var pending = new List<(string Name, UnmanagedMemoryStream Content)>(images.Count);
        foreach (var image in images)
        {
            reset();
            var input = alloc(image.Ppm.Length);
            image.Ppm.CopyTo(memory.GetSpan(input, image.Ppm.Length));
            var output = convert(input, image.Ppm.Length);
            if (output == 0)
            {
                throw new InvalidDataException($"The guest rejected {image.Name}.");
            }

            var length = outputLength();
            pending.Add((image.OutputName, new UnmanagedMemoryStream((byte*)memory.GetPointer() + output, length))); // expect: WVA002
            progress?.Report(new ImageConverted(pending.Count - 1, images.Count, image, length, memory.GetLength()));
        }

        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, content) in pending)
        {
            using var entry = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
            content.CopyTo(entry); // expect: WVA001, WVA004
        }
    }
}
