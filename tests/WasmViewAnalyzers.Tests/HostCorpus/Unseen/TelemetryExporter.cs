// A telemetry exporter: a guest tracing SDK (an OpenTelemetry-like encoder compiled to wasm) encodes span batches into
// OTLP protobuf in its memory; the host iterates spans through a cursor export, logs through the guest, and compresses batches.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Unseen.TelemetryExporter;

// Iterating it runs the guest: MoveNext asks the cursor export for the next span id.
public readonly struct SpanCursor(OtlpExporter exporter, int batch) : IEnumerable<int>
{
    public IEnumerator<int> GetEnumerator()
    {
        int id = exporter.NextSpan(batch);
        while (id != 0)
        {
            yield return id;
            id = exporter.NextSpan(batch);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class GuestLog(Instance instance)
{
    private readonly Memory memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> alloc = instance.GetFunction<int, int>("alloc")!;
    private readonly Action<int, int> append = instance.GetAction<int, int>("log_append")!;

    public void Write(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        int address = alloc(utf8.Length);
        utf8.CopyTo(memory.GetSpan(address, utf8.Length));
        append(address, utf8.Length);
    }

    public void Write([InterpolatedStringHandlerArgument("")] ref GuestLogHandler handler) => handler.Flush();
}

// Streams each formatted piece into the guest's log buffer as it is appended.
[InterpolatedStringHandler]
public ref struct GuestLogHandler
{
    private readonly GuestLog _log;

    public GuestLogHandler(int literalLength, int formattedCount, GuestLog log)
    {
        _log = log;
    }

    public void AppendLiteral(string value) => _log.Write(value);

    public void AppendFormatted<T>(T value) => _log.Write(value?.ToString() ?? string.Empty);

    public void Flush() => _log.Write("\n");
}

public sealed class OtlpExporter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _encodeBatch;
    private readonly Func<int> _encodedLength;
    private readonly Func<int, int> _nextSpan;
    private readonly Action<int> _flushSpan;
    private readonly GuestLog _log;
    private readonly List<Task> _uploads = new();

    public OtlpExporter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _encodeBatch = instance.GetFunction<int, int>("encode_batch")!;
        _encodedLength = instance.GetFunction<int>("encoded_length")!;
        _nextSpan = instance.GetFunction<int, int>("next_span")!;
        _flushSpan = instance.GetAction<int>("flush_span")!;
        _log = new GuestLog(instance);
    }

    public int NextSpan(int batch) => _nextSpan(batch);

    public int CountSpans(int batch, int resourceAddress, int resourceLength, Stream output)
    {
        ReadOnlySpan<byte> resource = _memory.GetSpan(resourceAddress, resourceLength);
        int count = 0;
        foreach (int spanId in new SpanCursor(this, batch))
        {
            count += spanId > 0 ? 1 : 0;
        }

        output.Write(resource); // expect: WVA001
        return count;
    }

    public int CountSpansAfterWrite(int batch, int resourceAddress, int resourceLength, Stream output)
    {
        output.Write(_memory.GetSpan(resourceAddress, resourceLength));
        int count = 0;
        foreach (int spanId in new SpanCursor(this, batch))
        {
            count++;
        }

        return count;
    }

    public string TraceIdOf(int batch, int traceAddress)
    {
        ReadOnlySpan<byte> traceId = _memory.GetSpan(traceAddress, 16);
        _log.Write($"exporting batch {batch}");
        return Convert.ToHexString(traceId); // expect: WVA001
    }

    public string TraceIdFirst(int batch, int traceAddress)
    {
        string id = Convert.ToHexString(_memory.GetSpan(traceAddress, 16));
        _log.Write($"exporting batch {batch} trace {id}");
        return id;
    }

    public void FlushAll(List<int> spanIds, int headerAddress, Stream output)
    {
        ReadOnlySpan<byte> header = _memory.GetSpan(headerAddress, 8);
        // ForEach runs the lambda at once, once per span, and each run calls the guest.
        spanIds.ForEach(id => _flushSpan(id));
        output.Write(header); // expect: WVA001
    }

    public int SumIds(List<int> spanIds, int headerAddress)
    {
        ReadOnlySpan<byte> header = _memory.GetSpan(headerAddress, 8);
        int total = 0;
        spanIds.ForEach(id => total += id);
        return total + header[0];
    }

    public void ExportBrotli(int batch, Stream destination)
    {
        int address = _encodeBatch(batch);
        ReadOnlySpan<byte> encoded = _memory.GetSpan(address, _encodedLength());
        using var brotli = new BrotliStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        brotli.Write(encoded); // expect: WVA004
    }

    public void ExportZLib(int batch, Stream destination)
    {
        int address = _encodeBatch(batch);
        int length = _encodedLength();
        using var zlib = new ZLibStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        using var lease = _memory.LeaseCopy(address, length);
        // A pooled copy: the compressor reads host memory.
        zlib.Write(lease.Span);
    }

    private unsafe UnmanagedMemoryStream OpenEncoded(int address, int length) =>
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);

    public void ExportArchive(int[] batches, Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        int first = _encodeBatch(batches[0]);
        var firstStream = OpenEncoded(first, _encodedLength());
        for (int i = 1; i < batches.Length; i++)
        {
            int address = _encodeBatch(batches[i]);
            using Stream entry = archive.CreateEntry($"batch-{i}.pb").Open();
            entry.Write(_memory.GetSpan(address, _encodedLength()).ToArray());
        }

        using Stream firstEntry = archive.CreateEntry("batch-0.pb").Open();
        // Every later encode_batch ran after 'firstStream' was created over the first batch.
        firstStream.CopyTo(firstEntry); // expect: WVA001, WVA004
    }

    public void UploadLater(int batch, Func<ReadOnlyMemory<byte>, Task> upload)
    {
        int address = _encodeBatch(batch);
        int length = _encodedLength();
        var encoded = OpenEncoded(address, length);
        _uploads.Add(Task.Run(async () =>
        {
            var buffer = new MemoryStream();
            await encoded.CopyToAsync(buffer); // expect: WVA002
            await upload(buffer.ToArray());
        }));
    }

    public void UploadCopyLater(int batch, Func<ReadOnlyMemory<byte>, Task> upload)
    {
        int address = _encodeBatch(batch);
        byte[] encoded = _memory.GetSpan(address, _encodedLength()).ToArray();
        _uploads.Add(Task.Run(() => upload(encoded)));
    }

    public unsafe void ReportOnCancel(int statsAddress, CancellationToken token)
    {
        nint stats = _memory.GetPointer() + statsAddress;
        token.Register(() => Console.Error.WriteLine($"dropped {*(int*)stats} spans")); // expect: WVA002
    }

    public void ReportOnCancelFresh(int statsAddress, CancellationToken token)
    {
        token.Register(() => Console.Error.WriteLine($"dropped {_memory.ReadInt32(statsAddress)} spans"));
    }

    public Task WhenUploaded() => Task.WhenAll(_uploads);
}
