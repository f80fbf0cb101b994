// Game mod loader: each mod is a wasm module with its own store; entity state structs live in the mod's memory and are
// read by ref from the engine's update loop. Shape from UnityWasmScripting's component bridge; modern C# 12 style.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Fresh.ModLoader;

[StructLayout(LayoutKind.Sequential)]
public struct EntityState
{
    public float X, Y, VX, VY;
    public int Health;
    public int Flags;
}

public sealed class PlayerView
{
    public nint StatePointer;
    public int StateOffset;
}

public sealed unsafe class LoadedMod
{
    private readonly Memory _memory;
    private readonly Dictionary<string, Action<int>> _hooks = [];
    private readonly Func<int> _score;
    private readonly Func<int, int, int> _mitigate;
    private readonly int _entityBase;
    private readonly int _entityCount;
    private readonly Dictionary<int, nint> _entityPointers = [];

    public event Action<int>? Ticked;
    public event Action<string>? Logged;

    public LoadedMod(Instance instance, int entityBase, int entityCount)
    {
        _memory = instance.GetMemory("memory")!;
        _entityBase = entityBase;
        _entityCount = entityCount;
        foreach (string name in new[] { "on_spawn", "on_damage", "on_update" })
        {
            _hooks[name] = instance.GetAction<int>(name) ?? (_ => { });
        }
        _score = instance.GetFunction<int>("score")!;
        _mitigate = instance.GetFunction<int, int, int>("mitigate")!;
        Action<int> update = _hooks["on_update"];
        Ticked += id => update(id); // the handler runs the guest whenever Ticked is raised
        Logged += line => Console.WriteLine($"[mod] {line}");
    }

    public int Score => _score(); // a property whose getter calls the guest
    public int EntityCount => _entityCount; // plain field

    private Span<EntityState> Entities() =>
        MemoryMarshal.Cast<byte, EntityState>(_memory.GetSpan(_entityBase, _entityCount * sizeof(EntityState)));

    private ref EntityState Entity(int id) => ref Entities()[id];

    public void Damage(int id, int amount)
    {
        ref EntityState state = ref Entity(id);
        _hooks["on_damage"](id); // a guest delegate read out of the dictionary
        state.Health -= amount; // expect: WVA001
    }

    public void DamageMitigated(int id, int amount)
    {
        ref EntityState state = ref Entity(id);
        state.Health = state.Health - _mitigate(id, amount); // expect: WVA001
    }

    public void DamageMitigatedFirst(int id, int amount)
    {
        int mitigated = _mitigate(id, amount); // the guest runs before the ref is taken
        ref EntityState state = ref Entity(id);
        state.Health -= mitigated;
    }

    public void Tick(int id, float dt)
    {
        ref EntityState state = ref Entity(id);
        Logged?.Invoke($"tick {id}"); // its only handler writes to the console
        state.X += state.VX * dt;
        Ticked?.Invoke(id); // raising Ticked runs on_update in the guest
        state.Y += state.VY * dt; // expect: WVA001
    }

    public int ScoreWithFlags(int id)
    {
        ref EntityState state = ref Entity(id);
        int flagsBefore = state.Flags;
        int score = Score;
        return score + flagsBefore + state.Flags; // expect: WVA001
    }

    public int ScoreWithSnapshot(int id)
    {
        EntityState snapshot = Entity(id); // a copy of the struct, not a ref
        int score = Score;
        return score + snapshot.Flags + EntityCount;
    }

    public void UpdateAll(float dt)
    {
        Span<EntityState> all = Entities();
        for (int i = 0; i < all.Length; i++)
        {
            all[i].X += all[i].VX * dt; // expect: WVA001
            _hooks["on_update"](i);
        }
    }

    public void UpdateAllReacquired(float dt)
    {
        for (int i = 0; i < _entityCount; i++)
        {
            ref EntityState state = ref Entity(i); // obtained again on every turn
            state.X += state.VX * dt;
            _hooks["on_update"](i);
        }
    }

    public void Bind(PlayerView player, int id)
    {
        nint pointer = _memory.GetPointer() + _entityBase + id * sizeof(EntityState);
        player.StatePointer = pointer; // expect: WVA002
        player.StateOffset = _entityBase + id * sizeof(EntityState);
        _entityPointers[id] = pointer; // expect: WVA002
    }

    public void ReportLater(int id)
    {
        nint pointer = _memory.GetPointer() + _entityBase + id * sizeof(EntityState);
        int health = ((EntityState*)pointer)->Health;
        Task.Delay(100).ContinueWith(_ => Console.WriteLine(((EntityState*)pointer)->Health)); // expect: WVA002
        Task.Delay(100).ContinueWith(_ => Console.WriteLine(health)); // the value was read before queuing
    }
}

public sealed class ModLoader(Engine engine, Linker linker)
{
    private readonly List<LoadedMod> _mods = [];

    public string LoadPair(Module first, Module second)
    {
        var firstStore = new Store(engine);
        Instance firstInstance = linker.Instantiate(firstStore, first);
        Memory firstMemory = firstInstance.GetMemory("memory")!;
        int nameAddress = firstInstance.GetFunction<int>("mod_name")!();
        ReadOnlySpan<byte> name = firstMemory.GetSpan(nameAddress, 32);
        // Another store, but instantiating runs a start function: the analysis does not tell memories apart.
        Instance secondInstance = linker.Instantiate(new Store(engine), second);
        _mods.Add(new LoadedMod(secondInstance, 1024, 16));
        return Encoding.UTF8.GetString(name.TrimEnd((byte)0)); // expect: WVA001
    }

    public string LoadPairNamedFirst(Module first, Module second)
    {
        var firstStore = new Store(engine);
        Instance firstInstance = linker.Instantiate(firstStore, first);
        Memory firstMemory = firstInstance.GetMemory("memory")!;
        int nameAddress = firstInstance.GetFunction<int>("mod_name")!();
        string name = firstMemory.ReadString(nameAddress, 32, Encoding.UTF8).TrimEnd('\0');
        Instance secondInstance = linker.Instantiate(new Store(engine), second);
        _mods.Add(new LoadedMod(secondInstance, 1024, 16));
        return name;
    }
}
