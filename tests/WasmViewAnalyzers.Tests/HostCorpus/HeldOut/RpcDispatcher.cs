// DotNetIsolator-like RPC dispatcher: an Invocation record lives in guest memory and is reached by ref, arguments are staged
// with the guest's malloc, results are serialized by the guest; out-slots come from a shadow stack (IsolatedRuntime shape).
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.HeldOut.RpcDispatcher;

[StructLayout(LayoutKind.Sequential)]
public struct Invocation
{
    public int TargetHandle;
    public int MethodId;
    public int ArgsAddress;
    public int ArgsLength;
    public int ResultAddress;
    public int ResultLength;
    public int ErrorAddress;
}

public sealed class RpcException(string message) : Exception(message);

public sealed class ShadowStack
{
    private readonly Memory _memory;
    private readonly int _base;
    private readonly int _size;
    private int _top;

    public ShadowStack(Memory memory, Func<int, int> malloc, int size)
    {
        _memory = memory;
        _size = size;
        _base = malloc(size);
        _top = _base;
    }

    // Returns a slot whose Value is a ref into guest memory, next to its plain guest address.
    public StackSlot<T> Push<T>() where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        if (_top + size > _base + _size)
        {
            throw new InvalidOperationException("shadow stack overflow");
        }

        var address = _top;
        _top += size;
        var span = _memory.GetSpan(address, size);
        span.Clear();
        return new StackSlot<T>(this, address, ref MemoryMarshal.AsRef<T>(span));
    }

    internal void PopTo(int address) => _top = address;
}

public ref struct StackSlot<T> where T : unmanaged
{
    private readonly ShadowStack _owner;
    public readonly int Address;
    public ref T Value;

    public StackSlot(ShadowStack owner, int address, ref T value)
    {
        _owner = owner;
        Address = address;
        Value = ref value;
    }

    // Touches only the int field: not a read of guest memory.
    public readonly void Pop() => _owner.PopTo(Address);
}

public sealed class RpcDispatcher
{
    private static readonly int InvocationSize = Unsafe.SizeOf<Invocation>();

    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Action<int> _invoke;
    private readonly Action<int> _release;
    private readonly Func<int, int, int> _instantiate;
    private readonly ShadowStack _stack;

    public RpcDispatcher(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _malloc = instance.GetFunction<int, int>("malloc") ?? throw new InvalidOperationException("malloc");
        _free = instance.GetAction<int>("free") ?? throw new InvalidOperationException("free");
        _invoke = instance.GetAction<int>("rpc_invoke") ?? throw new InvalidOperationException("rpc_invoke");
        _release = instance.GetAction<int>("rpc_release") ?? throw new InvalidOperationException("rpc_release");
        _instantiate = instance.GetFunction<int, int, int>("rpc_instantiate") ?? throw new InvalidOperationException("rpc_instantiate");
        _stack = new ShadowStack(_memory, _malloc, 4096);
    }

    private int CopyArgs(byte[] serialized)
    {
        var address = _malloc(serialized.Length + 4);
        _memory.WriteInt32(address, serialized.Length);
        serialized.CopyTo(_memory.GetSpan(address + 4, serialized.Length));
        return address;
    }

    private int CopyString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var address = _malloc(bytes.Length + 1);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        _memory.WriteByte(address + bytes.Length, 0);
        return address;
    }

    private ref Invocation InvocationAt(int address)
        => ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(address, InvocationSize));

    // A helper of the helper: still a ref into guest memory.
    private ref int ResultLengthAt(int address) => ref InvocationAt(address).ResultLength;

    public byte[] Call(int target, int method, byte[] args)
    {
        var address = _malloc(InvocationSize);
        try
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(address, InvocationSize));
            // The target location is fixed before CopyArgs runs, and CopyArgs mallocs in the guest.
            invocation = new Invocation { TargetHandle = target, MethodId = method, ArgsAddress = CopyArgs(args), ArgsLength = args.Length }; // expect: WVA001
            _invoke(address);
            invocation = ref InvocationAt(address);         // re-bound after the call: fresh
            if (invocation.ErrorAddress != 0)
            {
                throw new RpcException(_memory.ReadNullTerminatedString(invocation.ErrorAddress));
            }

            var result = _memory.GetSpan(invocation.ResultAddress, invocation.ResultLength).ToArray();
            return result;
        }
        finally
        {
            _free(address);
        }
    }

    // Safe twin: the guest allocation happens into a local first, then the ref is taken.
    public byte[] CallStaged(int target, int method, byte[] args)
    {
        var address = _malloc(InvocationSize);
        var argsAddress = CopyArgs(args);
        ref var invocation = ref InvocationAt(address);
        invocation = new Invocation { TargetHandle = target, MethodId = method, ArgsAddress = argsAddress, ArgsLength = args.Length };
        _invoke(address);
        var snapshot = MemoryMarshal.Read<Invocation>(_memory.GetSpan(address, InvocationSize));   // a copy, not a view
        _release(snapshot.TargetHandle);
        _free(address);
        return snapshot.ResultLength == 0 ? Array.Empty<byte>() : _memory.GetSpan(snapshot.ResultAddress, snapshot.ResultLength).ToArray();
    }

    public int CallForStatus(int target, int method)
    {
        var address = _malloc(InvocationSize);
        ref var inv = ref InvocationAt(address);
        inv.TargetHandle = target;
        inv.MethodId = method;
        inv.ArgsAddress = 0;
        inv.ArgsLength = 0;
        _invoke(address);
        var resultAddress = inv.ResultAddress; // expect: WVA001
        var resultLength = _memory.ReadInt32(address + 20);  // a copy read from the int address: fine
        _free(address);
        return resultLength == 0 ? 0 : _memory.ReadInt32(resultAddress);
    }

    public int ResultLength(int address, int handle)
    {
        ref var length = ref ResultLengthAt(address);
        _release(handle);
        return length; // expect: WVA001
    }

    public int ResultLengthAfterRelease(int address, int handle)
    {
        _release(handle);
        ref var length = ref ResultLengthAt(address);       // taken after the call
        return length;
    }

    public int CreateObject(string typeName)
    {
        var error = _stack.Push<int>();
        try
        {
            // error.Address is a plain int; CopyString and the export both run the guest.
            var handle = _instantiate(CopyString(typeName), error.Address);
            var errorAddress = error.Value; // expect: WVA001
            if (errorAddress != 0)
            {
                throw new RpcException(_memory.ReadNullTerminatedString(errorAddress));
            }

            return handle;
        }
        finally
        {
            error.Pop();                                    // not a use: Pop touches only Address
        }
    }

    public int CreateObjectFixed(string typeName)
    {
        var error = _stack.Push<int>();
        try
        {
            var handle = _instantiate(CopyString(typeName), error.Address);
            var errorAddress = _memory.ReadInt32(error.Address);
            return errorAddress == 0 ? handle : throw new RpcException(_memory.ReadNullTerminatedString(errorAddress));
        }
        finally
        {
            error.Pop();
        }
    }

    public bool Validate(int address, int handle)
    {
        ref var inv = ref InvocationAt(address);
        var copy = inv;                                     // a copy of the struct, not a view
        _release(handle);
        var ok = copy.ResultLength >= 0;
        return ok && IsWellFormed(in inv); // expect: WVA001
    }

    public bool ValidateFresh(int address, int handle)
    {
        _release(handle);
        ref readonly var inv = ref InvocationAt(address);
        return IsWellFormed(in inv);
    }

    private static bool IsWellFormed(in Invocation invocation)
        => invocation.ResultLength >= 0 && (invocation.ResultLength == 0 || invocation.ResultAddress != 0);
}
