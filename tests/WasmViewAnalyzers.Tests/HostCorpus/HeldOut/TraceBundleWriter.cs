// Diagnostics bundle writer: guest-produced trace chunks go into a SharpZipLib ZipFile update (IStaticDataSource), a tar bundle
// (System.Formats.Tar), SharpZipLib output streams and async compressed writes; shaped after support-bundle exporters.
using System;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;
using SharpTarEntry = ICSharpCode.SharpZipLib.Tar.TarEntry;
using SharpTarOutputStream = ICSharpCode.SharpZipLib.Tar.TarOutputStream;
using ZipFile = ICSharpCode.SharpZipLib.Zip.ZipFile;

namespace Corpus.HeldOut.TraceBundleWriter;

// Keeps a raw pointer until the archive asks for the data (a class with a primary constructor).
internal sealed unsafe class PointerSource(byte* start, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream(start, length);
}

// Holds only offsets, but builds a stream over guest memory itself when CommitUpdate asks for it.
internal sealed class GuestRegionSource : IStaticDataSource
{
    private readonly Memory _memory;
    private readonly int _offset;
    private readonly int _length;

    public GuestRegionSource(Memory memory, int offset, int length)
    {
        _memory = memory;
        _offset = offset;
        _length = length;
    }

    public unsafe Stream GetSource() => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _offset, _length);
}

internal sealed class StreamSource(Stream stream) : IStaticDataSource
{
    public Stream GetSource() => stream;
}

internal sealed class CopySource(byte[] bytes) : IStaticDataSource
{
    public Stream GetSource() => new MemoryStream(bytes, writable: false);
}

public sealed class TraceBundleWriter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _chunk;
    private readonly Func<int> _chunkLength;
    private readonly Action _advance;

    public TraceBundleWriter(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _chunk = instance.GetFunction<int, int>("trace_chunk") ?? throw new InvalidOperationException("trace_chunk");
        _chunkLength = instance.GetFunction<int>("trace_chunk_length") ?? throw new InvalidOperationException("trace_chunk_length");
        _advance = instance.GetAction("trace_advance") ?? throw new InvalidOperationException("trace_advance");
    }

    private ReadOnlyMemory<byte> ChunkMemory(int address, int length) => new ChunkManager(_memory.GetPointer() + address, length).Memory;

    public unsafe void UpdateZip(ZipFile zip, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        zip.BeginUpdate();
        // The data source is handed to the archive, not to a collection: WVA003, not WVA002.
        zip.Add(new PointerSource((byte*)_memory.GetPointer() + address, length), $"trace-{id}.bin"); // expect: WVA003
        zip.Add(new GuestRegionSource(_memory, address, length), $"trace-{id}.region"); // expect: WVA003
        zip.Add(new CopySource(_memory.GetSpan(address, length).ToArray()), $"trace-{id}.copy");
        zip.CommitUpdate();
    }

    public unsafe void UpdateZipFromLocal(ZipFile zip, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        var source = new StreamSource(stream);
        zip.BeginUpdate();
        zip.Add(source, $"trace-{id}.bin"); // expect: WVA003
        zip.CommitUpdate();
    }

    public void UpdateZipCopied(ZipFile zip, int id)
    {
        var address = _chunk(id);
        var copy = new MemoryStream(_memory.GetSpan(address, _chunkLength()).ToArray(), writable: false);
        zip.BeginUpdate();
        zip.Add(new StreamSource(copy), $"trace-{id}.bin");
        zip.CommitUpdate();
    }

    public unsafe void WriteTar(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var entry = new PaxTarEntry(TarEntryType.RegularFile, $"trace-{id}.bin") { DataStream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length) }; // expect: WVA003
        tar.WriteEntry(entry);
    }

    public unsafe void WriteTarAfterAdvance(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        _advance();
        using var tar = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        var entry = new GnuTarEntry(TarEntryType.RegularFile, $"trace-{id}.bin");
        entry.DataStream = content; // expect: WVA001, WVA003
        tar.WriteEntry(entry);
    }

    public void WriteTarCopied(Stream output, int id)
    {
        var address = _chunk(id);
        using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        var entry = new UstarTarEntry(TarEntryType.RegularFile, $"trace-{id}.bin")
        {
            DataStream = new MemoryStream(_memory.GetSpan(address, _chunkLength()).ToArray()),
        };
        tar.WriteEntry(entry);
    }

    public void WriteSharpZip(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        using var zos = new ZipOutputStream(output) { IsStreamOwner = false };
        zos.PutNextEntry(new ZipEntry($"trace-{id}.bin"));
        zos.Write(_memory.GetSpan(address, length)); // expect: WVA004
        zos.CloseEntry();
    }

    public void WriteSharpTar(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        using var tar = new SharpTarOutputStream(output, Encoding.UTF8) { IsStreamOwner = false };
        var entry = SharpTarEntry.CreateTarEntry($"trace-{id}.bin");
        entry.Size = length;
        tar.PutNextEntry(entry);
        tar.Write(_memory.GetSpan(address, length)); // expect: WVA004
        tar.CloseEntry();
    }

    public unsafe void WriteBzip(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        using var view = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        using var bzip = new BZip2OutputStream(output) { IsStreamOwner = false };
        view.CopyTo(bzip); // expect: WVA004
    }

    public unsafe void WriteBzipFromCopy(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        using var bzip = new BZip2OutputStream(output) { IsStreamOwner = false };
        using var copy = new MemoryStream(new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + address, length).ToArray());
        copy.CopyTo(bzip);
    }

    public async Task CompressAsync(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        var pending = gzip.WriteAsync(ChunkMemory(address, length)); // expect: WVA003
        _advance();                                         // the guest runs before the write is awaited
        await pending;
    }

    public async Task CompressAwaitedAsync(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        await gzip.WriteAsync(ChunkMemory(address, length)); // expect: WVA004
        _advance();
    }

    public async Task CompressTaskAwaitedFirstAsync(Stream output, int id)
    {
        var address = _chunk(id);
        var length = _chunkLength();
        await using var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true);
        var write = deflate.WriteAsync(ChunkMemory(address, length)); // expect: WVA004
        await write;                                        // awaited before anything calls the guest
        _advance();
    }

    public async Task CompressCopyAsync(Stream output, int id)
    {
        var address = _chunk(id);
        var copy = ChunkMemory(address, _chunkLength()).ToArray();
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        var pending = gzip.WriteAsync(copy);                // a copy may be written in the background
        _advance();
        await pending;
    }

    public void FireAndForget(GZipStream gzip, int id)
    {
        var address = _chunk(id);
        _ = gzip.WriteAsync(ChunkMemory(address, _chunkLength())); // expect: WVA003
    }
}

internal sealed unsafe class ChunkManager : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public ChunkManager(nint start, int length)
    {
        _start = (byte*)start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_start, _length);

    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new System.Buffers.MemoryHandle(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
