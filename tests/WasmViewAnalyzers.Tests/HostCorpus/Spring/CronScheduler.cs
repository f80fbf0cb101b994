// Cron/scheduling evaluator: a wasm module parses cron expressions and computes upcoming occurrences into a
// result buffer; the host schedules timers and journals fire times. Shape: Extism-style plugin calls with host-side job tables.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Wasmtime;

namespace Corpus.Spring.CronScheduler;

public sealed record ScheduledJob(string Name, int Handle, long NextUnix);

internal sealed class FireJournal
{
    private readonly List<nint> _recent = new();
    private readonly List<long> _times = new();

    public void Remember(nint occurrence) => _recent.Add(occurrence);

    public void Record(long unixTime) => _times.Add(unixTime);

    // Reads the pointer now and keeps only the value.
    public unsafe void RecordFrom(nint occurrence) => _times.Add(*(long*)occurrence);

    public int Count => _recent.Count + _times.Count;
}

public sealed unsafe class CronEvaluator : IDisposable
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Func<int, int, int> _parse;
    private readonly Func<int, long, int, int> _next;
    private readonly Func<int> _resultPtr;
    private readonly FireJournal _journal = new();
    private readonly Queue<(string Job, nint Times, int Count)> _upcoming = new();
    private readonly Queue<(string Job, int Offset, int Count)> _upcomingOffsets = new();
    private readonly List<Timer> _timers = new();
    private nint _cursor;
    private int _cursorCount;

    public CronEvaluator(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _parse = instance.GetFunction<int, int, int>("cron_parse")!;
        _next = instance.GetFunction<int, long, int, int>("cron_next")!;
        _resultPtr = instance.GetFunction<int>("result_ptr")!;
    }

    public int Parse(string expression)
    {
        var length = Encoding.ASCII.GetByteCount(expression);
        var at = _malloc(length);
        _memory.WriteString(at, expression, Encoding.ASCII);
        return _parse(at, length);
    }

    private void Track(nint occurrence) => _journal.Remember(occurrence);

    private static long Peek(nint occurrence) => *(long*)occurrence;

    public ScheduledJob Plan(string name, string expression, long now)
    {
        var handle = Parse(expression);
        var count = _next(handle, now, 8);
        var at = _resultPtr();
        var times = (long*)((byte*)_memory.GetPointer() + at);
        var first = times[0];
        // Safe: RecordFrom reads the value now and keeps a number.
        _journal.RecordFrom((nint)times);
        _journal.Record(first);
        // Remember keeps the pointer in the journal's list.
        _journal.Remember((nint)times); // expect: WVA002
        // Two calls deep: Track hands it to Remember.
        Track((nint)(times + 1)); // expect: WVA002
        _upcoming.Enqueue((name, (nint)times, count)); // expect: WVA002
        _upcomingOffsets.Enqueue((name, at, count));
        (_cursor, _cursorCount) = ((nint)times, count); // expect: WVA002
        // Safe: Peek only reads through the pointer while it is fresh.
        return new ScheduledJob(name, handle, Peek((nint)times));
    }

    public IEnumerable<long> Upcoming(string expression, long now, int max)
    {
        var handle = Parse(expression);
        var count = _next(handle, now, max);
        var at = _resultPtr();
        for (var i = 0; i < count; i++)
        {
            // Safe: each value is read through ReadInt64 at the offset when it is produced.
            yield return _memory.ReadInt64(at + i * 8);
        }
    }

    public void ArmTimers(string name, string expression, long now, Action<string, long> fire)
    {
        var handle = Parse(expression);
        var count = _next(handle, now, 4);
        var times = (long*)((byte*)_memory.GetPointer() + _resultPtr());
        // The evaluation order above takes the pointer before result_ptr runs, then the timer reads it later.
        var timer = new Timer(_ => fire(name, times[0]), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan); // expect: WVA001, WVA002
        _timers.Add(timer);
        // Safe: the value is copied before the timer is created, and only the copy is captured.
        var at = _resultPtr();
        var second = _memory.ReadInt64(at + 8);
        _timers.Add(new Timer(_ => fire(name, second), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan));
    }

    public long[] Drain(long now)
    {
        var results = new List<long>();
        var offsets = _upcomingOffsets.ToArray();
        var replan = Parse("*/5 * * * *");
        _next(replan, now, 1);
        // Safe: offsets obtain their values again through Memory.Read after the calls.
        foreach (var (job, offset, count) in offsets)
        {
            for (var i = 0; i < count; i++)
            {
                results.Add(_memory.ReadInt64(offset + i * 8));
            }
        }
        return results.ToArray();
    }

    public long? NextOf(string expression, long now)
    {
        var handle = Parse(expression);
        var count = _next(handle, now, 1);
        long* found = null;
        if (count > 0)
        {
            var at = _resultPtr();
            found = (long*)((byte*)_memory.GetPointer() + at);
        }
        var check = Parse(expression + " ");
        // 'found' (when set) was taken before the second parse.
        return found == null ? null : *found; // expect: WVA001
    }

    public void Dispose()
    {
        foreach (var timer in _timers) timer.Dispose();
    }
}
