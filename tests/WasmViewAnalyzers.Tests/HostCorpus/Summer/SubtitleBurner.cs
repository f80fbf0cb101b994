// A video subtitle burner: a wasm rasterizer renders cue text over each decoded frame, frames flow through a
// Channel pipeline to an encoder stage (shape: channel-based host pipelines, Wasmtime async-free store per worker).
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Summer.SubtitleBurner;

public readonly record struct Cue(TimeSpan Start, TimeSpan End, string Text);
public readonly record struct RenderedFrame(int Index, nint Pixels, int Length);
public readonly record struct OwnedFrame(int Index, byte[] Pixels);

public interface IFrameSink
{
    void Accept(int index, ReadOnlySpan<byte> pixels);
}

public sealed class SubtitleBurner
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int> _burn;          // (frame ptr, cue ptr, cue len) -> output ptr
    private readonly Func<int> _outputLength;
    private readonly Action _resetArena;
    private readonly Channel<RenderedFrame> _rendered = Channel.CreateBounded<RenderedFrame>(8);
    private readonly Channel<OwnedFrame> _owned = Channel.CreateBounded<OwnedFrame>(8);
    private readonly ConcurrentQueue<ReadOnlyMemory<byte>> _previews = new();
    private readonly ConcurrentQueue<byte[]> _previewCopies = new();

    public SubtitleBurner(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _burn = instance.GetFunction<int, int, int, int>("burn")!;
        _outputLength = instance.GetFunction<int>("output_len")!;
        _resetArena = instance.GetAction("reset_arena")!;
    }

    private int StageCue(Cue cue) => _memory.WriteString(0x2000, cue.Text) > 0 ? 0x2000 : 0;

    private static unsafe uint Checksum(nint pixels, int length)
    {
        uint sum = 0;
        var span = new ReadOnlySpan<byte>((void*)pixels, length);
        foreach (var b in span) sum = sum * 31 + b;
        return sum;
    }

    public async Task ProduceAsync(IReadOnlyList<(int FramePtr, Cue Cue)> frames, CancellationToken token)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            _resetArena();
            var output = _burn(frames[i].FramePtr, StageCue(frames[i].Cue), frames[i].Cue.Text.Length);
            var length = _outputLength();
            await _rendered.Writer.WriteAsync(new RenderedFrame(i, _memory.GetPointer() + output, length), token);   // expect: WVA002
        }
        _rendered.Writer.Complete();
    }

    public async Task ProduceOwnedAsync(IReadOnlyList<(int FramePtr, Cue Cue)> frames, CancellationToken token)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            _resetArena();
            var output = _burn(frames[i].FramePtr, StageCue(frames[i].Cue), frames[i].Cue.Text.Length);
            var length = _outputLength();
            var pixels = _memory.GetSpan(output, length).ToArray();      // copied before the next reset
            await _owned.Writer.WriteAsync(new OwnedFrame(i, pixels), token);
        }
        _owned.Writer.Complete();
    }

    public Task<uint> ChecksumInBackground(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var length = _outputLength();
        var pixels = _memory.GetPointer() + output;
        return Task.Run(() => Checksum(pixels, length));                  // expect: WVA002
    }

    public Task<uint> ChecksumNow(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var length = _outputLength();
        var pixels = _memory.GetPointer() + output;
        var sum = Checksum(pixels, length);                               // read while the call runs
        return Task.FromResult(sum);
    }

    public unsafe void QueuePreview(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var length = _outputLength();
        var preview = new PixelWindow((byte*)_memory.GetPointer() + output, length).Memory;
        _previews.Enqueue(preview);                                      // expect: WVA002
        _previewCopies.Enqueue(preview.ToArray());                        // a copy
    }

    public void StampAll(int framePtr, Cue[] cues, IFrameSink sink)
    {
        var frame = _memory.GetPointer() + framePtr;
        // Array.ForEach runs the lambda at once; the lambda only reads the frame, no guest call.
        var sums = new uint[cues.Length];
        var index = 0;
        Array.ForEach(cues, c => sums[index++] = Checksum(frame, c.Text.Length));
        _resetArena();
        sink.Accept(cues.Length, MemoryMarshal.AsBytes(sums.AsSpan()));   // the host's own array
    }

    public async Task<uint> BurnThenYieldAsync(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var length = _outputLength();
        var pixels = _memory.GetPointer() + output;
        await Task.Yield();                                               // another frame's burn may run here
        return Checksum(pixels, length);                                  // expect: WVA001
    }

    public async Task<uint> BurnYieldThenObtainAsync(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var length = _outputLength();
        await Task.Yield();
        var pixels = _memory.GetPointer() + output;                       // obtained after the await
        return Checksum(pixels, length);
    }

    internal void ResetArena() => _resetArena();

    public int FirstPixelAfterTicket(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var pixels = _memory.GetSpan(output, _outputLength());
        var ticket = new BurnTicket(this);                                // the constructor resets the arena
        return pixels[0] + ticket.Issued.Second;                          // expect: WVA001
    }

    public int FirstPixelBeforeTicket(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var first = _memory.GetSpan(output, _outputLength())[0];
        var ticket = new BurnTicket(this);
        return first + ticket.Issued.Second;
    }

    public Task PublishLater(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var length = _outputLength();
        var pixels = _memory.GetPointer() + output;
        void Publish() => Console.WriteLine(Checksum(pixels, length));
        Publish();                                                        // runs now: fine
        return Task.Run(Publish);                                         // expect: WVA002
    }

    public Task PublishChecksumLater(int framePtr, Cue cue)
    {
        var output = _burn(framePtr, StageCue(cue), cue.Text.Length);
        var length = _outputLength();
        var sum = Checksum(_memory.GetPointer() + output, length);        // a number computed now
        void Publish() => Console.WriteLine(sum);
        return Task.Run(Publish);
    }

    public void ForwardTo(IFrameSink sink, int framePtr, IReadOnlyList<Cue> cues)
    {
        var output = _burn(framePtr, StageCue(cues[0]), cues[0].Text.Length);
        var frame = _memory.GetSpan(output, _outputLength());
        for (var i = 1; i < cues.Count; i++)
        {
            _burn(output, StageCue(cues[i]), cues[i].Text.Length);         // burns the next cue over the same output
        }
        sink.Accept(0, frame);                                            // expect: WVA001
    }
}

// Taking a ticket resets the guest's arena: constructing one is a guest call.
public sealed class BurnTicket
{
    public BurnTicket(SubtitleBurner burner) { burner.ResetArena(); Issued = DateTime.UtcNow; }
    public DateTime Issued { get; }
}

public sealed unsafe class PixelWindow : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    public PixelWindow(byte* start, int length) { _start = start; _length = length; }
    public override Span<byte> GetSpan() => new(_start, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
