// pcap network dissector: frames are copied into guest memory, a wasm dissector decodes protocol layers in place,
// and the host fans decoded records out to consumers. Shape: producer/consumer pipelines over Channel<T> and queues.
using System;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Autumn.PcapDissector;

public readonly record struct LayerSpan(int Protocol, nint Start, int Length);
public readonly record struct LayerOffset(int Protocol, int Offset, int Length);
public sealed record DecodedFrame(long Timestamp, byte[] Summary);

public sealed class Dissector
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _dissect;   // (frame, length) -> layer table address
    private readonly Func<int, int> _layerCount;
    private readonly int _frameBuffer;

    public Dissector(Instance instance, int frameBuffer)
    {
        _memory = instance.GetMemory("memory")!;
        _dissect = instance.GetFunction<int, int, int>("dissect")!;
        _layerCount = instance.GetFunction<int, int>("layer_count")!;
        _frameBuffer = frameBuffer;
    }

    private int Decode(ReadOnlySpan<byte> frame)
    {
        frame.CopyTo(_memory.GetSpan(_frameBuffer, frame.Length));
        return _dissect(_frameBuffer, frame.Length);
    }

    private LayerSpan Layer(int table, int index)
    {
        var entry = table + index * 12;
        return new LayerSpan(_memory.ReadInt32(entry), _memory.GetPointer() + _memory.ReadInt32(entry + 4), _memory.ReadInt32(entry + 8));
    }

    public async Task PumpAsync(IEnumerable<byte[]> frames, ChannelWriter<LayerSpan> output)
    {
        foreach (var frame in frames)
        {
            var table = Decode(frame);
            var payload = Layer(table, _layerCount(table) - 1);
            await output.WriteAsync(payload); // expect: WVA002
        }
        output.Complete();
    }

    public async Task PumpOffsetsAsync(IEnumerable<byte[]> frames, ChannelWriter<LayerOffset> output)
    {
        foreach (var frame in frames)
        {
            var table = Decode(frame);
            var last = _layerCount(table) - 1;
            var entry = table + last * 12;
            await output.WriteAsync(new LayerOffset(_memory.ReadInt32(entry), _memory.ReadInt32(entry + 4), _memory.ReadInt32(entry + 8)));
        }
        output.Complete();
    }

    public void DissectInBackground(byte[] frame, BlockingCollection<DecodedFrame> sink, long timestamp)
    {
        var table = Decode(frame);
        var ip = Layer(table, 1);
        Task.Run(() => // the lambda runs later, on the pool, while the next frame is being dissected
        {
            var summary = new byte[20];
            unsafe { new ReadOnlySpan<byte>((void*)ip.Start, 20).CopyTo(summary); } // expect: WVA002
            sink.Add(new DecodedFrame(timestamp, summary));
        });
    }

    public void DissectThenPost(byte[] frame, BlockingCollection<DecodedFrame> sink, long timestamp)
    {
        var table = Decode(frame);
        var ip = Layer(table, 1);
        var summary = new byte[Math.Min(ip.Length, 20)];
        unsafe { new ReadOnlySpan<byte>((void*)ip.Start, summary.Length).CopyTo(summary); } // copied now
        Task.Run(() => sink.Add(new DecodedFrame(timestamp, summary)));                    // captures the copy
    }

    public int CountTcpPorts(IEnumerable<byte[]> frames)
    {
        var queue = new ConcurrentQueue<LayerSpan>();
        foreach (var frame in frames)
        {
            var table = Decode(frame);
            queue.Enqueue(Layer(table, 2)); // expect: WVA002
        }
        var ports = new HashSet<int>();
        while (queue.TryDequeue(out var tcp))
        {
            unsafe { ports.Add(BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>((void*)tcp.Start, 2))); } // expect: WVA001
        }
        return ports.Count;
    }

    public int CountTcpPortsSafe(IEnumerable<byte[]> frames)
    {
        var ports = new HashSet<int>();
        foreach (var frame in frames)
        {
            var table = Decode(frame);
            var tcp = Layer(table, 2);
            unsafe { ports.Add(BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>((void*)tcp.Start, 2))); } // same turn
        }
        return ports.Count;
    }

    public unsafe string Describe(byte[] frame)
    {
        var table = Decode(frame);
        var count = _layerCount(table);
        var layers = new LayerSpan[count];
        for (var i = 0; i < count; i++) layers[i] = Layer(table, i);
        var ethType = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>((void*)(layers[0].Start + 12), 2));
        var ipProto = count > 1 ? ((byte*)layers[1].Start)[9] : 0;
        return $"{ethType:X4}/{ipProto}";    // every layer read before the next guest call
    }

    public unsafe void ExportCompressed(IEnumerable<byte[]> frames, Stream destination)
    {
        using var zlib = new System.IO.Compression.ZLibStream(destination, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true);
        foreach (var frame in frames)
        {
            var table = Decode(frame);
            var payload = Layer(table, 0);
            zlib.Write(new ReadOnlySpan<byte>((void*)payload.Start, payload.Length)); // expect: WVA004
        }
    }

    public unsafe void ExportRaw(IEnumerable<byte[]> frames, Stream destination)
    {
        foreach (var frame in frames)
        {
            var table = Decode(frame);
            var payload = Layer(table, 0);
            destination.Write(new ReadOnlySpan<byte>((void*)payload.Start, payload.Length)); // a plain stream: a memcpy
        }
    }

    public unsafe string DescribeTwo(byte[] first, byte[] second)
    {
        var a = Layer(Decode(first), 0);
        var b = Layer(Decode(second), 0);  // the guest decoded into the same frame buffer
        return $"{((byte*)a.Start)[12]:X2} vs {((byte*)b.Start)[12]:X2}"; // expect: WVA001
    }
}

public static class ChannelConsumer
{
    public static async Task<long> SumLengthsAsync(ChannelReader<LayerSpan> input)
    {
        long total = 0;
        await foreach (var layer in input.ReadAllAsync())
        {
            total += layer.Length;     // only the number travels; the pointer is never read
        }
        return total;
    }
}
