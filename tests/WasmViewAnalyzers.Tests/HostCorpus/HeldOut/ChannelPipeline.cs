// Ingest pipeline: a guest tokenizer fills output frames, channels, blocking collections and concurrent queues carry
// them to writer tasks; shaped after hosts that pump guest output through System.Threading.Channels to a background sink.
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.HeldOut.ChannelPipeline;

internal sealed unsafe class FrameManager : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public FrameManager(nint start, int length)
    {
        _start = (byte*)start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

// A pending frame: a host pointer next to its length.
public struct PendingFrame
{
    public nint Start;
    public int Length;
}

public sealed class TokenPipeline
{
    private readonly Memory _memory;
    private readonly Func<int, int> _tokenize;
    private readonly Func<int> _frameLength;
    private readonly Func<int> _nextFrame;
    private readonly Channel<ReadOnlyMemory<byte>> _frames = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
    private readonly Channel<byte[]> _copies = Channel.CreateBounded<byte[]>(64);
    private readonly Channel<WasmLease<byte>> _leases = Channel.CreateUnbounded<WasmLease<byte>>();
    private readonly BlockingCollection<(nint Start, int Length)> _blocking = new();
    private readonly ConcurrentQueue<Stream> _spill = new();
    private readonly ConcurrentBag<int> _offsets = new();
    private readonly List<Task> _workers = new();
    private readonly List<PendingFrame> _pendingFrames = new();
    private readonly List<(int Offset, int Length)> _pendingOffsets = new();
    private readonly Stream _sink;

    public TokenPipeline(Instance instance, Stream sink)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _tokenize = instance.GetFunction<int, int>("tokenize") ?? throw new InvalidOperationException("tokenize");
        _frameLength = instance.GetFunction<int>("frame_length") ?? throw new InvalidOperationException("frame_length");
        _nextFrame = instance.GetFunction<int>("next_frame") ?? throw new InvalidOperationException("next_frame");
        _sink = sink;
    }

    private ReadOnlyMemory<byte> Frame(int address, int length) => new FrameManager(_memory.GetPointer() + address, length).Memory;

    public void Produce(int input)
    {
        var address = _tokenize(input);
        var length = _frameLength();
        _frames.Writer.TryWrite(Frame(address, length)); // expect: WVA002
        _copies.Writer.TryWrite(_memory.GetSpan(address, length).ToArray());
        _leases.Writer.TryWrite(_memory.LeaseCopy(address, length));
        _offsets.Add(address);                              // a guest offset, not a view
    }

    public async Task ProduceAsync(int input, CancellationToken cancellationToken)
    {
        var address = _tokenize(input);
        var frame = Frame(address, _frameLength());
        await _frames.Writer.WriteAsync(frame, cancellationToken); // expect: WVA002
    }

    public async Task ProduceCopyAsync(int input, CancellationToken cancellationToken)
    {
        var address = _tokenize(input);
        var copy = Frame(address, _frameLength()).ToArray();
        await _copies.Writer.WriteAsync(copy, cancellationToken);
    }

    public void ProduceBlocking(int input)
    {
        var address = _tokenize(input);
        var length = _frameLength();
        _blocking.Add((_memory.GetPointer() + address, length)); // expect: WVA002
    }

    public void Defer(int input)
    {
        var address = _tokenize(input);
        var length = _frameLength();
        var frame = new PendingFrame { Start = _memory.GetPointer() + address, Length = length };
        _pendingFrames.Add(frame); // expect: WVA002
        _pendingOffsets.Add((address, length));
    }

    public unsafe void Spill(int input)
    {
        var address = _tokenize(input);
        var length = _frameLength();
        Stream spilled = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        _spill.Enqueue(spilled); // expect: WVA002
    }

    public void SpillCopy(int input)
    {
        var address = _tokenize(input);
        var length = _frameLength();
        _spill.Enqueue(new MemoryStream(_memory.GetSpan(address, length).ToArray(), writable: false));
    }

    public void StartDrain(int input)
    {
        var address = _tokenize(input);
        var start = _memory.GetPointer() + address;
        var length = _frameLength();                        // a guest call: 'start' is already stale here
        // Stale when captured, and the capture escapes to the thread pool: both rules, on the capture.
        _workers.Add(Task.Run(() => Drain(start, length))); // expect: WVA001, WVA002
    }

    public void StartDrainCopy(int input)
    {
        var address = _tokenize(input);
        var length = _frameLength();
        var copy = _memory.GetSpan(address, length).ToArray();
        _workers.Add(Task.Run(() => _sink.Write(copy)));
    }

    public async Task PumpAsync(CancellationToken cancellationToken)
    {
        var address = _nextFrame();
        var frame = Frame(address, _frameLength());
        await _sink.FlushAsync(cancellationToken);          // other code, the guest included, may run meanwhile
        await _sink.WriteAsync(frame, cancellationToken); // expect: WVA001
    }

    public async Task PumpInOrderAsync(CancellationToken cancellationToken)
    {
        var address = _nextFrame();
        var frame = Frame(address, _frameLength());
        await _sink.WriteAsync(frame, cancellationToken);   // fully used by the first await
        await _sink.FlushAsync(cancellationToken);
        Console.WriteLine($"pumped {frame.Length} bytes");  // Length only
    }

    public async Task<int> ScoreAsync(int address, int length)
    {
        nint start = _memory.GetPointer() + address;
        await Task.Yield();
        return Score(start, length); // expect: WVA001
    }

    public async Task<int> ScoreFirstAsync(int address, int length)
    {
        nint start = _memory.GetPointer() + address;
        var score = Score(start, length);
        await Task.Yield();
        return score;
    }

    public async Task DrainLeasesAsync(CancellationToken cancellationToken)
    {
        await foreach (var lease in _leases.Reader.ReadAllAsync(cancellationToken))
        {
            using (lease)
            {
                await _sink.WriteAsync(lease.Memory, cancellationToken);   // a lease is a host copy
            }
        }
    }

    private unsafe void Drain(nint start, int length) => _sink.Write(new ReadOnlySpan<byte>((void*)start, length));

    private static unsafe int Score(nint start, int length)
    {
        var bytes = new ReadOnlySpan<byte>((void*)start, length);
        var score = 0;
        foreach (var b in bytes)
        {
            score += b > 0x7F ? 2 : 1;
        }

        return score;
    }
}
