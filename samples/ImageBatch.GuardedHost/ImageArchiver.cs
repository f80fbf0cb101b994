using System.IO.Compression;
using ImageBatch.Guest;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace ImageBatch.GuardedHost;

/// <summary>
/// The buggy host's design kept, zero-copy queue included, but with guarded views: the guest is
/// called through the guard's wrappers, so the guard knows when its views go stale, and the ZIP
/// writer's first read of a stale view throws <see cref="StaleWasmViewException"/> naming the
/// line that took the view, instead of zipping garbage. The host lets the exception propagate.
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
        var guard = new GuestMemoryGuard(instance.GetMemory(GuestModule.MemoryExport)!);
        var reset = guard.GetAction(instance, GuestModule.ResetExport)!;
        var alloc = guard.GetFunction<int, int>(instance, GuestModule.AllocExport)!;
        var convert = guard.GetFunction<int, int, int>(instance, GuestModule.ConvertExport)!;
        var outputLength = guard.GetFunction<int>(instance, GuestModule.OutputLengthExport)!;

        var pending = new List<(string Name, GuardedView Content)>(images.Count);
        foreach (var image in images)
        {
            reset();
            var input = alloc(image.Ppm.Length);
            image.Ppm.CopyTo(guard.GetView(input, image.Ppm.Length).Span);
            var output = convert(input, image.Ppm.Length);
            if (output == 0)
            {
                throw new InvalidDataException($"The guest rejected {image.Name}.");
            }

            var length = outputLength();
            pending.Add((image.OutputName, guard.GetView(output, length)));
            progress?.Report(new ImageConverted(pending.Count - 1, images.Count, image, length, guard.Memory.GetLength()));
        }

        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, content) in pending)
        {
            using var entry = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
            entry.Write(content.Span); // expect: WVA001
        }
    }
}
