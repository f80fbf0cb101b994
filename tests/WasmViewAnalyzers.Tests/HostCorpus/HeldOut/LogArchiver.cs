// Log archiver: a guest formats rotated log segments, the host bundles them with DotNetZip (Ionic.Zip), whose AddEntry
// keeps the stream or delegate until Save; shaped after "queue the outputs, zip at the end" hosts (the ImageBatch story).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Ionic.Zip;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.HeldOut.LogArchiver;

public sealed class LogArchiver
{
    private readonly Memory _memory;
    private readonly Func<int, int> _render;
    private readonly Func<int> _length;
    private readonly Func<int, int, int> _checksum;
    private readonly GuestMemoryGuard _guard;
    private readonly List<(string Name, UnmanagedMemoryStream Content)> _pending = new();
    private readonly List<(string Name, int Offset, int Length)> _pendingOffsets = new();

    public LogArchiver(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _render = instance.GetFunction<int, int>("render_segment") ?? throw new InvalidOperationException("render_segment");
        _length = instance.GetFunction<int>("segment_length") ?? throw new InvalidOperationException("segment_length");
        _checksum = instance.GetFunction<int, int, int>("checksum") ?? throw new InvalidOperationException("checksum");
        _guard = new GuestMemoryGuard(_memory);
    }

    private int RenderSegment(string name) => _render(name.GetHashCode() & 0x7FFF);

    // A helper that returns a view stream typed as plain Stream.
    private unsafe Stream OpenView(int address, int length) => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);

    public unsafe void Archive(IReadOnlyList<string> segments, string destination)
    {
        using var zip = new ZipFile();
        foreach (var name in segments)
        {
            var address = RenderSegment(name);
            var length = _length();
            var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
            zip.AddEntry(name + ".log", content); // expect: WVA003
        }

        zip.Save(destination);
    }

    public void ArchiveCopies(IReadOnlyList<string> segments, string destination)
    {
        using var zip = new ZipFile();
        foreach (var name in segments)
        {
            var address = RenderSegment(name);
            var length = _length();
            zip.AddEntry(name + ".log", _memory.GetSpan(address, length).ToArray());   // the byte[] overload: a host copy
        }

        zip.AddEntry("index.txt", string.Join('\n', segments));
        zip.Save(destination);
    }

    public unsafe void ArchiveVerified(string name, string destination)
    {
        using var zip = new ZipFile();
        var address = RenderSegment(name);
        var length = _length();
        var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        var checksum = _checksum(address, length);          // a guest call between the view and the hand-off
        zip.AddEntry(name + ".log", content); // expect: WVA001, WVA003
        zip.Comment = checksum.ToString("x8");
        zip.Save(destination);
    }

    public void Update(ZipFile zip, string name)
    {
        var address = RenderSegment(name);
        zip.UpdateEntry(name + ".log", OpenView(address, _length())); // expect: WVA003
    }

    public void UpdateCopied(ZipFile zip, string name)
    {
        var address = RenderSegment(name);
        var bytes = _memory.GetSpan(address, _length()).ToArray();
        zip.UpdateEntry(name + ".log", new MemoryStream(bytes, writable: false));
    }

    public void Replace(ZipFile zip, string name)
    {
        var address = RenderSegment(name);
        var entry = zip.AddEntry(name + ".log", Array.Empty<byte>());
        Stream body = OpenView(address, _length());
        entry.InputStream = body; // expect: WVA003
    }

    public unsafe void ArchiveWithWriter(ZipFile zip, string name)
    {
        var address = RenderSegment(name);
        // _length() calls the guest after GetPointer() was read: the stream is made over a pointer that call may have moved (marker corrected by the lead).
        var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _length());
        // The archive writer runs the lambda at Save: WVA003 covers the capture (not a scheduler of WVA002's list).
        zip.AddEntry(name + ".log", (entryName, output) => content.CopyTo(output)); // expect: WVA001, WVA003
    }

    public void ArchiveWithWriterCopied(ZipFile zip, string name)
    {
        var address = RenderSegment(name);
        var copy = _memory.GetSpan(address, _length()).ToArray();
        zip.AddEntry(name + ".log", (entryName, output) => output.Write(copy, 0, copy.Length));
    }

    public void ArchiveWithOpener(ZipFile zip, string name)
    {
        var address = RenderSegment(name);
        var content = OpenView(address, _length());
        zip.AddEntry(name + ".log", entryName => content, (entryName, stream) => stream.Dispose()); // expect: WVA003
    }

    public void ArchiveWithLazyOpener(ZipFile zip, string name)
    {
        // Only offsets are captured, and the guest renders the segment again when the writer asks for it.
        zip.AddEntry(name + ".log", entryName =>
        {
            var address = RenderSegment(name);
            return new MemoryStream(_memory.GetSpan(address, _length()).ToArray(), writable: false);
        }, (entryName, stream) => stream.Dispose());
    }

    public void ArchiveGuarded(ZipFile zip, string name)
    {
        var address = RenderSegment(name);
        // A GuardedStream checks itself on every read at Save: not a deferred view.
        zip.AddEntry(name + ".log", _guard.OpenStream(address, _length()));
    }

    public unsafe void Queue(string name)
    {
        var address = RenderSegment(name);
        var length = _length();
        _pending.Add((name, new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length))); // expect: WVA002
        _pendingOffsets.Add((name, address, length));
    }

    public void FlushOffsets(ZipFile zip)
    {
        foreach (var (name, offset, length) in _pendingOffsets)
        {
            zip.AddEntry(name + ".log", _memory.ReadString(offset, length, Encoding.UTF8));
        }

        _pendingOffsets.Clear();
    }

    public void FlushToDisk(string directory)
    {
        foreach (var (name, content) in _pending)
        {
            using var file = File.Create(Path.Combine(directory, name + ".log"));
            content.CopyTo(file);
        }

        _pending.Clear();
    }
}
