// RPC host in the style of DotNetIsolator: calls are marshalled as an Invocation block on a guest shadow stack,
// arguments and results serialized as JSON in guest memory. Uses C# 11+ ref fields in a ref struct slot.
using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using Wasmtime;

namespace Corpus.Fresh.IsolatorRpc;

[StructLayout(LayoutKind.Sequential)]
public struct Invocation
{
    public int TargetHandle;
    public int ArgsPointer;
    public int ArgsLength;
    public int ResultPointer;
    public int ResultLength;
    public int Status;
}

public ref struct StackSlot<T> where T : unmanaged
{
    public readonly ref T Value;
    public readonly int Address;

    public StackSlot(ref T value, int address)
    {
        Value = ref value;
        Address = address;
    }

    public readonly int Size => Unsafe.SizeOf<T>(); // touches no guest memory
}

public sealed class ShadowStack(Memory memory, Func<int, int> malloc, Action<int> free)
{
    public StackSlot<T> Push<T>() where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        int address = malloc(size);
        return new StackSlot<T>(ref MemoryMarshal.AsRef<T>(memory.GetSpan(address, size)), address);
    }

    public void Pop(int address) => free(address);
}

public sealed unsafe class IsolatedRuntime
{
    private static nint s_lastError;
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Action<int> _dispatch;
    private readonly Func<int, int, int> _resolve;
    private readonly ShadowStack _stack;
    private readonly ConcurrentDictionary<string, (nint Pointer, int Length)> _memo = new();
    private readonly ConcurrentDictionary<string, (int Offset, int Length)> _memoOffsets = new();
    private nint _lastResult;
    private int _lastResultOffset;
    private nint _pendingArgs;

    public IsolatedRuntime(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("dotnetisolator_malloc")!;
        _free = instance.GetAction<int>("dotnetisolator_free")!;
        _dispatch = instance.GetAction<int>("dotnetisolator_invoke")!;
        _resolve = instance.GetFunction<int, int, int>("dotnetisolator_lookup_method")!;
        _stack = new ShadowStack(_memory, _malloc, _free);
    }

    private static void Put<T>(ref T slot, T value) => slot = value;

    private int CopyArgs(object?[] args)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(args);
        int address = _malloc(json.Length);
        json.CopyTo(_memory.GetSpan(address, json.Length));
        return address;
    }

    private int Resolve(string method)
    {
        byte[] name = Encoding.UTF8.GetBytes(method);
        int address = _malloc(name.Length);
        name.CopyTo(_memory.GetSpan(address, name.Length));
        return _resolve(address, name.Length);
    }

    private ref Invocation At(int address) => ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(address, Unsafe.SizeOf<Invocation>()));

    public T? Invoke<T>(string method, params object?[] args)
    {
        StackSlot<Invocation> slot = _stack.Push<Invocation>();
        ref Invocation invocation = ref slot.Value;
        invocation.TargetHandle = Resolve(method); // expect: WVA001
        invocation.ArgsPointer = CopyArgs(args); // expect: WVA001
        _dispatch(slot.Address); // Address is an int field of the slot: not a read of guest memory
        int status = invocation.Status; // expect: WVA001
        Invocation done = _memory.Read<Invocation>(slot.Address); // a copy, read after the call
        if (status != 0 || done.Status != 0)
        {
            throw new InvalidOperationException($"guest call {method} failed with {done.Status}");
        }
        T? result = ReadResult<T>(done.ResultPointer, done.ResultLength);
        _stack.Pop(slot.Address);
        return result;
    }

    public T? InvokeStaged<T>(string method, params object?[] args)
    {
        int handle = Resolve(method);
        int argsPointer = CopyArgs(args); // both allocations done before the slot is taken
        StackSlot<Invocation> slot = _stack.Push<Invocation>();
        ref Invocation invocation = ref slot.Value;
        invocation.TargetHandle = handle;
        invocation.ArgsPointer = argsPointer;
        invocation.ArgsLength = args.Length;
        _dispatch(slot.Address);
        invocation = ref At(slot.Address); // obtained again after the call
        return ReadResult<T>(invocation.ResultPointer, invocation.ResultLength);
    }

    public T? InvokeInitialized<T>(int handle, params object?[] args)
    {
        StackSlot<Invocation> slot = _stack.Push<Invocation>();
        ref Invocation invocation = ref slot.Value;
        invocation = new Invocation { TargetHandle = handle, ArgsPointer = CopyArgs(args), ArgsLength = args.Length }; // expect: WVA001
        _dispatch(slot.Address);
        ref Invocation after = ref At(slot.Address);
        return ReadResult<T>(after.ResultPointer, after.ResultLength);
    }

    public int ResultLengthOf(int invocationAddress)
    {
        ref Invocation invocation = ref At(invocationAddress);
        int before = invocation.ResultLength; // fresh
        _dispatch(invocationAddress);
        return before + invocation.ResultLength; // expect: WVA001
    }

    private T? ReadResult<T>(int pointer, int length)
    {
        ReadOnlySpan<byte> json = _memory.GetSpan(pointer, length);
        T? value = JsonSerializer.Deserialize<T>(json); // read before the free
        _free(pointer);
        return value;
    }

    public string ReadResultLate(int pointer, int length)
    {
        ReadOnlySpan<byte> json = _memory.GetSpan(pointer, length);
        _free(pointer); // the guest allocator may hand these bytes out again
        return Encoding.UTF8.GetString(json); // expect: WVA001
    }

    public void Memoize(string key, int pointer, int length)
    {
        nint start = (nint)((byte*)_memory.GetPointer() + pointer);
        _memo.TryAdd(key, (start, length)); // expect: WVA002
        _memoOffsets.TryAdd(key, (pointer, length)); // guest offsets are plain ints
        Interlocked.Exchange(ref _lastResult, start); // expect: WVA002
        Interlocked.Exchange(ref _lastResultOffset, pointer);
    }

    public void StageArgs(object?[] args)
    {
        int address = CopyArgs(args);
        nint pointer = (nint)((byte*)_memory.GetPointer() + address);
        Put(ref _pendingArgs, pointer); // expect: WVA002
        int checksum = 0;
        Put(ref checksum, ((byte*)pointer)[0]); // stores a byte read out, into a local
    }

    public static void RecordError(Memory memory, int errorAddress)
    {
        nint error = memory.GetPointer() + errorAddress;
        Volatile.Write(ref s_lastError, error); // expect: WVA002
    }
}
