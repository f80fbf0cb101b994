// An image exporter: a WebAssembly codec converts images; the host writes the outputs into ZIP
// archives with System.IO.Compression and DotNetZip.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using Wasmtime;

namespace Corpus.Images;

sealed unsafe class ImageExporter
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _convert;
    private readonly Func<int> _outputLength;
    private readonly Func<int, int> _upload;

    public ImageExporter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _convert = instance.GetFunction<int, int, int>("convert")!;
        _outputLength = instance.GetFunction<int>("output_length")!;
        _upload = instance.GetFunction<int, int>("upload")!;
    }

    public void ExportAll(IReadOnlyList<(string Name, int Length)> images, Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create);
        foreach (var (name, length) in images)
        {
            var input = _upload(length);
            var output = _convert(input, length);
            var bytes = _memory.GetSpan(output, _outputLength());
            using var entry = archive.CreateEntry(name + ".png").Open();
            entry.Write(bytes);
        }
    }

    public void ExportDeferred(IReadOnlyList<(string Name, int Length)> images, Stream destination)
    {
        var pending = new List<(string Name, UnmanagedMemoryStream Content)>();
        foreach (var (name, length) in images)
        {
            var output = _convert(_upload(length), length);
            pending.Add((name, new UnmanagedMemoryStream((byte*)_memory.GetPointer() + output, _outputLength())));
        }

        using var zip = new Ionic.Zip.ZipFile();
        foreach (var (name, content) in pending)
        {
            zip.AddEntry(name + ".png", content);
        }

        zip.Save(destination);
    }

    public void ExportOne(string name, int length, Stream destination)
    {
        var output = _convert(_upload(length), length);
        using var zip = new Ionic.Zip.ZipFile();
        var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + output, _outputLength());
        zip.AddEntry(name, content);
        zip.Save(destination);
    }

    public byte[] Thumbnail(int length)
    {
        var output = _convert(_upload(length), length);
        var pixels = _memory.GetSpan(output, 64 * 64 * 4);
        var header = _memory.GetSpan(_upload(16), 16);
        var result = new byte[16 + pixels.Length];
        header.CopyTo(result);
        pixels.CopyTo(result.AsSpan(16));
        return result;
    }

    public void Compress(int length, Stream destination)
    {
        var output = _convert(_upload(length), length);
        var bytes = _memory.GetSpan(output, _outputLength());
        using var gzip = new GZipStream(destination, CompressionLevel.Optimal);
        gzip.Write(bytes);
    }
}
