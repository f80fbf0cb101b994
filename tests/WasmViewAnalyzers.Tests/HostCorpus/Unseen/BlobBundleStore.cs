// A blob store writing zip/tar/gzip bundles of chunks produced by a dedup/compression engine in the guest: SharpZipLib
// data sources, System.IO.Compression entries and compressor streams chosen at run time, the shape of backup tools' writers.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;
using SharpZipFile = ICSharpCode.SharpZipLib.Zip.ZipFile;

namespace Corpus.Unseen.BlobBundleStore;

internal sealed unsafe class PointerSource(byte* start, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream(start, length);
}

internal sealed class ChunkSource(Memory memory, int address, int length) : IStaticDataSource
{
    // Builds the stream over guest memory only when the archive is committed.
    public unsafe Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
}

internal sealed class BytesSource(byte[] bytes) : IStaticDataSource
{
    public Stream GetSource() => new MemoryStream(bytes, writable: false);
}

internal sealed class StreamSource : IStaticDataSource
{
    private readonly Stream _stream;

    public StreamSource(Stream stream)
    {
        _stream = stream;
    }

    public Stream GetSource() => _stream;
}

public sealed unsafe class BlobBundleWriter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _loadChunk;
    private readonly Func<int> _chunkLength;
    private readonly Stream _journal;

    public BlobBundleWriter(Instance instance, string journalPath)
    {
        _memory = instance.GetMemory("memory")!;
        _loadChunk = instance.GetFunction<int, int>("load_chunk")!;
        _chunkLength = instance.GetFunction<int>("chunk_length")!;
        _journal = new DeflateStream(File.Create(journalPath), CompressionLevel.Fastest);
    }

    public void CommitToExisting(string path, IReadOnlyList<int> chunkIds)
    {
        using (SharpZipFile zip = new SharpZipFile(path))
        {
            zip.BeginUpdate();
            foreach (int id in chunkIds)
            {
                int address = _loadChunk(id);
                int length = _chunkLength();
                zip.Add(new PointerSource((byte*)_memory.GetPointer() + address, length), $"chunks/{id:x8}"); // expect: WVA003
            }

            zip.CommitUpdate();
        }
    }

    public void CommitLazy(string path, IReadOnlyList<int> chunkIds)
    {
        using (SharpZipFile zip = new SharpZipFile(path))
        {
            zip.BeginUpdate();
            foreach (int id in chunkIds)
            {
                int address = _loadChunk(id);
                zip.Add(new ChunkSource(_memory, address, _chunkLength()), $"chunks/{id:x8}"); // expect: WVA003
            }

            zip.CommitUpdate();
        }
    }

    public void CommitCopied(string path, IReadOnlyList<int> chunkIds)
    {
        using (SharpZipFile zip = new SharpZipFile(path))
        {
            zip.BeginUpdate();
            foreach (int id in chunkIds)
            {
                int address = _loadChunk(id);
                int length = _chunkLength();
                zip.Add(new BytesSource(_memory.GetSpan(address, length).ToArray()), $"chunks/{id:x8}");
            }

            zip.CommitUpdate();
        }
    }

    public void CommitManifest(string path, int manifestId)
    {
        using (SharpZipFile zip = new SharpZipFile(path))
        {
            zip.BeginUpdate();
            int address = _loadChunk(manifestId);
            int length = _chunkLength();
            var manifest = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
            var source = new StreamSource(manifest);
            zip.Add(source, "manifest.json"); // expect: WVA003
            zip.CommitUpdate();
        }
    }

    public void WriteStreamed(Stream destination, IReadOnlyList<int> chunkIds)
    {
        using (var zip = new ZipOutputStream(destination))
        {
            zip.IsStreamOwner = false;
            foreach (int id in chunkIds)
            {
                int address = _loadChunk(id);
                int length = _chunkLength();
                ReadOnlySpan<byte> chunk = _memory.GetSpan(address, length);
                zip.PutNextEntry(new ZipEntry($"{id:x8}.bin") { Size = length });
                zip.Write(chunk); // expect: WVA004
                zip.CloseEntry();
            }
        }
    }

    public void WriteBlob(string path, int id, bool compress)
    {
        int address = _loadChunk(id);
        int length = _chunkLength();
        ReadOnlySpan<byte> chunk = _memory.GetSpan(address, length);
        using FileStream file = File.Create(path);
        using Stream target = compress ? new GZipStream(file, CompressionLevel.Optimal) : file;
        target.Write(chunk); // expect: WVA004
    }

    public void WriteBlobUncompressed(string path, int id)
    {
        int address = _loadChunk(id);
        ReadOnlySpan<byte> chunk = _memory.GetSpan(address, _chunkLength());
        using FileStream file = File.Create(path);
        Stream target = file;
        // An ordinary file stream: not a compressor on any path.
        target.Write(chunk);
    }

    public void WriteArchive(Stream destination, IReadOnlyList<int> chunkIds)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (int id in chunkIds)
        {
            int address = _loadChunk(id);
            int length = _chunkLength();
            var chunk = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
            using Stream entry = archive.CreateEntry($"{id:x8}.bin", CompressionLevel.Fastest).Open();
            chunk.CopyTo(entry); // expect: WVA004
        }
    }

    public void WriteArchiveCopied(Stream destination, IReadOnlyList<int> chunkIds)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (int id in chunkIds)
        {
            int address = _loadChunk(id);
            int length = _chunkLength();
            using Stream entry = archive.CreateEntry($"{id:x8}.bin", CompressionLevel.Fastest).Open();
            entry.Write(_memory.GetSpan(address, length).ToArray());
        }
    }

    public void WriteColdTier(string path, int first, int second)
    {
        int address = _loadChunk(first);
        var chunk = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _chunkLength());
        // Prefetching the next chunk runs load_chunk in the guest while 'chunk' is still unread.
        int next = _loadChunk(second);
        using (FileStream file = File.Create(path))
        using (var bzip = new BZip2OutputStream(file))
        {
            chunk.CopyTo(bzip); // expect: WVA001, WVA004
            bzip.Write(_memory.GetSpan(next, _chunkLength()).ToArray());
        }
    }

    public void Journal(int id)
    {
        int address = _loadChunk(id);
        ReadOnlySpan<byte> chunk = _memory.GetSpan(address, _chunkLength());
        // _journal is a DeflateStream, assigned in the constructor.
        _journal.Write(chunk); // expect: WVA004
    }

    public void JournalLength(int id)
    {
        int address = _loadChunk(id);
        ReadOnlySpan<byte> chunk = _memory.GetSpan(address, _chunkLength());
        Span<byte> header = stackalloc byte[4];
        BitConverter.TryWriteBytes(header, chunk.Length);
        // A stackalloc'd header: the host's own bytes.
        _journal.Write(header);
    }

    public void Restore(Stream compressed, int address, int length)
    {
        Span<byte> target = _memory.GetSpan(address, length);
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        // Decompressing into guest memory reads the compressed stream, not the view.
        gzip.ReadExactly(target);
    }
}
