// Map tile render service: RPC handlers (plain classes) ask a wasm vector-tile rasterizer for PNG tiles and cache them.
// Shape inspired by DotNetIsolator's async invocation wrappers and PixiEditor's WasmRuntime memory managers over guest pointers.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Late.MapTileRenderService;

public readonly record struct TileCoord(int Z, int X, int Y)
{
    // Adding an offset renders the neighbouring tile's metadata in the guest first.
    public static TileCoord operator +(TileCoord a, (int Dx, int Dy) d)
    {
        Renderer.Current?.Warm(a.Z, a.X + d.Dx, a.Y + d.Dy);
        return new TileCoord(a.Z, a.X + d.Dx, a.Y + d.Dy);
    }
}

public sealed unsafe class PointerMemoryManager : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public PointerMemoryManager(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed class TileCache
{
    private readonly List<ReadOnlyMemory<byte>> _tiles = new();

    public void Keep(ReadOnlyMemory<byte> tile) => _tiles.Add(tile);

    public static int Measure(ReadOnlyMemory<byte> tile) => tile.Length;
}

public sealed class Renderer : IAsyncDisposable
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int> _render;
    private readonly Action<int, int, int> _warm;
    private readonly Action _freeFrame;
    private const int TileOut = 0x200000;

    public Renderer(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _render = instance.GetFunction<int, int, int, int>("render_tile")!;
        _warm = instance.GetAction<int, int, int>("warm_tile")!;
        _freeFrame = instance.GetAction("free_frame")!;
        Current = this;
    }

    public static Renderer? Current { get; private set; }

    public void Warm(int z, int x, int y) => _warm(z, x, y);

    public int Render(TileCoord c) => _render(c.Z, c.X, c.Y);

    public unsafe Memory<byte> Output(int length) => new PointerMemoryManager((byte*)_memory.GetPointer() + TileOut, length).Memory;

    public Task<Memory<byte>> RenderAsync(TileCoord c) => Task.FromResult(Output(Render(c)));

    public unsafe BinaryReader OpenMetadata(int length) => new(new UnmanagedMemoryStream((byte*)_memory.GetPointer() + TileOut, length));

    private void EnsureCapacity(long bytes)
    {
        long pages = (bytes + 65535) / 65536;
        if (_memory.GetSize() < pages)
            _memory.Grow(pages - _memory.GetSize());
    }

    private void Reserve(int tiles) => EnsureCapacity(TileOut + (long)tiles * 256 * 1024);

    public void Prepare(int tiles) => Reserve(tiles);

    public ValueTask DisposeAsync()
    {
        _freeFrame();
        return ValueTask.CompletedTask;
    }
}

public sealed class TileHandler
{
    private static Memory<byte> s_lastTile;
    private readonly Renderer _renderer;
    private readonly TileCache _cache = new();
    private BinaryReader? _metadata;

    public TileHandler(Renderer renderer) => _renderer = renderer;

    private static void Store<T>(ref T slot, T value) => slot = value;

    public async Task<byte[]> GetTileAsync(TileCoord c, Stream log)
    {
        var tile = await _renderer.RenderAsync(c);
        _renderer.Warm(c.Z, c.X + 1, c.Y);
        return tile.ToArray(); // expect: WVA001
    }

    public async Task<byte[]> GetTileCopiedAsync(TileCoord c)
    {
        var png = (await _renderer.RenderAsync(c)).ToArray();
        _renderer.Warm(c.Z, c.X + 1, c.Y);
        return png;
    }

    public async Task<int> GetTileAfterFlushAsync(TileCoord c, Stream log)
    {
        var tile = _renderer.Output(_renderer.Render(c));
        await log.FlushAsync();
        return tile.Span[0]; // expect: WVA001
    }

    public async Task<int> TileSizeAfterFlushAsync(TileCoord c, Stream log)
    {
        var tile = _renderer.Output(_renderer.Render(c));
        await log.FlushAsync();
        return TileCache.Measure(tile); // Measure reads only the length
    }

    public async Task<byte> FirstByteWithSessionAsync(Instance instance, TileCoord c)
    {
        Memory<byte> tile;
        await using (var session = new Renderer(instance))
        {
            tile = session.Output(session.Render(c));
        }

        // DisposeAsync freed the frame through the guest before this read.
        return tile.Span[0]; // expect: WVA001
    }

    public void CacheTile(TileCoord c)
    {
        var tile = _renderer.Output(_renderer.Render(c));
        _cache.Keep(tile); // expect: WVA002
        _cache.Keep(tile.ToArray());
    }

    public void RememberLast(TileCoord c)
    {
        var tile = _renderer.Output(_renderer.Render(c));
        Store(ref s_lastTile, tile); // expect: WVA002
    }

    public void KeepMetadata(int length)
    {
        _metadata = _renderer.OpenMetadata(length); // expect: WVA002
    }

    public int ReadMetadataNow(int length)
    {
        using var reader = _renderer.OpenMetadata(length);
        int version = reader.ReadInt32();
        _renderer.Prepare(4); // the reader is done before memory may grow
        return version;
    }

    public int ReadMetadataLate(int length)
    {
        using var reader = _renderer.OpenMetadata(length);
        _renderer.Prepare(4); // three calls deep, Memory.Grow may move memory
        return reader.ReadInt32(); // expect: WVA001
    }

    public byte Neighbour(TileCoord c)
    {
        var tile = _renderer.Output(_renderer.Render(c));
        var right = c + (1, 0); // the operator warms the neighbour in the guest
        return right.X > c.X ? tile.Span[0] : (byte)0; // expect: WVA001
    }

    public byte NeighbourFirst(TileCoord c)
    {
        var right = c + (1, 0);
        var tile = _renderer.Output(_renderer.Render(c));
        return right.X > c.X ? tile.Span[0] : (byte)0;
    }
}
