// WebSocket frame codec: a wasm module masks/unmasks and permessage-deflates frames in a pool of guest buffers;
// the host keeps rented buffers between socket reads. Shape: pooled guest buffers (Extism memory blocks, alloc/free pairs).
using System;
using System.Collections.Generic;
using System.IO;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Autumn.WebSocketFrameCodec;

public readonly record struct GuestBuffer(int Offset, int Capacity);

public sealed class GuestBufferPool
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Stack<GuestBuffer> _free = new();

    public GuestBufferPool(Memory memory, Func<int, int> alloc)
    {
        _memory = memory;
        _alloc = alloc;
    }

    public GuestBuffer Rent(int size) => _free.TryPop(out var b) && b.Capacity >= size ? b : new GuestBuffer(_alloc(size), size);
    public void Return(GuestBuffer buffer) => _free.Push(buffer); // offsets only
    public Span<byte> Span(GuestBuffer buffer, int length) => _memory.GetSpan(buffer.Offset, length);
}

public sealed class FrameLog
{
    private readonly List<(string Direction, nint Payload, int Length)> _entries = new();
    public void Record(string direction, nint payload, int length) => _entries.Add((direction, payload, length));
    public int Count => _entries.Count;
}

public sealed class CodecSession
{
    private static nint s_lastControlFrame;
    private readonly Memory _memory;
    private readonly GuestBufferPool _pool;
    private readonly Func<int, int, int, int> _unmask;   // (buffer, length, key) -> payload length
    private readonly Func<int, int, int> _inflate;       // (buffer, length) -> output offset
    private readonly Func<int> _inflatedLength;
    private readonly FrameLog _log = new();
    private nint? _pendingPing;
    private nint _partial;
    private readonly Queue<nint> _fragments = new();
    private readonly LinkedList<int> _fragmentOffsets = new();

    public CodecSession(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _pool = new GuestBufferPool(_memory, instance.GetFunction<int, int>("alloc")!);
        _unmask = instance.GetFunction<int, int, int, int>("unmask")!;
        _inflate = instance.GetFunction<int, int, int>("inflate")!;
        _inflatedLength = instance.GetFunction<int>("inflated_length")!;
    }

    private static void Put<T>(ref T slot, T value) => slot = value;

    private void Note(string direction, nint payload, int length) => _log.Record(direction, payload, length);

    public async Task<byte[]> ReceiveAsync(WebSocket socket, int maskKey, CancellationToken token)
    {
        var buffer = _pool.Rent(64 * 1024);
        var staging = new byte[64 * 1024];
        var result = await socket.ReceiveAsync(staging, token);
        staging.AsSpan(0, result.Count).CopyTo(_pool.Span(buffer, result.Count));
        var length = _unmask(buffer.Offset, result.Count, maskKey);
        var payload = _pool.Span(buffer, length).ToArray(); // copied before the pool hands the buffer out again
        _pool.Return(buffer);
        return payload;
    }

    public unsafe void HandleControl(GuestBuffer buffer, int length, int opcode)
    {
        var payload = (nint)((byte*)_memory.GetPointer() + buffer.Offset);
        switch (opcode)
        {
            case 0x9:
                _pendingPing = payload; // expect: WVA002
                break;
            case 0x8:
                Put(ref s_lastControlFrame, payload); // expect: WVA002
                break;
            case 0xA:
                Note("pong", payload, length); // expect: WVA002
                break;
            default:
                var first = *(byte*)payload;   // read, not kept
                Console.WriteLine($"control {opcode:X} {first}");
                break;
        }
    }

    public unsafe int InflateFragments(IReadOnlyList<GuestBuffer> fragments, int[] lengths)
    {
        var total = 0;
        for (var i = 0; i < fragments.Count; i++)
        {
            var output = _inflate(fragments[i].Offset, lengths[i]);
            var pointer = (nint)((byte*)_memory.GetPointer() + output);
            _fragments.Enqueue(pointer); // expect: WVA002
            _fragmentOffsets.AddLast(output);               // an offset
            total += _inflatedLength();
        }
        _partial = _fragments.Peek(); // expect: WVA001, WVA002
        return total;
    }

    public unsafe byte[] Reassemble(IReadOnlyList<GuestBuffer> fragments, int[] lengths)
    {
        using var whole = new MemoryStream();
        foreach (var (fragment, i) in Pairs(fragments))
        {
            var output = _inflate(fragment.Offset, lengths[i]);
            var n = _inflatedLength();
            var view = new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + output, n); // after both calls
            whole.Write(view);
        }
        return whole.ToArray();
    }

    public unsafe byte[] ReassembleStale(IReadOnlyList<GuestBuffer> fragments, int[] lengths)
    {
        var outputs = new (nint Start, int Length)[fragments.Count];
        for (var i = 0; i < fragments.Count; i++)
        {
            var output = _inflate(fragments[i].Offset, lengths[i]);
            var n = _inflatedLength();
            outputs[i] = ((nint)((byte*)_memory.GetPointer() + output), n); // fresh here; the next turn's inflate makes it stale
        }
        using var whole = new MemoryStream();
        foreach (var (start, length) in outputs)
        {
            whole.Write(new ReadOnlySpan<byte>((void*)start, length)); // expect: WVA001
        }
        return whole.ToArray();
    }

    public unsafe void Ping(WebSocket socket)
    {
        if (_pendingPing is { } ping)
        {
            Console.WriteLine($"answering ping at {ping:X}"); // formats the address: reads no guest memory
        }
        var buffer = _pool.Rent(2);
        var pong = _pool.Span(buffer, 2);
        pong[0] = 0x8A;
        pong[1] = 0;
        var copy = pong.ToArray();
        _ = socket.SendAsync(copy, WebSocketMessageType.Binary, true, CancellationToken.None);
        _pool.Return(buffer);
    }

    private static IEnumerable<(GuestBuffer, int)> Pairs(IReadOnlyList<GuestBuffer> list)
    {
        for (var i = 0; i < list.Count; i++) yield return (list[i], i);
    }
}
