// Map tile server: a vector-tile rasterizer compiled to wasm renders 256x256 RGBA tiles that the host stitches into
// metatiles. Shape from tile renderers that keep per-tile outputs in dictionaries and queues before composing them.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using Wasmtime;

namespace Corpus.Fresh.TileRendererHost;

public sealed record TileResult(int X, int Y, ReadOnlyMemory<byte> Pixels);

internal sealed unsafe class TileMemory(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public sealed unsafe class TileRenderer(Instance instance)
{
    private const int TileBytes = 256 * 256 * 4;
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int, int, int> _render = instance.GetFunction<int, int, int, int>("render_tile")!;
    private readonly Action _flushLabels = instance.GetAction("flush_labels")!;

    // Runs the rasterizer, then returns a view of its output buffer (reused by the next render).
    private ReadOnlyMemory<byte> RenderTile(int x, int y, int zoom)
    {
        int address = _render(x, y, zoom);
        return new TileMemory((byte*)_memory.GetPointer() + address, TileBytes).Memory;
    }

    private static void Blit(byte[] target, int slot, ReadOnlySpan<byte> tile) => tile.CopyTo(target.AsSpan(slot * TileBytes));
    private static uint Sum(ReadOnlySpan<byte> tile) { uint s = 0; foreach (byte b in tile) s += b; return s; }

    public byte[] Metatile(int x0, int y0, int zoom)
    {
        var tiles = new Dictionary<(int X, int Y), ReadOnlyMemory<byte>>();
        for (int dx = 0; dx < 2; dx++)
        {
            for (int dy = 0; dy < 2; dy++)
            {
                tiles[(x0 + dx, y0 + dy)] = RenderTile(x0 + dx, y0 + dy, zoom); // expect: WVA002
            }
        }
        byte[] target = new byte[4 * TileBytes];
        foreach (var ((x, y), pixels) in tiles)
        {
            Blit(target, (x - x0) * 2 + (y - y0), pixels.Span); // expect: WVA001
        }
        Console.WriteLine($"{tiles.Count} tiles"); // Count reads the dictionary, not guest memory
        return target;
    }

    public byte[] MetatileCopied(int x0, int y0, int zoom)
    {
        var tiles = new Dictionary<(int X, int Y), byte[]>();
        for (int dx = 0; dx < 2; dx++)
        {
            for (int dy = 0; dy < 2; dy++)
            {
                tiles[(x0 + dx, y0 + dy)] = RenderTile(x0 + dx, y0 + dy, zoom).ToArray();
            }
        }
        byte[] target = new byte[4 * TileBytes];
        foreach (var ((x, y), pixels) in tiles)
        {
            Blit(target, (x - x0) * 2 + (y - y0), pixels);
        }
        return target;
    }

    public uint[] Checksums(int x, int y, int zoom)
    {
        var byZoom = new Dictionary<int, ReadOnlyMemory<byte>>();
        byZoom.Add(zoom, RenderTile(x, y, zoom)); // expect: WVA002
        byZoom.Add(zoom + 1, RenderTile(x * 2, y * 2, zoom + 1)); // expect: WVA002
        _flushLabels();
        return byZoom.Values.Select(tile => Sum(tile.Span)).ToArray(); // expect: WVA001
    }

    public int PeekBackground(int x, int y, int zoom)
    {
        var recent = new Dictionary<int, ReadOnlyMemory<byte>>();
        recent[zoom] = RenderTile(x, y, zoom); // expect: WVA002
        int keys = recent.Keys.Sum(); // keys are ints
        _flushLabels();
        if (recent.TryGetValue(zoom, out ReadOnlyMemory<byte> tile))
        {
            return tile.Span[0] + keys; // expect: WVA001
        }
        return keys;
    }

    public int DrainUploads(int x, int y, int zoom)
    {
        var uploads = new Queue<(nint Start, int Length)>();
        int address = _render(x, y, zoom);
        uploads.Enqueue(((nint)((byte*)_memory.GetPointer() + address), TileBytes)); // expect: WVA002
        _flushLabels();
        int total = 0;
        while (uploads.TryDequeue(out var upload))
        {
            total += *(byte*)upload.Start; // expect: WVA001
        }
        return total + uploads.Count;
    }

    public int FirstOfBatch(int x, int y, int zoom)
    {
        var batch = new List<ReadOnlyMemory<byte>> { RenderTile(x, y, zoom) }; // expect: WVA002
        int count = batch.Count;
        _flushLabels();
        return batch.First().Span[0] + count; // expect: WVA001
    }

    public int TupleAndRecord(int x, int y, int zoom)
    {
        (ReadOnlyMemory<byte> Pixels, int Zoom) pending = (RenderTile(x, y, zoom), zoom);
        var labelled = new { Pixels = RenderTile(x + 1, y, zoom), Zoom = zoom }; // this render makes 'pending' stale
        int first = labelled.Pixels.Span[0]; // fresh
        TileResult result = new(x, y, RenderTile(x, y + 1, zoom));
        _flushLabels();
        int stale = pending.Pixels.Span[0]; // expect: WVA001
        int last = result.Pixels.Span[0]; // expect: WVA001
        return first + stale + last + result.X + pending.Zoom; // X and Zoom are plain ints
    }

    public int PatternDesignation(int x, int y, int zoom)
    {
        TileResult result = new(x, y, RenderTile(x, y, zoom));
        _flushLabels();
        if (result is { Pixels: var pixels, X: > 0 })
        {
            return pixels.Span[3]; // expect: WVA001
        }
        return result.Pixels.Length; // Length only
    }

    public int PatternDesignationAfterRender(int x, int y, int zoom)
    {
        _flushLabels();
        TileResult result = new(x, y, RenderTile(x, y, zoom)); // rendered after the flush
        return result is { Pixels: var pixels } ? pixels.Span[3] : 0;
    }

    public int Stitched(int x, int y, int zoom)
    {
        ReadOnlyMemory<byte>[] row = new ReadOnlyMemory<byte>[2]; // an array in a local
        byte[] target = new byte[2 * TileBytes];
        for (int i = 0; i < 2; i++)
        {
            row[i] = RenderTile(x + i, y, zoom);
            Blit(target, i, row[i].Span); // blitted before the next render
        }
        return target[0];
    }

    public int OptionalTile(int x, int y, int zoom, bool withLabels)
    {
        nint? start = null;
        if (withLabels)
        {
            int address = _render(x, y, zoom);
            start = (nint)((byte*)_memory.GetPointer() + address);
        }
        _flushLabels();
        return *(byte*)start.GetValueOrDefault(); // expect: WVA001
    }
}
