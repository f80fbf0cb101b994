// An email MIME parser: a wasm engine splits and decodes parts, read by the host as streams over guest memory and
// zipped as attachments (shape: wasmtime-dotnet GetPointer users wrapping UnmanagedMemoryStream, ImageBatch exporters).
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using Wasmtime;

namespace Corpus.Summer.MimeMessageParser;

public sealed record PartInfo(int Index, string ContentType, string? FileName, int Address, int Length);

public sealed class MimeParser
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _parse;        // (message ptr, len) -> part count
    private readonly Func<int, int> _decodePart;        // part index -> decoded address (shared output buffer)
    private readonly Func<int, int> _partLength;
    private readonly Func<int, int> _headerOf;
    private readonly List<Stream> _openParts = new();
    private UnmanagedMemoryStream? _lastBody;
    private int _lastBodyIndex = -1;

    public MimeParser(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _parse = instance.GetFunction<int, int, int>("parse")!;
        _decodePart = instance.GetFunction<int, int>("decode_part")!;
        _partLength = instance.GetFunction<int, int>("part_len")!;
        _headerOf = instance.GetFunction<int, int>("header_of")!;
    }

    // A helper that returns a view stream, typed as plain Stream.
    private unsafe Stream OpenPart(int address, int length) =>
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);

    private Stream DecodeAndOpen(int index)
    {
        var address = _decodePart(index);
        var length = _partLength(index);
        return OpenPart(address, length);
    }

    public string FirstLineOfBody(int index)
    {
        using var body = DecodeAndOpen(index);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var first = reader.ReadLine();                              // read before the next decode
        _decodePart(index + 1);
        var second = reader.ReadLine();                             // expect: WVA001
        return first + second;
    }

    public string BodyText(int index)
    {
        using var body = DecodeAndOpen(index);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var text = reader.ReadToEnd();                              // read fully before the next decode
        _decodePart(index + 1);
        return text;
    }

    public unsafe long Preview(int index)
    {
        var address = _decodePart(index);
        var length = _partLength(index);
        _lastBody = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);   // expect: WVA002
        _lastBodyIndex = index;                                      // the index: decode it again when needed
        return _lastBody.Length;
    }

    public long TotalSize(int count)
    {
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            using var part = DecodeAndOpen(i);
            total += part.Length;                                   // Length and Dispose: no guest bytes read
        }
        return total;
    }

    public void KeepParts(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _openParts.Add(DecodeAndOpen(i));                        // expect: WVA002
        }
    }

    public void KeepPartCopies(int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var part = DecodeAndOpen(i);
            var copy = new MemoryStream();
            part.CopyTo(copy);                                       // copied at once into the host's stream
            copy.Position = 0;
            _openParts.Add(copy);
        }
    }

    public int ContentIdHash(int index)
    {
        var body = DecodeAndOpen(index);
        var binary = new BinaryReader(body);
        var magic = binary.ReadInt32();
        var header = _headerOf(index);                               // parses headers into the shared buffer
        var next = binary.ReadInt32();                               // expect: WVA001
        return magic ^ next ^ header;
    }

    public void SaveAttachments(Stream zipOutput, IReadOnlyList<PartInfo> parts)
    {
        using var archive = new ZipArchive(zipOutput, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var part in parts)
        {
            if (part.FileName is null) continue;
            var address = _decodePart(part.Index);
            var length = _partLength(part.Index);
            using var content = OpenPart(address, length);
            using var entry = archive.CreateEntry(part.FileName, CompressionLevel.Optimal).Open();
            content.CopyTo(entry);                                   // expect: WVA004
        }
    }

    public void SaveAttachmentsCopied(Stream zipOutput, IReadOnlyList<PartInfo> parts)
    {
        using var archive = new ZipArchive(zipOutput, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var part in parts)
        {
            if (part.FileName is null) continue;
            var address = _decodePart(part.Index);
            var length = _partLength(part.Index);
            var bytes = _memory.GetSpan(address, length).ToArray();
            using var entry = archive.CreateEntry(part.FileName, CompressionLevel.Optimal).Open();
            entry.Write(bytes);
        }
    }

    public void SaveInlineParts(Stream zipOutput, IReadOnlyList<PartInfo> parts)
    {
        using var archive = new ZipArchive(zipOutput, ZipArchiveMode.Create, leaveOpen: true);
        var first = parts.Count > 0 ? OpenPart(parts[0].Address, parts[0].Length) : Stream.Null;
        foreach (var part in parts)
        {
            _decodePart(part.Index);                                 // decoding overwrites the shared buffer
        }
        using var entry = archive.CreateEntry("inline.txt").Open();
        first.CopyTo(entry);                                         // expect: WVA001, WVA004
    }

    public string Subject(int message, int length)
    {
        _parse(message, length);
        var header = _headerOf(0);
        var subjectLength = _memory.ReadInt32(header);
        return _memory.ReadString(header + 4, subjectLength, Encoding.UTF8);   // copies
    }
}
