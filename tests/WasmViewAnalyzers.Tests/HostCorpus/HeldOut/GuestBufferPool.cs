// Pool and cache of guest-side scratch buffers for a request pipeline, with host-side maps of what each buffer holds;
// shaped after Extism-like plugin hosts that keep per-plugin input/output buffers between calls.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Wasmtime;

namespace Corpus.HeldOut.GuestBufferPool;

// A rented buffer: a host pointer next to plain guest data.
public readonly record struct GuestBuffer(nint Address, int Offset, int Length);

public sealed unsafe class GuestBufferPool
{
    private static nint s_lastScratch;
    private static int s_lastScratchOffset;

    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Dictionary<string, nint> _hotBuffers = new();
    private readonly ConcurrentDictionary<int, (nint Address, int Length)> _byId = new();
    private readonly Dictionary<string, (int Offset, int Length)> _offsets = new();
    private readonly Stack<int> _freeOffsets = new();
    private nint _current;
    private int _currentOffset;
    private long _generationAddress;
    private GuestBuffer _lastRented;
    private int _lastRentedOffset;
    private readonly nint[] _slots = new nint[16];
    private readonly int[] _slotOffsets = new int[16];
    private readonly Stack<nint> _viewStack = new();
    private readonly List<nint> _recent = new();
    private List<nint> _watch = new();
    private List<int> _watchOffsets = new();

    public GuestBufferPool(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _malloc = instance.GetFunction<int, int>("malloc") ?? throw new InvalidOperationException("malloc");
        _free = instance.GetAction<int>("free") ?? throw new InvalidOperationException("free");
    }

    public GuestBuffer Rent(int length)
    {
        var offset = _freeOffsets.Count > 0 ? _freeOffsets.Pop() : _malloc(length);
        return new GuestBuffer((nint)((byte*)_memory.GetPointer() + offset), offset, length);
    }

    public void Return(GuestBuffer buffer) => _freeOffsets.Push(buffer.Offset);

    public void CacheHot(string key, int offset)
    {
        _hotBuffers[key] = (nint)((byte*)_memory.GetPointer() + offset); // expect: WVA002
        _offsets[key] = (offset, 0);                        // offsets survive every call
    }

    public void Register(int id, int offset, int length)
    {
        _byId.TryAdd(id, (_memory.GetPointer() + offset, length)); // expect: WVA002
    }

    public void Activate(int offset)
    {
        Interlocked.Exchange(ref _current, _memory.GetPointer() + offset); // expect: WVA002
        Interlocked.Exchange(ref _currentOffset, offset);
    }

    public void PublishScratch(int offset)
    {
        Volatile.Write(ref s_lastScratch, _memory.GetPointer() + offset); // expect: WVA002
        Volatile.Write(ref s_lastScratchOffset, offset);
    }

    public long Swap(int offset)
    {
        var next = _memory.GetPointer() + offset;
        var moved = Distance(ref _current, next);           // only subtracts the two: keeps nothing
        Publish(ref _current, next); // expect: WVA002
        _currentOffset = offset;
        return moved;
    }

    public void StampGeneration(int offset)
    {
        _generationAddress = (long)_memory.GetPointer() + offset; // expect: WVA002
    }

    public void Assign(int index, int offset)
    {
        _slots[index] = _memory.GetPointer() + offset; // expect: WVA002
        _slotOffsets[index] = offset;
    }

    public void PushView(int offset)
    {
        _viewStack.Push(_memory.GetPointer() + offset); // expect: WVA002
    }

    public void Watch(int offset)
    {
        var p = _memory.GetPointer() + offset;
        _watch = new List<nint> { p }; // expect: WVA002
        _watchOffsets = new List<int> { offset };
    }

    public void Record(int offset)
    {
        Track(_memory.GetPointer() + offset); // expect: WVA002
    }

    public int InspectNow(int offset, int length)
    {
        return Inspect(_memory.GetPointer() + offset, length);   // the callee reads it and keeps nothing
    }

    private void Track(nint pointer) => Remember(pointer);

    private void Remember(nint pointer)
    {
        if (_recent.Count == 64)
        {
            _recent.RemoveAt(0);
        }

        _recent.Add(pointer);
    }

    private static int Inspect(nint pointer, int length) => length == 0 ? -1 : *(byte*)pointer;

    public void KeepLast(int length)
    {
        var buffer = Rent(length);
        _lastRented = buffer; // expect: WVA002
        _lastRentedOffset = buffer.Offset;
    }

    public byte[] ReadLast() => _memory.GetSpan(_lastRentedOffset, _lastRented.Length).ToArray();

    public long SumHot(string[] keys)
    {
        var local = new Dictionary<string, nint>();
        foreach (var key in keys)
        {
            var offset = _malloc(64);
            local.Add(key, (nint)((byte*)_memory.GetPointer() + offset)); // expect: WVA002
        }

        long sum = 0;
        foreach (var pair in local) sum += *(byte*)pair.Value; // expect: WVA001
        return sum;
    }

    public long SumValues(string[] keys)
    {
        var local = new Dictionary<string, nint>(keys.Length);
        foreach (var key in keys)
        {
            var offset = _malloc(16);
            local.TryAdd(key, _memory.GetPointer() + offset); // expect: WVA002
        }

        long sum = 0;
        foreach (var value in local.Values) sum += *(short*)value; // expect: WVA001
        return sum;
    }

    public long SumDeconstructed(string[] keys)
    {
        var local = new Dictionary<string, nint>(keys.Length);
        foreach (var key in keys)
        {
            var offset = _malloc(16);
            local[key] = _memory.GetPointer() + offset; // expect: WVA002
        }

        long sum = 0;
        foreach (var (key, value) in local) sum += key.Length + *(byte*)value; // expect: WVA001
        return sum;
    }

    public long SumHotByOffset(string[] keys)
    {
        var local = new Dictionary<string, int>();
        foreach (var key in keys)
        {
            local.Add(key, _malloc(64));                    // guest offsets: plain ints
        }

        long sum = 0;
        foreach (var pair in local)
        {
            sum += _memory.ReadByte(pair.Value);
        }

        return sum;
    }

    public int PeekTag(string key, int size)
    {
        var slots = new Dictionary<string, nint>();
        var offset = _malloc(size);
        slots[key] = (nint)((byte*)_memory.GetPointer() + offset); // expect: WVA002
        var scratch = _malloc(size);                        // a second allocation may grow and move memory
        _free(scratch);
        return slots.TryGetValue(key, out var slot) ? *(int*)slot : -1; // expect: WVA001
    }

    public int FirstOfRing(int count)
    {
        // A local array of pointers is followed as a local value: no escape, but its elements go stale.
        var ring = new nint[count];
        for (var i = 0; i < count; i++)
        {
            var offset = _malloc(32);
            ring[i] = (nint)((byte*)_memory.GetPointer() + offset);
        }

        return *(byte*)ring[0]; // expect: WVA001
    }

    public int FirstOfRingSafe(int count)
    {
        var ring = new int[count];
        for (var i = 0; i < count; i++)
        {
            ring[i] = _malloc(32);
        }

        return _memory.ReadByte(ring[0]);
    }

    public void ZeroPair()
    {
        var first = Rent(64);
        var second = Rent(64);                              // Rent may malloc: first.Address may be stale
        new Span<byte>((void*)second.Address, second.Length).Clear();
        new Span<byte>((void*)first.Address, first.Length).Clear(); // expect: WVA001
        Return(first);                                      // only the plain Offset is read
        Return(second);
    }

    public void ZeroPairSafe()
    {
        var first = Rent(64);
        var second = Rent(64);
        new Span<byte>((byte*)_memory.GetPointer() + first.Offset, first.Length).Clear();
        new Span<byte>((void*)second.Address, second.Length).Clear();
        Return(first);
        Return(second);
    }

    public void Scrub(int offset, int length)
    {
        // A pointer kept in a local and used before the next guest call.
        var p = (byte*)_memory.GetPointer() + offset;
        new Span<byte>(p, length).Clear();
        _free(offset);
    }

    public int Checksum(int offset, int length)
    {
        var span = _memory.GetSpan(offset, length);
        var sum = 0;
        foreach (var b in span)
        {
            sum += b;
        }

        _free(offset);
        return sum ^ span.Length;                           // Length only, after the call
    }

    private static void Publish(ref nint slot, nint value) => slot = value;

    private static long Distance(ref nint from, nint to) => (long)to - (long)from;
}
