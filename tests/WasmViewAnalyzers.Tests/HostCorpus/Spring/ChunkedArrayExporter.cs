// Scientific dataset exporter (HDF5/Zarr-like): a wasm chunk encoder (shuffle + delta filters) produces chunks of a
// large array in guest memory; the host writes them into zip, tar and gzip containers. Shape: the image-batch archivers of real hosts.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.Tar;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Spring.ChunkedArrayExporter;

public sealed class ChunkEncoder
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int, int> _encode;
    private readonly Func<int> _chunkLen;
    private readonly Stream _journal;

    public ChunkEncoder(Instance instance, Stream journalFile)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _encode = instance.GetFunction<int, int, int, int>("encode_chunk")!;
        _chunkLen = instance.GetFunction<int>("chunk_len")!;
        // The journal field is a compressor wherever it is written.
        _journal = new GZipStream(journalFile, CompressionLevel.Fastest);
    }

    private int EncodeChunk(float[] values, int filter)
    {
        var at = _alloc(values.Length * 4);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(_memory.GetSpan(at, values.Length * 4));
        return _encode(at, values.Length, filter);
    }

    private static void WriteAll(Stream destination, ReadOnlySpan<byte> bytes) => destination.Write(bytes);

    public unsafe void ExportZip(IReadOnlyDictionary<string, float[]> chunks, string path)
    {
        var encoded = new Dictionary<string, UnmanagedMemoryStream>();
        foreach (var (name, values) in chunks)
        {
            var at = EncodeChunk(values, 1);
            var length = _chunkLen();
            encoded.Add(name, new UnmanagedMemoryStream((byte*)_memory.GetPointer() + at, length)); // expect: WVA002
        }
        using var zip = new Ionic.Zip.ZipFile();
        foreach (var (name, stream) in encoded)
        {
            // Every chunk but the last was overwritten by later encodes, and DotNetZip reads it again at Save.
            zip.UpdateEntry(name, stream); // expect: WVA001, WVA003
        }
        zip.Save(path);
    }

    public void ExportSharpZip(IReadOnlyList<(string Name, float[] Values)> chunks, Stream destination)
    {
        using var zos = new ICSharpCode.SharpZipLib.Zip.ZipOutputStream(destination) { IsStreamOwner = false };
        foreach (var (name, values) in chunks)
        {
            var at = EncodeChunk(values, 2);
            var chunk = _memory.GetSpan(at, _chunkLen());
            zos.PutNextEntry(new ICSharpCode.SharpZipLib.Zip.ZipEntry(name));
            zos.Write(chunk); // expect: WVA004
            zos.CloseEntry();
            // Safe: the helper writes into a Stream parameter, which the rule does not take for a compressor.
            WriteAll(destination, chunk);
        }
    }

    public void ExportTar(IReadOnlyList<(string Name, float[] Values)> chunks, Stream destination)
    {
        using var tar = new TarOutputStream(destination, System.Text.Encoding.UTF8) { IsStreamOwner = false };
        foreach (var (name, values) in chunks)
        {
            var at = EncodeChunk(values, 0);
            var length = _chunkLen();
            var header = TarEntry.CreateTarEntry(name);
            header.Size = length;
            tar.PutNextEntry(header);
            // Safe: a pooled lease copy goes into the tar stream.
            using (var lease = _memory.LeaseCopy(at, length))
            {
                tar.Write(lease.Span);
            }
            tar.CloseEntry();
        }
    }

    public void Journal(float[] values)
    {
        var at = EncodeChunk(values, 3);
        var chunk = _memory.GetSpan(at, _chunkLen());
        _journal.Write(chunk); // expect: WVA004
        // Safe: a single byte and a copy.
        _journal.WriteByte(chunk[0]);
        _journal.Write(chunk.ToArray());
    }

    public void ParallelDeflate(float[] first, float[] second, Stream destination)
    {
        using var deflate = new Ionic.Zlib.ParallelDeflateOutputStream(destination, leaveOpen: true);
        var at = EncodeChunk(first, 1);
        var chunk = _memory.GetSpan(at, _chunkLen());
        var checksum = Crc(chunk);
        var next = EncodeChunk(second, 1);
        // The first chunk's bytes were overwritten by the second encode.
        deflate.Write(chunk); // expect: WVA001, WVA004
        deflate.Write(_memory.GetSpan(next, _chunkLen()).ToArray());
        deflate.Write(BitConverter.GetBytes(checksum));
    }

    public async Task ExportArchiveAsync(IReadOnlyList<(string Name, float[] Values)> chunks, Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, values) in chunks)
        {
            var stream = OpenChunk(EncodeChunk(values, 4));
            await using var entry = archive.CreateEntry(name).Open();
            // The copy is started, and the next statement encodes again before it is awaited.
            var copying = stream.CopyToAsync(entry); // expect: WVA003
            var marker = EncodeChunk(Array.Empty<float>(), 0);
            await copying;
            // Safe: awaited at once, from a copy.
            await new MemoryStream(_memory.GetSpan(marker, _chunkLen()).ToArray()).CopyToAsync(entry);
        }
    }

    private unsafe UnmanagedMemoryStream OpenChunk(int at)
    {
        var length = _chunkLen();
        return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + at, length);
    }

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        uint h = 2166136261;
        foreach (var b in data) h = (h ^ b) * 16777619;
        return h;
    }
}
