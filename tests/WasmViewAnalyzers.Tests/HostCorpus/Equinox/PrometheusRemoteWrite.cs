using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Equinox.PrometheusRemoteWrite;

public readonly record struct Sample(string Metric, IReadOnlyDictionary<string, string> Labels, double Value, long TimestampMs);

internal sealed unsafe class EncodedBatch(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

/// <summary>Encodes remote-write WriteRequests (protobuf + snappy) with a wasm encoder, then ships them.</summary>
public sealed class RemoteWriteShipper(Instance instance, HttpClient http, Uri endpoint)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("alloc")!;
    private readonly Func<int, int, int> _encode = instance.GetFunction<int, int, int>("encode_write_request")!;
    private readonly Func<int> _encodedLength = instance.GetFunction<int>("encoded_length")!;
    private readonly Action _clear = instance.GetAction("clear")!;
    private readonly ConcurrentQueue<(nint Pointer, int Length)> _retry = new();
    private Task _lastSend = Task.CompletedTask;

    private int Stage(IReadOnlyList<Sample> samples)
    {
        var sb = new StringBuilder();
        foreach (var s in samples)
        {
            sb.Append(s.Metric).Append('{');
            foreach (var (k, v) in s.Labels) sb.Append(k).Append('=').Append(v).Append(',');
            sb.Append('}').Append(' ').Append(s.Value).Append(' ').Append(s.TimestampMs).Append('\n');
        }

        var text = Encoding.UTF8.GetBytes(sb.ToString());
        var address = _alloc(text.Length);
        text.CopyTo(_memory.GetSpan(address, text.Length));
        return address;
    }

    private unsafe ReadOnlyMemory<byte> Encode(IReadOnlyList<Sample> samples)
    {
        var input = Stage(samples);
        var output = _encode(input, samples.Count);
        var length = _encodedLength();
        return new EncodedBatch((byte*)_memory.GetPointer() + output, length).Memory;
    }

    public void ShipInBackground(IReadOnlyList<Sample> samples)
    {
        var body = Encode(samples);
        _lastSend = Task.Run(() => http.PostAsync(endpoint, new ReadOnlyMemoryContent(body))); // expect: WVA002
    }

    public void ShipCopyInBackground(IReadOnlyList<Sample> samples)
    {
        var body = Encode(samples).ToArray();
        _lastSend = Task.Run(() => http.PostAsync(endpoint, new ByteArrayContent(body)));
    }

    public async Task ShipAsync(IReadOnlyList<Sample> samples, CancellationToken cancellationToken)
    {
        var body = Encode(samples);
        using var content = new ByteArrayContent(body.ToArray());
        using var response = await http.PostAsync(endpoint, content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"remote write rejected ({response.StatusCode}), first byte {body.Span[0]:X2}"); // expect: WVA001
        }
    }

    public unsafe void QueueForRetry(IReadOnlyList<Sample> samples)
    {
        var input = Stage(samples);
        var output = _encode(input, samples.Count);
        _retry.Enqueue((_memory.GetPointer() + output, _encodedLength())); // expect: WVA001, WVA002
    }

    public async Task ArchiveAsync(IReadOnlyList<IReadOnlyList<Sample>> batches, Stream archive)
    {
        await using var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true);
        var writes = new List<Task>();
        foreach (var batch in batches)
        {
            var body = Encode(batch);
            writes.Add(gzip.WriteAsync(body).AsTask()); // expect: WVA003
        }

        await Task.WhenAll(writes);
    }

    public async Task ArchiveAwaitedAsync(IReadOnlyList<IReadOnlyList<Sample>> batches, Stream archive)
    {
        await using var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true);
        foreach (var batch in batches)
        {
            var body = Encode(batch);
            await gzip.WriteAsync(body); // expect: WVA004
            _clear();
        }
    }

    public async Task ArchiveCopiedAsync(IReadOnlyList<IReadOnlyList<Sample>> batches, Stream archive)
    {
        await using var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true);
        foreach (var batch in batches)
        {
            var body = Encode(batch).ToArray();
            _clear();
            await gzip.WriteAsync(body);
        }
    }

    public async Task<int> SpoolAsync(IReadOnlyList<Sample> samples, Stream spool)
    {
        var body = Encode(samples);
        await spool.WriteAsync(body);
        await spool.FlushAsync();
        return body.Length;
    }

    public async Task<bool> SendTwiceAsync(IReadOnlyList<Sample> first, IReadOnlyList<Sample> second)
    {
        var a = Encode(first);
        var b = Encode(second);
        var same = a.Span.SequenceEqual(b.Span); // expect: WVA001
        using var response = await http.PostAsync(endpoint, new ReadOnlyMemoryContent(b.ToArray()));
        return response.IsSuccessStatusCode && same;
    }
}
