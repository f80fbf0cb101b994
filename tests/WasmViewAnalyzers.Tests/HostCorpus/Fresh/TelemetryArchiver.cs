// Telemetry exporter: an OTLP encoder compiled to wasm turns span batches into protobuf; the host gzips, zips and tars them.
// Shape from log shippers that stage encoder output in guest memory and hand it to archive writers (DotNetZip, SharpZipLib, tar).
using System;
using System.Buffers;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Fresh.TelemetryArchiver;

internal sealed unsafe class EncodedBatchMemory(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

// Builds its stream over guest memory when SharpZipLib asks for it, at CommitUpdate.
internal sealed unsafe class GuestBatchSource(Memory memory, int address, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
}

// Keeps a raw address into guest memory and reads it when SharpZipLib calls GetSource.
internal sealed unsafe class PointerBatchSource(nint start, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream((byte*)start, length);
}

internal sealed class CopiedBatchSource(byte[] bytes) : IStaticDataSource
{
    public Stream GetSource() => new MemoryStream(bytes, writable: false);
}

public sealed class TelemetryExporter
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _encode;
    private readonly Func<int> _encodedLength;
    private readonly Stream _rollingOutput;

    public TelemetryExporter(Instance instance, string rollingPath)
    {
        _memory = instance.GetMemory("memory")!;
        _encode = instance.GetFunction<int, int, int>("otlp_encode")!;
        _encodedLength = instance.GetFunction<int>("otlp_encoded_length")!;
        _rollingOutput = new BrotliStream(File.Create(rollingPath), CompressionLevel.Fastest);
    }

    private int Encode(int batchAddress, int spanCount) => _encode(batchAddress, spanCount);

    private unsafe UnmanagedMemoryStream OpenEncoded(int address)
    {
        int length = _encodedLength(); // asked before the pointer is taken
        return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
    }

    private unsafe ReadOnlyMemory<byte> EncodedMemory(int address, int length) =>
        new EncodedBatchMemory((byte*)_memory.GetPointer() + address, length).Memory;

    public void ExportDotNetZip(IReadOnlyList<(string Name, int Address, int Spans)> batches, string path)
    {
        using (var zip = new Ionic.Zip.ZipFile())
        {
            foreach (var batch in batches)
            {
                int output = Encode(batch.Address, batch.Spans);
                UnmanagedMemoryStream content = OpenEncoded(output);
                zip.AddEntry(batch.Name + ".pb", content); // expect: WVA003
            }
            zip.Save(path);
        }
    }

    public void ExportDotNetZipCopied(IReadOnlyList<(string Name, int Address, int Spans)> batches, string path)
    {
        using (var zip = new Ionic.Zip.ZipFile())
        {
            foreach (var batch in batches)
            {
                int output = Encode(batch.Address, batch.Spans);
                byte[] content = _memory.GetSpan(output, _encodedLength()).ToArray();
                zip.AddEntry(batch.Name + ".pb", content); // the host's own array
            }
            zip.Save(path);
        }
    }

    public void ExportWithWriter(string name, int batchAddress, int spans, string path)
    {
        using var zip = new Ionic.Zip.ZipFile();
        int output = Encode(batchAddress, spans);
        UnmanagedMemoryStream content = OpenEncoded(output);
        zip.AddEntry(name, (entryName, destination) => content.CopyTo(destination)); // expect: WVA003
        zip.Save(path);
    }

    public void ExportSharpZip(string archivePath, IEnumerable<(string Name, int Address, int Spans)> batches)
    {
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(archivePath);
        zip.BeginUpdate();
        foreach (var (name, address, spans) in batches)
        {
            int output = Encode(address, spans);
            int length = _encodedLength();
            zip.Add(new GuestBatchSource(_memory, output, length), name); // expect: WVA003
        }
        zip.CommitUpdate();
    }

    public unsafe void ExportSharpZipLocalSource(string archivePath, string name, int batchAddress, int spans)
    {
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(archivePath);
        zip.BeginUpdate();
        int output = Encode(batchAddress, spans);
        int length = _encodedLength();
        var source = new PointerBatchSource(_memory.GetPointer() + output, length);
        zip.Add(source, name); // expect: WVA003
        zip.CommitUpdate();
    }

    public void ExportSharpZipCopied(string archivePath, IEnumerable<(string Name, int Address, int Spans)> batches)
    {
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(archivePath);
        zip.BeginUpdate();
        foreach (var (name, address, spans) in batches)
        {
            int output = Encode(address, spans);
            zip.Add(new CopiedBatchSource(_memory.GetSpan(output, _encodedLength()).ToArray()), name);
        }
        zip.CommitUpdate();
    }

    public void ExportTar(Stream destination, string name, int batchAddress, int spans)
    {
        using var tar = new TarWriter(destination, leaveOpen: true);
        int output = Encode(batchAddress, spans);
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = OpenEncoded(output), // expect: WVA003
        };
        tar.WriteEntry(entry);
        var manifest = new PaxTarEntry(TarEntryType.RegularFile, name + ".len")
        {
            DataStream = new MemoryStream(BitConverter.GetBytes(_encodedLength())), // a copy of an int
        };
        tar.WriteEntry(manifest);
    }

    public async Task ExportGzipAsync(Stream destination, int[] batchAddresses, int spans)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true);
        int output = Encode(batchAddresses[0], spans);
        ReadOnlyMemory<byte> encoded = EncodedMemory(output, _encodedLength());
        ValueTask pending = gzip.WriteAsync(encoded); // expect: WVA003
        int next = Encode(batchAddresses[1], spans); // runs while the write may still read 'encoded'
        await pending;
        await gzip.WriteAsync(_memory.GetSpan(next, _encodedLength()).ToArray()); // a copy, awaited
    }

    public async Task ExportGzipAwaitedAsync(Stream destination, int batchAddress, int spans)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true);
        int output = Encode(batchAddress, spans);
        ReadOnlyMemory<byte> encoded = EncodedMemory(output, _encodedLength());
        await gzip.WriteAsync(encoded); // expect: WVA004
    }

    public void AppendRolling(int batchAddress, int spans)
    {
        int output = Encode(batchAddress, spans);
        ReadOnlySpan<byte> encoded = _memory.GetSpan(output, _encodedLength());
        _rollingOutput.Write(encoded); // expect: WVA004
    }

    public void ExportToFile(string path, int batchAddress, int spans, bool compress)
    {
        using FileStream file = File.Create(path);
        Stream target = compress ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true) : file;
        int output = Encode(batchAddress, spans);
        ReadOnlySpan<byte> encoded = _memory.GetSpan(output, _encodedLength());
        target.Write(encoded); // expect: WVA004
        file.Write(encoded); // a plain file copies at once
        target.Dispose();
    }

    public unsafe void AppendRaw(FileStream file, int batchAddress, int spans)
    {
        int output = Encode(batchAddress, spans);
        // C# takes the pointer first, then runs the otlp_encoded_length export, then builds the stream over the old pointer.
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + output, _encodedLength()).CopyTo(file); // expect: WVA001
        int length = _encodedLength();
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + output, length).CopyTo(file); // length asked first: fresh
    }

    public void ExportZipArchive(Stream destination, IReadOnlyList<(string Name, int Address, int Spans)> batches)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        int first = Encode(batches[0].Address, batches[0].Spans);
        using UnmanagedMemoryStream firstContent = OpenEncoded(first);
        int second = Encode(batches[1].Address, batches[1].Spans);
        using (Stream entry = archive.CreateEntry(batches[0].Name).Open())
        {
            firstContent.CopyTo(entry); // expect: WVA001, WVA004
        }
        using (Stream entry = archive.CreateEntry(batches[1].Name).Open())
        {
            byte[] copy = _memory.GetSpan(second, _encodedLength()).ToArray();
            entry.Write(copy); // compresses the host's copy
        }
    }
}
