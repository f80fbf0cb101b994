// Thumbnail request handler: a guest resizes uploaded images, outputs are streamed or zipped per request
// (System.IO.Compression); shaped after the ImageBatch seed scenario, recast as an HTTP handler with scoped guest allocations.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using Wasmtime;

namespace Corpus.HeldOut.ThumbnailService;

public sealed class ThumbnailModule
{
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int, int> _resize;
    private readonly Func<int> _outputLength;
    private readonly Action<int> _probe;

    public ThumbnailModule(Instance instance)
    {
        Memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _alloc = instance.GetFunction<int, int>("alloc") ?? throw new InvalidOperationException("alloc");
        _free = instance.GetAction<int>("free") ?? throw new InvalidOperationException("free");
        _resize = instance.GetFunction<int, int, int, int>("resize") ?? throw new InvalidOperationException("resize");
        _outputLength = instance.GetFunction<int>("output_length") ?? throw new InvalidOperationException("output_length");
        _probe = instance.GetAction<int>("probe") ?? throw new InvalidOperationException("probe");
    }

    public Memory Memory { get; }

    public int Alloc(int length) => _alloc(length);

    public void Free(int address) => _free(address);

    public int Resize(int address, int length, int size) => _resize(address, length, size);

    public int OutputLength() => _outputLength();

    public void Probe(int address) => _probe(address);

    public void EnsureCapacity(long bytes)
    {
        var missing = bytes - Memory.GetLength();
        if (missing > 0)
        {
            Memory.Grow((missing + 65535) / 65536);
        }
    }
}

// A scoped guest allocation: the end of its using block frees it through the guest.
public sealed class GuestAllocation : IDisposable
{
    private readonly ThumbnailModule _module;

    public GuestAllocation(ThumbnailModule module, int length)
    {
        _module = module;
        Length = length;
        Address = module.Alloc(length);
    }

    public int Address { get; }

    public int Length { get; }

    public void Dispose() => _module.Free(Address);
}

public readonly record struct Upload(string Name, int Address, int Length);

public sealed unsafe class ThumbnailHandler
{
    private readonly ThumbnailModule _module;
    private UnmanagedMemoryStream? _preview;
    private int _previewOffset;
    private int _previewLength;

    public ThumbnailHandler(ThumbnailModule module) => _module = module;

    public (int Width, int Height) Dimensions(byte[] image)
    {
        Span<byte> header;
        using (var scratch = new GuestAllocation(_module, Math.Max(64, image.Length)))
        {
            image.CopyTo(_module.Memory.GetSpan(scratch.Address, image.Length));
            _module.Probe(scratch.Address);
            header = _module.Memory.GetSpan(scratch.Address, 16);
        }

        var width = BinaryPrimitives.ReadInt32LittleEndian(header); // expect: WVA001
        return (width, 0);
    }

    public (int Width, int Height) DimensionsInScope(byte[] image)
    {
        using var scratch = new GuestAllocation(_module, Math.Max(64, image.Length));
        image.CopyTo(_module.Memory.GetSpan(scratch.Address, image.Length));
        _module.Probe(scratch.Address);
        var header = _module.Memory.GetSpan(scratch.Address, 16);
        // Both read before the using declaration's Dispose runs at the end of the method.
        return (BinaryPrimitives.ReadInt32LittleEndian(header), BinaryPrimitives.ReadInt32LittleEndian(header[4..]));
    }

    public void ZipAll(IReadOnlyList<Upload> uploads, int size, Stream response)
    {
        var pending = new Queue<(string Name, Stream Content)>();
        foreach (var upload in uploads)
        {
            var output = _module.Resize(upload.Address, upload.Length, size);
            var length = _module.OutputLength();
            pending.Enqueue((upload.Name, new UnmanagedMemoryStream((byte*)_module.Memory.GetPointer() + output, length))); // expect: WVA002
        }

        using var archive = new ZipArchive(response, ZipArchiveMode.Create, leaveOpen: true);
        while (pending.TryDequeue(out var item))
        {
            using var entry = archive.CreateEntry(item.Name + ".png", CompressionLevel.Fastest).Open();
            item.Content.CopyTo(entry); // expect: WVA001, WVA004
        }
    }

    public void ZipAllCopied(IReadOnlyList<Upload> uploads, int size, Stream response)
    {
        var pending = new Queue<(string Name, byte[] Content)>();
        foreach (var upload in uploads)
        {
            var output = _module.Resize(upload.Address, upload.Length, size);
            pending.Enqueue((upload.Name, _module.Memory.GetSpan(output, _module.OutputLength()).ToArray()));
        }

        using var archive = new ZipArchive(response, ZipArchiveMode.Create, leaveOpen: true);
        while (pending.TryDequeue(out var item))
        {
            using var entry = archive.CreateEntry(item.Name + ".png", CompressionLevel.Fastest).Open();
            entry.Write(item.Content);
        }
    }

    public void StreamThumbnail(Upload upload, int size, Stream response)
    {
        // The pointer is read before Resize and OutputLength run in the same expression.
        var thumb = new UnmanagedMemoryStream((byte*)_module.Memory.GetPointer() + _module.Resize(upload.Address, upload.Length, size), _module.OutputLength());
        thumb.CopyTo(response); // expect: WVA001
    }

    public void StreamThumbnailOrdered(Upload upload, int size, Stream response)
    {
        var output = _module.Resize(upload.Address, upload.Length, size);
        var length = _module.OutputLength();
        using var thumb = new UnmanagedMemoryStream((byte*)_module.Memory.GetPointer() + output, length);
        thumb.CopyTo(response);
    }

    public void KeepPreview(Upload upload)
    {
        var output = _module.Resize(upload.Address, upload.Length, 32);
        var length = _module.OutputLength();
        _preview = new UnmanagedMemoryStream((byte*)_module.Memory.GetPointer() + output, length); // expect: WVA002
        _previewOffset = output;
        _previewLength = length;
    }

    public byte[] Preview() => _module.Memory.GetSpan(_previewOffset, _previewLength).ToArray();

    public int UploadImage(byte[] image)
    {
        var address = _module.Alloc(image.Length);
        var target = new Span<byte>((byte*)_module.Memory.GetPointer() + address, image.Length);
        _module.EnsureCapacity(address + image.Length * 4L);   // may grow memory
        image.CopyTo(target); // expect: WVA001
        return address;
    }

    public int UploadImageAfterGrow(byte[] image)
    {
        var address = _module.Alloc(image.Length);
        _module.EnsureCapacity(address + image.Length * 4L);
        image.CopyTo(new Span<byte>((byte*)_module.Memory.GetPointer() + address, image.Length));
        return address;
    }

    public void Release()
    {
        _preview?.Dispose();                                // disposing reads nothing
        _preview = null;
    }
}
