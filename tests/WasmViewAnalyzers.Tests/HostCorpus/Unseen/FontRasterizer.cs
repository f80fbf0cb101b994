// A font rasterizer building a glyph atlas: a guest (FreeType/stb_truetype compiled to wasm) rasterizes each glyph
// into its scratch bitmap, the host blits glyphs into an atlas; tuples, records and patterns over guest pointers.
using System;
using System.Collections.Generic;
using Wasmtime;

namespace Corpus.Unseen.FontRasterizer;

public readonly record struct GlyphBitmap(char Glyph, int Width, int Height, nint Pixels);

public sealed class TileMeta
{
    public nint Source { get; set; }

    public int Width { get; set; }
}

public sealed class AtlasTile
{
    public TileMeta Meta { get; } = new TileMeta();

    public int X { get; set; }

    public int Y { get; set; }
}

public sealed unsafe class GlyphAtlasBuilder(Instance instance)
{
    private readonly Memory memory = instance.GetMemory("memory")!;
    private readonly Func<int, int, int> rasterize = instance.GetFunction<int, int, int>("rasterize_glyph")!;
    private readonly Func<int, int> glyphWidth = instance.GetFunction<int, int>("glyph_width")!;
    private readonly Func<int, int> glyphHeight = instance.GetFunction<int, int>("glyph_height")!;
    private readonly Action reset = instance.GetAction("reset_scratch")!;
    private readonly Func<int, int, int> loadFont = instance.GetFunction<int, int, int>("load_font")!;
    private readonly List<AtlasTile> _tiles = new();
    private readonly byte[] _atlas = new byte[1024 * 1024];
    private GlyphBitmap _lastGlyph;
    private int _cursor;

    // Rasterizes first, then takes the pointer: fresh when it is returned.
    private nint Raster(char glyph, int size)
    {
        int address = rasterize(glyph, size);
        return memory.GetPointer() + address;
    }

    private void Blit(nint pixels, int width, int height)
    {
        var source = new ReadOnlySpan<byte>((void*)pixels, width * height);
        source.CopyTo(_atlas.AsSpan(_cursor));
        _cursor += width * height;
    }

    public string Sniff(int fontAddress, int fontLength)
    {
        ReadOnlySpan<byte> header = memory.GetSpan(fontAddress, 4);
        int faces = loadFont(fontAddress, fontLength);
        string kind = header switch // expect: WVA001
        {
            [0x00, 0x01, 0x00, 0x00] => "truetype",
            [(byte)'O', (byte)'T', (byte)'T', (byte)'O'] => "opentype",
            [(byte)'t', (byte)'t', (byte)'c', (byte)'f'] => "collection",
            _ => "unknown",
        };
        return $"{kind} ({faces} faces)";
    }

    public string SniffFirst(int fontAddress, int fontLength)
    {
        ReadOnlySpan<byte> header = memory.GetSpan(fontAddress, 4);
        string kind = header switch
        {
            [0x00, 0x01, 0x00, 0x00] => "truetype",
            [(byte)'O', (byte)'T', (byte)'T', (byte)'O'] => "opentype",
            _ => "unknown",
        };
        int faces = loadFont(fontAddress, fontLength);
        // Only the length is tested after the guest ran.
        bool complete = header is { Length: 4 };
        return complete ? $"{kind} ({faces} faces)" : kind;
    }

    public void BuildRow(string glyphs, int size)
    {
        var pointers = new Dictionary<char, nint>();
        foreach (char glyph in glyphs)
        {
            int address = rasterize(glyph, size);
            pointers[glyph] = memory.GetPointer() + address; // expect: WVA002
        }

        foreach (var (glyph, pixels) in pointers)
        {
            Blit(pixels, glyphWidth(glyph), glyphHeight(glyph)); // expect: WVA001
        }
    }

    public void BuildRowInPlace(string glyphs, int size)
    {
        nint[] row = new nint[glyphs.Length];
        for (int i = 0; i < glyphs.Length; i++)
        {
            int width = glyphWidth(glyphs[i]);
            int height = glyphHeight(glyphs[i]);
            row[i] = Raster(glyphs[i], size);
            // Read back by the index just stored: Raster was the last guest call.
            Blit(row[i], width, height);
        }
    }

    public byte CornerPixel(char glyph, int size)
    {
        (nint Pixels, int Width, int Height) tile = (Raster(glyph, size), glyphWidth(glyph), glyphHeight(glyph));
        // glyph_width and glyph_height ran in the guest after the pixels were located.
        return *(byte*)tile.Pixels; // expect: WVA001
    }

    public byte CornerPixelOrdered(char glyph, int size)
    {
        int width = glyphWidth(glyph);
        int height = glyphHeight(glyph);
        var (pixels, w, h) = (Raster(glyph, size), width, height);
        return w * h > 0 ? *(byte*)pixels : (byte)0;
    }

    public int Preview(char glyph, int size)
    {
        var info = new { Glyph = glyph, Pixels = Raster(glyph, size) };
        reset();
        return *(byte*)info.Pixels + info.Glyph; // expect: WVA001
    }

    public void Remember(char glyph, int size)
    {
        int width = glyphWidth(glyph);
        int height = glyphHeight(glyph);
        var bitmap = new GlyphBitmap(glyph, width, height, Raster(glyph, size));
        _lastGlyph = bitmap with { Glyph = char.ToUpperInvariant(glyph) }; // expect: WVA002
    }

    public int RememberedSize() => _lastGlyph.Width * _lastGlyph.Height;

    public void Place(char glyph, int size, int x, int y)
    {
        int width = glyphWidth(glyph);
        int height = glyphHeight(glyph);
        var tile = new AtlasTile { X = x, Y = y, Meta = { Source = Raster(glyph, size), Width = width } };
        // Kept in a local so far: the escape is when the tile joins the field list.
        Blit(tile.Meta.Source, width, height);
        _tiles.Add(tile); // expect: WVA002
    }

    public void Rerender(int size)
    {
        foreach (AtlasTile tile in _tiles)
        {
            char glyph = (char)tile.Meta.Width;
            tile.Meta.Source = Raster(glyph, size); // expect: WVA002
        }
    }

    public void PlaceLocal(char glyph, int size, int x, int y)
    {
        int width = glyphWidth(glyph);
        int height = glyphHeight(glyph);
        var tile = new AtlasTile { X = x, Y = y, Meta = { Source = Raster(glyph, size), Width = width } };
        Blit(tile.Meta.Source, width, height);
        _cursor += tile.X + tile.Y;
    }

    public int Kerning(char first, char second, int size)
    {
        var left = new GlyphBitmap(first, glyphWidth(first), glyphHeight(first), Raster(first, size));
        if (left is { Pixels: var pixels, Width: > 0 } && pixels != 0)
        {
            nint rightPixels = Raster(second, size);
            return *(byte*)pixels - *(byte*)rightPixels; // expect: WVA001
        }

        return 0;
    }

    public int Measure(string glyphs, int size)
    {
        int total = 0;
        foreach (char glyph in glyphs)
        {
            var bitmap = new GlyphBitmap(glyph, glyphWidth(glyph), glyphHeight(glyph), 0);
            // A bitmap that never held guest pixels: only plain numbers.
            total += bitmap.Width;
        }

        return total + size;
    }
}
