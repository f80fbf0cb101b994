// Level-editor export tool: a wasm level compiler emits chunk files, the host packs them with DotNetZip (Ionic).
// Shape from hosts that hand UnmanagedMemoryStreams over guest output to ZipFile.AddEntry, as the image-batch seed does.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Wasmtime;
using WasmViewAnalyzers.Runtime;
using IonicZip = Ionic.Zip;
using IonicZlib = Ionic.Zlib;

namespace Corpus.Dev.DotNetZipExporter;

public sealed record LevelChunk(string Name, int X, int Y);

public sealed unsafe class LevelPackager
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _compileChunk;   // (x, y) -> output address
    private readonly Func<int> _outputLength;
    private readonly Action _beginLevel;

    public LevelPackager(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _compileChunk = instance.GetFunction<int, int, int>("compile_chunk")!;
        _outputLength = instance.GetFunction<int>("output_length")!;
        _beginLevel = instance.GetAction("begin_level")!;
    }

    private readonly List<(string Name, UnmanagedMemoryStream Content)> _queued = new();

    // Returns a view stream over the last output.
    private UnmanagedMemoryStream OpenOutput(int address, int length) =>
        new((byte*)_memory.GetPointer() + address, length);

    public void PackLevel(IEnumerable<LevelChunk> chunks, string destination)
    {
        using var zip = new IonicZip.ZipFile();
        _beginLevel();
        foreach (var chunk in chunks)
        {
            var address = _compileChunk(chunk.X, chunk.Y);
            var content = OpenOutput(address, _outputLength());
            zip.AddEntry(chunk.Name, content); // expect: WVA003
        }

        zip.Save(destination);                     // every entry is read here, after all the compilations
    }

    public void PackLevelCopied(IEnumerable<LevelChunk> chunks, string destination)
    {
        using var zip = new IonicZip.ZipFile();
        _beginLevel();
        foreach (var chunk in chunks)
        {
            var address = _compileChunk(chunk.X, chunk.Y);
            zip.AddEntry(chunk.Name, _memory.GetSpan(address, _outputLength()).ToArray());   // byte[]: the host's own copy
        }

        zip.Save(destination);
    }

    public void PackWithManifest(IReadOnlyList<LevelChunk> chunks, string destination)
    {
        using var zip = new IonicZip.ZipFile();
        var manifest = new StringBuilder();
        Stream? previous = null;
        string? previousName = null;
        foreach (var chunk in chunks)
        {
            var address = _compileChunk(chunk.X, chunk.Y);
            if (previous is not null)
            {
                // Handed over only now, one compilation after it was created.
                zip.AddEntry(previousName, previous); // expect: WVA001, WVA003
            }

            previous = OpenOutput(address, _outputLength());
            previousName = chunk.Name;
            manifest.AppendLine(chunk.Name);
        }

        if (previous is not null)
        {
            zip.AddEntry(previousName, previous); // expect: WVA003
        }

        zip.AddEntry("manifest.txt", manifest.ToString());   // a string
        zip.Save(destination);
    }

    public void Repack(string existing, LevelChunk changed)
    {
        using var zip = IonicZip.ZipFile.Read(existing);
        var address = _compileChunk(changed.X, changed.Y);
        Stream replacement = OpenOutput(address, _outputLength());   // typed as plain Stream
        zip.UpdateEntry(changed.Name, replacement); // expect: WVA003
        zip.Save();
    }

    public void RepackCopied(string existing, LevelChunk changed)
    {
        using var zip = IonicZip.ZipFile.Read(existing);
        var address = _compileChunk(changed.X, changed.Y);
        using var copy = new MemoryStream(_memory.GetSpan(address, _outputLength()).ToArray());
        zip.UpdateEntry(changed.Name, copy);       // a MemoryStream over copied bytes
        zip.Save();
    }

    public void PackLazily(IEnumerable<LevelChunk> chunks, string destination)
    {
        using var zip = new IonicZip.ZipFile();
        foreach (var chunk in chunks)
        {
            var content = OpenOutput(_compileChunk(chunk.X, chunk.Y), _outputLength());
            // The write delegate runs at Save, long after later compilations: the archive hand-off (WVA003) is the finding,
            // not a WVA002 capture (AddEntry is no scheduler of WVA002's list; WVA003 names this overload).
            zip.AddEntry(chunk.Name, (name, output) => content.CopyTo(output)); // expect: WVA003
        }

        zip.Save(destination);
    }

    public void PackLazilyCopied(IEnumerable<LevelChunk> chunks, string destination)
    {
        using var zip = new IonicZip.ZipFile();
        foreach (var chunk in chunks)
        {
            var address = _compileChunk(chunk.X, chunk.Y);
            var bytes = _memory.GetSpan(address, _outputLength()).ToArray();
            zip.AddEntry(chunk.Name, (name, output) => output.Write(bytes, 0, bytes.Length));   // captures a copy
        }

        zip.Save(destination);
    }

    public void PackOpenClose(IEnumerable<LevelChunk> chunks, string destination)
    {
        using var zip = new IonicZip.ZipFile();
        foreach (var chunk in chunks)
        {
            var address = _compileChunk(chunk.X, chunk.Y);
            var view = OpenOutput(address, _outputLength());
            zip.AddEntry(chunk.Name, name => view, (name, stream) => stream.Dispose()); // expect: WVA003
        }

        zip.Save(destination);
    }

    public void PackWithComment(LevelChunk chunk, string destination)
    {
        using var zip = new IonicZip.ZipFile();
        var address = _compileChunk(chunk.X, chunk.Y);
        var entry = zip.AddEntry(chunk.Name, Array.Empty<byte>());
        entry.Comment = $"chunk {chunk.X},{chunk.Y}";
        entry.InputStream = OpenOutput(address, _outputLength()); // expect: WVA003
        zip.Save(destination);
    }

    // Guarded streams check themselves when DotNetZip reads them: a stale one throws instead of corrupting.
    public void PackGuarded(GuestMemoryGuard guard, IEnumerable<LevelChunk> chunks, string destination)
    {
        var compile = guard.Wrap(_compileChunk, "compile_chunk")!;
        var outputLength = guard.Wrap(_outputLength, "output_length")!;
        using var zip = new IonicZip.ZipFile();
        foreach (var chunk in chunks)
        {
            var address = compile(chunk.X, chunk.Y);
            zip.AddEntry(chunk.Name, guard.OpenStream(address, outputLength()));
        }

        zip.Save(destination);
    }

    public void StreamLevel(IEnumerable<LevelChunk> chunks, Stream destination)
    {
        using var zipOut = new IonicZip.ZipOutputStream(destination, leaveOpen: true);
        foreach (var chunk in chunks)
        {
            var address = _compileChunk(chunk.X, chunk.Y);
            var bytes = _memory.GetSpan(address, _outputLength());
            zipOut.PutNextEntry(chunk.Name);
            zipOut.Write(bytes); // expect: WVA004
        }
    }

    public void DeflateChunk(LevelChunk chunk, Stream destination)
    {
        var address = _compileChunk(chunk.X, chunk.Y);
        var bytes = _memory.GetSpan(address, _outputLength());
        using (var zlib = new IonicZlib.ZlibStream(destination, IonicZlib.CompressionMode.Compress, leaveOpen: true))
        {
            zlib.Write(bytes); // expect: WVA004
        }

        using var parallel = new IonicZlib.ParallelDeflateOutputStream(destination, leaveOpen: true);
        var copy = bytes.ToArray();                // a copy, before anything else runs
        parallel.Write(copy, 0, copy.Length);
    }

    public void DeflateAll(IReadOnlyList<LevelChunk> chunks, Stream destination)
    {
        using var parallel = new IonicZlib.ParallelDeflateOutputStream(destination, leaveOpen: true);
        var first = _memory.GetSpan(_compileChunk(chunks[0].X, chunks[0].Y), _outputLength());
        for (var i = 1; i < chunks.Count; i++)
        {
            _compileChunk(chunks[i].X, chunks[i].Y);
        }

        parallel.Write(first); // expect: WVA001, WVA004
    }

    // Chunks are queued as the editor compiles them and written out when the user saves.
    public void Queue(LevelChunk chunk)
    {
        var address = _compileChunk(chunk.X, chunk.Y);
        _queued.Add((chunk.Name, OpenOutput(address, _outputLength()))); // expect: WVA002
    }

    public void QueueCopied(LevelChunk chunk, List<(string Name, byte[] Content)> queue)
    {
        var address = _compileChunk(chunk.X, chunk.Y);
        queue.Add((chunk.Name, _memory.GetSpan(address, _outputLength()).ToArray()));
    }

    public void FlushQueue(string directory)
    {
        foreach (var (name, content) in _queued)
        {
            using var file = File.Create(Path.Combine(directory, name));
            content.CopyTo(file);
        }

        _queued.Clear();
    }

    public void WriteRawChunk(LevelChunk chunk, string path)
    {
        var address = _compileChunk(chunk.X, chunk.Y);
        var bytes = _memory.GetSpan(address, _outputLength());
        using var file = File.Create(path);
        file.Write(bytes);                         // a plain file: not a compressor
        using var gzip = new IonicZlib.GZipStream(file, IonicZlib.CompressionMode.Compress);
        gzip.WriteByte(bytes[0]);                  // a single byte read out: a copy
    }
}
