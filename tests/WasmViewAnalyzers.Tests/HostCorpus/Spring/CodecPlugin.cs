// Compression codec plugin host: a zstd-style compressor compiled to wasm produces frames in guest memory, the host
// exports them into zip/tar/gzip archives. Shape: the ImageBatch-style exporter of real hosts, Extism's output buffer (output_ptr/output_len).
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Spring.CodecPlugin;

// A SharpZipLib data source that keeps a raw pointer: it builds its stream only at CommitUpdate.
internal sealed unsafe class GuestFrameSource : IStaticDataSource
{
    private readonly byte* _start;
    private readonly int _length;

    public GuestFrameSource(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public Stream GetSource() => new UnmanagedMemoryStream(_start, _length);
}

internal sealed unsafe class FrameMemoryManager(byte* start, int length) : System.Buffers.MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new Span<byte>(start, length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new System.Buffers.MemoryHandle(start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

internal sealed class CopiedSource(byte[] bytes) : IStaticDataSource
{
    public Stream GetSource() => new MemoryStream(bytes, writable: false);
}

public sealed class FrameExporter
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int> _compress;
    private readonly Func<int> _outputLen;
    private readonly Func<int, int> _malloc;
    private readonly Action _reset;

    public FrameExporter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _compress = instance.GetFunction<int, int, int, int>("zstd_compress")!;
        _outputLen = instance.GetFunction<int>("output_len")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _reset = instance.GetAction("reset")!;
    }

    private int CompressFrame(byte[] input, int level)
    {
        _reset();
        var at = _malloc(input.Length);
        input.CopyTo(_memory.GetSpan(at, input.Length));
        return _compress(at, input.Length, level);
    }

    // A helper typed Stream that returns a view stream.
    private unsafe Stream OpenFrame(int address, int length) => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);

    public void ExportDotNetZip(IReadOnlyDictionary<string, byte[]> files, string path)
    {
        using var zip = new Ionic.Zip.ZipFile();
        foreach (var (name, data) in files)
        {
            var frame = CompressFrame(data, 3);
            var length = _outputLen();
            var view = OpenFrame(frame, length);
            // DotNetZip reads the stream at Save, after the later frames reused the buffer.
            zip.AddEntry(name + ".zst", view); // expect: WVA003
            // Safe: the byte[] overload gets the host's own copy.
            zip.AddEntry(name + ".zst.bak", _memory.GetSpan(frame, length).ToArray());
        }
        zip.Save(path);
    }

    public unsafe void ExportWithWriter(IReadOnlyList<(string Name, byte[] Data)> files, string path)
    {
        using var zip = new Ionic.Zip.ZipFile();
        foreach (var (name, data) in files)
        {
            var frame = CompressFrame(data, 9);
            var length = _outputLen();
            var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + frame, length);
            // The write delegate runs at Save and captures the view stream.
            zip.AddEntry(name, (entryName, output) => content.CopyTo(output)); // expect: WVA003
        }
        zip.Save(path);
    }

    public unsafe void ExportSharpZip(IReadOnlyList<(string Name, byte[] Data)> files, string path)
    {
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(path);
        zip.BeginUpdate();
        foreach (var (name, data) in files)
        {
            var frame = CompressFrame(data, 1);
            var length = _outputLen();
            zip.Add(new GuestFrameSource((byte*)_memory.GetPointer() + frame, length), name); // expect: WVA003
            zip.Add(new CopiedSource(_memory.GetSpan(frame, length).ToArray()), name + ".copy");
        }
        zip.CommitUpdate();
    }

    public unsafe void ExportTar(IReadOnlyList<(string Name, byte[] Data)> files, Stream destination)
    {
        using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        UnmanagedMemoryStream? previous = null;
        foreach (var (name, data) in files)
        {
            var frame = CompressFrame(data, 5);
            var length = _outputLen();
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + frame, length), // expect: WVA003
            };
            tar.WriteEntry(entry);
            // Safe: a copy handed to the tar entry.
            var copy = new PaxTarEntry(TarEntryType.RegularFile, name + ".copy");
            copy.DataStream = new MemoryStream(_memory.GetSpan(frame, length).ToArray());
            tar.WriteEntry(copy);
            previous = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + frame, length);
        }
        if (previous is not null)
        {
            var _ = CompressFrame(Array.Empty<byte>(), 0);
            var trailer = new PaxTarEntry(TarEntryType.RegularFile, "trailer.zst");
            // 'previous' was created before the trailer's compression ran: stale and handed to the entry.
            trailer.DataStream = previous; // expect: WVA001, WVA003
            tar.WriteEntry(trailer);
        }
    }

    public void ExportGzip(byte[] data, Stream file, bool compressAgain)
    {
        var frame = CompressFrame(data, 19);
        var length = _outputLen();
        var output = _memory.GetSpan(frame, length);
        // Safe: a plain file stream, written at once.
        file.Write(output);
        using var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
        gzip.Write(output); // expect: WVA004
        Stream target = compressAgain ? new DeflateStream(file, CompressionLevel.Fastest, leaveOpen: true) : file;
        target.Write(output); // expect: WVA004
        // Safe: a single byte is a copy.
        gzip.WriteByte(output[0]);
        gzip.Write(output.ToArray());
    }

    public unsafe void ExportZipArchive(IReadOnlyList<(string Name, byte[] Data)> files, Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, data) in files)
        {
            var frame = CompressFrame(data, 2);
            // Evaluation order: GetPointer runs before output_len, so the stream is built over a pointer taken before a guest call.
            using var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + frame, _outputLen());
            using var entry = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
            content.CopyTo(entry); // expect: WVA001, WVA004
        }
    }

    private unsafe ReadOnlyMemory<byte> FrameMemory(int address, int length)
        => new FrameMemoryManager((byte*)_memory.GetPointer() + address, length).Memory;

    public async Task ExportAsync(byte[] first, byte[] second, Stream file)
    {
        using var brotli = new BrotliStream(file, CompressionLevel.Fastest, leaveOpen: true);
        var a = CompressFrame(first, 3);
        var firstLength = _outputLen();
        // The write is started, not awaited, before the next frame is compressed over the same buffer.
        var pending = brotli.WriteAsync(FrameMemory(a, firstLength)); // expect: WVA003
        var b = CompressFrame(second, 3);
        await pending;
        var secondLength = _outputLen();
        // Safe: a copy, started and awaited before anything else runs.
        var staged = brotli.WriteAsync(FrameMemory(b, secondLength).ToArray());
        await staged;
        // Safe: awaited at once on a copy.
        await brotli.WriteAsync(_memory.GetSpan(b, _outputLen()).ToArray());
    }
}
