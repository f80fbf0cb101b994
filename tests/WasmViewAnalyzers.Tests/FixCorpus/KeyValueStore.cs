// An embedded key-value store whose engine is a WebAssembly module: values are returned as views,
// cached by the host.
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Wasmtime;

namespace Corpus.Store;

sealed unsafe class ValueMemory : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public ValueMemory(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

struct CachedValue
{
    public ReadOnlyMemory<byte> Bytes;
    public long Version;
}

sealed unsafe class KeyValueStore
{
    private readonly Memory _memory;
    private readonly Func<int, int> _get;
    private readonly Func<int> _valueLength;
    private readonly Func<int, int, int> _put;
    private readonly ConcurrentDictionary<int, ReadOnlyMemory<byte>> _cache = new();
    private readonly Dictionary<int, CachedValue> _versions = new();
    private readonly Stack<Memory<byte>> _undo = new();
    private long _lastAddress;

    public KeyValueStore(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _get = instance.GetFunction<int, int>("get")!;
        _valueLength = instance.GetFunction<int>("value_length")!;
        _put = instance.GetFunction<int, int, int>("put")!;
    }

    private ValueMemory ValueAt(int address) => new ValueMemory((byte*)_memory.GetPointer() + address, _valueLength());

    public ReadOnlyMemory<byte> Get(int key)
    {
        var address = _get(key);
        var value = ValueAt(address).Memory;
        _cache.TryAdd(key, value);
        return value.ToArray();
    }

    public void GetVersioned(int key, long version)
    {
        var address = _get(key);
        _versions[key] = new CachedValue { Bytes = ValueAt(address).Memory, Version = version };
    }

    public void Update(int key, int value)
    {
        var address = _get(key);
        _undo.Push(ValueAt(address).Memory);
        _put(key, value);
    }

    public void Touch(int key)
    {
        _lastAddress = (long)_memory.GetPointer() + _get(key);
    }

    public int Compare(int left, int right)
    {
        var a = _memory.GetSpan(_get(left), 16);
        var b = _memory.GetSpan(_get(right), 16);
        return a.SequenceCompareTo(b);
    }

    public Dictionary<int, ReadOnlyMemory<byte>> Snapshot(int[] keys)
    {
        var snapshot = new Dictionary<int, ReadOnlyMemory<byte>>();
        foreach (var key in keys)
        {
            snapshot.Add(key, ValueAt(_get(key)).Memory);
        }

        return snapshot;
    }
}
