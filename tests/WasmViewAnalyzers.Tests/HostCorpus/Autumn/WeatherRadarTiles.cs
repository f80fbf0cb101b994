// Weather radar tile renderer: a wasm module decodes reflectivity sweeps and paints 256x256 map tiles with a palette;
// the host serves tiles. Shape: export wrappers kept in dictionaries of delegates and deferred work lists (tile servers).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Autumn.WeatherRadarTiles;

public readonly record struct TileKey(int Z, int X, int Y);
public readonly record struct TilePixels(TileKey Key, nint Rgba);
public delegate byte[] PngEncoder(ReadOnlySpan<byte> rgba);

public sealed partial class RadarRenderer
{
    private const int TileBytes = 256 * 256 * 4;
    private readonly Memory _memory;
    private readonly Dictionary<string, Func<int, int, int, int>> _painters = new();
    private readonly List<Action> _afterFrame = new();
    private readonly Func<int, int> _loadSweep;
    public event Action<TileKey>? TilePainted;

    public RadarRenderer(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _loadSweep = instance.GetFunction<int, int>("load_sweep")!;
        _painters["reflectivity"] = instance.GetFunction<int, int, int, int>("paint_dbz")!;
        _painters["velocity"] = instance.GetFunction<int, int, int, int>("paint_velocity")!;
        TilePainted += key => _painters["reflectivity"](key.Z, key.X, key.Y); // a handler that calls the guest (prefetch)
    }

    private int Paint(string product, TileKey key) => _painters[product](key.Z, key.X, key.Y);
}

public sealed partial class RadarRenderer
{
    public byte[] RenderPng(string product, TileKey key, PngEncoder encodePng)
    {
        var address = Paint(product, key);
        var rgba = _memory.GetSpan(address, TileBytes);
        var png = encodePng(rgba);               // a callback given a span and run at once
        TilePainted?.Invoke(key);                // raises the event: the handler paints again in the guest
        return png;
    }

    public byte[] RenderAndAnnotate(string product, TileKey key)
    {
        var address = Paint(product, key);
        var rgba = _memory.GetSpan(address, TileBytes);
        TilePainted?.Invoke(key);
        var corner = rgba[..4].ToArray(); // expect: WVA001
        return corner;
    }

    public unsafe void QueueOverlay(string product, TileKey key, Stream sink)
    {
        var address = Paint(product, key);
        var rgba = (nint)((byte*)_memory.GetPointer() + address);
        _afterFrame.Add(() => sink.Write(new ReadOnlySpan<byte>((void*)rgba, TileBytes))); // expect: WVA002
    }

    public void QueueOverlayCopy(string product, TileKey key, Stream sink)
    {
        var address = Paint(product, key);
        var rgba = _memory.GetSpan(address, TileBytes).ToArray();
        _afterFrame.Add(() => sink.Write(rgba));        // captures a copy
    }

    public void QueueOverlayByOffset(string product, TileKey key, Stream sink)
    {
        var address = Paint(product, key);
        _afterFrame.Add(() => sink.Write(_memory.GetSpan(address, TileBytes))); // obtains the view when it runs
    }

    public void FlushFrame()
    {
        foreach (var run in _afterFrame) run();
        _afterFrame.Clear();
    }

    public unsafe List<byte> DominantColors(IEnumerable<TileKey> keys)
    {
        var tiles = keys.Select(k =>
        {
            var offset = Paint("reflectivity", k);
            return new TilePixels(k, (nint)((byte*)_memory.GetPointer() + offset));
        }).ToList();                              // each later paint leaves the earlier tiles' pointers stale
        var colors = new List<byte>();
        foreach (var tile in tiles)
        {
            colors.Add(((byte*)tile.Rgba)[0]); // expect: WVA001
        }
        return colors;
    }

    public unsafe List<byte> DominantColorsLazy(IEnumerable<TileKey> keys)
    {
        var colors = new List<byte>();
        foreach (var k in keys)
        {
            var offset = Paint("reflectivity", k);
            colors.Add(((byte*)_memory.GetPointer() + offset)[0]); // obtained after the paint, read at once
        }
        return colors;
    }

    public async Task<int[]> HistogramsAsync(TileKey[] keys)
    {
        var histograms = new int[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            var address = Paint("reflectivity", keys[i]);
            histograms[i] = Histogram(_memory.GetSpan(address, TileBytes)); // read before the await
            await Task.Yield();
        }
        return histograms;
    }

    public async Task<int> HistogramAfterSweepAsync(TileKey key, int sweep)
    {
        var address = Paint("velocity", key);
        var tile = new TileMemory(_memory, address, TileBytes).Memory;
        await Task.Run(() => _loadSweep(sweep));
        return Histogram(tile.Span); // expect: WVA001
    }

    public async Task<int> HistogramOfLengthAsync(TileKey key)
    {
        var address = Paint("velocity", key);
        var tile = new TileMemory(_memory, address, TileBytes).Memory;
        await Task.Yield();
        return tile.Length / 4;                  // Length of a Memory<byte>: reads nothing
    }

    public async Task ArchiveTileAsync(TileKey key, Stream destination)
    {
        var address = Paint("reflectivity", key);
        var tile = new TileMemory(_memory, address, TileBytes).Memory;
        await using var brotli = new System.IO.Compression.BrotliStream(destination, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);
        _ = brotli.WriteAsync(tile); // expect: WVA003
        Paint("velocity", key);      // the guest repaints while the write may still be reading
    }

    public async Task ArchiveTileAwaitedAsync(TileKey key, Stream destination)
    {
        var address = Paint("reflectivity", key);
        var tile = _memory.GetSpan(address, TileBytes).ToArray();
        await using var brotli = new System.IO.Compression.BrotliStream(destination, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);
        await brotli.WriteAsync(tile);   // a copy
        Paint("velocity", key);
    }

    private static int Histogram(ReadOnlySpan<byte> rgba)
    {
        var nonEmpty = 0;
        for (var i = 3; i < rgba.Length; i += 4) if (rgba[i] != 0) nonEmpty++;
        return nonEmpty;
    }
}

internal sealed unsafe class TileMemory : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    public TileMemory(Memory memory, int address, int length) { _start = (byte*)memory.GetPointer() + address; _length = length; }
    public override Span<byte> GetSpan() => new(_start, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
