// Unity-like scripting host: entity state structs live in guest memory and are read and written by ref every frame; host
// bindings use Caller.TryGetMemorySpan and the store's data object, shaped after UnityWasmScripting's transform bindings.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.HeldOut.EntityScriptHost;

[StructLayout(LayoutKind.Sequential)]
public struct Vec3
{
    public float X;
    public float Y;
    public float Z;
}

[StructLayout(LayoutKind.Sequential)]
public struct EntityState
{
    public Vec3 Position;
    public Vec3 Velocity;
    public float Health;
    public int Flags;
}

public sealed class SceneData
{
    public Memory? Memory { get; set; }
    public nint LastTransform { get; set; }
    public int LastTransformOffset { get; set; }
    public List<nint> Touched { get; } = new();
    public List<int> TouchedOffsets { get; } = new();
    public Dictionary<int, Vec3> Positions { get; } = new();
}

public sealed class ScriptRuntime
{
    private static readonly int StateSize = Unsafe.SizeOf<EntityState>();

    private readonly Memory _memory;
    private readonly Action<float> _update;
    private readonly Action<int> _onCollision;
    private readonly Action<int> _onDeath;
    private readonly int _entityTable;

    public ScriptRuntime(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _update = instance.GetAction<float>("update") ?? throw new InvalidOperationException("update");
        _onCollision = instance.GetAction<int>("on_collision") ?? throw new InvalidOperationException("on_collision");
        _onDeath = instance.GetAction<int>("on_death") ?? throw new InvalidOperationException("on_death");
        var entityTable = instance.GetFunction<int>("entity_table") ?? throw new InvalidOperationException("entity_table");
        _entityTable = entityTable();
    }

    // A ref into guest memory, and a helper of that helper.
    private ref EntityState Entity(int slot)
        => ref MemoryMarshal.AsRef<EntityState>(_memory.GetSpan(_entityTable + slot * StateSize, StateSize));

    private ref Vec3 PositionOf(int slot) => ref Entity(slot).Position;

    public void Tick(float dt, int player)
    {
        ref var state = ref Entity(player);
        state.Velocity.Y -= 9.81f * dt;                     // fresh: written before the scripts run
        _update(dt);
        state.Flags |= 1; // expect: WVA001
    }

    public void TickReacquired(float dt, int player)
    {
        ref var state = ref Entity(player);
        state.Velocity.Y -= 9.81f * dt;
        _update(dt);
        state = ref Entity(player);                         // re-bound after the scripts ran
        state.Flags |= 1;
    }

    public float Height(int slot)
    {
        ref var position = ref PositionOf(slot);
        _onCollision(slot);
        return position.Y; // expect: WVA001
    }

    public float HeightSnapshot(int slot)
    {
        var snapshot = Entity(slot);                        // a copy of the struct, not a ref
        _onCollision(slot);
        return snapshot.Position.Y;
    }

    public void Integrate(int slot, float dt)
    {
        ref var state = ref Entity(slot);
        _update(dt);
        Step(ref state, dt); // expect: WVA001
    }

    public void IntegrateFresh(int slot, float dt)
    {
        _update(dt);
        Step(ref Entity(slot), dt);
    }

    public void DamagePair(int slot)
    {
        ref var first = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, EntityState>(_memory.GetSpan(_entityTable + slot * StateSize, 2 * StateSize)));
        ref var second = ref Unsafe.Add(ref first, 1);
        _onCollision(slot);
        second.Health -= 10; // expect: WVA001
    }

    public void ReapDead(int count)
    {
        for (var i = 0; i < count; i++)
        {
            // Obtained at the top of every iteration, after the previous iteration's guest call.
            ref readonly var state = ref Entity(i);
            if (state.Health <= 0)
            {
                _onDeath(i);
            }
        }
    }

    public float AverageHealth(int count)
    {
        var states = MemoryMarshal.Cast<byte, EntityState>(_memory.GetSpan(_entityTable, count * StateSize));
        var total = 0f;
        for (var i = 0; i < count; i++)
        {
            total += states[i].Health; // expect: WVA001
            if (states.Length > 1000)                       // Length only
            {
                _update(0);
            }
        }

        return count == 0 ? 0 : total / count;
    }

    private static void Step(ref EntityState state, float dt)
    {
        state.Position.X += state.Velocity.X * dt;
        state.Position.Y += state.Velocity.Y * dt;
        state.Position.Z += state.Velocity.Z * dt;
    }

    public static void Bind(Linker linker, SceneData scene)
    {
        linker.DefineFunction("unity", "transform_get", (Caller caller, int id, int outPtr) =>
        {
            if (!caller.TryGetMemorySpan<float>("memory", outPtr, 3, out var destination))
            {
                return;
            }

            var position = scene.Positions.TryGetValue(id, out var p) ? p : default;
            destination[0] = position.X;
            destination[1] = position.Y;
            destination[2] = position.Z;
        });

        linker.DefineFunction("unity", "transform_touch", (Caller caller, int ptr) =>
        {
            var data = (SceneData)caller.GetData()!;
            data.LastTransform = data.Memory!.GetPointer() + ptr; // expect: WVA002
            data.LastTransformOffset = ptr;
        });

        linker.DefineFunction("unity", "transform_mark", (Caller caller, int ptr) =>
        {
            ((SceneData)caller.GetData()!).LastTransform = caller.GetMemory("memory")!.GetPointer() + ptr; // expect: WVA002
        });

        linker.DefineFunction("unity", "touched", (Caller caller, int ptr) =>
        {
            scene.Touched.Add(caller.GetMemory("memory")!.GetPointer() + ptr); // expect: WVA002
            scene.TouchedOffsets.Add(ptr);
        });

        linker.DefineFunction("unity", "raycast", (Caller caller, int ptr, int len) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", ptr, len, out var query))
            {
                return -1;
            }

            var onHit = caller.GetFunction("on_hit");
            onHit?.Invoke(ptr);                             // back into the guest from the callback
            return (int)query[0]; // expect: WVA001
        });

        linker.DefineFunction("unity", "raycast_checked", (Caller caller, int ptr, int len) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", ptr, len, out var query))
            {
                return -1;
            }

            var layer = (int)query[0];                      // read before re-entering the guest
            caller.GetFunction("on_hit")?.Invoke(ptr);
            return layer;
        });

        linker.DefineFunction("unity", "position_set", (Caller caller, int id, int ptr) =>
        {
            var memory = caller.GetMemory("memory")!;
            scene.Positions[id] = memory.Read<Vec3>(ptr);   // a copy read out of guest memory
        });
    }
}
