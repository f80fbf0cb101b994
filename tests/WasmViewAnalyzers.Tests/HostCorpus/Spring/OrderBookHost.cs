// Order-book matching engine host: a price-time matching engine in wasm keeps bid/ask levels in its memory; the host
// submits orders, reads fills and depth, and dumps the book to an archive. Shape: Extism-style host with wrapper types over exports.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Spring.OrderBookHost;

[StructLayout(LayoutKind.Sequential)]
public struct Level
{
    public long PriceTicks;
    public long Quantity;
    public int Orders;
    public int Reserved;
}

public sealed record Quote(nint Bid, nint Ask, long Sequence);

public sealed class TopOfBook
{
    public nint Bid;
    public nint Ask;
}

public sealed class MarketSnapshot
{
    public TopOfBook Top { get; } = new();
    public long Sequence { get; set; }
}

public readonly record struct Fill(long OrderId, long PriceTicks, long Quantity);

// Converting a fill reference into a Fill settles it in the guest.
public readonly struct FillRef(MatchingEngine engine, int id)
{
    public static implicit operator Fill(FillRef r) => r.Settle();
    private Fill Settle() => engine.Settle(id);
}

internal sealed unsafe class BookDumpSource(byte* start, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream(start, length);
}

public sealed unsafe class MatchingEngine
{
    private readonly Memory _memory;
    private readonly Func<long, long, int, int> _submit;
    private readonly Func<int, int> _levelPtr;
    private readonly Func<int, long> _settle;
    private readonly Func<int> _dumpPtr;
    private readonly Func<int> _dumpLen;
    private Quote? _lastQuote;
    private MarketSnapshot? _snapshot;
    private List<nint>? _watch;
    private Action? _onSettle;
    private UnmanagedMemoryStream? _lastDump;

    public MatchingEngine(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _submit = instance.GetFunction<long, long, int, int>("submit_order")!;
        _levelPtr = instance.GetFunction<int, int>("level_ptr")!;
        _settle = instance.GetFunction<int, long>("settle")!;
        _dumpPtr = instance.GetFunction<int>("dump_ptr")!;
        _dumpLen = instance.GetFunction<int>("dump_len")!;
    }

    // The indexer asks the guest where a level lives: reading it is a guest call.
    public Level* this[int depth]
    {
        get
        {
            var at = _levelPtr(depth);
            return (Level*)((byte*)_memory.GetPointer() + at);
        }
    }

    public Fill Settle(int id)
    {
        var packed = _settle(id);
        return new Fill(id, packed >> 20, packed & 0xFFFFF);
    }

    public FillRef Submit(long price, long quantity, bool buy) => new(this, _submit(price, quantity, buy ? 1 : 0));

    public long SpreadAfter(long price, long quantity)
    {
        var bidAt = _levelPtr(0);
        var bid = (Level*)((byte*)_memory.GetPointer() + bidAt);
        var before = bid->PriceTicks;
        var ask = this[1];
        // The indexer ran level_ptr after 'bid' was taken.
        return ask->PriceTicks - bid->PriceTicks + before * 0; // expect: WVA001
    }

    public long FillAndRead(long price, long quantity)
    {
        var pending = Submit(price, quantity, buy: false);
        var bidAt = _levelPtr(0);
        var bid = (Level*)((byte*)_memory.GetPointer() + bidAt);
        Fill fill = pending;
        // The implicit conversion settled the fill in the guest after 'bid' was taken.
        return fill.Quantity + bid->Quantity; // expect: WVA001
    }

    public void Publish(MarketSnapshot target, long sequence)
    {
        var bidAt = _levelPtr(0);
        var askAt = _levelPtr(1);
        var basePtr = (byte*)_memory.GetPointer();
        // The snapshot belongs to the caller: storing into its members lets the pointer escape.
        target.Top.Bid = (nint)(basePtr + bidAt); // expect: WVA002
        target.Sequence = sequence;
        var local = new MarketSnapshot { Top = { Bid = (nint)(basePtr + bidAt), Ask = (nint)(basePtr + askAt) } };
        // Safe: the local snapshot carries the pointers but never leaves, and is read before any guest call.
        Console.WriteLine(((Level*)local.Top.Bid)->PriceTicks);
        _snapshot = new MarketSnapshot { Top = { Ask = (nint)(basePtr + askAt) } }; // expect: WVA002
    }

    public void Watch()
    {
        var bidAt = _levelPtr(0);
        var bid = (nint)((byte*)_memory.GetPointer() + bidAt);
        _watch = new List<nint> { bid }; // expect: WVA002
        _onSettle += () => Console.WriteLine(((Level*)bid)->Quantity); // expect: WVA002
        var askAt = _levelPtr(1);
        var ask = (nint)((byte*)_memory.GetPointer() + askAt);
        _lastQuote = _lastQuote is null ? new Quote(bid, ask, 0) : _lastQuote with { Ask = ask }; // expect: WVA001, WVA002
    }

    public long QuoteSpread()
    {
        var bidAt = _levelPtr(0);
        var askAt = _levelPtr(1);
        var quote = new Quote((nint)((byte*)_memory.GetPointer() + bidAt), (nint)((byte*)_memory.GetPointer() + askAt), 1);
        // Safe: Sequence is a plain member.
        var seq = quote.Sequence;
        _submit(0, 0, 0);
        if (quote is { Ask: var a, Bid: var b })
        {
            return ((Level*)a)->PriceTicks - ((Level*)b)->PriceTicks + seq; // expect: WVA001
        }
        return 0;
    }

    public long TotalDepth(int levels)
    {
        var byLevel = new Dictionary<int, nint>();
        for (var i = 0; i < levels; i++)
        {
            var at = _levelPtr(i);
            byLevel.Add(i, (nint)((byte*)_memory.GetPointer() + at)); // expect: WVA002
        }
        long total = 0;
        foreach (var level in byLevel.Values)
        {
            total += ((Level*)level)->Quantity; // expect: WVA001
        }
        return total;
    }

    public long BestOrZero(bool useBid)
    {
        nint? best = null;
        if (useBid)
        {
            var at = _levelPtr(0);
            best = (nint)((byte*)_memory.GetPointer() + at);
        }
        _submit(1, 1, 1);
        // Safe: HasValue reads only the Nullable.
        if (!best.HasValue)
        {
            return 0;
        }
        return ((Level*)best.GetValueOrDefault())->PriceTicks; // expect: WVA001
    }

    public void DumpBook(string path)
    {
        var at = _dumpPtr();
        var length = _dumpLen();
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(path);
        zip.BeginUpdate();
        var source = new BookDumpSource((byte*)_memory.GetPointer() + at, length);
        zip.Add(source, "book.bin"); // expect: WVA003
        zip.CommitUpdate();
        _lastDump = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + at, length); // expect: WVA002
    }
}
