// EPUB packager: a WebAssembly typesetter renders each chapter's Markdown to XHTML in guest memory and the host zips it.
// Shape: wasmtime-dotnet examples' (ptr, len) results and DotNetIsolator's "result lives in guest memory" RPC style.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Autumn.EpubPackager;

public sealed record Chapter(string Id, string Title, string Markdown);

public sealed unsafe class EpubTypesetter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int> _render;
    private readonly Func<int> _outputLength;
    private readonly Action _resetArena;

    public EpubTypesetter(Store store, Linker linker, Module module)
    {
        var instance = linker.Instantiate(store, module);
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _free = instance.GetAction<int>("free")!;
        _render = instance.GetFunction<int, int, int>("render_chapter")!;
        _outputLength = instance.GetFunction<int>("output_length")!;
        _resetArena = instance.GetAction("reset_arena")!;
    }

    private (int Address, int Length) Upload(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var address = _alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length)); // obtained after alloc and used at once
        return (address, bytes.Length);
    }

    // A view source: callers get a stream over the guest's arena.
    private UnmanagedMemoryStream OpenXhtml(int address, int length) =>
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);

    public void PackageWithDotNetZip(IReadOnlyList<Chapter> chapters, string path)
    {
        using var zip = new Ionic.Zip.ZipFile();
        zip.AddEntry("mimetype", "application/epub+zip"); // a string, not a view
        foreach (var chapter in chapters)
        {
            _resetArena();
            var (src, len) = Upload(chapter.Markdown);
            var output = _render(src, len);
            var xhtml = OpenXhtml(output, _outputLength());
            zip.AddEntry($"OEBPS/{chapter.Id}.xhtml", xhtml); // expect: WVA003
        }

        // Safe twin: the bytes are the host's own before the next chapter is rendered.
        foreach (var chapter in chapters)
        {
            _resetArena();
            var (src, len) = Upload(chapter.Title);
            var output = _render(src, len);
            var copy = _memory.GetSpan(output, _outputLength()).ToArray();
            zip.AddEntry($"OEBPS/title-{chapter.Id}.xhtml", copy);
        }

        var (navSrc, navLen) = Upload(BuildNavMarkdown(chapters));
        var nav = OpenXhtml(_render(navSrc, navLen), _outputLength());
        zip.AddEntry("OEBPS/nav.xhtml", (name, stream) => nav.CopyTo(stream)); // expect: WVA003
        zip.Save(path);
    }

    public void PackageWithZipArchive(IReadOnlyList<Chapter> chapters, Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var chapter in chapters)
        {
            var (src, len) = Upload(chapter.Markdown);
            var output = _render(src, len);
            var length = _outputLength();
            var view = _memory.GetSpan(output, length);
            using var entry = archive.CreateEntry($"OEBPS/{chapter.Id}.xhtml", CompressionLevel.Optimal).Open();
            entry.Write(view); // expect: WVA004
            _free(src);
        }
    }

    public void WriteCoverPage(ZipArchive archive, Chapter first, Stream debugDump)
    {
        var (titleSrc, titleLen) = Upload(first.Title);
        var titleOut = _render(titleSrc, titleLen);
        var title = _memory.GetSpan(titleOut, _outputLength());
        debugDump.Write(title);                  // a plain Stream parameter: not a compressor, and fresh
        var titleBytes = title.Length;           // only the length
        var (bodySrc, bodyLen) = Upload(first.Markdown); // alloc runs in the guest: title is stale from here
        _render(bodySrc, bodyLen);
        using var entry = archive.CreateEntry("OEBPS/cover.xhtml").Open();
        entry.Write(title); // expect: WVA001, WVA004
        Console.WriteLine($"cover title {titleBytes} bytes");
    }

    public string RenderPreview(string markdown)
    {
        var (src, len) = Upload(markdown);
        var output = _render(src, len);
        var length = _outputLength();
        _free(src);                                                // frees the input, but a guest call all the same
        var text = _memory.ReadString(output, length, Encoding.UTF8); // ReadString copies: not a view
        return text;
    }

    public byte[] RenderToArray(string markdown)
    {
        var (src, len) = Upload(markdown);
        var output = _render(src, len);
        var stream = OpenXhtml(output, _outputLength());
        var copy = new MemoryStream();
        stream.CopyTo(copy);  // read while fresh, into the host's own MemoryStream
        _free(src);
        stream.Dispose();     // disposing reads nothing
        return copy.ToArray();
    }

    public Task CompressChapterInBackground(Chapter chapter, Stream destination)
    {
        var (src, len) = Upload(chapter.Markdown);
        var output = _render(src, len);
        var xhtml = OpenXhtml(output, _outputLength());
        void Compress()
        {
            using var gz = new Ionic.Zlib.GZipStream(destination, Ionic.Zlib.CompressionMode.Compress, leaveOpen: true);
            xhtml.CopyTo(gz); // expect: WVA004
        }
        return Task.Run(Compress); // expect: WVA002
    }

    public void WriteChapterNow(Chapter chapter, Stream destination)
    {
        var (src, len) = Upload(chapter.Markdown);
        var output = _render(src, len);
        var xhtml = OpenXhtml(output, _outputLength());
        void Copy() => xhtml.CopyTo(destination);   // a plain stream, and the local function runs at once
        Copy();
        _free(src);
    }

    private static string BuildNavMarkdown(IReadOnlyList<Chapter> chapters)
    {
        var sb = new StringBuilder();
        foreach (var c in chapters) sb.Append("- [").Append(c.Title).Append("](").Append(c.Id).AppendLine(".xhtml)");
        return sb.ToString();
    }
}
