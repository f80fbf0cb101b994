using System.IO.Compression;
using ImageBatch.Guest;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace ImageBatch.FixedHost;

/// <summary>
/// The same batch as the buggy host, fixed at the boundary: each output is copied out of guest
/// memory (into a pooled lease) before the next guest call, so later conversions can overwrite or
/// move guest memory freely. The leases go back to the pool once the archive is written.
/// </summary>
public static class ImageArchiver
{
    public static void ConvertToArchive(
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

        var pending = new List<(string Name, WasmLease<byte> Content)>(images.Count);
        try
        {
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
                pending.Add((image.OutputName, memory.LeaseCopy(output, length)));
                progress?.Report(new ImageConverted(pending.Count - 1, images.Count, image, length, memory.GetLength()));
            }

            using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, content) in pending)
            {
                using var entry = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
                entry.Write(content.Span);
            }
        }
        finally
        {
            foreach (var (_, content) in pending)
            {
                content.Dispose();
            }
        }
    }
}
