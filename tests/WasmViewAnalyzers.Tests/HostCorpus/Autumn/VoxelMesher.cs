// Voxel mesher: chunks of block ids live in guest memory, a wasm greedy mesher emits quads; the host uploads vertex data.
// Shape: game-engine hosts (UnityWasmScripting) wrapping guest allocations in IDisposable handles and custom enumerators.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Autumn.VoxelMesher;

[StructLayout(LayoutKind.Sequential)]
public struct Quad
{
    public short X, Y, Z;
    public byte Face, Block;
    public int Width, Height;
}

public sealed class MesherExports
{
    public Memory Memory { get; }
    public Func<int, int> Alloc { get; }
    public Action<int> Free { get; }
    public Func<int, int, int> Mesh { get; }      // (chunk, lod) -> quad count; quads at QuadBuffer
    public Func<int, int, int> NextBatch { get; } // (chunk, cursor) -> quad count of the next batch
    public int QuadBuffer => 0x8000;

    public MesherExports(Instance instance)
    {
        Memory = instance.GetMemory("memory")!;
        Alloc = instance.GetFunction<int, int>("alloc")!;
        Free = instance.GetAction<int>("free")!;
        Mesh = instance.GetFunction<int, int, int>("mesh")!;
        NextBatch = instance.GetFunction<int, int, int>("next_batch")!;
    }
}

// A guest allocation: Dispose frees it through the guest.
public readonly struct GuestChunk : IDisposable
{
    private readonly MesherExports _x;
    public int Address { get; }
    public int Length { get; }

    public GuestChunk(MesherExports x, int length)
    {
        _x = x;
        Length = length;
        Address = x.Alloc(length);
    }

    public Span<byte> Blocks => _x.Memory.GetSpan(Address, Length);
    public void Dispose() => _x.Free(Address);

    // Deconstruct runs the mesher: a guest call hidden behind `var (count, lod) = chunk;`.
    public void Deconstruct(out int quadCount, out int lod)
    {
        lod = Length > 4096 ? 1 : 0;
        quadCount = _x.Mesh(Address, lod);
    }
}

// Batches of quads: MoveNext asks the guest for the next batch.
public sealed class QuadBatches : IEnumerable<int>
{
    private readonly MesherExports _x;
    private readonly int _chunk;
    public QuadBatches(MesherExports x, int chunk) { _x = x; _chunk = chunk; }

    public IEnumerator<int> GetEnumerator()
    {
        var cursor = 0;
        int count;
        while ((count = _x.NextBatch(_chunk, cursor)) > 0)
        {
            yield return count;
            cursor += count;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

// A level-of-detail request: converting it to an int asks the guest for the chunk size of that LOD.
public readonly struct LodRequest
{
    private readonly MesherExports _x;
    public readonly int Lod;
    public LodRequest(MesherExports x, int lod) { _x = x; Lod = lod; }
    public static implicit operator int(LodRequest r) => r._x.Mesh(0, r.Lod);
}

// A ref struct over guest quads; Count only reads the length.
public readonly ref struct QuadView
{
    private readonly Span<Quad> _quads;
    public QuadView(Span<Quad> quads) => _quads = quads;
    public int Count => _quads.Length;
    public ref Quad this[int i] => ref _quads[i];
    public int Area()
    {
        var area = 0;
        foreach (ref readonly var q in _quads) area += q.Width * q.Height;
        return area;
    }
}

public sealed class ChunkMesher
{
    private readonly MesherExports _x;
    public ChunkMesher(MesherExports x) => _x = x;

    private Span<Quad> Quads(int count) => MemoryMarshal.Cast<byte, Quad>(_x.Memory.GetSpan(_x.QuadBuffer, count * 16));

    public int MeshChunk(ReadOnlySpan<byte> blocks)
    {
        var quadArea = 0;
        using (var chunk = new GuestChunk(_x, blocks.Length))
        {
            var view = chunk.Blocks;
            blocks.CopyTo(view);
            var (count, _) = chunk;            // Deconstruct runs the mesher
            view[0] = 0; // expect: WVA001
            quadArea = new QuadView(Quads(count)).Area(); // obtained after the mesher ran
        }
        return quadArea;
    }

    public int FirstBlockAfterFree(ReadOnlySpan<byte> blocks)
    {
        Span<byte> view;
        using (var chunk = new GuestChunk(_x, blocks.Length))
        {
            view = chunk.Blocks;
            blocks.CopyTo(view);
        }                                   // Dispose frees through the guest
        return view[0]; // expect: WVA001
    }

    public int FirstBlockBeforeFree(ReadOnlySpan<byte> blocks)
    {
        using var chunk = new GuestChunk(_x, blocks.Length);
        var view = chunk.Blocks;
        blocks.CopyTo(view);
        return view[0];                     // the using declaration disposes after the return value is read
    }

    public List<Quad> AllQuads(int chunk)
    {
        var all = new List<Quad>();
        var first = Quads(_x.Mesh(chunk, 0));
        var firstCount = first.Length;
        foreach (var count in new QuadBatches(_x, chunk))
        {
            // Each batch: obtained again after MoveNext ran the guest.
            foreach (var q in Quads(count)) all.Add(q);
        }
        all.Insert(0, first[0]); // expect: WVA001
        Console.WriteLine(firstCount);
        return all;
    }

    public int AreaAtLod(int chunk, LodRequest request)
    {
        var quads = new QuadView(Quads(_x.Mesh(chunk, request.Lod)));
        var before = quads.Count;           // length only
        int size = request;                 // user-defined conversion: calls the guest
        var area = quads.Area(); // expect: WVA001
        return area + before + size;
    }

    public int GrowAndWrite(int chunk)
    {
        var quads = Quads(4);
        ref var head = ref quads[0];
        head.Width = 1;
        _x.Memory.Grow(1);                  // growth may move the memory
        head.Height = 1; // expect: WVA001
        quads = Quads(4);                   // obtained again
        quads[1].Height = 1;
        return chunk;
    }

    public Dictionary<int, Quad> Lookup(int chunk)
    {
        var quads = Quads(_x.Mesh(chunk, 0));
        // The collection initializer's Add is Dictionary's own: no guest call; values are struct copies.
        var byFace = new Dictionary<int, Quad> { [quads[0].Face] = quads[0] };
        for (var i = 1; i < quads.Length; i++) byFace[quads[i].Face] = quads[i];
        return byFace;
    }
}
