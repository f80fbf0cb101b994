// A backup tool: snapshots of guest state are handed to SharpZipLib, tar and GZip writers.
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Backup;

sealed class StreamSource : IStaticDataSource
{
    private readonly Stream _stream;

    public StreamSource(Stream stream)
    {
        _stream = stream;
    }

    public Stream GetSource() => _stream;
}

sealed unsafe class SnapshotWriter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _snapshot;
    private readonly Func<int> _snapshotLength;
    private readonly Dictionary<string, Stream> _open = new();
    private Stream? _current;

    public SnapshotWriter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _snapshot = instance.GetFunction<int, int>("snapshot")!;
        _snapshotLength = instance.GetFunction<int>("snapshot_length")!;
    }

    public void ToSharpZip(string path, int region)
    {
        var address = _snapshot(region);
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(path);
        zip.BeginUpdate();
        var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _snapshotLength());
        zip.Add(new StreamSource(stream), "snapshot.bin");
        zip.CommitUpdate();
    }

    public void ToTar(Stream destination, int region)
    {
        var address = _snapshot(region);
        using var tar = new TarWriter(destination);
        var entry = new PaxTarEntry(TarEntryType.RegularFile, "snapshot.bin");
        entry.DataStream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _snapshotLength());
        tar.WriteEntry(entry);
    }

    public void ToGzip(Stream destination, int region)
    {
        var address = _snapshot(region);
        var length = _snapshotLength();
        using var gzip = new GZipStream(destination, CompressionMode.Compress);
        using var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        content.CopyTo(gzip);
    }

    public void Keep(string name, int region)
    {
        var address = _snapshot(region);
        _open[name] = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _snapshotLength());
    }

    public void KeepCurrent(int region)
    {
        var address = _snapshot(region);
        var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _snapshotLength());
        _current = stream;
    }

    public Stream? Current => _current;
}
