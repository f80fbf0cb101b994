// A game's save system: the game's state lives in guest memory; saves are tar and ZIP archives.
using System;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Saves;

sealed unsafe class SaveGameWriter
{
    private readonly Memory _memory;
    private readonly Func<int> _serialize;
    private readonly Func<int> _serializedLength;
    private readonly Func<int> _thumbnail;

    public SaveGameWriter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _serialize = instance.GetFunction<int>("serialize")!;
        _serializedLength = instance.GetFunction<int>("serialized_length")!;
        _thumbnail = instance.GetFunction<int>("thumbnail")!;
    }

    public void Save(Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create);
        var state = _memory.GetSpan(_serialize(), _serializedLength());
        var thumbnail = _memory.GetSpan(_thumbnail(), 128 * 72 * 4);
        using (var entry = archive.CreateEntry("state.bin").Open())
        {
            entry.Write(state);
        }

        using (var entry = archive.CreateEntry("thumb.rgba").Open())
        {
            entry.Write(thumbnail);
        }
    }

    public void SaveTar(Stream destination)
    {
        using var tar = new TarWriter(destination);
        var address = _serialize();
        var length = _serializedLength();
        var entry = new PaxTarEntry(TarEntryType.RegularFile, "state.bin")
        {
            DataStream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length),
        };
        tar.WriteEntry(entry);
    }

    public Task SaveAsync(Stream destination)
    {
        var address = _serialize();
        var length = _serializedLength();
        var state = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        var brotli = new BrotliStream(destination, CompressionLevel.Fastest);
        return state.CopyToAsync(brotli);
    }

    public void QuickSave(Stream destination)
    {
        var address = _serialize();
        var length = _serializedLength();
        using var deflate = new DeflateStream(destination, CompressionLevel.Fastest);
        deflate.Write(new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + address, length));
    }
}
