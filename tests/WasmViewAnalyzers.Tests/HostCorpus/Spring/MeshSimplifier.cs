// 3D mesh simplifier (quadric edge collapse) in wasm with a host-side pool of guest buffers and LOD chains.
// Shape: DotNetIsolator's guest allocations through exports, Unity-style vertex arrays read as spans of Vector3.
using System;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Spring.MeshSimplifier;

public readonly record struct GuestLease(int Offset, int Size);

public sealed record LodView(nint Vertices, int VertexCount, int Level);

public ref struct MeshSpans
{
    public Span<Vector3> Vertices;
    public Span<int> Indices;
}

public sealed class GuestBufferPool
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Stack<GuestLease> _idle = new();

    public GuestBufferPool(Memory memory, Func<int, int> malloc)
    {
        _memory = memory;
        _malloc = malloc;
    }

    // Calls the guest allocator only when no idle buffer fits.
    public GuestLease Rent(int size)
    {
        if (_idle.TryPeek(out var top) && top.Size >= size)
        {
            return _idle.Pop();
        }
        return new GuestLease(_malloc(size), size);
    }

    public void Return(GuestLease lease) => _idle.Push(lease);

    public Span<byte> Bytes(GuestLease lease) => _memory.GetSpan(lease.Offset, lease.Size);
}

public sealed unsafe class MeshSimplifier
{
    private readonly Memory _memory;
    private readonly GuestBufferPool _pool;
    private readonly Func<int, int, int, int, float, int> _simplify;
    private readonly Func<int> _resultVertexPtr;
    private readonly Func<int> _resultVertexCount;
    private LodView? _lastLod;
    private GuestLease _lastLease;

    public MeshSimplifier(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _pool = new GuestBufferPool(_memory, instance.GetFunction<int, int>("malloc")!);
        _simplify = instance.GetFunction<int, int, int, int, float, int>("simplify")!;
        _resultVertexPtr = instance.GetFunction<int>("result_vertex_ptr")!;
        _resultVertexCount = instance.GetFunction<int>("result_vertex_count")!;
    }

    private Span<Vector3> VerticesOf(GuestLease lease) => MemoryMarshal.Cast<byte, Vector3>(_pool.Bytes(lease));

    // Two levels down: Stage -> Rent -> malloc.
    private GuestLease Stage(ReadOnlySpan<int> indices)
    {
        var lease = _pool.Rent(indices.Length * 4);
        MemoryMarshal.AsBytes(indices).CopyTo(_pool.Bytes(lease));
        return lease;
    }

    public int Simplify(Vector3[] vertices, int[] indices, float ratio)
    {
        var vLease = _pool.Rent(vertices.Length * 12);
        var vSpan = VerticesOf(vLease);
        var iLease = Stage(indices);
        // Stage may have called malloc: the vertex span is written after it.
        vertices.CopyTo(vSpan); // expect: WVA001
        var newCount = _simplify(vLease.Offset, vertices.Length, iLease.Offset, indices.Length, ratio);
        _pool.Return(vLease);
        _pool.Return(iLease);
        // Safe: the lease is a pair of offsets, kept freely.
        _lastLease = iLease;
        return newCount;
    }

    public int SimplifyInOrder(Vector3[] vertices, int[] indices, float ratio)
    {
        var vLease = _pool.Rent(vertices.Length * 12);
        var iLease = Stage(indices);
        // Safe: the span is obtained after both allocations.
        vertices.CopyTo(VerticesOf(vLease));
        var spans = new MeshSpans
        {
            Vertices = VerticesOf(vLease),
            Indices = MemoryMarshal.Cast<byte, int>(_pool.Bytes(iLease)),
        };
        var newCount = _simplify(vLease.Offset, vertices.Length, iLease.Offset, indices.Length, ratio);
        // Safe: only lengths of the struct's spans.
        var capacity = spans.Indices.Length + spans.Vertices.Length;
        var firstIndex = spans.Indices[0]; // expect: WVA001
        return newCount + capacity + firstIndex;
    }

    public List<LodView> BuildLods(Vector3[] vertices, int[] indices)
    {
        var lods = new List<LodView>();
        var offsets = new List<(int Offset, int Count)>();
        for (var level = 1; level <= 3; level++)
        {
            var lease = _pool.Rent(vertices.Length * 12);
            vertices.CopyTo(VerticesOf(lease));
            var iLease = Stage(indices);
            _simplify(lease.Offset, vertices.Length, iLease.Offset, indices.Length, 1f / (level + 1));
            var at = _resultVertexPtr();
            var count = _resultVertexCount();
            lods.Add(new LodView(_memory.GetPointer() + at, count, level)); // expect: WVA002
            offsets.Add((at, count));
        }
        // A copy per level, obtained again from its offset.
        foreach (var (offset, count) in offsets)
        {
            Console.WriteLine(MemoryMarshal.Cast<byte, Vector3>(_memory.GetSpan(offset, count * 12))[0]);
        }
        // Decided: returning a list whose earlier levels were taken before later guest calls hands out stale views (the rule page's 'return pending;').
        return lods; // expect: WVA001
    }

    public void WriteLods(Stream output, Vector3[] vertices, int[] indices)
    {
        var lods = BuildLods(vertices, indices);
        var finalCount = _resultVertexCount();
        output.Write(BitConverter.GetBytes(finalCount));
        foreach (var lod in lods)
        {
            // Safe: VertexCount and Level are plain numbers of the record.
            output.WriteByte((byte)lod.Level);
            output.Write(BitConverter.GetBytes(lod.VertexCount));
            // result_vertex_count ran after the list came back (and the helper's later levels before that).
            output.Write(new ReadOnlySpan<byte>((void*)lod.Vertices, lod.VertexCount * 12)); // expect: WVA001
        }
    }

    public void RememberLastLod()
    {
        var at = _resultVertexPtr();
        var count = _resultVertexCount();
        _lastLod = new LodView(_memory.GetPointer() + at, count, 0); // expect: WVA002
    }

    public Vector3 Centroid(GuestLease lease, int count, int growPages)
    {
        var points = VerticesOf(lease);
        var sum = Vector3.Zero;
        for (var i = 0; i < count; i++)
        {
            sum += points[i];
        }
        if (growPages > 0)
        {
            _memory.Grow(growPages);
        }
        // On the path through Grow the span may point at freed memory.
        var first = points[0]; // expect: WVA001
        return sum / count + first * 0;
    }
}
