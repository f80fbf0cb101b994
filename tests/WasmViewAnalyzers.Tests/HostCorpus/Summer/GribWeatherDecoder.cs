// A GRIB2 weather-grid decoder: a wasm codec unpacks each message's field into guest memory, streamed to consumers
// and cached per parameter (shape: async streaming hosts, WasmViewAnalyzers.Runtime guarded views used as documented).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Summer.GribWeatherDecoder;

public sealed class GribDecoder
{
    private readonly Memory _memory;
    private readonly GuestMemoryGuard _guard;
    private readonly Func<int, int> _decode;            // message index -> field ptr
    private readonly Func<int> _fieldLength;
    private readonly Func<int, int> _guardedDecode;
    private readonly Func<int> _guardedFieldLength;
    private readonly Dictionary<string, GuardedView> _guardedCache = new();
    private readonly Dictionary<string, (int Address, int Length)> _offsetCache = new();

    public GribDecoder(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _guard = new GuestMemoryGuard(_memory);
        _decode = instance.GetFunction<int, int>("decode_message")!;
        _fieldLength = instance.GetFunction<int>("field_len")!;
        _guardedDecode = _guard.GetRequiredFunction<int, int>(instance, "decode_message");
        _guardedFieldLength = _guard.GetRequiredFunction<int>(instance, "field_len");
    }

    private unsafe ReadOnlyMemory<byte> FieldView(int address, int length) =>
        new FieldManager((byte*)_memory.GetPointer() + address, length).Memory;

    // Each element is made when the consumer asks for it, after that message's decode.
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> FieldsAsync(int messages, [EnumeratorCancellation] CancellationToken token = default)
    {
        for (var i = 0; i < messages; i++)
        {
            await Task.Yield();
            var address = _decode(i);
            yield return FieldView(address, _fieldLength());
        }
    }

    private static double Mean(scoped ReadOnlySpan<byte> packed)
    {
        var values = MemoryMarshal.Cast<byte, float>(packed);
        double sum = 0;
        foreach (var v in values) sum += v;
        return values.Length == 0 ? 0 : sum / values.Length;
    }

    private static int Cells(scoped ReadOnlySpan<byte> packed) => packed.Length / 4;   // length only

    public async Task<List<double>> MeansAsync(int messages, CancellationToken token)
    {
        var means = new List<double>();
        await foreach (var field in FieldsAsync(messages, token))
        {
            means.Add(Mean(field.Span));                                  // fresh for this element
        }
        return means;
    }

    public async Task<List<double>> MeansAfterFlushAsync(int messages, Stream log, CancellationToken token)
    {
        var means = new List<double>();
        await foreach (var field in FieldsAsync(messages, token))
        {
            await log.FlushAsync(token);                                  // the consumer awaits inside the body
            means.Add(Mean(field.Span));                                  // expect: WVA001
        }
        return means;
    }

    public double Anomaly(int baseline, int current)
    {
        var baseAddress = _decode(baseline);
        var baseView = FieldView(baseAddress, _fieldLength());
        var cells = Cells(baseView.Span);
        var currentAddress = _decode(current);                            // shares the decoder's output buffer
        var currentMean = Mean(FieldView(currentAddress, _fieldLength()).Span);
        return currentMean - Mean(baseView.Span) + cells * 0;             // expect: WVA001
    }

    public double AnomalyCopied(int baseline, int current)
    {
        var baseAddress = _decode(baseline);
        var baseCopy = FieldView(baseAddress, _fieldLength()).ToArray();  // a copy before the next decode
        var cells = Cells(baseCopy);
        var currentAddress = _decode(current);
        var currentMean = Mean(FieldView(currentAddress, _fieldLength()).Span);
        return currentMean - Mean(baseCopy) + cells * 0;
    }

    public void CacheGuarded(string parameter, int message)
    {
        var address = _guardedDecode(message);
        _guardedCache[parameter] = _guard.GetView(address, _guardedFieldLength());   // a guarded view may be stored
        _offsetCache[parameter] = (address, _guardedFieldLength());
    }

    public double CachedMean(string parameter)
    {
        if (_guardedCache.TryGetValue(parameter, out var view))
        {
            if (view.IsStale)
            {
                var (address, length) = _offsetCache[parameter];
                return Mean(_guard.GetView(address, length).Span);          // obtained again, as documented
            }
            return Mean(view.Span);                                           // checked fresh just above
        }
        return double.NaN;
    }

    public string Describe(string parameter)
    {
        // Length and Address never read guest memory.
        return _guardedCache.TryGetValue(parameter, out var view) ? $"{parameter}@{view.Address:x} ({view.Length} bytes)" : parameter;
    }

    public double[] Ensemble(int[] members)
    {
        var pending = new Queue<ReadOnlyMemory<byte>>();
        foreach (var member in members)
        {
            var address = _decode(member);
            pending.Enqueue(FieldView(address, _fieldLength()));          // expect: WVA002
        }

        var result = new double[members.Length];
        var i = 0;
        while (pending.TryDequeue(out var field))
        {
            result[i++] = Mean(field.Span);                               // expect: WVA001
        }
        return result;
    }

    public double[] EnsembleOffsets(int[] members)
    {
        var pending = new Queue<(int Address, int Length)>();
        foreach (var member in members)
        {
            var address = _decode(member);
            pending.Enqueue((address, _fieldLength()));
        }

        var result = new double[members.Length];
        var i = 0;
        while (pending.TryDequeue(out var entry))
        {
            result[i++] = Mean(FieldView(entry.Address, entry.Length).Span);   // obtained when it is read
        }
        return result;
    }

    public double LevelMean(int[] levelMessages)
    {
        var levels = new Dictionary<int, ReadOnlyMemory<byte>>();
        foreach (var message in levelMessages)
        {
            var address = _decode(message);                               // each decode reuses the output buffer
            levels[message] = FieldView(address, _fieldLength());         // expect: WVA002
        }
        return levels.Values.Select(v => Mean(v.Span)).DefaultIfEmpty().Average();   // expect: WVA001
    }

    public double LevelMeanNow(int[] levelMessages)
    {
        var means = new Dictionary<int, double>();
        foreach (var message in levelMessages)
        {
            var address = _decode(message);
            means[message] = Mean(FieldView(address, _fieldLength()).Span);   // reduced to a number at once
        }
        return means.Values.DefaultIfEmpty().Average();
    }

    public double SurfaceTemperature(int[] messages, string[] names)
    {
        var byName = new Dictionary<string, ReadOnlyMemory<byte>>();
        for (var i = 0; i < messages.Length; i++)
        {
            var address = _decode(messages[i]);
            byName.TryAdd(names[i], FieldView(address, _fieldLength()));   // expect: WVA002
        }
        return byName.TryGetValue("t2m", out var t2m) ? Mean(t2m.Span) : double.NaN;   // expect: WVA001
    }

    public double LatestOrDefault(int message)
    {
        ReadOnlyMemory<byte>? latest = null;
        var address = _decode(message);
        if (address != 0) latest = FieldView(address, _fieldLength());
        var next = _decode(message + 1);
        return Mean(latest.GetValueOrDefault().Span) + next * 0;          // expect: WVA001
    }

    public double AnonymousSummary(int message)
    {
        var address = _decode(message);
        var summary = new { Message = message, Field = FieldView(address, _fieldLength()) };
        _decode(message + 1);
        return summary.Message + Mean(summary.Field.Span);                // expect: WVA001
    }
}

public sealed unsafe class FieldManager : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    public FieldManager(byte* start, int length) { _start = start; _length = length; }
    public override Span<byte> GetSpan() => new(_start, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
