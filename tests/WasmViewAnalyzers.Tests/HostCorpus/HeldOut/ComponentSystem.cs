// Unity-like ECS bridge: component columns in guest memory exposed through ref structs (a span next to plain counts), and a
// chunk query whose enumerator asks the guest for the next archetype chunk; members are judged by what their bodies touch.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.HeldOut.ComponentSystem;

[StructLayout(LayoutKind.Sequential)]
public struct Health
{
    public float Value;
    public float Max;
}

[StructLayout(LayoutKind.Sequential)]
public struct Velocity
{
    public float X;
    public float Y;
}

public ref struct ComponentColumn<T> where T : unmanaged
{
    public Span<T> Items;
    public readonly int Count;
    public readonly int ChunkId;

    public ComponentColumn(Span<T> items, int chunkId)
    {
        Items = items;
        Count = items.Length;
        ChunkId = chunkId;
    }

    // Plain data only: none of these read guest memory.
    public readonly int Capacity() => Count * 2;

    public readonly bool IsEmpty => Count == 0;

    public readonly string Describe() => $"chunk {ChunkId}: {Count} x {typeof(T).Name}";

    // Reads the view.
    public readonly T First() => Items[0];
}

public sealed class World
{
    private readonly Memory _memory;
    private readonly Func<int, int> _nextChunk;
    private readonly Func<int, int, int> _columnAddress;
    private readonly Func<int, int> _chunkCount;
    private readonly Action<int> _step;
    private readonly Func<int> _beginQuery;
    private readonly Func<int, int> _queryChunks;
    private readonly Action<int> _endQuery;
    private readonly int _globalsAddress;

    public World(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _nextChunk = instance.GetFunction<int, int>("next_chunk") ?? throw new InvalidOperationException("next_chunk");
        _columnAddress = instance.GetFunction<int, int, int>("column_address") ?? throw new InvalidOperationException("column_address");
        _chunkCount = instance.GetFunction<int, int>("chunk_count") ?? throw new InvalidOperationException("chunk_count");
        _step = instance.GetAction<int>("step") ?? throw new InvalidOperationException("step");
        _beginQuery = instance.GetFunction<int>("begin_query") ?? throw new InvalidOperationException("begin_query");
        _queryChunks = instance.GetFunction<int, int>("query_chunks") ?? throw new InvalidOperationException("query_chunks");
        _endQuery = instance.GetAction<int>("end_query") ?? throw new InvalidOperationException("end_query");
        _globalsAddress = 1024;
    }

    internal int NextChunk(int current) => _nextChunk(current);

    public ChunkQuery Query() => new(this);

    // The chunk ids are copied to the host up front; the enumerator's Dispose ends the query in the guest.
    public SnapshotQuery Snapshot()
    {
        var queryId = _beginQuery();
        var listAddress = _queryChunks(queryId);
        var count = _memory.ReadInt32(listAddress);
        var chunks = _memory.GetSpan<int>(listAddress + 4, count).ToArray();
        return new SnapshotQuery(this, chunks, queryId);
    }

    internal void EndQuery(int queryId) => _endQuery(queryId);

    public float LastChunkHealth()
    {
        var column = default(ComponentColumn<Health>);
        foreach (var chunk in Snapshot())
        {
            column = Column<Health>(chunk, 1);
        }

        // MoveNext never entered the guest, but the foreach's Dispose did.
        return column.IsEmpty ? 0 : column.First().Value; // expect: WVA001
    }

    public float LastChunkHealthInLoop()
    {
        var last = 0f;
        foreach (var chunk in Snapshot())
        {
            var column = Column<Health>(chunk, 1);
            last = column.IsEmpty ? last : column.First().Value;
        }

        return last;
    }

    public ComponentColumn<T> Column<T>(int chunk, int componentId) where T : unmanaged
    {
        var address = _columnAddress(chunk, componentId);
        var count = _chunkCount(chunk);
        return new ComponentColumn<T>(_memory.GetSpan<T>(address, count), chunk);
    }

    public float FirstHealth(int chunk)
    {
        var column = Column<Health>(chunk, 1);
        _step(chunk);
        var capacity = column.Capacity();                   // not a use
        var label = column.Describe();                      // not a use
        if (column.IsEmpty || capacity < 0 || label.Length == 0)   // not a use
        {
            return 0;
        }

        return column.First().Value; // expect: WVA001
    }

    public float FirstHealthFresh(int chunk)
    {
        _step(chunk);
        var column = Column<Health>(chunk, 1);
        return column.IsEmpty ? 0 : column.First().Value;
    }

    public float TotalHealth(int chunk)
    {
        var column = Column<Health>(chunk, 1);
        _step(chunk);
        var alive = CountSlots(column.Items);               // the callee reads only the length
        return alive == 0 ? 0 : Sum(column.Items); // expect: WVA001
    }

    public float TotalHealthFirst(int chunk)
    {
        var column = Column<Health>(chunk, 1);
        var total = Sum(column.Items);
        _step(chunk);
        return total;
    }

    public float[] AccumulateDrag(float dt)
    {
        var globals = _memory.GetSpan<float>(_globalsAddress, 4);
        var drag = new float[64];
        foreach (var chunk in Query())
        {
            // MoveNext asked the guest for this chunk after 'globals' was obtained.
            drag[chunk & 63] += globals[1] * dt; // expect: WVA001
        }

        return drag;
    }

    public void ApplyGravityHoisted(float dt)
    {
        var gravity = _memory.GetSpan<float>(_globalsAddress, 4)[0];   // a value, read before the loop
        foreach (var chunk in Query())
        {
            var column = Column<Velocity>(chunk, 2);
            for (var i = 0; i < column.Count; i++)
            {
                column.Items[i].Y -= gravity * dt;
            }
        }
    }

    public int CountChunks()
    {
        var globals = _memory.GetSpan<float>(_globalsAddress, 4);
        var chunks = 0;
        foreach (var chunk in Query())
        {
            chunks += chunk > 0 ? 1 : 0;
        }

        return chunks + globals.Length;                     // Length only
    }

    private static int CountSlots(scoped ReadOnlySpan<Health> items) => items.Length;

    private static float Sum(scoped ReadOnlySpan<Health> items)
    {
        var total = 0f;
        foreach (ref readonly var item in items)
        {
            total += item.Value;
        }

        return total;
    }
}

public readonly struct ChunkQuery
{
    private readonly World _world;

    public ChunkQuery(World world) => _world = world;

    public ChunkEnumerator GetEnumerator() => new(_world);
}

public struct ChunkEnumerator
{
    private readonly World _world;
    private int _current;

    public ChunkEnumerator(World world)
    {
        _world = world;
        _current = 0;
    }

    public readonly int Current => _current;

    // Each step asks the guest for the next chunk.
    public bool MoveNext()
    {
        _current = _world.NextChunk(_current);
        return _current != 0;
    }
}

public readonly struct SnapshotQuery
{
    private readonly World _world;
    private readonly int[] _chunks;
    private readonly int _queryId;

    public SnapshotQuery(World world, int[] chunks, int queryId)
    {
        _world = world;
        _chunks = chunks;
        _queryId = queryId;
    }

    public SnapshotEnumerator GetEnumerator() => new(_world, _chunks, _queryId);
}

public struct SnapshotEnumerator : IDisposable
{
    private readonly World _world;
    private readonly int[] _chunks;
    private readonly int _queryId;
    private int _index;

    public SnapshotEnumerator(World world, int[] chunks, int queryId)
    {
        _world = world;
        _chunks = chunks;
        _queryId = queryId;
        _index = -1;
    }

    public readonly int Current => _chunks[_index];

    // Host-only: walks the copied chunk ids.
    public bool MoveNext() => ++_index < _chunks.Length;

    // Ends the query in the guest.
    public readonly void Dispose() => _world.EndQuery(_queryId);
}
