// Game-mod host: mods compiled to wasm update entity components that the host lays out in guest memory.
// Shape from UnityWasmScripting (store data reached through Caller.GetData, structs read and written at guest addresses).
using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Dev.ModLoaderHost;

[StructLayout(LayoutKind.Sequential)]
public struct Transform3
{
    public Vector3 Position;
    public Quaternion Rotation;
    public Vector3 Scale;
}

[StructLayout(LayoutKind.Sequential)]
public struct EntityHeader
{
    public int Id;
    public int Flags;
    public int ComponentCount;
    public int NamePtr;
}

public sealed class ModStoreData
{
    public Dictionary<int, Transform3> Transforms { get; } = new();
    public nint WatchedTransform;        // a raw pointer kept between callbacks
    public int WatchedTransformAddress;  // the guest address: an int, safe to keep
    public string? LastRenamed;
}

public sealed class ModHost
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _update;
    private readonly Func<int, int, int> _spawn;
    private readonly int _entityTable;

    public ModHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("mod_alloc")!;
        _update = instance.GetAction<int>("mod_update")!;
        _spawn = instance.GetFunction<int, int, int>("mod_spawn")!;
        _entityTable = _alloc(64 * Unsafe.SizeOf<EntityHeader>());
    }

    // The mod reads the transform in mod_update and writes its answer into the same block.
    public Transform3 Tick(int entityAddress, in Transform3 input, int frame)
    {
        ref var transform = ref MemoryMarshal.AsRef<Transform3>(_memory.GetSpan(entityAddress, Unsafe.SizeOf<Transform3>()));
        transform = input;                  // written before the call: the guest reads it
        _update(frame);
        return transform; // expect: WVA001
    }

    public Transform3 TickReacquired(int entityAddress, in Transform3 input, int frame)
    {
        ref var transform = ref MemoryMarshal.AsRef<Transform3>(_memory.GetSpan(entityAddress, Unsafe.SizeOf<Transform3>()));
        transform = input;
        _update(frame);
        // Obtained again from the int address after the call: fresh.
        transform = ref MemoryMarshal.AsRef<Transform3>(_memory.GetSpan(entityAddress, Unsafe.SizeOf<Transform3>()));
        return transform;
    }

    public void SpawnChild(int parentAddress, int prefab)
    {
        ref var header = ref MemoryMarshal.AsRef<EntityHeader>(_memory.GetSpan(parentAddress, Unsafe.SizeOf<EntityHeader>()));
        header.Flags |= 1;
        // C# fixes the location of header.NamePtr before _spawn runs, and _spawn allocates in the guest.
        header.NamePtr = _spawn(prefab, header.Id); // expect: WVA001
    }

    public void SpawnChildSafely(int parentAddress, int prefab)
    {
        var parentId = _memory.ReadInt32(parentAddress);          // a copy
        var child = _spawn(prefab, parentId);                     // the guest call first, into a local
        ref var header = ref MemoryMarshal.AsRef<EntityHeader>(_memory.GetSpan(parentAddress, Unsafe.SizeOf<EntityHeader>()));
        header.NamePtr = child;
        header.Flags |= 1;
    }

    public int AddComponent(int entityAddress, int componentSize)
    {
        ref var header = ref MemoryMarshal.AsRef<EntityHeader>(_memory.GetSpan(entityAddress, Unsafe.SizeOf<EntityHeader>()));
        var slot = _alloc(componentSize);   // mod_alloc may grow memory
        header.ComponentCount++; // expect: WVA001
        return slot;
    }

    public int AddComponentSafely(int entityAddress, int componentSize)
    {
        var slot = _alloc(componentSize);
        ref var header = ref MemoryMarshal.AsRef<EntityHeader>(_memory.GetSpan(entityAddress, Unsafe.SizeOf<EntityHeader>()));
        header.ComponentCount++;            // obtained after the allocation
        return slot;
    }

    public void UpdateAll(int count, int frame)
    {
        var headers = MemoryMarshal.Cast<byte, EntityHeader>(_memory.GetSpan(_entityTable, count * Unsafe.SizeOf<EntityHeader>()));
        for (var i = 0; i < count; i++)
        {
            var header = headers[i]; // expect: WVA001
            if ((header.Flags & 1) == 0)
            {
                continue;
            }

            _update(header.Id);             // header is a copy of the struct
        }
    }

    public void UpdateAllSafely(int count, int frame)
    {
        var size = Unsafe.SizeOf<EntityHeader>();
        for (var i = 0; i < count; i++)
        {
            var header = _memory.Read<EntityHeader>(_entityTable + i * size);   // a copy per iteration
            if ((header.Flags & 1) != 0)
            {
                _update(header.Id);
            }
        }
    }

    // Counts flagged entities first, then runs them: the view is only read before any call.
    public int CountThenRun(int count, int frame)
    {
        var headers = MemoryMarshal.Cast<byte, EntityHeader>(_memory.GetSpan(_entityTable, count * Unsafe.SizeOf<EntityHeader>()));
        Span<int> ids = stackalloc int[count];
        var flagged = 0;
        foreach (ref readonly var header in headers)
        {
            if ((header.Flags & 1) != 0)
            {
                ids[flagged++] = header.Id;
            }
        }

        foreach (var id in ids[..flagged])  // a stackalloc, not guest memory
        {
            _update(id);
        }

        return headers.Length;              // Length only
    }

    public static void Bind(Linker linker)
    {
        linker.DefineFunction("env", "transform_get", (Caller caller, int objectId, int destination) =>
        {
            var data = (ModStoreData)caller.GetData()!;
            caller.GetMemory("memory")!.Write(destination, data.Transforms[objectId]);   // a copy in
        });

        linker.DefineFunction("env", "transform_set", (Caller caller, int objectId, int source) =>
        {
            var data = (ModStoreData)caller.GetData()!;
            data.Transforms[objectId] = caller.GetMemory("memory")!.Read<Transform3>(source);   // a copy out
        });

        linker.DefineFunction("env", "transform_watch", (Caller caller, int address) =>
        {
            var memory = caller.GetMemory("memory")!;
            var data = (ModStoreData)caller.GetData()!;
            data.WatchedTransformAddress = address;                        // an int: fine
            data.WatchedTransform = memory.GetPointer() + address; // expect: WVA002
        });

        linker.DefineFunction("env", "entity_rename", (Caller caller, int namePtr, int nameLength) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", namePtr, nameLength, out var name))
            {
                return;
            }

            var data = (ModStoreData)caller.GetData()!;
            data.LastRenamed = Encoding.UTF8.GetString(name);             // a copy, before the call below
            var notify = caller.GetFunction("on_renamed")!;
            notify.Invoke(nameLength);
            Console.WriteLine($"renamed ({name.Length} bytes)");          // Length only: fine
            if (name[0] == (byte)'_') // expect: WVA001
            {
                Console.WriteLine("hidden entity");
            }
        });
    }
}
