// A bytecode VM for a Lua-like scripting language compiled to wasm: the value stack lives in guest memory and the
// host reads and writes slots by `ref` (shape: DotNetIsolator's shadow stack and invocation structs read by ref).
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Summer.LuaLikeVm;

[StructLayout(LayoutKind.Sequential)]
public struct LuaValue
{
    public int Tag;
    public int Flags;
    public long Payload;
}

public sealed unsafe class ScriptVm
{
    private const int SlotSize = 16;
    private readonly Memory _memory;
    private readonly int _stackBase;
    private readonly Action<int> _step;
    private readonly Func<int, long> _newTable;
    private readonly Func<int, int> _frameInfo;
    private readonly List<Func<int>> _watches = new();
    private readonly List<Func<int>> _offsetWatches = new();

    public ScriptVm(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _stackBase = instance.GetFunction<int>("vm_stack_base")!();
        _step = instance.GetAction<int>("vm_step")!;
        _newTable = instance.GetFunction<int, long>("vm_new_table")!;
        _frameInfo = instance.GetFunction<int, int>("vm_frame_info")!;
    }

    internal int FrameInfo(int depth) => _frameInfo(depth);

    // A pure helper returning a ref into the stack: readonly inputs, no guest call.
    private ref LuaValue Slot(int index) =>
        ref MemoryMarshal.AsRef<LuaValue>(_memory.GetSpan(_stackBase + index * SlotSize, SlotSize));

    public long CallWithArgument(long argument)
    {
        ref var top = ref Slot(0);
        top.Tag = 3;                                 // the guest reads this block: written before the call
        top.Payload = argument;
        _step(1);
        return top.Payload;                          // expect: WVA001
    }

    public long CallAndReacquire(long argument)
    {
        ref var top = ref Slot(0);
        top.Tag = 3;
        top.Payload = argument;
        _step(1);
        top = ref Slot(0);                           // re-bound after the call: fresh
        return top.Payload;
    }

    public void StoreNewTable(int register)
    {
        ref var target = ref Slot(register);
        target.Tag = 5;
        // C# fixes the location of target.Payload before vm_new_table runs; the allocation may grow memory.
        target.Payload = _newTable(8);               // expect: WVA001
    }

    public void StoreNewTableSafely(int register)
    {
        var handle = _newTable(8);                   // the guest runs first
        ref var target = ref Slot(register);
        target.Tag = 5;
        target.Payload = handle;
    }

    public long SnapshotThenStep()
    {
        var snapshot = Slot(1);                      // a copy of the struct, not a ref
        _step(1);
        return snapshot.Payload + Slot(1).Payload;   // the copy, and a fresh ref
    }

    public void WatchSlot(int index)
    {
        nint slot = _memory.GetPointer() + _stackBase + index * SlotSize;
        _watches.Add(() => *(int*)slot);             // expect: WVA002
        var offset = _stackBase + index * SlotSize;
        _offsetWatches.Add(() => _memory.ReadInt32(offset));   // captures only an offset
    }

    public int DumpFrames()
    {
        var top = _memory.GetSpan<LuaValue>(_stackBase, 4);
        var total = 0;
        foreach (var depth in new FrameWalk(this, 3))   // its Current asks the guest for each frame
        {
            total += depth;
        }
        return total + top[0].Tag;                    // expect: WVA001
    }

    public int DumpKnownFrames(List<int> depths)
    {
        var top = _memory.GetSpan<LuaValue>(_stackBase, 4);
        var total = 0;
        foreach (var depth in depths)                  // List<int>'s enumerator: no guest code
        {
            total += depth;
        }
        return total + top[0].Tag;
    }

    public long SumRegisters(int count)
    {
        ref var first = ref Unsafe.As<byte, LuaValue>(ref _memory.GetSpan(_stackBase, count * SlotSize)[0]);
        long sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += Unsafe.Add(ref first, i).Payload;  // all reads before the step
        }
        _step(count);
        return sum;
    }

    public long ReadAfterGrowth(int index)
    {
        ref var value = ref Slot(index);
        if (value.Tag == 0)
        {
            _memory.Grow(1);                          // only on this path
        }
        return value.Payload;                         // expect: WVA001
    }
}

public struct FrameWalk
{
    private readonly ScriptVm _vm;
    private readonly int _depth;
    private int _current;

    public FrameWalk(ScriptVm vm, int depth)
    {
        _vm = vm;
        _depth = depth;
        _current = -1;
    }

    public FrameWalk GetEnumerator() => this;
    public int Current => _vm.FrameInfo(_current);
    public bool MoveNext() => ++_current < _depth;
}
