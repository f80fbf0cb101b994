// Multiplayer replication host: wasm game logic serializes entity snapshots; the host diffs them and sends packets.
// Shape from Extism-like hosts with session objects (host functions closing over a session) and DotNetIsolator's guest-allocating wrappers.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Dev.NetworkReplicationHost;

public sealed class PeerSession
{
    public nint LastSnapshot;                  // a raw pointer kept between packets
    public int LastSnapshotOffset;

    public event Action? Sent;

    public Action? OnAck { get; set; }

    public void RaiseSent() => Sent?.Invoke();
}

public readonly struct SnapshotRef(nint pointer, int length)
{
    public nint Pointer => pointer;

    public int Length => length;
}

// Arguments marshalled into guest memory: every Add allocates through the guest.
public sealed class GuestArgs(Func<int, int> alloc, Memory memory) : IEnumerable<int>
{
    private readonly List<int> _addresses = new();

    public void Add(int value)
    {
        var address = alloc(4);
        memory.WriteInt32(address, value);
        _addresses.Add(address);
    }

    public IEnumerator<int> GetEnumerator() => _addresses.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

// A snapshot buffer reserved in the guest: created and released through exports.
public sealed class GuestSnapshotBuffer : IAsyncDisposable
{
    private readonly Action<int> _release;

    public GuestSnapshotBuffer(Func<int, int> reserve, Action<int> release, int size)
    {
        _release = release;
        Address = reserve(size);
    }

    public int Address { get; }

    public ValueTask DisposeAsync()
    {
        _release(Address);
        return ValueTask.CompletedTask;
    }
}

public sealed class ReplicationHost
{
    private readonly Memory _memory;
    private readonly Func<int, int> _serialize;       // entity -> snapshot address
    private readonly Func<int> _snapshotLength;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int> _reserve;
    private readonly Action<int> _release;
    private readonly Stream _socket;
    private SnapshotRef _baseline;
    private int _baselineOffset;

    public ReplicationHost(Instance instance, Stream socket)
    {
        _memory = instance.GetMemory("memory")!;
        _serialize = instance.GetFunction<int, int>("serialize_entity")!;
        _snapshotLength = instance.GetFunction<int>("snapshot_length")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _reserve = instance.GetFunction<int, int>("reserve_snapshot")!;
        _release = instance.GetAction<int>("release_snapshot")!;
        _socket = socket;
    }

    public void SendTo(PeerSession peer, int entity)
    {
        var address = _serialize(entity);
        var length = _snapshotLength();
        _socket.Write(_memory.GetSpan(address, length));              // sent at once
        peer.LastSnapshotOffset = address;                            // an int
        peer.LastSnapshot = _memory.GetPointer() + address; // expect: WVA002
    }

    public void SetBaseline(int entity)
    {
        var address = _serialize(entity);
        _baselineOffset = address;
        _baseline = new SnapshotRef(_memory.GetPointer() + address, _snapshotLength()); // expect: WVA001, WVA002
    }

    public void SetBaselineSafely(int entity)
    {
        var address = _serialize(entity);
        var length = _snapshotLength();
        _baselineOffset = address;                                     // keep the offset; obtain the pointer when needed
        Console.WriteLine($"baseline {length} bytes at {_baselineOffset}");
    }

    public unsafe void NotifyOnSend(PeerSession peer, int entity)
    {
        var address = _serialize(entity);
        var header = (byte*)_memory.GetPointer() + address;
        peer.Sent += () => Console.WriteLine($"sent kind {header[0]}"); // expect: WVA002
    }

    public unsafe void NotifyOnAck(PeerSession peer, int entity)
    {
        var address = _serialize(entity);
        var header = (byte*)_memory.GetPointer() + address;
        peer.OnAck += () => Console.WriteLine($"acked kind {header[0]}"); // expect: WVA002
    }

    public void NotifyOnAckCopied(PeerSession peer, int entity)
    {
        var kind = _memory.ReadByte(_serialize(entity));
        peer.OnAck += () => Console.WriteLine($"acked kind {kind}");   // captures a copied byte
    }

    public void DefineAckHandler(Linker linker)
    {
        var session = new PeerSession();
        linker.DefineFunction("net", "ack", (Caller caller, int address) =>
        {
            var memory = caller.GetMemory("memory")!;
            session.LastSnapshotOffset = address;
            session.LastSnapshot = memory.GetPointer() + address; // expect: WVA002
        });
    }

    public int SendWithArgs(int entity, int flags)
    {
        var snapshot = _memory.GetSpan(_serialize(entity), _snapshotLength());
        var args = new GuestArgs(_alloc, _memory) { entity, flags };  // each Add allocates in the guest
        _socket.Write(snapshot); // expect: WVA001
        return args.GetHashCode();
    }

    public int SendBeforeArgs(int entity, int flags)
    {
        var snapshot = _memory.GetSpan(_serialize(entity), _snapshotLength());
        _socket.Write(snapshot);
        var args = new GuestArgs(_alloc, _memory) { entity, flags };
        return snapshot.Length + args.GetHashCode();                  // Length only
    }

    public int DiffWithScratch(int entity)
    {
        var current = _memory.GetSpan(_serialize(entity), _snapshotLength());
        var scratch = new GuestSnapshotBuffer(_reserve, _release, current.Length);   // the constructor reserves in the guest
        var changed = 0;
        for (var i = 0; i < current.Length; i++)
        {
            changed += current[i] != 0 ? 1 : 0; // expect: WVA001
        }

        return changed + scratch.Address;
    }

    public async Task<int> SendBufferedAsync(int entity)
    {
        ReadOnlyMemory<byte> packet;
        await using (var buffer = new GuestSnapshotBuffer(_reserve, _release, 1024))
        {
            var address = _serialize(entity);
            packet = SnapshotView(address, _snapshotLength());
            await _socket.WriteAsync(packet);                          // used before the buffer is released
        }

        return packet.Span[0]; // expect: WVA001
    }

    public async Task<int> SendBufferedCopiedAsync(int entity)
    {
        byte first;
        await using (var buffer = new GuestSnapshotBuffer(_reserve, _release, 1024))
        {
            var address = _serialize(entity);
            var packet = SnapshotView(address, _snapshotLength());
            first = packet.Span[0];
            await _socket.WriteAsync(packet);
        }

        return first;
    }

    private unsafe ReadOnlyMemory<byte> SnapshotView(int address, int length) =>
        new SnapshotMemory((byte*)_memory.GetPointer() + address, length).Memory;

    private sealed unsafe class SnapshotMemory : System.Buffers.MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public SnapshotMemory(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new(_start, _length);

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    public int Baseline() => _baselineOffset + _baseline.Length;
}
