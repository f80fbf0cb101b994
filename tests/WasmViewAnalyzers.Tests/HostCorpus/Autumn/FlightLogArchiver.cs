// Drone flight-log (ULog) archiver: a wasm decoder splits a flight log into topic streams (attitude, GPS, battery) in
// guest memory; the host archives each topic. Shape: exporters with SharpZipLib/DotNetZip data sources and tar streams.
using System;
using System.Collections.Generic;
using System.IO;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.Tar;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Autumn.FlightLogArchiver;

public sealed class TopicTable
{
    private readonly Memory _memory;
    private readonly Func<int, int> _topicAddress;
    private readonly Func<int, int> _topicLength;
    private readonly Func<int> _topicCount;
    public TopicTable(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _topicAddress = instance.GetFunction<int, int>("topic_address")!;
        _topicLength = instance.GetFunction<int, int>("topic_length")!;
        _topicCount = instance.GetFunction<int>("topic_count")!;
    }

    public Memory Memory => _memory;
    // A property whose getter asks the guest: reading it is a guest call.
    public int Count => _topicCount();
    public int AddressOf(int topic) => _topicAddress(topic);
    public int LengthOf(int topic) => _topicLength(topic);
}

// A SharpZipLib data source with a primary constructor over a raw pointer.
public sealed unsafe class TopicSource(byte* start, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream(start, length);
}

// A data source that copies when it is created.
public sealed class CopiedTopicSource(byte[] bytes) : IStaticDataSource
{
    public Stream GetSource() => new MemoryStream(bytes, writable: false);
}

public sealed class TopicBlock
{
    public Memory<byte> Bytes { get; set; }
    public string Name { get; set; } = "";
}

public sealed class ArchiveManifest
{
    public TopicBlock Latest { get; } = new();
    public List<string> Names { get; } = new();
}

public sealed class FlightArchiver
{
    private readonly TopicTable _topics;
    private readonly Func<int, int, int> _decode;   // (log, length) -> status; rewrites the topic area
    private readonly ArchiveManifest _manifest = new();

    public FlightArchiver(Instance instance)
    {
        _topics = new TopicTable(instance);
        _decode = instance.GetFunction<int, int, int>("decode")!;
    }

    private unsafe byte* Topic(int topic)
    {
        var address = _topics.AddressOf(topic);    // the guest call first, then the pointer
        return (byte*)_topics.Memory.GetPointer() + address;
    }

    public unsafe void ZipTopics(string path, int log, int length)
    {
        _decode(log, length);
        using var zip = new ZipFile(File.Create(path));
        zip.BeginUpdate();
        for (var t = 0; t < 3; t++)
        {
            var n = _topics.LengthOf(t);
            zip.Add(new TopicSource(Topic(t), n), $"topic-{t}.bin"); // expect: WVA003
        }
        var m = _topics.LengthOf(3);
        zip.Add(new CopiedTopicSource(new ReadOnlySpan<byte>(Topic(3), m).ToArray()), "topic-3.bin"); // copied when created
        zip.CommitUpdate();
    }

    public unsafe void TarTopics(Stream destination, int log, int length)
    {
        _decode(log, length);
        using var tar = new TarOutputStream(destination, System.Text.Encoding.UTF8);
        var count = _topics.Count;                 // a guest call (getter), before any view is taken
        for (var t = 0; t < count; t++)
        {
            var n = _topics.LengthOf(t);
            var bytes = new ReadOnlySpan<byte>(Topic(t), n);
            var entry = TarEntry.CreateTarEntry($"topics/{t}.bin");
            entry.Size = bytes.Length;
            tar.PutNextEntry(entry);
            tar.Write(bytes); // expect: WVA004
            tar.CloseEntry();
        }
    }

    public unsafe void BzipAttitude(Stream destination, int log, int length)
    {
        _decode(log, length);
        var n = _topics.LengthOf(0);
        var attitude = new UnmanagedMemoryStream(Topic(0), n);
        var total = _topics.Count;                 // the getter calls the guest
        using var bz = new BZip2OutputStream(destination);
        attitude.CopyTo(bz); // expect: WVA001, WVA004
        Console.WriteLine($"{total} topics");
    }

    public unsafe void DotNetZipTopics(string path, int log, int length)
    {
        _decode(log, length);
        using var zip = new Ionic.Zip.ZipFile();
        var gpsLength = _topics.LengthOf(1);
        var gps = new UnmanagedMemoryStream(Topic(1), gpsLength);
        var entry = zip.AddEntry("gps.bin", Array.Empty<byte>());
        entry.InputStream = gps; // expect: WVA003
        var batteryLength = _topics.LengthOf(2);
        zip.UpdateEntry("battery.bin", new UnmanagedMemoryStream(Topic(2), batteryLength)); // expect: WVA003
        zip.UpdateEntry("notes.txt", "decoded by flight-log wasm");
        zip.Save(path);
    }

    public unsafe void RecordLatest(int topic)
    {
        var n = _topics.LengthOf(topic);
        var block = new TopicBlock { Bytes = new TopicMemory(Topic(topic), n).Memory, Name = $"topic-{topic}" }; // a local object carries it
        var preview = block.Bytes.Span[..Math.Min(8, n)].ToArray();
        _manifest.Names.Add(block.Name);
        _manifest.Latest.Bytes = block.Bytes; // expect: WVA002
        Console.WriteLine(preview.Length);
    }

    public unsafe Dictionary<int, int> SumsByTopic(int log, int length)
    {
        _decode(log, length);
        var views = new Dictionary<int, nint>();
        for (var t = 0; t < 3; t++)
        {
            views[t] = (nint)Topic(t); // expect: WVA002
        }
        _decode(log, length);                     // decoding again rewrites the topic area
        var sums = new Dictionary<int, int>();
        var t2 = 0;
        foreach (var pointer in views.Values)
        {
            sums[t2++] = *(byte*)pointer; // expect: WVA001
        }
        var cached = views.GetValueOrDefault(0);
        if (cached == 0) Console.WriteLine("no attitude topic"); // compared only
        return sums;
    }

    public unsafe int FirstByteOf(int? topic)
    {
        nint? pointer = topic.HasValue ? (nint)Topic(topic.Value) : null;
        var n = _topics.LengthOf(topic ?? 0);      // a guest call
        return pointer.HasValue ? *(byte*)pointer.GetValueOrDefault() + n : n; // expect: WVA001
    }
}

internal sealed unsafe class TopicMemory : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    public TopicMemory(byte* start, int length) { _start = start; _length = length; }
    public override Span<byte> GetSpan() => new(_start, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
