// Texture archiver: a wasm texture encoder (block compression) encodes mip levels, the host archives them with SharpZipLib.
// Shape from SharpZipLib hosts that feed ZipFile.Add with IStaticDataSource wrappers over a stream or buffer.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Tar;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;
using SharpZipFile = ICSharpCode.SharpZipLib.Zip.ZipFile;

namespace Corpus.Dev.SharpZipTextureArchiver;

// Keeps the stream it is given and hands it out at CommitUpdate.
internal sealed class StreamSource : IStaticDataSource
{
    private readonly Stream _stream;

    public StreamSource(Stream stream) => _stream = stream;

    public Stream GetSource() => _stream;
}

// Keeps a raw pointer into guest memory.
internal sealed unsafe class PointerSource(byte* start, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream(start, length);
}

// Builds its stream over guest memory itself, when SharpZipLib asks for it.
internal sealed unsafe class LiveMipSource(Memory memory, int address, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
}

// Copied bytes: safe whenever it is read.
internal sealed class BytesSource(byte[] bytes) : IStaticDataSource
{
    public Stream GetSource() => new MemoryStream(bytes, writable: false);
}

public sealed unsafe class TextureArchiver
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int> _encodeMip;   // (texture, level, format) -> address
    private readonly Func<int> _encodedLength;
    private readonly Action<int> _release;

    public TextureArchiver(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _encodeMip = instance.GetFunction<int, int, int, int>("encode_mip")!;
        _encodedLength = instance.GetFunction<int>("encoded_length")!;
        _release = instance.GetAction<int>("release_texture")!;
    }

    public void ArchiveMips(Stream archive, int texture, int levels)
    {
        using var zip = SharpZipFile.Create(archive);
        zip.BeginUpdate();
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            var length = _encodedLength();
            var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
            zip.Add(new StreamSource(stream), $"tex{texture}/mip{level}.bc7"); // expect: WVA003
        }

        zip.CommitUpdate();                        // the sources are read here
    }

    public void ArchiveMipsByPointer(Stream archive, int texture, int levels)
    {
        using var zip = SharpZipFile.Create(archive);
        zip.BeginUpdate();
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            var length = _encodedLength();
            // A data source built in a local: its constructor only keeps the pointer; the hand-off to Add is what defers the read.
            var source = new PointerSource((byte*)_memory.GetPointer() + address, length);
            zip.Add(source, $"tex{texture}/mip{level}.bc7"); // expect: WVA003
        }

        zip.CommitUpdate();
    }

    public void ArchiveMipsLive(Stream archive, int texture, int levels)
    {
        using var zip = SharpZipFile.Create(archive);
        zip.BeginUpdate();
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            // Holds only an int address, but GetSource() builds a view stream when CommitUpdate runs.
            zip.Add(new LiveMipSource(_memory, address, _encodedLength()), $"tex{texture}/mip{level}.bc7"); // expect: WVA003
        }

        zip.CommitUpdate();
    }

    public void ArchiveMipsCopied(Stream archive, int texture, int levels)
    {
        using var zip = SharpZipFile.Create(archive);
        zip.BeginUpdate();
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            var bytes = _memory.GetSpan(address, _encodedLength()).ToArray();
            zip.Add(new BytesSource(bytes), $"tex{texture}/mip{level}.bc7");
            zip.Add(new StreamSource(new MemoryStream(bytes)), $"tex{texture}/mip{level}.copy");   // a stream over a copy
        }

        zip.CommitUpdate();
    }

    public void StreamMips(Stream archive, int texture, int levels)
    {
        using var zipOut = new ZipOutputStream(archive) { IsStreamOwner = false };
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            var encoded = _memory.GetSpan(address, _encodedLength());
            zipOut.PutNextEntry(new ZipEntry($"tex{texture}/mip{level}.bc7") { Size = encoded.Length });   // Length only
            zipOut.Write(encoded); // expect: WVA004
            zipOut.CloseEntry();
        }
    }

    public void StreamMipsFromStreams(Stream archive, int texture, int levels)
    {
        using var zipOut = new ZipOutputStream(archive) { IsStreamOwner = false };
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            zipOut.PutNextEntry(new ZipEntry($"tex{texture}/mip{level}.bc7"));
            // The pointer is taken before encoded_length runs, in the same expression.
            new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _encodedLength()).CopyTo(zipOut); // expect: WVA001, WVA004
            zipOut.CloseEntry();
        }
    }

    public void StreamMipsCopied(Stream archive, int texture, int levels)
    {
        using var zipOut = new ZipOutputStream(archive) { IsStreamOwner = false };
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            var copy = _memory.GetSpan(address, _encodedLength()).ToArray();
            zipOut.PutNextEntry(new ZipEntry($"tex{texture}/mip{level}.bc7"));
            zipOut.Write(copy, 0, copy.Length);
            zipOut.CloseEntry();
        }
    }

    public void GzipBase(Stream destination, int texture)
    {
        var address = _encodeMip(texture, 0, 7);
        var encoded = _memory.GetSpan(address, _encodedLength());
        using var gzip = new GZipOutputStream(destination) { IsStreamOwner = false };
        gzip.Write(encoded); // expect: WVA004
    }

    public void BzipAll(Stream destination, int texture, int levels)
    {
        using var bzip = new BZip2OutputStream(destination) { IsStreamOwner = false };
        var headers = new List<byte[]>();
        for (var level = 0; level < levels; level++)
        {
            var encoded = _memory.GetSpan(_encodeMip(texture, level, 7), _encodedLength());
            headers.Add(encoded[..16].ToArray());  // a copy of the block header
            bzip.Write(encoded); // expect: WVA004
        }

        _release(texture);
        foreach (var header in headers)            // copies survive the release
        {
            destination.Write(header);
        }
    }

    public void TarMips(Stream destination, int texture, int levels)
    {
        using var tar = new TarOutputStream(destination, Encoding.UTF8) { IsStreamOwner = false };
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            var length = _encodedLength();
            var encoded = _memory.GetSpan(address, length);
            var entry = TarEntry.CreateTarEntry($"tex{texture}/mip{level}.bc7");
            entry.Size = length;
            tar.PutNextEntry(entry);
            _release(texture + level + 1);         // frees a scratch texture through the guest
            tar.Write(encoded); // expect: WVA001, WVA004
            tar.CloseEntry();
        }
    }

    public void TarMipsToDisk(string directory, int texture, int levels)
    {
        for (var level = 0; level < levels; level++)
        {
            var address = _encodeMip(texture, level, 7);
            var encoded = _memory.GetSpan(address, _encodedLength());
            using var file = File.Create(Path.Combine(directory, $"mip{level}.bc7"));
            file.Write(encoded);                   // a plain file
        }
    }
}
