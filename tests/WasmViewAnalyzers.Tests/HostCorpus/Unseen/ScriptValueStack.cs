// A sandboxed scripting engine (QuickJS/Lua-like) whose value stack lives in guest memory: the host pushes tagged
// values through ref structs with ref fields, the shape of DotNetIsolator's ShadowStack entries and HakoJS's value handles.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Unseen.ScriptValueStack;

public enum Tag
{
    Undefined = 0,
    Int = 1,
    Float = 2,
    String = 3,
    Object = 4,
    Exception = 7,
}

[StructLayout(LayoutKind.Sequential)]
public struct JsValue
{
    public int Tag;
    public int Flags;
    public long Payload;
}

public ref struct StackSlot<T>
    where T : unmanaged
{
    public ref T Value;
    public readonly int Address;
    private readonly ScriptVm _vm;

    public StackSlot(ScriptVm vm, ref T value, int address)
    {
        _vm = vm;
        Value = ref value;
        Address = address;
    }

    // Uses only the address: popping never touches guest memory.
    public void Pop() => _vm.PopTo(Address);
}

public readonly struct JsHandle
{
    public JsHandle(ScriptVm vm, int address)
    {
        Vm = vm;
        Address = address;
    }

    public ScriptVm Vm { get; }

    public int Address { get; }

    public static JsHandle operator +(JsHandle left, JsHandle right) => left.Vm.Add(left, right);

    // Asks the guest for the type name: a guest call wherever a handle is deconstructed.
    public void Deconstruct(out string type, out long payload)
    {
        type = Vm.TypeOf(this);
        payload = Vm.PayloadOf(Address);
    }
}

public sealed class ScriptVm(Instance instance)
{
    private const int StackSize = 64 * 1024;

    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("js_alloc")!;
    private readonly Func<int, int, int, int> _call = instance.GetFunction<int, int, int, int>("js_call")!;
    private readonly Func<int, int, int, int> _binary = instance.GetFunction<int, int, int, int>("js_binary_op")!;
    private readonly Func<int, int> _typeOf = instance.GetFunction<int, int>("js_typeof")!;
    private readonly Action _collect = instance.GetAction("js_gc")!;
    private readonly int _stackBase = instance.GetFunction<int, int>("js_alloc")!(StackSize);
    private int _sp;

    public StackSlot<T> Push<T>()
        where T : unmanaged
    {
        int address = _stackBase + _sp;
        _sp += Unsafe.SizeOf<T>();
        ref T value = ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>()));
        return new StackSlot<T>(this, ref value, address);
    }

    public void PopTo(int address) => _sp = address - _stackBase;

    private ref JsValue ValueAt(int address) =>
        ref MemoryMarshal.AsRef<JsValue>(_memory.GetSpan(address, Unsafe.SizeOf<JsValue>()));

    public long PayloadOf(int address) => _memory.ReadInt64(address + 8);

    public string TypeOf(JsHandle handle)
    {
        int namePtr = _typeOf(handle.Address);
        return _memory.ReadNullTerminatedString(namePtr);
    }

    public JsHandle Add(JsHandle left, JsHandle right)
    {
        var result = Push<JsValue>();
        _binary('+', left.Address, result.Address);
        return new JsHandle(this, result.Address);
    }

    private long NewString(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        int ptr = _alloc(utf8.Length + 1);
        utf8.CopyTo(_memory.GetSpan(ptr, utf8.Length));
        _memory.WriteByte(ptr + utf8.Length, 0);
        return ptr;
    }

    public long CallWithString(int function, string argument)
    {
        var arg = Push<JsValue>();
        arg.Value.Tag = (int)Tag.String;
        // C# fixes the slot's location before NewString allocates in the guest.
        arg.Value.Payload = NewString(argument); // expect: WVA001
        var result = Push<JsValue>();
        result.Value = default;
        _call(function, arg.Address, result.Address);
        if (result.Value.Tag == (int)Tag.Exception) // expect: WVA001
        {
            throw new InvalidOperationException(_memory.ReadNullTerminatedString((int)PayloadOf(result.Address)));
        }

        // Address and Pop use only the int field.
        long payload = PayloadOf(result.Address);
        arg.Pop();
        return payload;
    }

    public long CallWithInt(int function, long argument)
    {
        long pending = NewString("int-call");
        var arg = Push<JsValue>();
        // The string was allocated before the slot was pushed: nothing runs in the guest between push and writes.
        arg.Value = new JsValue { Tag = (int)Tag.Int, Payload = argument };
        var result = Push<JsValue>();
        result.Value.Tag = (int)Tag.Undefined;
        _call(function, arg.Address, result.Address);
        ref JsValue fresh = ref ValueAt(result.Address);
        long value = fresh.Tag == (int)Tag.Int ? fresh.Payload : pending;
        arg.Pop();
        return value;
    }

    public long Sum(JsHandle a, JsHandle b)
    {
        ref JsValue left = ref ValueAt(a.Address);
        long before = left.Payload;
        JsHandle sum = a + b;
        // The operator ran js_binary_op; 'left' points at a slot the guest may have moved.
        return left.Payload - before + PayloadOf(sum.Address); // expect: WVA001
    }

    public string Describe(JsHandle handle)
    {
        ref JsValue head = ref ValueAt(handle.Address);
        var (type, payload) = handle;
        return head.Tag switch // expect: WVA001
        {
            (int)Tag.Int => $"{type}:{payload}",
            _ => type,
        };
    }

    public string DescribeCopied(JsHandle handle)
    {
        // A copy of the value, not a ref: unaffected by the guest call in Deconstruct.
        JsValue head = MemoryMarshal.AsRef<JsValue>(_memory.GetSpan(handle.Address, Unsafe.SizeOf<JsValue>()));
        var (type, payload) = handle;
        return head.Tag == (int)Tag.Int ? $"{type}:{payload}" : type;
    }

    public void CollectAndClear(int address)
    {
        ref JsValue slot = ref ValueAt(address);
        slot.Flags |= 1;
        _collect();
        slot.Tag = (int)Tag.Undefined; // expect: WVA001
    }

    public void CollectAndClearAgain(int address)
    {
        ref JsValue slot = ref ValueAt(address);
        slot.Flags |= 1;
        _collect();
        slot = ref ValueAt(address);
        slot.Tag = (int)Tag.Undefined;
    }

    public IEnumerable<JsValue> Locals(int frameAddress, int count)
    {
        for (int i = 0; i < count; i++)
        {
            // Read<T> copies: each yielded value is the host's own.
            yield return _memory.Read<JsValue>(frameAddress + i * Unsafe.SizeOf<JsValue>());
        }
    }

    public long SumLocals(int frameAddress, int count)
    {
        long total = 0;
        foreach (JsValue local in Locals(frameAddress, count))
        {
            _collect();
            total += local.Payload;
        }

        return total;
    }
}
