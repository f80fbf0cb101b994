// Scientific unit-conversion kernel: a wasm library converts batches of quantities in place; the host uses the runtime
// library's guard and leases as documented, with raw spans beside them. Shape: wasmtime-dotnet examples, the guarded ImageBatch host.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Spring.UnitConversionKernel;

public sealed class ConversionKernel
{
    private readonly Memory _memory;
    private readonly GuestMemoryGuard _guard;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int, int, int> _convert;
    private readonly Func<int, int, int> _parseUnit;
    private readonly Action _resetScratch;
    private readonly List<GuardedView> _results = new();

    public ConversionKernel(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _guard = new GuestMemoryGuard(_memory);
        _alloc = _guard.GetRequiredFunction<int, int>(instance, "alloc");
        _convert = _guard.GetRequiredFunction<int, int, int, int, int>(instance, "convert_batch");
        _parseUnit = _guard.GetRequiredFunction<int, int, int>(instance, "parse_unit");
        _resetScratch = _guard.GetRequiredAction(instance, "reset_scratch");
    }

    private int Unit(string symbol)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(symbol);
        var at = _alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(at, bytes.Length));
        return _parseUnit(at, bytes.Length);
    }

    public double[] Convert(double[] values, string from, string to)
    {
        var source = Unit(from);
        var target = Unit(to);
        var at = _alloc(values.Length * 8);
        var view = _guard.GetView(at, values.Length * 8);
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(view.Span);
        var status = _convert(at, values.Length, source, target);
        // Safe: a guarded view checks itself when read; Length and Address never read memory.
        Console.WriteLine($"status {status}, {view.Length} bytes at {view.Address}");
        if (view.IsStale)
        {
            view = _guard.GetView(at, values.Length * 8);
        }
        // Safe: read on the path where IsStale said it is fresh, or obtained again.
        return MemoryMarshal.Cast<byte, double>(view.Span).ToArray();
    }

    public double[] ConvertRaw(double[] values, string from, string to)
    {
        var at = _alloc(values.Length * 8);
        var raw = _memory.GetSpan<double>(at, values.Length);
        values.CopyTo(raw);
        var source = Unit(from);
        var target = Unit(to);
        // Unit() and convert_batch ran through the guarded wrappers: the raw span is not checked by the guard.
        _convert(at, values.Length, source, target);
        return raw.ToArray(); // expect: WVA001
    }

    public double Scale(int at, int count)
    {
        var guarded = _guard.GetView(at, count * 8);
        // The raw span taken out of a guarded view is raw again.
        var doubles = MemoryMarshal.Cast<byte, double>(guarded.Span);
        _resetScratch();
        var first = doubles[0]; // expect: WVA001
        guarded.ThrowIfStale();
        // Safe: after ThrowIfStale, until the next guest call, the library answers for the read.
        return first + MemoryMarshal.Cast<byte, double>(guarded.Span)[0];
    }

    public void Collect(int at, int length)
    {
        // Safe: guarded views may be kept in fields and lists.
        _results.Add(_guard.GetView(at, length));
    }

    public void FlushCollected(Stream output)
    {
        foreach (var result in _results)
        {
            // Safe: each read checks freshness (and throws if stale).
            output.Write(result.Span);
        }
        _results.Clear();
    }

    private static double Sum(ReadOnlySpan<byte> bytes)
    {
        var sum = 0.0;
        foreach (var d in MemoryMarshal.Cast<byte, double>(bytes))
        {
            sum += d;
        }
        return sum;
    }

    public async Task<double> AverageAsync(int at, int count, Func<Task> betweenBatches)
    {
        // Safe: a lease is the host's own copy, valid across awaits and calls.
        using var lease = _memory.LeaseCopy(at, count * 8);
        await betweenBatches();
        _resetScratch();
        return Sum(lease.Span) / count;
    }

    public async Task<double> FirstAfterAsync(int at, Func<Task> betweenBatches)
    {
        var view = _guard.GetView(at, 8);
        await betweenBatches();
        view.ThrowIfStale();
        // Safe: read right after its own check said it is fresh.
        return BitConverter.ToDouble(view.Span);
    }

    public void ConvertAll(IReadOnlyList<double[]> batches, Stream output)
    {
        var pending = new List<GuardedView>();
        foreach (var batch in batches)
        {
            var at = _alloc(batch.Length * 8);
            MemoryMarshal.AsBytes(batch.AsSpan()).CopyTo(_memory.GetSpan(at, batch.Length * 8));
            _convert(at, batch.Length, 0, 1);
            // Safe: a guarded view may be kept in a list (no WVA002).
            pending.Add(_guard.GetView(at, batch.Length * 8));
        }
        foreach (var view in pending)
        {
            // Decided: an unchecked read of a guarded view filled before later guest calls is still WVA001 (the guarded sample keeps this one on purpose).
            output.Write(view.Span); // expect: WVA001
        }
    }

    public double ConvertOne(double value, string from, string to)
    {
        var at = _alloc(8);
        var slot = _memory.GetSpan<double>(at, 1);
        slot[0] = value;
        var source = Unit(from);
        _guard.NotifyGuestCall("external tick");
        // NotifyGuestCall records a guest call; the raw slot was taken before it and before Unit's calls.
        slot[0] = value; // expect: WVA001
        _convert(at, 1, source, Unit(to));
        return _memory.GetSpan<double>(at, 1)[0];
    }
}
