// Audio transcoder: an Opus-like encoder compiled to wasm turns PCM blocks into packets; an async pipeline moves
// packets through channels to sinks. Shape: Extism/Wasmtime hosts that wrap guest output in Memory<byte> for async I/O.
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Spring.AudioTranscoder;

internal sealed unsafe class PacketMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public PacketMemory(Memory memory, int address, int length)
    {
        _start = (byte*)memory.GetPointer() + address;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_start, _length);
    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

// Flushes the encoder's tail when disposed: DisposeAsync calls the guest.
public sealed class EncoderSession : IAsyncDisposable
{
    private readonly Action _flush;
    public EncoderSession(Action flush) => _flush = flush;

    public ValueTask DisposeAsync()
    {
        _flush();
        return ValueTask.CompletedTask;
    }
}

public sealed class Transcoder
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _encode;
    private readonly Func<int> _packetPtr;
    private readonly Action _flush;
    private readonly BlockingCollection<(nint Start, int Length)> _uploads = new();

    public Transcoder(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _encode = instance.GetFunction<int, int, int>("encode_block")!;
        _packetPtr = instance.GetFunction<int>("packet_ptr")!;
        _flush = instance.GetAction("flush")!;
    }

    private ReadOnlyMemory<byte> Encode(ReadOnlySpan<short> pcm)
    {
        var at = _alloc(pcm.Length * 2);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(pcm).CopyTo(_memory.GetSpan(at, pcm.Length * 2));
        var length = _encode(at, pcm.Length);
        var packet = _packetPtr();
        return new PacketMemory(_memory, packet, length).Memory;
    }

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data) crc = (crc >> 8) ^ (0xEDB88320u * ((crc ^ b) & 1));
        return ~crc;
    }

    public async Task PumpAsync(IReadOnlyList<short[]> blocks, ChannelWriter<ReadOnlyMemory<byte>> packets, ChannelWriter<byte[]> copies, CancellationToken ct)
    {
        foreach (var block in blocks)
        {
            var packet = Encode(block);
            // Safe: the copy is made before the first await.
            var copy = packet.ToArray();
            await packets.WriteAsync(packet, ct); // expect: WVA002
            await copies.WriteAsync(copy, ct);
        }
    }

    public async Task<uint> EncodeWithSessionAsync(short[] block)
    {
        ReadOnlyMemory<byte> last;
        await using (var session = new EncoderSession(_flush))
        {
            last = Encode(block);
            // Safe: read inside the session, before its DisposeAsync.
            Console.WriteLine($"packet crc {Crc(last.Span):x8}");
        }
        // DisposeAsync flushed the encoder through the guest (and the await itself suspended).
        return Crc(last.Span); // expect: WVA001
    }

    public async Task<uint> EncodeThenWaitAsync(short[] block, TimeSpan pacing)
    {
        var packet = Encode(block);
        // Safe: the checksum is a number computed before the await.
        var crc = Crc(packet.Span);
        await Task.Delay(pacing).ConfigureAwait(false);
        var again = Crc(packet.Span); // expect: WVA001
        return crc ^ again;
    }

    public void SendWhenReady(Task ready, short[] block, Stream socket)
    {
        var packet = Encode(block);
        ready.ContinueWith(_ => socket.Write(packet.Span)); // expect: WVA002
        var copy = packet.ToArray();
        ready.ContinueWith(_ => socket.Write(copy));
    }

    public unsafe void QueueUpload(short[] block)
    {
        var packet = Encode(block);
        var at = _packetPtr();
        _uploads.Add(((nint)((byte*)_memory.GetPointer() + at), packet.Length)); // expect: WVA002
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> PacketsAsync(IAsyncEnumerable<short[]> blocks, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var block in blocks.WithCancellation(ct))
        {
            yield return Encode(block);
        }
    }

    public async Task WriteAllAsync(IAsyncEnumerable<short[]> blocks, Stream file)
    {
        await foreach (var packet in PacketsAsync(blocks))
        {
            // Safe: written and awaited before the next packet is encoded; a file is not a compressor.
            await file.WriteAsync(packet);
        }
    }

    public async Task WriteFramedAsync(IAsyncEnumerable<short[]> blocks, Stream file)
    {
        await foreach (var packet in PacketsAsync(blocks))
        {
            await file.WriteAsync(BitConverter.GetBytes(packet.Length));
            await file.FlushAsync();
            // The flush awaited in between: the packet is written after it.
            await file.WriteAsync(packet); // expect: WVA001
        }
    }

    public async Task ArchiveAsync(short[] block, Stream destination)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.SmallestSize, leaveOpen: true);
        var packet = Encode(block);
        await gzip.WriteAsync(packet); // expect: WVA004
        // Safe: a copy into the compressor.
        await gzip.WriteAsync(Encode(block).ToArray());
    }
}
