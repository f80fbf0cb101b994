// A game's save-state snapshotter: entity state structs live in the guest's ECS arrays and are read by ref (the
// component access of UnityWasmScripting-like hosts); snapshots are bundled as tar.gz with System.Formats.Tar.
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Unseen.SaveStateSnapshotter;

[StructLayout(LayoutKind.Sequential)]
public struct EntityState
{
    public float X;
    public float Y;
    public float Z;
    public int Health;
    public int Flags;
}

public unsafe class SnapshotService
{
    private readonly Memory _memory;
    private readonly Func<int, int> _entityAddress;
    private readonly Action<float> _tick;
    private readonly Func<int> _serializeWorld;
    private readonly Func<int> _serializeMeta;
    private readonly nint[] _ring = new nint[8];
    private readonly int _playerAddress;
    private List<nint> _history = new List<nint>();
    private int _ringHead;
    private EntityState* _player;

    public SnapshotService(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _entityAddress = instance.GetFunction<int, int>("entity_address")!;
        _tick = instance.GetAction<float>("tick")!;
        _serializeWorld = instance.GetFunction<int>("serialize_world")!;
        _serializeMeta = instance.GetFunction<int>("serialize_meta")!;
        _playerAddress = _entityAddress(0);
    }

    // Pure: an address in, a ref out.
    private ref EntityState At(int address)
    {
        return ref MemoryMarshal.AsRef<EntityState>(_memory.GetSpan(address, sizeof(EntityState)));
    }

    // Asks the guest where the entity lives: every call is a guest call that also returns a view.
    private ref EntityState Entity(int id)
    {
        return ref At(_entityAddress(id));
    }

    public float Step(float dt)
    {
        ref EntityState player = ref At(_playerAddress);
        float oldX = player.X;
        _tick(dt);
        float dx = player.X - oldX; // expect: WVA001
        return dx;
    }

    public float StepFresh(float dt)
    {
        ref EntityState player = ref At(_playerAddress);
        float oldX = player.X;
        _tick(dt);
        player = ref At(_playerAddress);
        return player.X - oldX;
    }

    public bool Collide(int a, int b)
    {
        ref EntityState first = ref Entity(a);
        // Looking up the second entity runs entity_address in the guest.
        ref EntityState second = ref Entity(b);
        float distance = Math.Abs(first.X - second.X); // expect: WVA001
        return distance < 1f;
    }

    public bool CollideByAddress(int a, int b)
    {
        int firstAddress = _entityAddress(a);
        int secondAddress = _entityAddress(b);
        ref EntityState first = ref At(firstAddress);
        ref EntityState second = ref At(secondAddress);
        return Math.Abs(first.X - second.X) < 1f;
    }

    public void Damage(int id, int amount)
    {
        ref EntityState target = ref Entity(id);
        target.Health -= amount;
        if (target.Health <= 0)
        {
            target.Flags |= 1;
        }
    }

    public void CapturePlayer()
    {
        _player = (EntityState*)((byte*)_memory.GetPointer() + _playerAddress); // expect: WVA002
    }

    public int PlayerHealthLater()
    {
        // The field was filled by another method: that store is the finding, not this read.
        return _player != null ? _player->Health : 0;
    }

    public void RememberSnapshot()
    {
        int blob = _serializeWorld();
        _ring[_ringHead++ % _ring.Length] = _memory.GetPointer() + blob; // expect: WVA002
    }

    public void StartHistory()
    {
        int blob = _serializeWorld();
        _history = new List<nint> { _memory.GetPointer() + blob }; // expect: WVA002
    }

    public int HistoryLength()
    {
        return _history.Count;
    }

    public void DumpSlots(string path, int slots)
    {
        Queue<(nint Start, int Length)> pending = new Queue<(nint Start, int Length)>();
        for (int i = 0; i < slots; i++)
        {
            int blob = _serializeWorld();
            int length = _memory.ReadInt32(blob - 4);
            pending.Enqueue((_memory.GetPointer() + blob, length)); // expect: WVA002
        }

        using (FileStream file = File.Create(path))
        {
            (nint Start, int Length) slot;
            while (pending.TryDequeue(out slot))
            {
                file.Write(new ReadOnlySpan<byte>((void*)slot.Start, slot.Length)); // expect: WVA001
            }
        }
    }

    public void DumpSlotsCopied(string path, int slots)
    {
        Queue<byte[]> pending = new Queue<byte[]>();
        for (int i = 0; i < slots; i++)
        {
            int blob = _serializeWorld();
            int length = _memory.ReadInt32(blob - 4);
            pending.Enqueue(_memory.GetSpan(blob, length).ToArray());
        }

        using (FileStream file = File.Create(path))
        {
            while (pending.Count > 0)
            {
                file.Write(pending.Dequeue());
            }
        }
    }

    public int TotalHealth(int[] ids)
    {
        nint[] states = new nint[ids.Length];
        int total = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            states[i] = (nint)Unsafe.AsPointer(ref Entity(ids[i]));
            // Read back at once by the index it was stored at: nothing ran in the guest in between.
            total += ((EntityState*)states[i])->Health;
        }

        int alive = 0;
        for (int i = 0; i < states.Length; i++)
        {
            // Every later Entity() call ran in the guest after these pointers were taken.
            if (((EntityState*)states[i])->Health > 0) // expect: WVA001
            {
                alive++;
            }
        }

        return total * 1000 + alive;
    }

    public void SaveBundle(string path)
    {
        using (FileStream file = File.Create(path))
        using (GZipStream gz = new GZipStream(file, CompressionLevel.Optimal))
        using (TarWriter tar = new TarWriter(gz))
        {
            int world = _serializeWorld();
            int worldLength = _memory.ReadInt32(world - 4);
            PaxTarEntry worldEntry = new PaxTarEntry(TarEntryType.RegularFile, "world.bin");
            worldEntry.DataStream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + world, worldLength); // expect: WVA003
            tar.WriteEntry(worldEntry);

            int meta = _serializeMeta();
            int metaLength = _memory.ReadInt32(meta - 4);
            PaxTarEntry metaEntry = new PaxTarEntry(TarEntryType.RegularFile, "meta.json");
            metaEntry.DataStream = new MemoryStream(_memory.GetSpan(meta, metaLength).ToArray());
            tar.WriteEntry(metaEntry);
        }
    }

    public void QuickSave(string path)
    {
        int blob = _serializeWorld();
        int length = _memory.ReadInt32(blob - 4);
        Span<byte> data = _memory.GetSpan(blob, length);
        using (FileStream file = File.Create(path))
        using (GZipStream gz = new GZipStream(file, CompressionLevel.Fastest))
        {
            gz.Write(data); // expect: WVA004
        }
    }

    public void QuickSaveRaw(string path)
    {
        int blob = _serializeWorld();
        int length = _memory.ReadInt32(blob - 4);
        Span<byte> data = _memory.GetSpan(blob, length);
        using (FileStream file = File.Create(path))
        {
            // A plain file: a memcpy while nothing else runs.
            file.Write(data);
        }
    }

    public void SaveTwoSlots(string path)
    {
        int first = _serializeWorld();
        int firstLength = _memory.ReadInt32(first - 4);
        ReadOnlySpan<byte> firstBlob = _memory.GetSpan(first, firstLength);
        int second = _serializeMeta();
        int secondLength = _memory.ReadInt32(second - 4);
        using (FileStream file = File.Create(path))
        using (BrotliStream brotli = new BrotliStream(file, CompressionLevel.Fastest))
        {
            brotli.Write(firstBlob); // expect: WVA001, WVA004
            brotli.Write(_memory.GetSpan(second, secondLength).ToArray());
        }
    }
}
