// Isolated-runtime invoker: arguments go through a shadow stack in guest memory, results come back in the same slots.
// Shape from DotNetIsolator (ShadowStack.Push<T> returning a ref struct entry; invocation blocks read after the call).
using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Dev.ShadowStackInvoker;

internal sealed class GuestShadowStack : IDisposable
{
    private const int Size = 8 * 1024;
    private readonly Memory _memory;
    private readonly Action<int> _free;
    private readonly int _base;
    private int _top;

    public GuestShadowStack(Memory memory, Func<int, int> malloc, Action<int> free)
    {
        _memory = memory;
        _free = free;
        _base = malloc(Size);
        _top = _base;
    }

    // Returns a view (the slot's span) next to plain data (its address): a ref struct can hold it.
    public StackSlot<T> Push<T>() where T : unmanaged
    {
        var address = _top;
        _top += Unsafe.SizeOf<T>();
        var bytes = _memory.GetSpan(address, Unsafe.SizeOf<T>());
        return new StackSlot<T>(this, MemoryMarshal.Cast<byte, T>(bytes), address);
    }

    public void Pop<T>(int address) where T : unmanaged
    {
        _top -= Unsafe.SizeOf<T>();
        if (_top != address)
        {
            throw new InvalidOperationException("Unbalanced shadow stack");
        }

        _memory.GetSpan(_top, Unsafe.SizeOf<T>()).Clear();   // obtained here, used at once
    }

    public void Dispose() => _free(_base);
}

internal readonly ref struct StackSlot<T> where T : unmanaged
{
    private readonly Span<T> _value;
    private readonly GuestShadowStack _owner;

    public StackSlot(GuestShadowStack owner, Span<T> value, int address)
    {
        _owner = owner;
        _value = value;
        Address = address;
    }

    public ref T Value => ref _value[0];

    public int Address { get; }

    // Touches only the int address; the stack obtains its own span.
    public void Pop() => _owner.Pop<T>(Address);
}

[StructLayout(LayoutKind.Sequential)]
internal struct Invocation
{
    public int Method;
    public int Target;
    public int ArgsPtr;
    public int ArgCount;
    public int Result;
    public int Error;
}

// Frees a scratch block through the guest's export when disposed.
internal readonly struct GuestScratch : IDisposable
{
    private readonly Action<int> _free;

    public GuestScratch(Func<int, int> malloc, Action<int> free, int size)
    {
        _free = free;
        Address = malloc(size);
    }

    public int Address { get; }

    public void Dispose() => _free(Address);
}

public sealed class IsolatedInvoker : IDisposable
{
    private readonly Memory _memory;
    private readonly GuestShadowStack _stack;
    private readonly Func<int, int, int, int> _invokeMethod;
    private readonly Func<int, int, int> _toString;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Action<int> _run;
    private readonly Action _collect;

    public IsolatedInvoker(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _free = instance.GetAction<int>("free")!;
        _invokeMethod = instance.GetFunction<int, int, int, int>("invoke_method")!;
        _toString = instance.GetFunction<int, int, int>("object_to_string")!;
        _run = instance.GetAction<int>("run_invocation")!;
        _collect = instance.GetAction("gc_collect")!;
        _stack = new GuestShadowStack(_memory, _malloc, _free);
    }

    public int InvokeInt(int methodPtr, int arg)
    {
        var argSlot = _stack.Push<int>();
        argSlot.Value = arg;                                   // written before the call: the guest reads it
        var resultSlot = _stack.Push<long>();                  // Push obtains a span; it calls no guest code
        var status = _invokeMethod(methodPtr, argSlot.Address, resultSlot.Address);
        var result = resultSlot.Value; // expect: WVA001
        resultSlot.Pop();                                      // Pop uses only the address
        argSlot.Pop();
        return status == 0 ? (int)result : throw new InvalidOperationException($"invoke failed: {status}");
    }

    public int InvokeIntSafely(int methodPtr, int arg)
    {
        var argSlot = _stack.Push<int>();
        argSlot.Value = arg;
        var resultSlot = _stack.Push<long>();
        var status = _invokeMethod(methodPtr, argSlot.Address, resultSlot.Address);
        var result = _memory.ReadInt64(resultSlot.Address);    // a copy, read through the int address
        resultSlot.Pop();
        argSlot.Pop();
        return status == 0 ? (int)result : throw new InvalidOperationException($"invoke failed: {status}");
    }

    public int Dispatch(int invocationAddress, int method, ReadOnlySpan<int> args)
    {
        ref var inv = ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(invocationAddress, Unsafe.SizeOf<Invocation>()));
        inv.Method = method;
        inv.ArgsPtr = CopyArgs(args); // expect: WVA001
        inv = ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(invocationAddress, Unsafe.SizeOf<Invocation>()));
        inv.ArgCount = args.Length;                            // re-bound after CopyArgs: fresh
        _run(invocationAddress);
        return inv.Result; // expect: WVA001
    }

    public void Prepare(int invocationAddress, int method, int target, ReadOnlySpan<int> args)
    {
        ref var inv = ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(invocationAddress, Unsafe.SizeOf<Invocation>()));
        // The whole struct is assigned into the old location after CopyArgs (a malloc) ran.
        inv = new Invocation { Method = method, Target = target, ArgsPtr = CopyArgs(args), ArgCount = args.Length }; // expect: WVA001
    }

    public int DispatchSafely(int invocationAddress, int method, ReadOnlySpan<int> args)
    {
        var argsPtr = CopyArgs(args);
        ref var inv = ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(invocationAddress, Unsafe.SizeOf<Invocation>()));
        inv = new Invocation { Method = method, ArgsPtr = argsPtr, ArgCount = args.Length };
        _run(invocationAddress);
        var done = MemoryMarshal.Read<Invocation>(_memory.GetSpan(invocationAddress, Unsafe.SizeOf<Invocation>()));   // a copy
        _free(argsPtr);
        return done.Error == 0 ? done.Result : throw new InvalidOperationException("guest error " + done.Error);
    }

    public string CallToString(int objectPtr)
    {
        int resultPtr;
        Span<byte> header;
        using (var scratch = new GuestScratch(_malloc, _free, 64))
        {
            resultPtr = _toString(objectPtr, scratch.Address);
            header = _memory.GetSpan(resultPtr, 8);
        } // GuestScratch.Dispose frees through the guest's export here

        var length = BinaryPrimitives.ReadInt32LittleEndian(header); // expect: WVA001
        return _memory.ReadString(resultPtr + 8, length, Encoding.UTF8);
    }

    public string CallToStringSafely(int objectPtr)
    {
        int resultPtr;
        int length;
        using (var scratch = new GuestScratch(_malloc, _free, 64))
        {
            resultPtr = _toString(objectPtr, scratch.Address);
            length = BinaryPrimitives.ReadInt32LittleEndian(_memory.GetSpan(resultPtr, 8));   // read before Dispose
        }

        return _memory.ReadString(resultPtr + 8, length, Encoding.UTF8);
    }

    public string Describe(int resultPtr, int length)
    {
        var payload = _memory.GetSpan(resultPtr, length);
        var summary = Summarize(payload);                      // Summarize reads its argument before its guest call: fine
        payload = _memory.GetSpan(resultPtr, length);          // obtained again, since Summarize called the guest
        // The callee calls the guest and only then reads the span it was handed: reported at this call.
        return DescribeAfterCollect(payload) + summary; // expect: WVA001
    }

    // Reads its argument before any guest call: not a use after one.
    private string Summarize(ReadOnlySpan<byte> payload)
    {
        var text = Convert.ToHexString(payload[..Math.Min(8, payload.Length)]);
        _collect();
        return text;
    }

    // Runs the guest's collector, then reads the span it was handed.
    private string DescribeAfterCollect(ReadOnlySpan<byte> payload)
    {
        _collect();
        return Convert.ToHexString(payload[..Math.Min(8, payload.Length)]);
    }

    public int ManyArgs(int methodPtr, int[] values)
    {
        Span<int> addresses = stackalloc int[values.Length];   // host stack memory, not a view
        for (var i = 0; i < values.Length; i++)
        {
            addresses[i] = _malloc(4);
            _memory.WriteInt32(addresses[i], values[i]);
        }

        try
        {
            return _invokeMethod(methodPtr, addresses[0], addresses.Length);
        }
        finally
        {
            foreach (var address in addresses)                 // still the host's own stack
            {
                _free(address);
            }
        }
    }

    public void Dispose()
    {
        _stack.Dispose();
    }

    private int CopyArgs(ReadOnlySpan<int> args)
    {
        var address = _malloc(args.Length * sizeof(int));
        MemoryMarshal.AsBytes(args).CopyTo(_memory.GetSpan(address, args.Length * sizeof(int)));
        return address;
    }
}
