// Image-processing pipeline: a wasm filter (blur, grayscale) converts a batch of images, the host zips the results.
// Shape from PixiEditor's WasmRuntime (malloc/free exports, GetSpan over the output) and the image-batch seed story.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Dev.ImageFilterPipeline;

public sealed record ImageJob(string Name, byte[] Pixels, int Width, int Height);

// A MemoryManager over guest memory: its Memory is a view, not a copy.
internal sealed unsafe class GuestPixels : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public GuestPixels(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed unsafe class FilterPipeline
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int, int, int> _filter;    // (input, width, height, kind) -> output address
    private readonly Func<int> _outputLength;
    private readonly Action _reset;

    public FilterPipeline(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _free = instance.GetAction<int>("free")!;
        _filter = instance.GetFunction<int, int, int, int, int>("apply_filter")!;
        _outputLength = instance.GetFunction<int>("output_length")!;
        _reset = instance.GetAction("reset")!;
    }

    private int _lastInput;

    private int Upload(byte[] pixels)
    {
        var address = _lastInput = _malloc(pixels.Length);
        pixels.CopyTo(_memory.GetSpan(address, pixels.Length));
        return address;
    }

    // The seed design: every output kept as a view, zipped once the batch is done.
    public void ConvertBatch(IReadOnlyList<ImageJob> jobs, Stream destination)
    {
        var outputs = new List<(string Name, Memory<byte> Pixels)>();
        foreach (var job in jobs)
        {
            _reset();
            var output = _filter(Upload(job.Pixels), job.Width, job.Height, 1);
            var length = _outputLength();
            outputs.Add((job.Name + ".gray", new GuestPixels((byte*)_memory.GetPointer() + output, length).Memory)); // expect: WVA002
        }

        var checksums = outputs.Select(o => Adler(o.Pixels.Span)).ToArray(); // expect: WVA001
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, pixels) in outputs)
        {
            // As in the seed sample, the stale read is where the element is read, not the foreach over the list.
            using var entry = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
            entry.Write(pixels.Span); // expect: WVA001, WVA004
        }

        Console.WriteLine($"{checksums.Length} images");
    }

    // The fix the project recommends: a pooled copy taken before the next guest call.
    public void ConvertBatchWithLeases(IReadOnlyList<ImageJob> jobs, Stream destination)
    {
        var outputs = new List<(string Name, WasmLease<byte> Pixels)>();
        try
        {
            foreach (var job in jobs)
            {
                _reset();
                var output = _filter(Upload(job.Pixels), job.Width, job.Height, 1);
                outputs.Add((job.Name + ".gray", _memory.LeaseCopy(output, _outputLength())));
            }

            using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, pixels) in outputs)
            {
                using var entry = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
                entry.Write(pixels.Span);                   // a lease is host memory
            }
        }
        finally
        {
            foreach (var (_, pixels) in outputs)
            {
                pixels.Dispose();
            }
        }
    }

    // Write each entry before the next conversion; the archive stream still reads guest memory while it compresses.
    public void ConvertStreaming(IReadOnlyList<ImageJob> jobs, Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var job in jobs)
        {
            _reset();
            var output = _filter(Upload(job.Pixels), job.Width, job.Height, 2);
            var pixels = _memory.GetSpan(output, _outputLength());
            using var entry = archive.CreateEntry(job.Name, CompressionLevel.Optimal).Open();
            entry.Write(pixels); // expect: WVA004
        }
    }

    public void ConvertStreamingCopied(IReadOnlyList<ImageJob> jobs, Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var job in jobs)
        {
            _reset();
            var output = _filter(Upload(job.Pixels), job.Width, job.Height, 2);
            var pixels = _memory.GetSpan(output, _outputLength()).ToArray();   // a copy
            using var entry = archive.CreateEntry(job.Name, CompressionLevel.Optimal).Open();
            entry.Write(pixels);
        }
    }

    public Dictionary<string, uint> Thumbnails(IReadOnlyList<ImageJob> jobs)
    {
        var byName = new Dictionary<string, ReadOnlyMemory<byte>>();
        foreach (var job in jobs)
        {
            var output = _filter(Upload(job.Pixels), job.Width, job.Height, 3);
            byName[job.Name] = new GuestPixels((byte*)_memory.GetPointer() + output, _outputLength()).Memory; // expect: WVA001, WVA002
        }

        var sums = new Dictionary<string, uint>();
        if (byName.TryGetValue(jobs[0].Name, out var first))
        {
            sums[jobs[0].Name] = Adler(first.Span); // expect: WVA001
        }

        return sums;
    }

    public uint[] HistogramThenNext(ImageJob current, ImageJob next)
    {
        var output = _filter(Upload(current.Pixels), current.Width, current.Height, 1);
        var pixels = _memory.GetSpan(output, _outputLength());
        var histogram = Histogram(pixels);                  // a method that only reads, before the next call
        _reset();
        _filter(Upload(next.Pixels), next.Width, next.Height, 1);
        Console.WriteLine($"previous output was {pixels.Length} bytes");   // Length only
        return histogram;
    }

    public uint CompareWithPrevious(ImageJob previousJob, ImageJob job)
    {
        var before = _filter(Upload(previousJob.Pixels), previousJob.Width, previousJob.Height, 1);
        var beforeLength = _outputLength();
        var last = (Pointer: (nint)((byte*)_memory.GetPointer() + before), Length: beforeLength);   // a tuple holding a pointer
        var after = _filter(Upload(job.Pixels), job.Width, job.Height, 1);
        var previousPixels = new ReadOnlySpan<byte>((void*)last.Pointer, last.Length).ToArray(); // expect: WVA001
        return Adler(previousPixels) ^ Adler(_memory.GetSpan(after, _outputLength()));
    }

    public void Annotate(ImageJob job)
    {
        var output = _filter(Upload(job.Pixels), job.Width, job.Height, 1);
        var pixels = _memory.GetSpan(output, _outputLength());
        StampWatermark(pixels); // expect: WVA001
    }

    // Frees the input first (a guest call), then writes into the span it was handed.
    private void StampWatermark(Span<byte> pixels)
    {
        _free(_lastInput);
        pixels[..Math.Min(4, pixels.Length)].Fill(0xFF);
    }

    // Writes into the span first, then frees: not a use after a call.
    private void StampThenFree(Span<byte> pixels, int input)
    {
        pixels[..Math.Min(4, pixels.Length)].Fill(0xFF);
        _free(input);
    }

    public void AnnotateSafely(ImageJob job)
    {
        var input = Upload(job.Pixels);
        var output = _filter(input, job.Width, job.Height, 1);
        var pixels = _memory.GetSpan(output, _outputLength());
        StampThenFree(pixels, input);
        Console.WriteLine(pixels.IsEmpty ? "empty" : "stamped");   // IsEmpty reads nothing
    }

    private static uint[] Histogram(ReadOnlySpan<byte> pixels)
    {
        var bins = new uint[256];
        foreach (var p in pixels)
        {
            bins[p]++;
        }

        return bins;
    }

    private static uint Adler(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        foreach (var d in data)
        {
            a = (a + d) % 65521;
            b = (b + a) % 65521;
        }

        return (b << 16) | a;
    }
}
