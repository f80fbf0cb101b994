// Log-export service: a wasm log formatter renders chunks of a session log; the host compresses them with a chosen codec.
// Shape from export tools that pick a compressor at run time (gzip, brotli, zlib, none) and stream guest output into it.
using System;
using System.IO;
using System.IO.Compression;
using System.Threading;
using Wasmtime;

namespace Corpus.Dev.DeflateChunkStreamer;

public enum Codec
{
    None,
    Gzip,
    Brotli,
    Zlib,
}

public sealed unsafe class LogExporter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _renderChunk;   // chunk index -> address
    private readonly Func<int> _chunkLength;
    private readonly Action _flushFormatter;
    private readonly Func<int, int> _decompressInto;
    private readonly object _gate = new();

    public LogExporter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _renderChunk = instance.GetFunction<int, int>("render_chunk")!;
        _chunkLength = instance.GetFunction<int>("chunk_length")!;
        _flushFormatter = instance.GetAction("flush_formatter")!;
        _decompressInto = instance.GetFunction<int, int>("reserve_input")!;
    }

    private Span<byte> Chunk(int index) => _memory.GetSpan(_renderChunk(index), _chunkLength());

    public void Export(Stream file, Codec codec, int chunks)
    {
        using Stream output = codec switch
        {
            Codec.Gzip => new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true),
            Codec.Brotli => new BrotliStream(file, CompressionLevel.Optimal, leaveOpen: true),
            Codec.Zlib => new ZLibStream(file, CompressionLevel.Optimal, leaveOpen: true),
            _ => file,
        };
        for (var i = 0; i < chunks; i++)
        {
            var chunk = Chunk(i);
            output.Write(chunk); // expect: WVA004
        }
    }

    public void ExportLazily(Stream file, bool compress, int chunks)
    {
        Stream? sink = null;
        for (var i = 0; i < chunks; i++)
        {
            var chunk = Chunk(i);
            if (compress)
            {
                sink ??= new DeflateStream(file, CompressionLevel.Fastest, leaveOpen: true);
            }
            else
            {
                sink ??= file;
            }

            sink.Write(chunk); // expect: WVA004
        }

        sink?.Dispose();
    }

    public void ExportNamed(string directory, int chunks)
    {
        var (target, name) = (new ZLibStream(File.Create(Path.Combine(directory, "log.z")), CompressionLevel.Fastest), "log.z");
        using (target)
        {
            for (var i = 0; i < chunks; i++)
            {
                target.Write(Chunk(i)); // expect: WVA004
            }
        }

        Console.WriteLine($"wrote {name}");
    }

    public void ExportPlain(Stream file, int chunks)
    {
        Stream output = file;
        var buffer = new MemoryStream();
        for (var i = 0; i < chunks; i++)
        {
            var chunk = Chunk(i);
            output.Write(chunk);                       // a plain stream parameter
            buffer.Write(chunk);                       // a MemoryStream copies
        }
    }

    public void ExportCopied(Stream file, int chunks)
    {
        using var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
        for (var i = 0; i < chunks; i++)
        {
            gzip.Write(Chunk(i).ToArray());            // a copy
        }
    }

    public void ExportLocked(GZipStream gzip, int index)
    {
        var chunk = Chunk(index);
        lock (_gate)
        {
            gzip.Write(chunk); // expect: WVA004
        }
    }

    public void ExportFromStream(Stream file, int index)
    {
        var address = _renderChunk(index);
        var length = _chunkLength();
        using var view = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        using var brotli = new BrotliStream(file, CompressionLevel.Fastest, leaveOpen: true);
        view.CopyTo(brotli); // expect: WVA004
    }

    public void ExportFromStreamToFile(Stream file, int index)
    {
        var address = _renderChunk(index);
        var length = _chunkLength();
        using var view = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        view.CopyTo(file);                             // a plain file stream
    }

    // Reads a compressed archive back into guest memory: the decompressor writes into the view, it does not read it.
    public int Import(Stream compressed, int size)
    {
        var target = _memory.GetSpan(_decompressInto(size), size);
        using var inflate = new GZipStream(compressed, CompressionMode.Decompress);
        inflate.ReadExactly(target);
        return target.Length;
    }

    public int ImportStale(Stream compressed, int size)
    {
        var target = _memory.GetSpan(_decompressInto(size), size);
        _flushFormatter();
        using var inflate = new GZipStream(compressed, CompressionMode.Decompress);
        inflate.ReadExactly(target); // expect: WVA001
        return target.Length;
    }

    public void ExportWithFooter(Stream file, int chunks)
    {
        using var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
        var header = Chunk(0);
        try
        {
            for (var i = 1; i < chunks; i++)
            {
                gzip.Write(Chunk(i).ToArray());
            }
        }
        finally
        {
            _flushFormatter();
        }

        file.Write(header); // expect: WVA001
    }

    public int ExportWithRecovery(Stream file, int chunks)
    {
        var first = Chunk(0);
        var written = 0;
        try
        {
            for (var i = 1; i < chunks; i++)
            {
                file.Write(Chunk(i));
                written++;
            }
        }
        catch (IOException)
        {
            file.Write(first); // expect: WVA001
        }

        return written;
    }

    public int ExportByMode(Stream file, int mode)
    {
        var chunk = Chunk(0);
        switch (mode)
        {
            case 0:
                break;
            case 1:
                _flushFormatter();
                break;
            default:
                return 0;
        }

        file.Write(chunk); // expect: WVA001
        return chunk.Length;
    }

    public int ExportByModeSafely(Stream file, int mode)
    {
        var chunk = Chunk(0);
        switch (mode)
        {
            case 0:
                file.Write(chunk);
                break;
            case 1:
                file.Write(chunk);
                _flushFormatter();
                return chunk.Length;                   // Length after the call: fine
            default:
                return 0;
        }

        return chunk.Length;
    }

    public void ExportUnlessFlushed(Stream file, bool flushFirst)
    {
        var chunk = Chunk(0);
        if (flushFirst)
        {
            _flushFormatter();
            return;                                    // the path with the call does not reach the write
        }

        file.Write(chunk);
    }
}
