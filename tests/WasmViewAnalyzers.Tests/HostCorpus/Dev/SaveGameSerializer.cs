// Save-game serializer for a modded game: the game rules run in wasm (inventory, scores); the host snapshots them to disk.
// Shape from game hosts that wrap guest state in C# types with indexers, operators and properties backed by exports.
using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Dev.SaveGameSerializer;

public sealed class GuestRules
{
    public GuestRules(Instance instance)
    {
        Memory = instance.GetMemory("memory")!;
        Alloc = instance.GetFunction<int, int>("alloc")!;
        InventoryGet = instance.GetFunction<int, int>("inventory_get")!;
        ScoreAdd = instance.GetFunction<long, long, long>("score_add")!;
        PlayerCount = instance.GetFunction<int>("player_count")!;
    }

    public Memory Memory { get; }

    public Func<int, int> Alloc { get; }

    public Func<int, int> InventoryGet { get; }

    public Func<long, long, long> ScoreAdd { get; }

    public Func<int> PlayerCount { get; }
}

// A string copied into guest memory: the conversion allocates through the guest.
public readonly struct GuestString
{
    private static GuestRules? s_rules;

    public GuestString(int address, int length)
    {
        Address = address;
        Length = length;
    }

    public int Address { get; }

    public int Length { get; }

    public static void Use(GuestRules rules) => s_rules = rules;

    public static explicit operator GuestString(string text)
    {
        var rules = s_rules!;
        var bytes = Encoding.UTF8.GetBytes(text);
        var address = rules.Alloc(bytes.Length);
        bytes.CopyTo(rules.Memory.GetSpan(address, bytes.Length));
        return new GuestString(address, bytes.Length);
    }
}

// Scores are big numbers kept by the rules module; adding them runs guest code.
public readonly struct Score(long raw, GuestRules rules)
{
    public long Raw => raw;

    public GuestRules Rules => rules;

    public static Score operator +(Score left, Score right) => new(left.Rules.ScoreAdd(left.Raw, right.Raw), left.Rules);
}

public sealed class Inventory(GuestRules rules)
{
    // The indexer asks the guest.
    public int this[int slot] => rules.InventoryGet(slot);

    public int Capacity { get; } = 32;

    // A property whose getter runs guest code.
    public int Players => rules.PlayerCount();
}

// A managed mirror: its members run no guest code.
public sealed class InventoryMirror(int[] items)
{
    public int this[int slot] => items[slot];

    public int Players { get; init; }
}

public sealed unsafe class SaveWriter(GuestRules rules)
{
    private readonly Memory _memory = rules.Memory;

    public void WriteHeader(BinaryWriter writer, int stateAddress, Inventory inventory)
    {
        var state = _memory.GetSpan(stateAddress, 64);
        writer.Write(state[..16]);                        // BinaryWriter copies at once
        var firstItem = inventory[0];                     // the indexer calls the guest
        writer.Write(firstItem);
        writer.Write(state[16..32]); // expect: WVA001
    }

    public void WriteHeaderFromMirror(BinaryWriter writer, int stateAddress, InventoryMirror mirror)
    {
        var state = _memory.GetSpan(stateAddress, 64);
        writer.Write(state[..16]);
        writer.Write(mirror[0]);                          // a managed indexer
        writer.Write(state[16..32]);
        writer.Write(mirror.Players);
    }

    public int Checksum(int stateAddress, Inventory inventory)
    {
        var state = _memory.GetSpan(stateAddress, 64);
        var sum = 0;
        sum += state[0];
        var players = inventory.Players;                  // the getter calls the guest
        sum += state[1] * players; // expect: WVA001
        return sum;
    }

    public Score Total(int scoresAddress, Score bonus)
    {
        var scores = MemoryMarshal.Cast<byte, long>(_memory.GetSpan(scoresAddress, 16));
        var total = new Score(scores[0], rules) + bonus;  // the operator runs guest code
        return total + new Score(scores[1], rules); // expect: WVA001
    }

    public Score TotalRead(int scoresAddress, Score bonus)
    {
        var scores = MemoryMarshal.Cast<byte, long>(_memory.GetSpan(scoresAddress, 16));
        var (first, second) = (scores[0], scores[1]);     // values read out, element by element
        return new Score(first, rules) + bonus + new Score(second, rules);
    }

    public int SaveName(int profileAddress, string name)
    {
        var profile = _memory.GetSpan(profileAddress, 32);
        var guestName = (GuestString)name;                // the conversion allocates in the guest
        BinaryPrimitives.WriteInt32LittleEndian(profile, guestName.Address); // expect: WVA001
        return guestName.Length;
    }

    public int SaveNameSafely(int profileAddress, string name)
    {
        var guestName = (GuestString)name;
        var profile = _memory.GetSpan(profileAddress, 32);
        BinaryPrimitives.WriteInt32LittleEndian(profile, guestName.Address);
        BinaryPrimitives.WriteInt32LittleEndian(profile[4..], guestName.Length);
        return guestName.Length;
    }

    public byte SnapshotFirst(int stateAddress, Inventory inventory)
    {
        var (address, length) = ((nint)_memory.GetPointer() + stateAddress, 64);
        var capacity = inventory.Capacity;                // an auto-property: no guest code
        var slot = inventory[capacity - 1];
        return *((byte*)address + slot % length); // expect: WVA001
    }

    public void WriteSlots(BinaryWriter writer, int tableAddress, int count, Inventory inventory)
    {
        var table = (int*)((byte*)_memory.GetPointer() + tableAddress);
        nint[] rows = [(nint)table, (nint)(table + count)];
        var before = checked(count * sizeof(int));        // arithmetic on ints
        writer.Write(before);
        writer.Write(inventory[0]);
        writer.Write(*(int*)rows[1] - *(int*)rows[0]); // expect: WVA001
    }

    public void WriteSlotsByOffset(BinaryWriter writer, int tableAddress, int count, Inventory inventory)
    {
        int[] rows = [tableAddress, tableAddress + count * sizeof(int)];   // guest offsets, not pointers
        writer.Write(inventory[0]);
        foreach (var row in rows)
        {
            writer.Write(_memory.ReadInt32(row));
        }
    }

    public long StreamState(Stream destination, int stateAddress, int length, Inventory inventory)
    {
        UnmanagedMemoryStream? state = null;
        state ??= new UnmanagedMemoryStream((byte*)_memory.GetPointer() + stateAddress, length);
        var players = inventory.Players;
        state.CopyTo(destination); // expect: WVA001
        return players + state.Length;                    // Length reads no guest memory
    }

    public int CompareSlots(int leftAddress, int rightAddress, Inventory inventory)
    {
        var left = (byte*)_memory.GetPointer() + leftAddress;
        var right = (byte*)_memory.GetPointer() + rightAddress;
        _ = inventory.Players;
        if (left == right)                                // comparing pointers reads nothing
        {
            return 0;
        }

        return left < right ? -1 : 1;
    }

    public int CountFlags(int flagsAddress, Inventory inventory)
    {
        var flags = _memory.GetSpan(flagsAddress, 8);
        var total = 0;
        for (var i = 0; i < flags.Length; i++)
        {
            total += flags[i]; // expect: WVA001
            total += inventory[i] > 0 ? 1 : 0;
        }

        return total;
    }
}
