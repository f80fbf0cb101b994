// HTTP-style request handler (plain classes) that runs a wasm image codec per request and zips the thumbnails it returns.
// Shape inspired by the seed batch-of-images scenario and PixiEditor's WasmRuntime (codec exports wrapped in properties).
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Late.ThumbnailRequestHandler;

public sealed record ThumbnailRequest(string Name, byte[] Source, int Width);

public sealed unsafe class PointerSource : IStaticDataSource
{
    private readonly byte* _pointer;
    private readonly int _length;

    public PointerSource(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public Stream GetSource() => new UnmanagedMemoryStream(_pointer, _length);
}

public sealed class ArraySource(byte[] bytes) : IStaticDataSource
{
    public Stream GetSource() => new MemoryStream(bytes, writable: false);
}

public sealed class OffsetSource(Memory memory, int address, int length) : IStaticDataSource
{
    // Builds the stream over guest memory itself when SharpZipLib asks for it, at CommitUpdate.
    public unsafe Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
}

public sealed unsafe class CodecBackend
{
    private readonly Instance _instance;

    public CodecBackend(Instance instance) => _instance = instance;

    public Memory Memory => _instance.GetMemory("memory")!;

    public Func<int, int, int, int> Thumbnail => _instance.GetFunction<int, int, int, int>("thumbnail")!;

    public Func<int, int> Alloc => _instance.GetFunction<int, int>("alloc")!;

    public int OutputLength => _instance.GetFunction<int>("output_length")!();

    public int Upload(byte[] source)
    {
        int ptr = Alloc(source.Length);
        source.CopyTo(Memory.GetSpan(ptr, source.Length));
        return ptr;
    }

    public UnmanagedMemoryStream OpenOutput(int address, int length) =>
        new((byte*)Memory.GetPointer() + address, length);

    public int Convert(ThumbnailRequest request) => Thumbnail(Upload(request.Source), request.Source.Length, request.Width);
}

public sealed unsafe class ThumbnailHandler
{
    private readonly CodecBackend _codec;

    public ThumbnailHandler(CodecBackend codec) => _codec = codec;

    public void HandleWithDotNetZip(IEnumerable<ThumbnailRequest> requests, Stream response)
    {
        using var zip = new Ionic.Zip.ZipFile();
        foreach (var request in requests)
        {
            int address = _codec.Convert(request);
            var content = _codec.OpenOutput(address, _codec.OutputLength);
            zip.AddEntry(request.Name + ".png", content); // expect: WVA003
        }

        zip.Save(response);
    }

    public void HandleCopied(IEnumerable<ThumbnailRequest> requests, Stream response)
    {
        using var zip = new Ionic.Zip.ZipFile();
        foreach (var request in requests)
        {
            int address = _codec.Convert(request);
            zip.AddEntry(request.Name + ".png", _codec.Memory.GetSpan(address, _codec.OutputLength).ToArray());
        }

        zip.Save(response);
    }

    public void HandleWithWriter(ThumbnailRequest request, Stream response)
    {
        using var zip = new Ionic.Zip.ZipFile();
        int address = _codec.Convert(request);
        var output = _codec.OpenOutput(address, _codec.OutputLength);
        zip.AddEntry(request.Name + ".png", (name, stream) => output.CopyTo(stream)); // expect: WVA003
        zip.Save(response);
    }

    public void HandleWithWriterCopy(ThumbnailRequest request, Stream response)
    {
        using var zip = new Ionic.Zip.ZipFile();
        int address = _codec.Convert(request);
        byte[] png = _codec.Memory.GetSpan(address, _codec.OutputLength).ToArray();
        zip.AddEntry(request.Name + ".png", (name, stream) => stream.Write(png, 0, png.Length));
        zip.Save(response);
    }

    public void HandleWithSharpZip(IReadOnlyList<ThumbnailRequest> requests, string path)
    {
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(path);
        zip.BeginUpdate();
        foreach (var request in requests)
        {
            int address = _codec.Convert(request);
            int length = _codec.OutputLength; // asked before the pointer is taken: the getter calls the guest
            var source = new PointerSource((byte*)_codec.Memory.GetPointer() + address, length);
            zip.Add(source, request.Name + ".png"); // expect: WVA003
        }

        zip.CommitUpdate();
    }

    public void HandleWithOffsets(IReadOnlyList<ThumbnailRequest> requests, string path)
    {
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(path);
        zip.BeginUpdate();
        foreach (var request in requests)
        {
            int address = _codec.Convert(request);
            zip.Add(new OffsetSource(_codec.Memory, address, _codec.OutputLength), request.Name + ".png"); // expect: WVA003
        }

        zip.CommitUpdate();
    }

    public void HandleWithArrays(IReadOnlyList<ThumbnailRequest> requests, string path)
    {
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(path);
        zip.BeginUpdate();
        foreach (var request in requests)
        {
            int address = _codec.Convert(request);
            zip.Add(new ArraySource(_codec.Memory.GetSpan(address, _codec.OutputLength).ToArray()), request.Name + ".png");
        }

        zip.CommitUpdate();
    }

    public void HandleAsTar(IReadOnlyList<ThumbnailRequest> requests, Stream response)
    {
        using var tar = new TarWriter(response, leaveOpen: true);
        foreach (var request in requests)
        {
            int address = _codec.Convert(request);
            int length = _codec.OutputLength;
            var entry = new PaxTarEntry(TarEntryType.RegularFile, request.Name + ".png")
            {
                DataStream = _codec.OpenOutput(address, length), // expect: WVA003
            };
            tar.WriteEntry(entry);
        }
    }

    public void HandleAsTarLate(ThumbnailRequest first, ThumbnailRequest second, Stream response)
    {
        using var tar = new TarWriter(response, leaveOpen: true);
        int address = _codec.Convert(first);
        var content = _codec.OpenOutput(address, _codec.OutputLength);
        int next = _codec.Convert(second);
        var entry = new UstarTarEntry(TarEntryType.RegularFile, first.Name);
        entry.DataStream = content; // expect: WVA001, WVA003
        tar.WriteEntry(entry);
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, second.Name) { DataStream = new MemoryStream(_codec.Memory.GetSpan(next, _codec.OutputLength).ToArray()) });
    }

    public long MeasureOutput(ThumbnailRequest request)
    {
        int address = _codec.Convert(request);
        using var output = _codec.OpenOutput(address, _codec.OutputLength);
        _codec.Convert(request with { Width = request.Width / 2 });
        return output.Length; // a stream's Length reads no guest memory
    }
}
