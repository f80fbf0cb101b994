// 3D-printer G-code toolpath previewer: a wasm slicer-simulator fills per-layer move tables; the host draws them.
// Shape: implicit C# calls (constructors, setters, initializers' Add, interpolated string handlers) reaching the guest.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Autumn.GCodeToolpathPreview;

[StructLayout(LayoutKind.Sequential)]
public struct Move
{
    public float X, Y, Z, E;
    public int Feed;
}

public sealed class SimulatorExports
{
    public Memory Memory = null!;
    public Func<int, int> SeekLayer = null!;     // layer -> move table address
    public Func<int> MoveCount = null!;
    public Action<int, int> Print = null!;       // (text, length): the guest's console
    public Func<int, int> Simulate = null!;      // layer -> time in ms
    public Action<int> AddSegment = null!;
}

public sealed class PreviewState
{
    public nint LastLayerTable;
    public int LastLayerOffset;
}

// Writes go through the guest's console: every Append calls the guest.
[InterpolatedStringHandler]
public ref struct GuestLogHandler
{
    private readonly GuestConsole _console;
    public GuestLogHandler(int literalLength, int formattedCount, GuestConsole console) => _console = console;
    public void AppendLiteral(string text) => _console.Write(text);
    public void AppendFormatted<T>(T value) => _console.Write(value?.ToString() ?? "");
}

public sealed class GuestConsole
{
    private readonly SimulatorExports _x;
    public GuestConsole(SimulatorExports x) => _x = x;
    public void Write(string text)
    {
        var length = _x.Memory.WriteString(0x200, text, Encoding.UTF8);
        _x.Print(0x200, length);
    }
    public void Log([InterpolatedStringHandlerArgument("")] GuestLogHandler handler) { }
}

// Seeking in the constructor: `new LayerCursor(...)` runs the guest.
public sealed class LayerCursor
{
    public int Table { get; }
    public int Count { get; }
    public LayerCursor(SimulatorExports x, int layer)
    {
        Table = x.SeekLayer(layer);
        Count = x.MoveCount();
    }
}

// A collection whose Add uploads the segment to the guest.
public sealed class SegmentBatch : IEnumerable<int>
{
    private readonly SimulatorExports _x;
    private readonly List<int> _ids = new();
    public SegmentBatch(SimulatorExports x) => _x = x;
    public void Add(int segment) { _x.AddSegment(segment); _ids.Add(segment); }
    public IEnumerator<int> GetEnumerator() => _ids.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class ToolpathPreview
{
    private readonly SimulatorExports _x;
    private readonly GuestConsole _console;
    private int _layer;

    // The setter seeks in the guest.
    public int CurrentLayer
    {
        get => _layer;
        set { _layer = value; _x.SeekLayer(value); }
    }

    public ToolpathPreview(Engine engine, Store store, Module module, PreviewState state)
    {
        _x = new SimulatorExports();
        var linker = new Linker(engine);
        linker.DefineFunction("env", "on_layer", (Caller caller, int table) =>
        {
            var memory = caller.GetMemory("memory")!;
            state.LastLayerTable = memory.GetPointer() + table; // expect: WVA002
            state.LastLayerOffset = table;                        // the offset: a number
        });
        var instance = linker.Instantiate(store, module);
        _x.Memory = instance.GetMemory("memory")!;
        _x.SeekLayer = instance.GetFunction<int, int>("seek_layer")!;
        _x.MoveCount = instance.GetFunction<int>("move_count")!;
        _x.Print = instance.GetAction<int, int>("print")!;
        _x.Simulate = instance.GetFunction<int, int>("simulate")!;
        _x.AddSegment = instance.GetAction<int>("add_segment")!;
        _console = new GuestConsole(_x);
    }

    private Span<Move> Moves(int table, int count) => MemoryMarshal.Cast<byte, Move>(_x.Memory.GetSpan(table, count * 20));

    public float LayerHeight(int layer)
    {
        var cursor = new LayerCursor(_x, layer);
        var moves = Moves(cursor.Table, cursor.Count);
        var z = moves.Length > 0 ? moves[0].Z : 0f;
        var next = new LayerCursor(_x, layer + 1);     // the constructor seeks in the guest
        var nextMoves = Moves(next.Table, next.Count);
        return (nextMoves.Length > 0 ? nextMoves[0].Z : z) - z; // z is a float read while fresh
    }

    public float LayerHeightStale(int layer)
    {
        var cursor = new LayerCursor(_x, layer);
        var moves = Moves(cursor.Table, cursor.Count);
        var next = new LayerCursor(_x, layer + 1);
        var nextMoves = Moves(next.Table, next.Count);
        return nextMoves[0].Z - moves[0].Z; // expect: WVA001
    }

    public float ExtrusionAfterSwitch(int layer)
    {
        var cursor = new LayerCursor(_x, layer);
        var moves = Moves(cursor.Table, cursor.Count);
        CurrentLayer = layer + 1;                      // a property setter that calls the guest
        var e = 0f;
        foreach (var m in moves) e += m.E; // expect: WVA001
        return e;
    }

    public void Describe(int layer)
    {
        var cursor = new LayerCursor(_x, layer);
        var moves = Moves(cursor.Table, cursor.Count);
        var firstFeed = moves[0].Feed;                               // read before logging
        _console.Log($"layer {layer}: {moves.Length} moves, feed {firstFeed}"); // Length and an int
        // The handler's AppendLiteral calls the guest before moves[^1] is evaluated (and the Log above already did).
        _console.Log($"layer {layer} ends at X={moves[^1].X}"); // expect: WVA001
    }

    public int Batch(int layer, int a, int b)
    {
        var cursor = new LayerCursor(_x, layer);
        var moves = Moves(cursor.Table, cursor.Count);
        var batch = new SegmentBatch(_x) { a, b };     // each Add uploads through the guest
        var count = 0;
        foreach (var id in batch) count += id;
        return count + moves[0].Feed; // expect: WVA001
    }

    public int SimulateChecked(int layer)
    {
        var cursor = new LayerCursor(_x, layer);
        var moves = Moves(cursor.Table, cursor.Count);
        try
        {
            return _x.Simulate(layer);
        }
        catch (WasmtimeException) when (moves[0].Feed == 0) // expect: WVA001
        {
            return -1;
        }
    }

    public int SimulateCheckedCopy(int layer)
    {
        var cursor = new LayerCursor(_x, layer);
        var firstFeed = Moves(cursor.Table, cursor.Count)[0].Feed; // a value
        try
        {
            return _x.Simulate(layer);
        }
        catch (WasmtimeException) when (firstFeed == 0)
        {
            return -1;
        }
    }

    public unsafe float LastLayerZ(PreviewState state)
    {
        var table = (byte*)_x.Memory.GetPointer() + state.LastLayerOffset; // from the offset, now
        return ((Move*)table)->Z;
    }
}
