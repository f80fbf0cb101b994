// Telemetry exporter: a guest aggregates spans and metrics into an export buffer, the host compresses each batch (GZip,
// Brotli, Deflate, ZLib, a zip entry) and logs through a handler that interns strings in the guest; OTLP-exporter-like.
using System;
using System.IO;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using Wasmtime;

namespace Corpus.HeldOut.TelemetryExporter;

[InterpolatedStringHandler]
public ref struct GuestLogHandler
{
    private readonly TelemetryExporter _owner;
    private DefaultInterpolatedStringHandler _inner;

    public GuestLogHandler(int literalLength, int formattedCount, TelemetryExporter owner)
    {
        _owner = owner;
        _inner = new DefaultInterpolatedStringHandler(literalLength, formattedCount);
    }

    public void AppendLiteral(string value) => _inner.AppendLiteral(value);

    // Every formatted hole is interned in the guest's string table: a guest call per hole.
    public void AppendFormatted<T>(T value)
    {
        _owner.Intern(value?.ToString() ?? string.Empty);
        _inner.AppendFormatted(value);
    }

    public string ToStringAndClear() => _inner.ToStringAndClear();
}

public sealed class TelemetryExporter
{
    private readonly Memory _memory;
    private readonly Func<int> _collect;
    private readonly Func<int> _batchLength;
    private readonly Action _reset;
    private readonly Func<int, int> _malloc;
    private readonly Func<int, int, int> _intern;
    private readonly TextWriter _log;

    public TelemetryExporter(Instance instance, TextWriter log)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _collect = instance.GetFunction<int>("collect") ?? throw new InvalidOperationException("collect");
        _batchLength = instance.GetFunction<int>("batch_length") ?? throw new InvalidOperationException("batch_length");
        _reset = instance.GetAction("reset") ?? throw new InvalidOperationException("reset");
        _malloc = instance.GetFunction<int, int>("malloc") ?? throw new InvalidOperationException("malloc");
        _intern = instance.GetFunction<int, int, int>("intern") ?? throw new InvalidOperationException("intern");
        _log = log;
    }

    internal int Intern(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var address = _malloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        return _intern(address, bytes.Length);
    }

    public void Log([InterpolatedStringHandlerArgument("")] ref GuestLogHandler handler) => _log.WriteLine(handler.ToStringAndClear());

    public void ExportGzip(Stream destination)
    {
        var address = _collect();
        var length = _batchLength();
        var batch = _memory.GetSpan(address, length);
        using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        gzip.Write(batch); // expect: WVA004
        _reset();
    }

    public void ExportGzipCopied(Stream destination)
    {
        var address = _collect();
        var length = _batchLength();
        using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        gzip.Write(_memory.GetSpan(address, length).ToArray());
        gzip.WriteByte(_memory.GetSpan(address, length)[0]);   // a single byte is a copy
        _reset();
    }

    public void ExportRaw(Stream destination)
    {
        var batch = _memory.GetSpan(_collect(), _batchLength());
        destination.Write(batch);                           // a plain Stream parameter is not a compressor
        _reset();
    }

    public void ExportBrotliAfterReset(Stream destination)
    {
        var batch = _memory.GetSpan(_collect(), _batchLength());
        _reset();
        using var brotli = new BrotliStream(destination, CompressionLevel.Optimal, leaveOpen: true);
        brotli.Write(batch); // expect: WVA001, WVA004
    }

    public void ExportToArchive(Stream destination, string name)
    {
        var address = _collect();
        var length = _batchLength();
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        var entry = archive.CreateEntry(name, CompressionLevel.Fastest);
        using var entryStream = entry.Open();
        entryStream.Write(_memory.GetSpan(address, length)); // expect: WVA004
    }

    public void ExportMaybeCompressed(FileStream file, bool compress)
    {
        var batch = _memory.GetSpan(_collect(), _batchLength());
        using Stream target = compress ? new DeflateStream(file, CompressionLevel.Optimal, leaveOpen: true) : file;
        target.Write(batch); // expect: WVA004
    }

    public void ExportByFormat(Stream output, string format)
    {
        var batch = _memory.GetSpan(_collect(), _batchLength());
        Stream sink = format switch
        {
            "gz" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => output,
        };
        sink.Write(batch); // expect: WVA004
        sink.Flush();
    }

    public void ExportLazily(Stream output, bool zlib)
    {
        var batch = _memory.GetSpan(_collect(), _batchLength());
        Stream? target = zlib ? null : output;
        target ??= new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true);
        target.Write(batch); // expect: WVA004
    }

    public void ExportNamed(Stream output)
    {
        var batch = _memory.GetSpan(_collect(), _batchLength());
        var (target, extension) = (new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true), ".gz");
        using (target)
        {
            target.Write(batch); // expect: WVA004
        }

        _log.WriteLine($"wrote {batch.Length} bytes as {extension}");
    }

    public void ExportPlainFile(string path)
    {
        var batch = _memory.GetSpan(_collect(), _batchLength());
        using Stream target = File.Create(path);            // only ever a file
        target.Write(batch);
    }

    public void ExportLogged(Stream destination)
    {
        var address = _collect();
        var length = _batchLength();
        var batch = _memory.GetSpan(address, length);
        Log($"exporting {length} bytes from {address}");   // the handler interns both holes in the guest
        destination.Write(batch); // expect: WVA001
    }

    public void ExportLoggedPlain(Stream destination)
    {
        var batch = _memory.GetSpan(_collect(), _batchLength());
        _log.WriteLine($"exporting {batch.Length} bytes, first {batch[0]:x2}");   // an ordinary interpolated string
        destination.Write(batch);
        Log($"exported {batch.Length} bytes");             // guest call after the last use
    }

    public void Restore(Stream compressed, int address, int length)
    {
        // Decompressing into guest memory: the view is written by the reader at once.
        using var gunzip = new GZipStream(compressed, CompressionMode.Decompress);
        gunzip.ReadExactly(_memory.GetSpan(address, length));
    }
}
