// Game mod loader: each mod is a wasm module with lifecycle hooks (mod_init, mod_tick, on_spawn) and a shadow stack
// the host pushes argument structs onto. Shape: DotNetIsolator's shadow stack and invocation structs, UnityWasmScripting's per-mod hooks.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Wasmtime;

namespace Corpus.Spring.GameModLoader;

[StructLayout(LayoutKind.Sequential)]
public struct SpawnArgs
{
    public int EntityId;
    public int PrefabId;
    public float X, Y, Z;
    public int Flags;
}

public ref struct StackSlot<T> where T : unmanaged
{
    public ref T Value;
    public readonly int Address;

    public StackSlot(ref T value, int address)
    {
        Value = ref value;
        Address = address;
    }
}

public sealed class ModSession
{
    public readonly List<nint> PendingNames = new();
    public readonly List<string> Log = new();
    public nint LastChat;
}

public sealed partial class ModHost
{
    private readonly Instance _instance;
    private readonly Memory _memory;
    private readonly Func<int> _getSp;
    private readonly Action<int> _setSp;
    private readonly Dictionary<string, Action<int>> _hooks = new();
    private Func<float, int>? _tick;
    private static nint s_lastSaveState;
    private static nint s_watchedEntity;

    // An export wrapped in a lazily cached property: invoking it is a guest call.
    public Func<float, int> Tick => _tick ??= _instance.GetFunction<float, int>("mod_tick")!;

    public ModHost(Instance instance)
    {
        _instance = instance;
        _memory = instance.GetMemory("memory")!;
        _getSp = instance.GetFunction<int>("stack_get")!;
        _setSp = instance.GetAction<int>("stack_set")!;
        foreach (var name in new[] { "on_spawn", "on_despawn", "on_save" })
        {
            var hook = instance.GetAction<int>(name);
            if (hook is not null)
            {
                _hooks[name] = hook;
            }
        }
    }

    // Allocates a slot: moves the guest's stack pointer through an export.
    public StackSlot<T> Push<T>() where T : unmanaged
    {
        var sp = _getSp() - Unsafe.SizeOf<T>();
        _setSp(sp);
        return new StackSlot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(sp, Unsafe.SizeOf<T>())), sp);
    }

    public void Pop<T>(StackSlot<T> slot) where T : unmanaged => _setSp(slot.Address + Unsafe.SizeOf<T>());
}

public sealed partial class ModHost
{
    public static void DefineHostApi(Linker linker)
    {
        linker.DefineFunction("game", "chat", (Caller caller, int ptr, int len) =>
        {
            var session = (ModSession)caller.GetData()!;
            var memory = caller.GetMemory("memory")!;
            // Safe: copied into a string while the callback runs.
            session.Log.Add(memory.ReadString(ptr, len, Encoding.UTF8));
            session.LastChat = memory.GetPointer() + ptr; // expect: WVA002
        });
        linker.DefineFunction("game", "request_name", (Caller caller, int ptr) =>
        {
            var session = (ModSession)caller.GetData()!;
            var memory = caller.GetMemory("memory")!;
            session.PendingNames.Add(memory.GetPointer() + ptr); // expect: WVA002
        });
    }

    public int Spawn(int entityId, int prefab, float x, float y, float z)
    {
        var args = Push<SpawnArgs>();
        args.Value.EntityId = entityId;
        args.Value.PrefabId = prefab;
        var flags = Push<int>();
        // The second Push moved the stack pointer through the guest: 'args' may be stale.
        args.Value.X = x; // expect: WVA001
        flags.Value = 1;
        // Safe: Address is a plain int field of the slot.
        var argsAddress = args.Address;
        _hooks["on_spawn"](argsAddress);
        // Safe: Pop uses only the slot's address.
        Pop(flags);
        Pop(args);
        return argsAddress;
    }

    public int SpawnOrdered(int entityId, int prefab, float x, float y, float z)
    {
        var flags = Push<int>();
        var args = Push<SpawnArgs>();
        // Safe: written after the last Push, before the hook runs.
        args.Value = new SpawnArgs { EntityId = entityId, PrefabId = prefab, X = x, Y = y, Z = z, Flags = 0 };
        // Corrected by the rule page after the blind run: 'flags' was pushed before Push<SpawnArgs>(), whose
        // _getSp/_setSp are guest calls, so this write goes through a view obtained before a guest call.
        flags.Value = 1; // expect: WVA001
        _hooks["on_spawn"](args.Address);
        var resultFlags = args.Value.Flags; // expect: WVA001
        Pop(args);
        Pop(flags);
        return resultFlags;
    }

    public unsafe void Update(float dt, int watchedEntity)
    {
        var entities = _memory.GetPointer() + 0x1000;
        var watched = (SpawnArgs*)(entities + watchedEntity * sizeof(SpawnArgs));
        Volatile.Write(ref s_watchedEntity, (nint)watched); // expect: WVA002
        var events = Tick(dt);
        if (events > 0)
        {
            // Tick invoked mod_tick through the cached property.
            Console.WriteLine($"entity {watched->EntityId} moved"); // expect: WVA001
        }
        // Safe: obtained again from the offset after the tick.
        var fresh = (SpawnArgs*)((byte*)_memory.GetPointer() + 0x1000 + watchedEntity * sizeof(SpawnArgs));
        Console.WriteLine($"now at {fresh->X},{fresh->Y}");
    }

    public static int LoadDependent(Linker linker, Store store, Module dependent, Memory baseMemory, int manifestAt)
    {
        var manifest = baseMemory.GetSpan(manifestAt, 16);
        var declared = manifest[0];
        // Same store and linker: the dependent mod's start function runs inside Instantiate and may call the base mod's exports.
        var instance = linker.Instantiate(store, dependent);
        var version = manifest[1]; // expect: WVA001
        return declared + version + (instance.GetMemory("memory") is null ? 0 : 1);
    }

    public unsafe byte[] Save(int stateAddress, int length)
    {
        var state = (byte*)_memory.GetPointer() + stateAddress;
        s_lastSaveState = (nint)state; // expect: WVA002
        // Safe: a copy taken before the hook.
        var snapshot = new ReadOnlySpan<byte>(state, length).ToArray();
        if (_hooks.TryGetValue("on_save", out var onSave))
        {
            onSave(stateAddress);
        }
        // TryGetValue handed back a guest export: 'state' is read after it ran.
        var version = state[0]; // expect: WVA001
        return version == snapshot[0] ? snapshot : Array.Empty<byte>();
    }
}
