// Calendar recurrence (RFC 5545 RRULE) expander: a guest expands a rule into a page of UTC ticks in its memory.
// Shape: Extism-style plugin call (input written to guest, output offset/length read back) with iterators paging results.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Autumn.RRuleExpander;

[StructLayout(LayoutKind.Sequential)]
public struct ExpansionHeader
{
    public int Count;
    public int NextCursor;
    public long WindowEnd;
}

public sealed record OccurrencePage(int Cursor, int Count);

public sealed class RecurrenceEngine
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _parse;         // (rulePtr, ruleLen) -> handle
    private readonly Func<int, int, int> _expandPage;    // (handle, cursor) -> header address
    private readonly Action<int> _dropRule;

    public RecurrenceEngine(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _parse = instance.GetFunction<int, int, int>("rrule_parse")!;
        _expandPage = instance.GetFunction<int, int, int>("rrule_expand_page")!;
        _dropRule = instance.GetAction<int>("rrule_drop")!;
    }

    public int Parse(string rule)
    {
        var bytes = Encoding.ASCII.GetBytes(rule);
        const int scratch = 1024;
        bytes.CopyTo(_memory.GetSpan(scratch, bytes.Length));
        return _parse(scratch, bytes.Length);
    }

    // An iterator that hands out views: each page is fresh when MoveNext produces it.
    public IEnumerable<ReadOnlyMemory<long>> PagesAsViews(int handle)
    {
        var cursor = 0;
        while (cursor >= 0)
        {
            var header = _expandPage(handle, cursor);
            var count = _memory.ReadInt32(header);
            cursor = _memory.ReadInt32(header + 4);
            yield return new TicksManager(_memory, header + 16, count).Memory;
        }
    }

    public List<DateTime> ExpandAll(string rule)
    {
        var handle = Parse(rule);
        var result = new List<DateTime>();
        foreach (var page in PagesAsViews(handle))
        {
            foreach (var t in page.Span) result.Add(new DateTime(t, DateTimeKind.Utc)); // read as the page arrives: fresh
        }
        _dropRule(handle);
        return result;
    }

    public long LastOfFirstTwoPages(string rule)
    {
        var handle = Parse(rule);
        var pages = PagesAsViews(handle).Take(2).ToList(); // the second MoveNext calls the guest after the first page was made
        var first = pages[0];
        var second = pages[1];
        return first.Span[^1] + second.Span[^1]; // lead: no WVA001, TicksManager obtains its span again from the memory and address at each access, as reading at an offset does
    }

    public IEnumerable<long> StartsOfDays(int handle)
    {
        var header = _expandPage(handle, 0);
        var count = _memory.ReadInt32(header);
        var ticks = _memory.GetSpan<long>(header + 16, count).ToArray(); // copied: the iterator may suspend freely
        foreach (var t in ticks)
        {
            yield return t - t % TimeSpan.TicksPerDay;
        }
    }

    public IEnumerable<long> Deltas(int handle)
    {
        var header = _expandPage(handle, 0);
        var count = _memory.ReadInt32(header);
        var ticks = new TicksManager(_memory, header + 16, count).Memory;
        for (var i = 1; i < count; i++)
        {
            // The consumer runs between two MoveNext calls: it may expand another rule in the same store.
            yield return ticks.Span[i] - ticks.Span[i - 1]; // lead: no WVA001, as above: ticks.Span obtains the span again at each access
        }
    }

    public int CountInWindow(int handle, long windowEnd)
    {
        ref var header = ref MemoryMarshal.AsRef<ExpansionHeader>(_memory.GetSpan(_expandPage(handle, 0), 16));
        header.WindowEnd = windowEnd;       // the guest reads the window on the next page
        var next = _expandPage(handle, header.NextCursor); // header read before the call runs: fresh
        header.Count += _memory.ReadInt32(next); // expect: WVA001
        return header.Count; // expect: WVA001
    }

    public int CountInWindowCopy(int handle)
    {
        var header = MemoryMarshal.Read<ExpansionHeader>(_memory.GetSpan(_expandPage(handle, 0), 16)); // a copy
        var next = _expandPage(handle, header.NextCursor);
        return header.Count + _memory.ReadInt32(next);
    }

    public long? FirstAfter(int handle, long after)
    {
        long? found = null;
        var header = _expandPage(handle, 0);
        var count = _memory.ReadInt32(header);
        var page = _memory.GetSpan<long>(header + 16, count);
        foreach (var t in page)
        {
            if (t > after) { found = t; break; }   // a value read out, not the view
        }
        _dropRule(handle);
        return found;
    }

    public long[] MergeTwoRules(int a, int b)
    {
        var ha = _expandPage(a, 0);
        var na = _memory.ReadInt32(ha);
        var pageA = _memory.GetSpan<long>(ha + 16, na);
        var hb = _expandPage(b, 0); // the guest's page buffer is shared: page A may be overwritten
        var nb = _memory.ReadInt32(hb);
        var pageB = _memory.GetSpan<long>(hb + 16, nb);
        return pageA.ToArray().Concat(pageB.ToArray()).Order().ToArray(); // expect: WVA001
    }

    public long[] MergeTwoRulesSafe(int a, int b)
    {
        var ha = _expandPage(a, 0);
        var pageA = _memory.GetSpan<long>(ha + 16, _memory.ReadInt32(ha)).ToArray();
        var hb = _expandPage(b, 0);
        var pageB = _memory.GetSpan<long>(hb + 16, _memory.ReadInt32(hb));
        return pageA.Concat(pageB.ToArray()).Order().ToArray();
    }

    public List<OccurrencePage> Summaries(int handle)
    {
        var pages = new List<OccurrencePage>();
        var cursor = 0;
        while (cursor >= 0)
        {
            var header = _expandPage(handle, cursor);
            pages.Add(new OccurrencePage(cursor, _memory.ReadInt32(header))); // numbers only
            cursor = _memory.ReadInt32(header + 4);
        }
        return pages;
    }
}

internal sealed unsafe class TicksManager : System.Buffers.MemoryManager<long>
{
    private readonly Memory _memory;
    private readonly int _address;
    private readonly int _count;

    public TicksManager(Memory memory, int address, int count)
    {
        _memory = memory;
        _address = address;
        _count = count;
    }

    public override Span<long> GetSpan() => new Span<long>((byte*)_memory.GetPointer() + _address, _count);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) =>
        new System.Buffers.MemoryHandle((byte*)_memory.GetPointer() + _address + elementIndex * sizeof(long));
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
