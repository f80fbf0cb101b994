// A roguelike level generator in wasm: rooms are structs in guest memory, the guest calls back into the host to place
// tiles, finished levels are exported into a tar archive (shape: wasmtime-dotnet Caller callbacks, UnityWasmScripting).
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Summer.RoguelikeLevelGenerator;

[StructLayout(LayoutKind.Sequential)]
public struct Room
{
    public int X, Y, Width, Height;
}

public readonly struct LevelHandle
{
    private readonly LevelGenerator _owner;
    public LevelHandle(LevelGenerator owner, int id) { _owner = owner; Id = id; }
    public int Id { get; }

    // Deconstruction asks the guest for the dimensions of the level.
    public void Deconstruct(out int width, out int height)
    {
        var packed = _owner.Dimensions(Id);
        width = packed & 0xFFFF;
        height = packed >> 16;
    }
}

public sealed unsafe class LevelGenerator
{
    private readonly Memory _memory;
    private readonly Func<int, int> _carve;
    private readonly Func<int, int> _dimensions;
    private readonly Func<int, int> _tileAddress;
    private readonly List<int> _placedTiles = new();

    public LevelGenerator(Engine engine, Module module, Store store)
    {
        var linker = new Linker(engine);
        linker.DefineFunction("host", "place_tiles", (Caller caller, int address, int count) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", address, count, out var tiles))
            {
                return;
            }
            var walls = 0;
            foreach (var t in tiles)
            {
                if (t == (byte)'#') walls++;
            }
            _placedTiles.Add(walls);                        // a count, not the span
            caller.GetFunction("on_tiles_placed")?.Invoke(walls);
            if (tiles.Length > 0 && tiles[0] == (byte)'@')  // expect: WVA001
            {
                _placedTiles.Add(-1);
            }
        });
        linker.DefineFunction("host", "log_tiles", (Caller caller, int address, int count) =>
        {
            caller.GetFunction("on_log")?.Invoke(count);
            if (caller.TryGetMemorySpan<byte>("memory", address, count, out var tiles))   // obtained after the call
            {
                Console.WriteLine(System.Text.Encoding.ASCII.GetString(tiles));
            }
        });
        var instance = linker.Instantiate(store, module);
        _memory = instance.GetMemory("memory")!;
        _carve = instance.GetFunction<int, int>("carve")!;
        _dimensions = instance.GetFunction<int, int>("dimensions")!;
        _tileAddress = instance.GetFunction<int, int>("tile_address")!;
    }

    internal int Dimensions(int level) => _dimensions(level);

    private Span<Room> Rooms(int address, int count) => MemoryMarshal.Cast<byte, Room>(_memory.GetSpan(address, count * 16));

    public int WidestRoomAfterCarve(int roomsAddress, int count, int seed)
    {
        ref Room first = ref Rooms(roomsAddress, count)[0];
        var before = first.Width;
        _carve(seed);                                       // carving may shrink rooms and grow memory
        return Math.Max(before, first.Width);               // expect: WVA001
    }

    public int WidestRoomCopied(int roomsAddress, int count, int seed)
    {
        Room first = Rooms(roomsAddress, count)[0];         // a copy of the struct
        _carve(seed);
        return Math.Max(first.Width, Rooms(roomsAddress, count)[0].Width);
    }

    public int AreaOf(LevelHandle level, int roomsAddress, int count)
    {
        var rooms = Rooms(roomsAddress, count);
        var (width, height) = level;                        // Deconstruct calls the guest
        var covered = 0;
        foreach (var room in rooms)                         // expect: WVA001
        {
            covered += room.Width * room.Height;
        }
        return width * height - covered;
    }

    public int AreaOfTuple(LevelHandle level, int roomsAddress, int count)
    {
        var rooms = Rooms(roomsAddress, count);
        var (width, height) = (level.Id, count);            // a tuple deconstruction: no user code runs
        var covered = 0;
        foreach (var room in rooms)
        {
            covered += room.Width * room.Height;
        }
        return width * height - covered;
    }

    public void ExportLevels(Stream output, IReadOnlyList<(string Name, int Address, int Length)> levels)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var level in levels)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, level.Name)
            {
                DataStream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + level.Address, level.Length),   // expect: WVA003
            };
            tar.WriteEntry(entry);
        }
    }

    public void ExportLevelsCopied(Stream output, IReadOnlyList<(string Name, int Address, int Length)> levels)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var level in levels)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, level.Name)
            {
                DataStream = new MemoryStream(_memory.GetSpan(level.Address, level.Length).ToArray()),
            };
            tar.WriteEntry(entry);
        }
    }

    public void ExportTileLayers(Stream output, int seed, int layers)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        for (var layer = 0; layer < layers; layer++)
        {
            var address = _tileAddress(layer);
            var tiles = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, 4096);
            _carve(seed + layer);                            // regenerates the next layer into the same buffer
            var entry = new UstarTarEntry(TarEntryType.RegularFile, $"layer{layer}.bin");
            entry.DataStream = tiles;                       // expect: WVA001, WVA003
            tar.WriteEntry(entry);
        }
    }

    public void ExportTileLayersAfterCarve(Stream output, int seed, int layers)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        for (var layer = 0; layer < layers; layer++)
        {
            _carve(seed + layer);
            var address = _tileAddress(layer);
            var tiles = _memory.GetSpan(address, 4096).ToArray();   // copied after the last guest call
            var entry = new UstarTarEntry(TarEntryType.RegularFile, $"layer{layer}.bin") { DataStream = new MemoryStream(tiles) };
            tar.WriteEntry(entry);
        }
    }
}
