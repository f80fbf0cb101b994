using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ICSharpCode.SharpZipLib.GZip;
using Wasmtime;

namespace Corpus.Equinox.NbtReader;

public enum TagType : byte { End, Byte, Short, Int, Long, Float, Double, ByteArray, String, List, Compound, IntArray, LongArray }

/// <summary>One tag in the guest's flattened tree: a view over its payload.</summary>
public readonly unsafe struct TagView(TagType type, byte* name, int nameLength, byte* payload, int payloadLength)
{
    public TagType Type { get; } = type;
    public int PayloadLength { get; } = payloadLength;
    public string Name => Encoding.UTF8.GetString(name, nameLength);
    public ReadOnlySpan<byte> Payload => new(payload, payloadLength);
}

public sealed record ChunkSummary(int X, int Z, long LastUpdate, int SectionCount, string[] BlockPalette);

/// <summary>Reads Minecraft region/level NBT via a wasm NBT parser (the same one the server mods use).</summary>
public sealed unsafe class NbtHost
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _parse;
    private readonly Func<int, int> _tagCount;
    private readonly Func<int, int, int> _inflate;
    private readonly Func<int> _inflatedLength;
    private readonly List<TagView> _palette = new();
    private TagView _root;

    public NbtHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _parse = instance.GetFunction<int, int, int>("nbt_parse")!;
        _tagCount = instance.GetFunction<int, int>("nbt_tag_count")!;
        _inflate = instance.GetFunction<int, int, int>("zlib_inflate")!;
        _inflatedLength = instance.GetFunction<int>("inflated_length")!;
    }

    private int Upload(ReadOnlySpan<byte> bytes)
    {
        var at = _alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(at, bytes.Length));
        return at;
    }

    private IEnumerable<TagView> Tags(int tree)
    {
        var count = _tagCount(tree);
        for (var i = 0; i < count; i++)
        {
            yield return TagAt(tree, i);
        }
    }

    private TagView TagAt(int tree, int index)
    {
        var b = (byte*)_memory.GetPointer();
        var record = b + tree + index * 16;
        var type = (TagType)record[0];
        var nameAt = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(record + 4, 4));
        var payloadAt = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(record + 8, 4));
        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(record + 12, 4));
        var nameLength = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(b + nameAt, 2));
        return new TagView(type, b + nameAt + 2, nameLength, b + payloadAt, payloadLength);
    }

    public ChunkSummary ReadChunk(ReadOnlySpan<byte> compressed)
    {
        var input = Upload(compressed);
        var inflated = _inflate(input, compressed.Length);
        var tree = _parse(inflated, _inflatedLength());

        int x = 0, z = 0, sections = 0;
        long lastUpdate = 0;
        var palette = new List<string>();
        foreach (var tag in Tags(tree))
        {
            switch (tag.Type, tag.Name)
            {
                case (TagType.Int, "xPos"): x = BinaryPrimitives.ReadInt32BigEndian(tag.Payload); break;
                case (TagType.Int, "zPos"): z = BinaryPrimitives.ReadInt32BigEndian(tag.Payload); break;
                case (TagType.Long, "LastUpdate"): lastUpdate = BinaryPrimitives.ReadInt64BigEndian(tag.Payload); break;
                case (TagType.Compound, "section"): sections++; break;
                case (TagType.String, "Name"): palette.Add(Encoding.UTF8.GetString(tag.Payload)); break;
            }
        }

        return new ChunkSummary(x, z, lastUpdate, sections, palette.Distinct().ToArray());
    }

    public List<TagView> MaterializeThenReparse(ReadOnlySpan<byte> level, ReadOnlySpan<byte> other)
    {
        var tags = Tags(_parse(Upload(level), level.Length)).ToList();
        _parse(Upload(other), other.Length);
        foreach (var tag in tags)
        {
            if (tag.Type == TagType.String)
            {
                Console.WriteLine(tag.Name); // expect: WVA001
            }
        }

        return tags; // expect: WVA001
    }

    public void CachePalette(ReadOnlySpan<byte> level)
    {
        var tree = _parse(Upload(level), level.Length);
        foreach (var tag in Tags(tree))
        {
            if (tag.Type == TagType.Compound && tag.Name == "Palette")
            {
                _root = tag; // expect: WVA002
            }
            else if (tag.Type == TagType.String)
            {
                _palette.Add(tag); // expect: WVA002
            }
        }
    }

    public int PayloadBytes(ReadOnlySpan<byte> level)
    {
        var tree = _parse(Upload(level), level.Length);
        var first = Tags(tree).First();
        var again = _parse(Upload(level), level.Length);
        return first.PayloadLength + Tags(again).Sum(t => t.PayloadLength);
    }

    public void ExportLevelDat(ReadOnlySpan<byte> compressed, Stream destination)
    {
        var input = Upload(compressed);
        var inflated = _inflate(input, compressed.Length);
        var length = _inflatedLength();
        var raw = _memory.GetSpan(inflated, length);

        using var gzip = new GZipOutputStream(destination) { IsStreamOwner = false };
        gzip.Write(raw); // expect: WVA004
    }

    public void ExportEachTag(ReadOnlySpan<byte> level, Stream destination)
    {
        var tree = _parse(Upload(level), level.Length);
        using var gzip = new GZipOutputStream(destination) { IsStreamOwner = false };
        foreach (var tag in Tags(tree))
        {
            gzip.Write(tag.Payload.ToArray());
        }
    }

    public string Describe(ReadOnlySpan<byte> level)
    {
        var tree = _parse(Upload(level), level.Length);
        var root = Tags(tree).First();
        var name = root.Name;
        var payload = root.Payload;
        var inflated = _inflate(0, 0);
        return $"{name} ({root.Type}): {payload.Length} bytes, {payload[0]:X2}.., inflate={inflated}"; // expect: WVA001
    }
}
