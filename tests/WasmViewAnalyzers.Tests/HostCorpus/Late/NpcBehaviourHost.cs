// Game-server host that scripts NPC behaviour in a wasm guest; entity records live in guest memory and are read by ref.
// Shape inspired by UnityWasmScripting (entity state structs in linear memory, a per-tick export, ref accessors).
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Late.NpcBehaviourHost;

[StructLayout(LayoutKind.Sequential)]
public struct NpcState
{
    public float X;
    public float Y;
    public int Health;
    public int Target;
    public int PathPtr;
}

// A handle a script binding hands around: the id is plain data, the state is a ref into guest memory.
public ref struct NpcHandle
{
    private ref NpcState _state;
    private readonly int _id;

    public NpcHandle(ref NpcState state, int id)
    {
        _state = ref state;
        _id = id;
    }

    public int Id => _id;
    public int Health => _state.Health;
    public bool IsBound => !Unsafe.IsNullRef(ref _state);
}

public sealed class NpcScriptVm
{
    private const int EntityTable = 0x1000;
    private readonly Memory _memory;
    private readonly Func<int, int> _think;
    private readonly Func<int, int> _allocPath;
    private readonly Action<int> _worldTick;
    private readonly List<int> _dead = new();

    public NpcScriptVm(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _think = instance.GetFunction<int, int>("npc_think") ?? throw new InvalidOperationException("npc_think");
        _allocPath = instance.GetFunction<int, int>("alloc_path") ?? throw new InvalidOperationException("alloc_path");
        _worldTick = instance.GetAction<int>("world_tick") ?? throw new InvalidOperationException("world_tick");
    }

    private static int Size => Unsafe.SizeOf<NpcState>();

    private ref NpcState Entity(int id) =>
        ref MemoryMarshal.AsRef<NpcState>(_memory.GetSpan(EntityTable + (long)id * Size, Size));

    private static float Distance(in NpcState a, float x, float y)
    {
        float dx = a.X - x, dy = a.Y - y;
        return MathF.Sqrt(dx * dx + dy * dy);
    }

    public int Think(int id)
    {
        ref var npc = ref Entity(id);
        int action = _think(id);
        if (npc.Health <= 0) // expect: WVA001
            _dead.Add(id);
        return action;
    }

    public int ThinkAndReacquire(int id)
    {
        ref var npc = ref Entity(id);
        int before = npc.Health;
        int action = _think(id);
        npc = ref Entity(id); // obtained again after the script ran: fresh
        if (npc.Health < before)
            _dead.Add(id);
        return action;
    }

    public void PlanPath(int id, int steps)
    {
        ref var npc = ref Entity(id);
        // C# fixes the address of npc.PathPtr before it calls alloc_path, which may grow memory: the store lands in the old location.
        npc.PathPtr = _allocPath(steps * 8); // expect: WVA001
    }

    public void PlanPathSafely(int id, int steps)
    {
        int path = _allocPath(steps * 8);
        Entity(id).PathPtr = path;
    }

    public float ClosestTo(int id, float x, float y)
    {
        var snapshot = MemoryMarshal.Read<NpcState>(_memory.GetSpan(EntityTable + (long)id * Size, Size)); // a copy, not a ref
        _worldTick(id);
        return Distance(snapshot, x, y);
    }

    public float ClosestToAfterTick(int id, float x, float y)
    {
        ref readonly var npc = ref Entity(id);
        _worldTick(id);
        return Distance(in npc, x, y); // expect: WVA001
    }

    public void StepAll(int count)
    {
        for (int i = 0; i < count; i++)
        {
            ref var e = ref Entity(i);
            e.X += 0.5f; // written before the tick: fine
            _worldTick(i);
            e.Y += 0.5f; // expect: WVA001
        }
    }

    public int DescribeHandle(int id)
    {
        var handle = new NpcHandle(ref Entity(id), id);
        _think(id);
        int who = handle.Id; // only the plain id field
        bool bound = handle.IsBound; // Open case: IsNullRef takes the ref but never dereferences it, so this reads nothing of guest memory
        return bound ? who : -1;
    }

    public int HealthAfterThinking(int id)
    {
        var handle = new NpcHandle(ref Entity(id), id);
        _think(id);
        return handle.Health; // expect: WVA001
    }

    private unsafe NpcState* _focused;
    private int _focusedId = -1;

    public unsafe void Focus(int id)
    {
        _focusedId = id; // the id, re-resolved through Entity when needed
        _focused = (NpcState*)Unsafe.AsPointer(ref Entity(id)); // expect: WVA002
    }

    public void DefineCallbacks(Linker linker)
    {
        linker.DefineFunction("npc", "on_damage", (Caller caller, int id, int amount) =>
        {
            if (!caller.TryGetMemorySpan<NpcState>("memory", EntityTable + (long)id * Size, 1, out var states))
                return;
            ref var s = ref states[0];
            s.Health -= amount;
            if (s.Health <= 0)
                caller.GetFunction("npc_die")?.Invoke(id);
            s.Target = -1; // expect: WVA001
        });

        linker.DefineFunction("npc", "on_heal", (Caller caller, int id, int amount) =>
        {
            if (!caller.TryGetMemorySpan<NpcState>("memory", EntityTable + (long)id * Size, 1, out var states))
                return;
            ref var s = ref states[0];
            s.Health += amount;
            s.Target = -1;
            caller.GetFunction("npc_healed")?.Invoke(id); // every write through s happened before
        });
    }

    public IEnumerable<int> Hostiles(int count, int player)
    {
        for (int i = 0; i < count; i++)
        {
            if (Entity(i).Target == player) // obtained afresh after every resume
                yield return i;
        }
    }

    public void ThinkHostiles(int count, int player)
    {
        foreach (var id in Hostiles(count, player))
            _think(id);
    }

    public int CountAlive(int count)
    {
        int alive = 0;
        for (int i = 0; i < count; i++)
        {
            if (Entity(i).Health > 0)
                alive++;
        }

        _worldTick(count); // every read above finished before the tick
        return alive;
    }
}
