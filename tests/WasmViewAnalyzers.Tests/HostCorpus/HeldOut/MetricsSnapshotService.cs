// Metrics snapshot service guarded with WasmViewAnalyzers.Runtime: snapshots kept on purpose as GuardedView, outputs pooled
// as leases, exports wrapped by the guard; shaped after the runtime library's guarded and lease-copy host designs.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.HeldOut.MetricsSnapshotService;

public sealed class MetricsSnapshotService
{
    private readonly GuestMemoryGuard _guard;
    private readonly Func<int, int> _snapshot;
    private readonly Func<int> _snapshotLength;
    private readonly Action _compact;
    private readonly List<GuardedView> _history = new();
    private readonly Queue<WasmLease<byte>> _leases = new();
    private GuardedView _lastSnapshot;
    private Memory<byte> _lastMemory;

    public MetricsSnapshotService(Instance instance)
    {
        _guard = new GuestMemoryGuard(instance.GetMemory("memory") ?? throw new InvalidOperationException("memory"));
        _snapshot = _guard.GetRequiredFunction<int, int>(instance, "snapshot");
        _snapshotLength = _guard.GetRequiredFunction<int>(instance, "snapshot_length");
        _compact = _guard.GetRequiredAction(instance, "compact");
    }

    public void Capture(int scope)
    {
        var address = _snapshot(scope);
        var view = _guard.GetView(address, _snapshotLength());
        // Runtime-checked views and leases may be kept: none of these is an escape.
        _lastSnapshot = view;
        _history.Add(view);
        _lastMemory = view.Memory;
        _leases.Enqueue(view.LeaseCopy());
    }

    public long Total(int scope)
    {
        var view = _guard.GetView(_snapshot(scope), _snapshotLength());
        _compact();
        long total = 0;
        foreach (var b in view.Span) total += b; // expect: WVA001
        return total;
    }

    public long TotalReacquired(int scope)
    {
        var view = _guard.GetView(_snapshot(scope), _snapshotLength());
        _compact();
        if (view.IsStale)                                   // never a use
        {
            Console.WriteLine($"snapshot at {view.Address:x} ({view.Length} bytes) went stale");   // Address and Length: never uses
        }

        view = _guard.GetView(view.Address, view.Length);   // obtained again after the call
        long total = 0;
        foreach (var b in view.Span)
        {
            total += b;
        }

        return total;
    }

    public byte FirstByte(int scope)
    {
        var memory = _guard.GetView(_snapshot(scope), _snapshotLength()).Memory;
        _compact();
        // GuardedView.Memory is a view source: it may be kept (no WVA002), but read after a call it is stale like .Span.
        return memory.Span[0]; // expect: WVA001
    }

    public byte FirstByteLeased(int scope)
    {
        using var lease = _guard.GetView(_snapshot(scope), _snapshotLength()).LeaseCopy();
        _compact();
        return lease.Span[0];                               // a pooled copy
    }

    public int Grow(int scope)
    {
        var raw = _guard.Memory.GetSpan(_snapshot(scope), _snapshotLength());
        _guard.Grow(1);                                     // a guarded grow may move memory
        return raw[0]; // expect: WVA001
    }

    public int GrowThenRead(int scope)
    {
        var address = _snapshot(scope);
        var length = _snapshotLength();
        _guard.Grow(1);
        return _guard.Memory.GetSpan(address, length)[0];
    }

    public int RawAcrossGuardedCall(int scope)
    {
        var guarded = _guard.GetView(_snapshot(scope), _snapshotLength());
        var raw = guarded.Span;                             // raw again: use it at once
        var head = raw[0];
        _compact();
        return head + raw[1]; // expect: WVA001
    }

    public int CopyOut(int scope, Span<byte> destination)
    {
        var view = _guard.GetView(_snapshot(scope), _snapshotLength());
        view.CopyTo(destination);                           // copied before the next call
        _compact();
        return view.IsStale ? view.Length : 0;              // IsStale and Length read no guest memory
    }

    public void Report(TextWriter writer)
    {
        // Read in another method through checked views; they throw if stale.
        writer.WriteLine(_lastSnapshot.IsStale ? "stale" : Convert.ToHexString(_lastSnapshot.Span));
        writer.WriteLine(_history.Count);
        writer.WriteLine(_lastMemory.Length);
    }

    public void Archive(Ionic.Zip.ZipFile zip, int scope)
    {
        var address = _snapshot(scope);
        // A GuardedStream handed to DotNetZip: it checks itself when Save reads it.
        zip.AddEntry($"snapshot-{scope}.bin", _guard.OpenStream(address, _snapshotLength()));
    }

    public void Compress(Stream output, int scope)
    {
        var view = _guard.GetView(_snapshot(scope), _snapshotLength());
        using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        view.AsStream().CopyTo(gzip);                       // a guarded stream is not a raw view
    }

    public void DrainLeases(Stream output)
    {
        while (_leases.TryDequeue(out var lease))
        {
            using (lease)
            {
                _compact();
                output.Write(lease.Span);
            }
        }
    }
}
