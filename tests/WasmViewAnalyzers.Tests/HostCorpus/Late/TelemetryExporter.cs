// Telemetry exporter: a wasm protobuf encoder turns spans into OTLP batches that the host compresses and archives.
// Shape inspired by Extism-like plugin hosts (output buffer read back after each call) and log shippers with gzip/brotli sinks.
using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Late.TelemetryExporter;

public sealed unsafe class GuestMemoryManager : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public GuestMemoryManager(byte* pointer, int length)
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

public sealed class OtlpExporter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _encodeBatch; // batch id -> encoded length; output at OutputOffset
    private readonly Action _resetArena;
    private readonly GuestMemoryGuard _guard;
    private readonly Stream _spool;
    private const int OutputOffset = 0x20000;

    public OtlpExporter(Instance instance, Stream spoolFile, bool compress)
    {
        _memory = instance.GetMemory("memory")!;
        _guard = new GuestMemoryGuard(_memory);
        _encodeBatch = _guard.GetRequiredFunction<int, int>(instance, "encode_batch");
        _resetArena = instance.GetAction("reset_arena")!;
        _spool = compress ? new GZipStream(spoolFile, CompressionLevel.Fastest) : spoolFile;
    }

    private unsafe GuestMemoryManager OutputManager(int length) =>
        new((byte*)_memory.GetPointer() + OutputOffset, length);

    private unsafe UnmanagedMemoryStream OutputStream(int length) =>
        new((byte*)_memory.GetPointer() + OutputOffset, length);

    public void ExportToGzip(Stream file, int batch)
    {
        using var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
        int length = _encodeBatch(batch);
        var encoded = _memory.GetSpan(OutputOffset, length);
        gzip.Write(encoded); // expect: WVA004
    }

    public void ExportCopied(Stream file, int batch)
    {
        using var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
        int length = _encodeBatch(batch);
        gzip.Write(_memory.GetSpan(OutputOffset, length).ToArray());
    }

    public void ExportLeased(Stream file, int batch)
    {
        using var brotli = new BrotliStream(file, CompressionLevel.Fastest, leaveOpen: true);
        int length = _encodeBatch(batch);
        using var lease = _memory.LeaseCopy(OutputOffset, length);
        brotli.Write(lease.Span);
    }

    public void ExportPlain(Stream socket, int batch)
    {
        int length = _encodeBatch(batch);
        socket.Write(_memory.GetSpan(OutputOffset, length)); // an ordinary stream parameter, written while the view is fresh
    }

    public void SpoolBatch(int batch)
    {
        int length = _encodeBatch(batch);
        _spool.Write(_memory.GetSpan(OutputOffset, length)); // expect: WVA004
    }

    public void ExportTwoBatches(Stream file, int first, int second)
    {
        Stream sink = new BrotliStream(file, CompressionLevel.Fastest, leaveOpen: true);
        int length = _encodeBatch(first);
        var firstBytes = _memory.GetSpan(OutputOffset, length);
        int secondLength = _encodeBatch(second);
        sink.Write(firstBytes); // expect: WVA001, WVA004
        sink.Write(_memory.GetSpan(OutputOffset, secondLength)); // expect: WVA004
        sink.Dispose();
    }

    public async Task ExportAsync(Stream file, int batch)
    {
        await using var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
        int length = _encodeBatch(batch);
        var manager = OutputManager(length);
        await gzip.WriteAsync(manager.Memory); // expect: WVA004
    }

    public async Task ExportOverlappedAsync(Stream file, int batch, int next)
    {
        var deflate = new DeflateStream(file, CompressionLevel.Fastest, leaveOpen: true);
        int length = _encodeBatch(batch);
        var manager = OutputManager(length);
        var pending = deflate.WriteAsync(manager.Memory); // expect: WVA003
        _encodeBatch(next); // the write is still reading the first batch while the encoder overwrites it
        await pending;
        await deflate.DisposeAsync();
    }

    public async Task ExportCopiedAsync(Stream file, int batch, int next)
    {
        await using var deflate = new DeflateStream(file, CompressionLevel.Fastest, leaveOpen: true);
        int length = _encodeBatch(batch);
        var pending = deflate.WriteAsync(_memory.GetSpan(OutputOffset, length).ToArray());
        _encodeBatch(next);
        await pending;
    }

    public async Task ExportStreamAsync(Stream file, int batch)
    {
        await using var zlib = new ZLibStream(file, CompressionLevel.Fastest, leaveOpen: true);
        int length = _encodeBatch(batch);
        using var view = OutputStream(length);
        await view.CopyToAsync(zlib); // expect: WVA004
    }

    public void ExportGuarded(Stream file, int batch)
    {
        using var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
        int length = _encodeBatch(batch);
        var view = _guard.GetView(OutputOffset, length);
        view.AsStream().CopyTo(gzip); // a guarded stream checks itself on every read
    }

    public void ArchiveBatch(ZipArchive archive, int batch)
    {
        int length = _encodeBatch(batch);
        var entry = archive.CreateEntry($"batch-{batch}.pb");
        using var entryStream = entry.Open();
        var encoded = _memory.GetSpan(OutputOffset, length);
        _resetArena();
        entryStream.Write(encoded); // expect: WVA001, WVA004
    }

    public void ArchiveBatchSize(ZipArchive archive, int batch)
    {
        int length = _encodeBatch(batch);
        var encoded = _memory.GetSpan(OutputOffset, length);
        var entry = archive.CreateEntry($"batch-{batch}.pb");
        var header = BitConverter.GetBytes(encoded.Length);
        _resetArena();
        using var entryStream = entry.Open();
        entryStream.Write(header); // the length was read before the reset; header is the host's array
    }
}
