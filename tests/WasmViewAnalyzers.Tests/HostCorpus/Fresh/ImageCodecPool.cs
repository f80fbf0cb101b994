// Image codec host: a PNG/WebP decoder compiled to wasm, with a pool of guest buffers reused across decodes and a
// thumbnail cache. Shape from image-processing hosts (PixiEditor-style plugins, the seed batch); C# 12 with ref fields.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Fresh.ImageCodecPool;

public sealed record DecodedImage(int Width, int Height, ReadOnlyMemory<byte> Pixels);

public sealed class FrameMeta
{
    public int Width { get; set; }
    public ReadOnlyMemory<byte> Pixels { get; set; }
}

public sealed class FrameInfo
{
    public FrameMeta Meta { get; } = new();
}

internal sealed unsafe class GuestPixels(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public sealed class GuestBuffer(Memory memory, int address, int capacity)
{
    public int Address { get; } = address;
    public int Capacity { get; } = capacity;
    public int Used { get; set; }

    public Span<byte> Bytes => memory.GetSpan(Address, Capacity); // a view each time it is read
    public unsafe ReadOnlyMemory<byte> PixelsMemory => new GuestPixels((byte*)memory.GetPointer() + Address, Used).Memory;
}

public sealed class GuestBufferPool(Memory memory, Func<int, int> malloc)
{
    private readonly Stack<GuestBuffer> _free = new();

    public GuestBuffer Rent(int size)
    {
        while (_free.TryPop(out GuestBuffer? buffer))
        {
            if (buffer.Capacity >= size)
            {
                return buffer;
            }
        }
        return new GuestBuffer(memory, malloc(size), size); // may allocate in the guest
    }

    public void Return(GuestBuffer buffer) => _free.Push(buffer); // keeps offsets, not views
}

public ref struct PixelCursor
{
    private readonly ref byte _origin;
    private int _offset;

    public PixelCursor(Span<byte> pixels)
    {
        _origin = ref MemoryMarshal.GetReference(pixels);
        _offset = 0;
    }

    public readonly byte Red => Unsafe.Add(ref Unsafe.AsRef(in _origin), _offset);
    public readonly int Offset => _offset;
    public void Advance() => _offset += 4;
}

public sealed class ImageDecoder(Memory memory, Instance instance)
{
    private readonly GuestBufferPool _pool = new(memory, instance.GetFunction<int, int>("malloc")!);
    private readonly Func<int, int, int, int> _decode = instance.GetFunction<int, int, int, int>("decode_image")!;
    private readonly Func<int> _width = instance.GetFunction<int>("image_width")!;
    private readonly Dictionary<string, DecodedImage> _thumbnails = [];
    private readonly LinkedList<ReadOnlyMemory<byte>> _recent = new();
    private DecodedImage _last = new(0, 0, ReadOnlyMemory<byte>.Empty);
    private FrameInfo? _current;

    private static int RowCount(scoped ReadOnlySpan<byte> pixels, int width) => pixels.Length / (width * 4); // length only
    private static byte Peek(ReadOnlySpan<byte> pixels) => pixels[0]; // reads an element
    private static uint Checksum(ReadOnlySpan<byte> bytes)
    {
        uint a = 1, b = 0;
        foreach (byte value in bytes)
        {
            a = (a + value) % 65521;
            b = (b + a) % 65521;
        }
        return (b << 16) | a;
    }

    public DecodedImage Decode(string key, ReadOnlySpan<byte> png, int maxPixels)
    {
        GuestBuffer input = _pool.Rent(png.Length);
        Span<byte> inputBytes = input.Bytes;
        png.CopyTo(inputBytes);
        GuestBuffer output = _pool.Rent(maxPixels * 4); // Rent may call malloc
        uint inputCrc = Checksum(inputBytes); // expect: WVA001
        output.Used = _decode(input.Address, png.Length, output.Address);
        int width = _width();
        Span<byte> pixels = output.Bytes[..output.Used];
        int rows = RowCount(pixels, width);
        var image = new DecodedImage(width, rows, pixels.ToArray()); // a copy in the record
        _thumbnails[key] = image;
        _pool.Return(input);
        _pool.Return(output);
        return image;
    }

    public uint DecodeChecked(ReadOnlySpan<byte> png, int maxPixels)
    {
        GuestBuffer input = _pool.Rent(png.Length);
        GuestBuffer output = _pool.Rent(maxPixels * 4); // both rented before any view is taken
        Span<byte> inputBytes = input.Bytes;
        png.CopyTo(inputBytes);
        uint inputCrc = Checksum(inputBytes);
        output.Used = _decode(input.Address, png.Length, output.Address);
        Span<byte> pixels = output.Bytes[..output.Used];
        int rows = RowCount(pixels, _width()); // the width export runs first, then the length is read: not a use
        return inputCrc ^ Peek(pixels) ^ (uint)rows; // expect: WVA001
    }

    public void CacheThumbnail(string key, GuestBuffer output)
    {
        int width = _width();
        ReadOnlyMemory<byte> pixels = output.PixelsMemory;
        _thumbnails[key] = new DecodedImage(width, output.Used / (width * 4), pixels); // expect: WVA002
        _recent.AddLast(pixels); // expect: WVA002
        _last = _last with { Pixels = pixels }; // expect: WVA002
        _last = _last with { Pixels = pixels.ToArray(), Width = width }; // a copy
    }

    public int Describe(GuestBuffer output)
    {
        int width = _width();
        ReadOnlyMemory<byte> pixels = output.PixelsMemory;
        var local = new FrameInfo { Meta = { Pixels = pixels, Width = width } }; // carried by a local object
        _current = new FrameInfo { Meta = { Pixels = pixels.ToArray(), Width = local.Meta.Width } };
        _current = new FrameInfo { Meta = { Pixels = pixels, Width = local.Meta.Width } }; // expect: WVA002
        return local.Meta.Width;
    }

    public (byte First, int Offset) Sample(GuestBuffer output)
    {
        var cursor = new PixelCursor(output.Bytes);
        byte first = cursor.Red;
        cursor.Advance();
        int width = _width();
        cursor.Advance(); // only moves the int offset
        int offset = cursor.Offset;
        return (cursor.Red, offset + width + first); // expect: WVA001
    }

    public (byte First, int Offset) SampleBeforeCall(GuestBuffer output)
    {
        var cursor = new PixelCursor(output.Bytes);
        cursor.Advance();
        byte red = cursor.Red;
        int width = _width();
        return (red, cursor.Offset + width);
    }
}
