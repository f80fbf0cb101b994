// Replay recorder for a deterministic game simulation in wasm: frames are kept as guarded views and leases.
// Shape from the runtime library's guarded-host design (GuestMemoryGuard wrapping exports) over a DotNetIsolator-like host.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Dev.GuardedReplayHost;

public sealed class ReplayRecorder : IDisposable
{
    private readonly GuestMemoryGuard _guard;
    private readonly Func<int, int> _step;          // guarded: frame -> address of the frame state
    private readonly Func<int> _stateLength;
    private readonly Action<int> _rewind;
    private readonly List<GuardedView> _frames = new();
    private readonly List<WasmLease<byte>> _keyframes = new();
    private GuardedView _latest;
    private Memory<byte> _latestMemory;

    public ReplayRecorder(Instance instance)
    {
        _guard = new GuestMemoryGuard(instance.GetMemory("memory")!);
        _step = _guard.GetRequiredFunction<int, int>(instance, "step");
        _stateLength = _guard.GetRequiredFunction<int>(instance, "state_length");
        _rewind = _guard.GetRequiredAction<int>(instance, "rewind");
    }

    // Guarded views may be stored: a stale one throws when read.
    public void Record(int frame)
    {
        var address = _step(frame);
        var view = _guard.GetView(address, _stateLength());
        _frames.Add(view);
        _latest = view;
        _latestMemory = view.Memory;                  // a guarded Memory<byte> re-checks on every access
    }

    public void RecordKeyframe(int frame)
    {
        var address = _step(frame);
        _keyframes.Add(_guard.Memory.LeaseCopy(address, _stateLength()));   // a pooled copy
    }

    public int Describe(int frame)
    {
        var view = _guard.GetView(_step(frame), _stateLength());
        _rewind(frame);
        // None of these read guest memory: Length and Address are plain data, IsStale only checks.
        Console.WriteLine($"{view.Length} bytes at {view.Address:X}, stale: {view.IsStale}");
        view.ThrowIfStale();
        return view.Length;
    }

    public byte FirstByte(int frame)
    {
        var view = _guard.GetView(_step(frame), _stateLength());
        var first = view.Span[0];                     // read at once
        _rewind(frame);
        return first;
    }

    public byte FirstByteAfterRewind(int frame)
    {
        var view = _guard.GetView(_step(frame), _stateLength());
        _rewind(frame);
        return view.Span[0]; // expect: WVA001
    }

    public void Compress(Stream destination)
    {
        using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        foreach (var keyframe in _keyframes)
        {
            gzip.Write(keyframe.Span);                // a lease is host memory
        }

        var view = _guard.GetView(_step(0), _stateLength());
        view.AsStream().CopyTo(gzip);                 // a guarded stream, fresh: not reported
    }

    public long Grow(int pages, int scratchAddress)
    {
        var scratch = _guard.Memory.GetSpan(scratchAddress, 16);   // a raw span, not guarded
        var previous = _guard.Grow(pages);
        scratch.Clear(); // expect: WVA001
        return previous;
    }

    public long GrowThenObtain(int pages, int scratchAddress)
    {
        var previous = _guard.Grow(pages);
        _guard.Memory.GetSpan(scratchAddress, 16).Clear();        // obtained after the grow
        return previous;
    }

    // A host callback reached the guest another way; the host says so to the guard.
    public int AfterExternalCall(int address)
    {
        var raw = _guard.Memory.GetSpan(address, 4);
        _guard.NotifyGuestCall("external tick");
        return raw[0]; // expect: WVA001
    }

    public int LatestLength() => _latest.Length + _latestMemory.Length;   // lengths only

    public byte[] CopyLatest() => _latest.IsStale ? Array.Empty<byte>() : _latest.ToArray();

    public void DefineCallbacks(Linker linker)
    {
        GuardedView header = default;
        _guard.DefineFunction(linker, "host", "frame_begin", (int address) => { header = _guard.GetView(address, 16); });
        _guard.DefineFunction(linker, "host", "frame_end", () => Console.WriteLine(header.IsStale ? "stale header" : "ok"));
    }

    public void Dispose()
    {
        foreach (var keyframe in _keyframes)
        {
            keyframe.Dispose();
        }
    }
}
