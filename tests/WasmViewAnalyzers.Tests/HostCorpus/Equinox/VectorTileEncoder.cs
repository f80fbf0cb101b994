using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using ICSharpCode.SharpZipLib.Tar;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Equinox.VectorTileEncoder;

public readonly record struct TileKey(int Z, int X, int Y)
{
    public override string ToString() => $"{Z}/{X}/{Y}";
}

public sealed record Feature(long Id, string Layer, IReadOnlyList<(double Lon, double Lat)> Geometry, IReadOnlyDictionary<string, string> Tags);

public struct EncodedTile
{
    public TileKey Key;
    public nint Bytes;
    public int Length;
}

/// <summary>Encodes Mapbox Vector Tiles (MVT/PBF) with a wasm port of a tile encoder; tiles are packed into zip/tar bundles.</summary>
public sealed unsafe class TileEncoderHost
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int, int, int> _encode;
    private readonly Func<int> _tileLength;
    private readonly Func<int, int> _simplify;
    private readonly Action _reset;
    private readonly Dictionary<TileKey, EncodedTile> _hot = new();

    public TileEncoderHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _encode = instance.GetFunction<int, int, int, int, int>("encode_tile")!;
        _tileLength = instance.GetFunction<int>("tile_length")!;
        _simplify = instance.GetFunction<int, int>("simplify")!;
        _reset = instance.GetAction("reset")!;
    }

    private int UploadFeatures(IEnumerable<Feature> features)
    {
        var doubles = features.SelectMany(f => f.Geometry.SelectMany(p => new[] { p.Lon, p.Lat })).ToArray();
        var address = _alloc(doubles.Length * sizeof(double));
        doubles.CopyTo(_memory.GetSpan<double>(address, doubles.Length));
        return address;
    }

    private EncodedTile Encode(TileKey key, IReadOnlyList<Feature> features)
    {
        var input = UploadFeatures(features);
        var output = _encode(input, key.Z, key.X, key.Y);
        var length = _tileLength();
        return new EncodedTile { Key = key, Bytes = _memory.GetPointer() + output, Length = length };
    }

    private static ReadOnlySpan<byte> Span(in EncodedTile tile) => new((void*)tile.Bytes, tile.Length);

    public void WriteZip(IReadOnlyDictionary<TileKey, IReadOnlyList<Feature>> tiles, Stream destination)
    {
        using var zip = new ZipOutputStream(destination) { IsStreamOwner = false };
        zip.SetLevel(6);
        foreach (var (key, features) in tiles)
        {
            var tile = Encode(key, features);
            zip.PutNextEntry(new ZipEntry($"{key}.pbf") { Size = tile.Length });
            zip.Write(Span(tile)); // expect: WVA004
            zip.CloseEntry();
        }
    }

    public void WriteZipCopied(IReadOnlyDictionary<TileKey, IReadOnlyList<Feature>> tiles, Stream destination)
    {
        using var zip = new ZipOutputStream(destination) { IsStreamOwner = false };
        foreach (var (key, features) in tiles)
        {
            var tile = Encode(key, features);
            var bytes = Span(tile).ToArray();
            zip.PutNextEntry(new ZipEntry($"{key}.pbf") { Size = bytes.Length });
            zip.Write(bytes);
            zip.CloseEntry();
        }
    }

    public void WriteSharpTar(IReadOnlyDictionary<TileKey, IReadOnlyList<Feature>> tiles, Stream destination)
    {
        using var tar = new TarOutputStream(destination, Encoding.UTF8) { IsStreamOwner = false };
        var encoded = new List<EncodedTile>();
        foreach (var (key, features) in tiles)
        {
            encoded.Add(Encode(key, features)); // expect: WVA002
        }

        foreach (var tile in encoded)
        {
            var entry = ICSharpCode.SharpZipLib.Tar.TarEntry.CreateTarEntry($"{tile.Key}.pbf");
            entry.Size = tile.Length;
            tar.PutNextEntry(entry);
            tar.Write(Span(tile)); // expect: WVA001, WVA004
            tar.CloseEntry();
        }
    }

    public void WriteBclTar(IReadOnlyDictionary<TileKey, IReadOnlyList<Feature>> tiles, Stream destination)
    {
        using var writer = new TarWriter(destination, TarEntryFormat.Ustar, leaveOpen: true);
        foreach (var (key, features) in tiles)
        {
            var tile = Encode(key, features);
            using var content = new UnmanagedMemoryStream((byte*)tile.Bytes, tile.Length);
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"{key}.pbf") { DataStream = content }); // expect: WVA003
        }
    }

    public void Warm(TileKey key, IReadOnlyList<Feature> features)
    {
        var tile = Encode(key, features);
        _hot[key] = tile; // expect: WVA002
    }

    public int CompareZoomLevels(TileKey key, IReadOnlyList<Feature> features)
    {
        var coarse = Encode(key with { Z = key.Z - 1 }, features);
        var fine = Encode(key, features);
        var (coarseBytes, coarseLength) = (coarse.Bytes, coarse.Length);
        return fine.Length - coarseLength + (coarseBytes == fine.Bytes ? 1 : 0);
    }

    public byte[] Simplified(TileKey key, IReadOnlyList<Feature> features, int tolerance)
    {
        var tile = Encode(key, features);
        var view = Span(tile);
        var firstByte = view[0];
        _simplify(tolerance);
        return firstByte switch
        {
            0x1A => view.ToArray(), // expect: WVA001
            _ => [],
        };
    }

    public string Describe(TileKey key, IReadOnlyList<Feature> features)
    {
        var tile = Encode(key, features);
        var p = (byte*)tile.Bytes;
        var header = (p[0], p[1]);
        _reset();
        return $"{tile.Key}: {tile.Length} bytes, header {header.Item1:X2}{header.Item2:X2}, tag {p[2]:X2}"; // expect: WVA001
    }

    public IEnumerable<TileKey> Pyramid(TileKey root, int depth)
    {
        IEnumerable<TileKey> Children(TileKey k) => [new(k.Z + 1, k.X * 2, k.Y * 2), new(k.Z + 1, k.X * 2 + 1, k.Y * 2), new(k.Z + 1, k.X * 2, k.Y * 2 + 1), new(k.Z + 1, k.X * 2 + 1, k.Y * 2 + 1)];
        var level = new List<TileKey> { root };
        for (var d = 0; d < depth; d++)
        {
            level = level.SelectMany(Children).ToList();
        }

        return level;
    }

    public int LayerCount(TileKey key, IReadOnlyList<Feature> features)
    {
        var tile = Encode(key, features);
        var view = Span(tile);
        int layers = 0;
        for (var i = 0; i < view.Length; i++)
        {
            if (view[i] == 0x1A) layers++;
        }

        _reset();
        var again = Encode(key, features);
        return Span(again).Length == view.Length ? layers : -1;
    }

    public void Rewrite(TileKey key, IReadOnlyList<Feature> features, Stream sink)
    {
        var tile = Encode(key, features);
        ref var first = ref MemoryMarshal.GetReference(new Span<byte>((void*)tile.Bytes, tile.Length));
        first = 0x1A;
        var other = Encode(key with { X = key.X + 1 }, features);
        sink.Write(Span(other));
        sink.WriteByte(first); // expect: WVA001
    }
}
