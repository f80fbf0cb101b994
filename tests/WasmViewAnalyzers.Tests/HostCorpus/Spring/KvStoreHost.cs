// Log-structured key-value store whose memtable and compactor live in a wasm guest; the host keeps an index and
// flushes segments to disk. Shape: Extism-like plugin host (alloc/length exports), HakoJS-style cached pointers.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using Wasmtime;

namespace Corpus.Spring.KvStoreHost;

public sealed unsafe class GuestMemtable
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int, int> _put;
    private readonly Func<int, int, long> _get;
    private readonly Func<int> _compact;
    private readonly Func<int> _segmentPtr;
    private readonly Func<int> _segmentLen;
    private readonly Func<int, int> _scratch;

    private readonly Dictionary<string, (nint Ptr, int Length)> _hotIndex = new();
    private readonly Dictionary<string, (int Offset, int Length)> _offsetIndex = new();
    private readonly ConcurrentQueue<(nint Start, int Length)> _flushQueue = new();
    private readonly ConcurrentQueue<(int Offset, int Length)> _offsetQueue = new();
    private nint? _tail;
    private nint _lastFlushed;
    private nint _cursor;
    private long _segmentsWritten;

    public GuestMemtable(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _put = instance.GetFunction<int, int, int, int, int>("mt_put")!;
        _get = instance.GetFunction<int, int, long>("mt_get")!;
        _compact = instance.GetFunction<int>("mt_compact")!;
        _segmentPtr = instance.GetFunction<int>("segment_ptr")!;
        _segmentLen = instance.GetFunction<int>("segment_len")!;
        _scratch = instance.GetFunction<int, int>("scratch")!;
    }

    private static void Put<T>(ref T slot, T value) => slot = value;

    private int Stage(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var at = _scratch(bytes.Length);
        _memory.WriteString(at, text, Encoding.UTF8);
        return at;
    }

    public void Set(string key, string value)
    {
        var k = Stage(key);
        var v = Stage(value);
        var entry = _put(k, Encoding.UTF8.GetByteCount(key), v, Encoding.UTF8.GetByteCount(value));
        var length = Encoding.UTF8.GetByteCount(value);
        // A raw pointer in a private dictionary: read after later puts and compactions.
        _hotIndex[key] = (_memory.GetPointer() + entry, length); // expect: WVA002
        _offsetIndex[key] = (entry, length);
    }

    private ReadOnlySpan<byte> Lookup(string key)
    {
        var packed = _get(Stage(key), Encoding.UTF8.GetByteCount(key));
        return _memory.GetSpan((int)(packed >> 32), (int)packed);
    }

    public byte[] Get(string key)
    {
        var value = Lookup(key);
        if (value.IsEmpty)
        {
            return Array.Empty<byte>();
        }
        var reclaimed = _compact();
        // Compaction moves live values: the span from before it is read here.
        return value.ToArray(); // expect: WVA001
    }

    public byte[] GetThenCompact(string key)
    {
        // Safe: copied before the compactor runs.
        var value = Lookup(key).ToArray();
        _compact();
        return value;
    }

    public string GetByOffset(string key)
    {
        // Safe: the index holds offsets; ReadString copies from the offset after the call.
        var (offset, length) = _offsetIndex[key];
        _compact();
        return _memory.ReadString(offset, length, Encoding.UTF8);
    }

    public void SealSegment()
    {
        _compact();
        var start = _segmentPtr();
        var length = _segmentLen();
        var segment = _memory.GetPointer() + start;
        _flushQueue.Enqueue((segment, length)); // expect: WVA002
        _offsetQueue.Enqueue((start, length));
        Interlocked.Exchange(ref _lastFlushed, segment); // expect: WVA002
        _tail ??= _memory.GetPointer() + start + length; // expect: WVA002
        Put(ref _cursor, segment); // expect: WVA002
        // Safe: a count of segments, not a pointer.
        Interlocked.Increment(ref _segmentsWritten);
    }

    public void FlushTo(Stream file)
    {
        // Safe: offsets are turned into spans where they are written, with no guest call in between.
        while (_offsetQueue.TryDequeue(out var item))
        {
            file.Write(_memory.GetSpan(item.Offset, item.Length));
        }
    }

    public void FlushRaw(Stream file)
    {
        var pending = new Stack<nint>();
        var lengths = new Stack<int>();
        var firstAt = _segmentPtr();
        var first = _memory.GetPointer() + firstAt;
        var firstLength = _segmentLen();
        _compact();
        // 'first' is stale when it is pushed onto the local stack: one use, two diagnostics.
        pending.Push(first); // expect: WVA001, WVA002
        lengths.Push(firstLength);
        while (pending.TryPop(out var p))
        {
            file.Write(new ReadOnlySpan<byte>((void*)p, lengths.Pop())); // expect: WVA001
        }
    }

    public int GrowForBatch(int pages, ReadOnlySpan<byte> batch)
    {
        var header = _memory.GetSpan(0, 16);
        var before = header.Length;
        _memory.Grow(pages);
        // Memory.Grow may move the memory.
        header[0] = (byte)pages; // expect: WVA001
        // Safe: obtained after the grow.
        var body = _memory.GetSpan(16, batch.Length);
        batch.CopyTo(body);
        return before;
    }

    public byte? PeekHint(string key, bool useHint)
    {
        nint? hint = null;
        if (useHint && _hotIndex.ContainsKey(key))
        {
            hint = _memory.GetPointer() + _offsetIndex[key].Offset;
        }
        var reclaimed = _compact();
        // Safe: HasValue reads the Nullable, not guest memory.
        if (!hint.HasValue)
        {
            return null;
        }
        return *(byte*)hint.Value; // expect: WVA001
    }
}
