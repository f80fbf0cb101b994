// Audio pipeline: a wasm DSP module resamples and mixes blocks of float samples; the host streams or compresses them.
// Shape from wasmtime-dotnet examples (typed GetSpan<T> over guest memory) and plugin hosts that render block by block.
using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Dev.AudioResampler;

internal sealed unsafe class SampleBlock : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public SampleBlock(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed class DspHost
{
    private const int Crossfade = 32;
    private readonly Memory _memory;
    private readonly Func<int, int, int> _render;       // (block index, frames) -> address of float samples
    private readonly Func<float, int> _setGain;
    private readonly Action<int> _mix;

    public DspHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _render = instance.GetFunction<int, int, int>("render_block")!;
        _setGain = instance.GetFunction<float, int>("set_gain")!;
        _mix = instance.GetAction<int>("mix_bus")!;
    }

    // Blends the tail of the previous block into the head of the next one.
    public void RenderWithCrossfade(int blocks, int frames, Stream output)
    {
        Span<float> previous = default;
        for (var i = 0; i < blocks; i++)
        {
            var block = _memory.GetSpan<float>(_render(i, frames), frames);
            if (!previous.IsEmpty)                                   // IsEmpty reads nothing
            {
                Blend(previous[^Crossfade..], block); // expect: WVA001
            }

            output.Write(MemoryMarshal.AsBytes(block));             // a plain stream copies at once
            previous = block;
        }
    }

    public void RenderWithCrossfadeCopied(int blocks, int frames, Stream output)
    {
        float[]? tail = null;
        for (var i = 0; i < blocks; i++)
        {
            var block = _memory.GetSpan<float>(_render(i, frames), frames);
            if (tail is not null)
            {
                Blend(tail, block);
            }

            output.Write(MemoryMarshal.AsBytes(block));
            tail = block[^Crossfade..].ToArray();                    // a copy of the tail
        }
    }

    private static void Blend(ReadOnlySpan<float> tail, Span<float> head)
    {
        for (var i = 0; i < tail.Length && i < head.Length; i++)
        {
            var t = (float)i / tail.Length;
            head[i] = head[i] * t + tail[i] * (1 - t);
        }
    }

    public float Peak(int address, int frames, float gain)
    {
        var samples = _memory.GetSpan<float>(address, frames);
        var peak = 0f;
        foreach (var s in samples)
        {
            peak = MathF.Max(peak, MathF.Abs(s));
        }

        _setGain(gain);
        return peak;                        // a value read before the call
    }

    public float PeakAfterGain(int address, int frames, float gain)
    {
        var samples = _memory.GetSpan<float>(address, frames);
        _setGain(gain);
        var peak = 0f;
        for (var i = 0; i < samples.Length; i++)                    // Length only
        {
            peak = MathF.Max(peak, MathF.Abs(samples[i])); // expect: WVA001
        }

        return peak;
    }

    public void CompressStems(int stems, int frames, string path)
    {
        using var file = File.Create(path);
        using var brotli = new BrotliStream(file, CompressionLevel.Optimal);
        for (var stem = 0; stem < stems; stem++)
        {
            _mix(stem);
            var samples = _memory.GetSpan<float>(_render(stem, frames), frames);
            brotli.Write(MemoryMarshal.AsBytes(samples)); // expect: WVA004
        }
    }

    public void CompressStemsCopied(int stems, int frames, string path)
    {
        using var file = File.Create(path);
        using var brotli = new BrotliStream(file, CompressionLevel.Optimal);
        var buffer = new float[frames];
        for (var stem = 0; stem < stems; stem++)
        {
            _mix(stem);
            _memory.GetSpan<float>(_render(stem, frames), frames).CopyTo(buffer);   // a copy into host memory
            brotli.Write(MemoryMarshal.AsBytes(buffer.AsSpan()));
        }
    }

    public void Export(int frames, string path, bool compress)
    {
        using var file = File.Create(path);
        Stream sink = compress ? new GZipStream(file, CompressionLevel.Fastest) : file;
        var samples = _memory.GetSpan<float>(_render(0, frames), frames);
        sink.Write(MemoryMarshal.AsBytes(samples)); // expect: WVA004
        sink.Dispose();
    }

    public void ExportRaw(int frames, string path)
    {
        using var file = File.Create(path);
        Stream sink = file;                                          // never a compressor
        var samples = _memory.GetSpan<float>(_render(0, frames), frames);
        sink.Write(MemoryMarshal.AsBytes(samples));
    }

    // A helper that returns a view: its callers hold guest memory.
    private unsafe Memory<byte> RenderToMemory(int index, int frames)
    {
        var address = _render(index, frames);
        return new SampleBlock((byte*)_memory.GetPointer() + address, frames * sizeof(float)).Memory;
    }

    public async Task StreamAsync(Stream network, int blocks, int frames, CancellationToken cancellationToken)
    {
        for (var i = 0; i < blocks; i++)
        {
            var chunk = RenderToMemory(i, frames);
            await network.WriteAsync(chunk, cancellationToken);      // used before the await completes: fine
            await network.FlushAsync(cancellationToken);
            Meter(chunk.Span); // expect: WVA001
        }
    }

    public async Task StreamMeteredAsync(Stream network, int blocks, int frames, CancellationToken cancellationToken)
    {
        for (var i = 0; i < blocks; i++)
        {
            var chunk = RenderToMemory(i, frames);
            Meter(chunk.Span);                                       // fully used before any await
            await network.WriteAsync(chunk, cancellationToken);
            await network.FlushAsync(cancellationToken);
        }
    }

    public async Task CompressAsync(Stream file, int blocks, int frames)
    {
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
        for (var i = 0; i < blocks; i++)
        {
            var chunk = RenderToMemory(i, frames);
            var write = gzip.WriteAsync(chunk); // expect: WVA003
            _mix(i);                                                 // the guest runs while the write may still read
            await write;
        }
    }

    public async Task CompressAwaitedAsync(Stream file, int blocks, int frames)
    {
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
        for (var i = 0; i < blocks; i++)
        {
            var chunk = RenderToMemory(i, frames);
            await gzip.WriteAsync(chunk); // expect: WVA004
            _mix(i);
        }
    }

    public async Task CompressCopiesAsync(Stream file, int blocks, int frames)
    {
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
        for (var i = 0; i < blocks; i++)
        {
            var copy = RenderToMemory(i, frames).ToArray();           // a copy
            var write = gzip.WriteAsync(copy);
            _mix(i);
            await write;
        }
    }

    private static float Meter(ReadOnlySpan<byte> bytes)
    {
        var samples = MemoryMarshal.Cast<byte, float>(bytes);
        var sum = 0f;
        foreach (var s in samples)
        {
            sum += s * s;
        }

        return samples.Length == 0 ? 0 : MathF.Sqrt(sum / samples.Length);
    }
}
