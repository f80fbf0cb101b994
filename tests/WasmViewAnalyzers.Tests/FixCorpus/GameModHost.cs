// A game-mod host: mods are WebAssembly modules; the host calls into them through invocation blocks
// in guest memory that it fills in, and reads the results back after the call.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.GameMod;

[StructLayout(LayoutKind.Sequential)]
struct Invocation
{
    public int Target;
    public int Argument;
    public int Result;
}

[StructLayout(LayoutKind.Sequential)]
struct EntityState
{
    public float X;
    public float Y;
    public int Health;
}

sealed class ModHost
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _dispatch;
    private readonly Action<int, int> _tick;

    public ModHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _dispatch = instance.GetAction<int>("dispatch")!;
        _tick = instance.GetAction<int, int>("tick")!;
    }

    public int Dispatch(int target, int argument)
    {
        var ptr = _alloc(12);
        ref var inv = ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(ptr, 12));
        inv.Target = target;
        inv.Argument = argument;
        _dispatch(ptr);
        return inv.Result;
    }

    public int DispatchTwice(int target)
    {
        var ptr = _alloc(12);
        ref var inv = ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(ptr, 12));
        inv.Target = target;
        inv.Argument = 1;
        _dispatch(ptr);
        var first = inv.Result;
        inv.Argument = 2;
        _dispatch(ptr);
        return first + inv.Result;
    }

    public void MoveEntities(int entities, int count, float dx)
    {
        var states = MemoryMarshal.Cast<byte, EntityState>(_memory.GetSpan(entities, count * 12));
        for (var i = 0; i < count; i++)
        {
            states[i].X += dx;
            _tick(entities, i);
        }
    }

    public List<int> Survivors(int entities, int count)
    {
        var states = _memory.GetSpan<EntityState>(entities, count);
        _tick(entities, -1);
        var alive = new List<int>();
        for (var i = 0; i < states.Length; i++)
        {
            if (states[i].Health > 0)
            {
                alive.Add(i);
            }
        }

        return alive;
    }

    public string ModName(int address, int length)
    {
        var name = _memory.GetSpan(address, length);
        _dispatch(0);
        return System.Text.Encoding.UTF8.GetString(name);
    }
}
