// A PDF renderer (pdfium compiled to wasm) producing PNG pages that are zipped with DotNetZip; the shape of
// document-preview services that wrap render exports in a class and hand pages to an archive writer.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using Ionic.Zip;
using Wasmtime;

namespace Corpus.Unseen.PdfPageRenderer;

public sealed record RenderedPage(int Number, ReadOnlyMemory<byte> Png);

internal sealed unsafe class PageMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public PageMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed unsafe class PdfRenderer
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _openDocument;
    private readonly Func<int, int, int, int> _renderPage;
    private readonly Func<int> _lastLength;
    private readonly Action<int> _closeDocument;

    public PdfRenderer(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _openDocument = instance.GetFunction<int, int, int>("pdf_open")!;
        _renderPage = instance.GetFunction<int, int, int, int>("pdf_render_page")!;
        _lastLength = instance.GetFunction<int>("pdf_last_length")!;
        _closeDocument = instance.GetAction<int>("pdf_close")!;
    }

    public int Open(int address, int length) => _openDocument(address, length);

    private ReadOnlyMemory<byte> PageBytes(int address, int length) =>
        new PageMemory((byte*)_memory.GetPointer() + address, length).Memory;

    private UnmanagedMemoryStream PageStream(int address, int length) =>
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);

    public List<RenderedPage> RenderAll(int document, int pageCount, int dpi)
    {
        var pages = new List<RenderedPage>();
        for (int i = 0; i < pageCount; i++)
        {
            int address = _renderPage(document, i, dpi);
            int length = _lastLength();
            pages.Add(new RenderedPage(i + 1, PageBytes(address, length))); // expect: WVA002
        }

        // Every page but the last was rendered over by the next pdf_render_page.
        return pages; // expect: WVA001
    }

    public List<RenderedPage> RenderAllCopied(int document, int pageCount, int dpi)
    {
        var pages = new List<RenderedPage>();
        for (int i = 0; i < pageCount; i++)
        {
            int address = _renderPage(document, i, dpi);
            int length = _lastLength();
            pages.Add(new RenderedPage(i + 1, _memory.GetSpan(address, length).ToArray()));
        }

        return pages;
    }

    public void ExportPreview(int document, Stream output)
    {
        RenderedPage cover = RenderCover(document);
        _closeDocument(document);
        output.Write(cover.Png.Span); // expect: WVA001
    }

    public void ExportPreviewBeforeClose(int document, Stream output)
    {
        RenderedPage cover = RenderCover(document);
        output.Write(cover.Png.Span);
        _closeDocument(document);
        // The record's number is plain data: reading it after the close reads no guest memory.
        Console.WriteLine($"page {cover.Number} written");
    }

    private RenderedPage RenderCover(int document)
    {
        int address = _renderPage(document, 0, 72);
        return new RenderedPage(1, PageBytes(address, _lastLength()));
    }

    public void SaveZip(int document, int pageCount, string path)
    {
        using (var zip = new ZipFile())
        {
            for (int i = 0; i < pageCount; i++)
            {
                int address = _renderPage(document, i, 150);
                int length = _lastLength();
                var stream = PageStream(address, length);
                zip.AddEntry($"page-{i + 1:D3}.png", stream); // expect: WVA003
            }

            zip.Save(path);
        }
    }

    public void SaveZipCopied(int document, int pageCount, string path)
    {
        using (var zip = new ZipFile())
        {
            for (int i = 0; i < pageCount; i++)
            {
                int address = _renderPage(document, i, 150);
                int length = _lastLength();
                // DotNetZip's byte[] overload holds the host's own copy.
                zip.AddEntry($"page-{i + 1:D3}.png", _memory.GetSpan(address, length).ToArray());
            }

            zip.Save(path);
        }
    }

    public void SaveWithCover(int document, string path)
    {
        using var zip = new ZipFile();
        int address = _renderPage(document, 0, 300);
        int length = _lastLength();
        var cover = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        // The delegate runs inside Save, after the thumbnail below was rendered over the cover.
        zip.AddEntry("cover.png", (string name, Stream target) => cover.CopyTo(target)); // expect: WVA003
        int thumb = _renderPage(document, 0, 36);
        byte[] thumbnail = _memory.GetSpan(thumb, _lastLength()).ToArray();
        zip.AddEntry("thumb.png", (string name, Stream target) => target.Write(thumbnail));
        zip.UpdateEntry("page-1.png", PageStream(thumb, thumbnail.Length)); // expect: WVA003
        zip.Save(path);
    }

    public void AppendToExisting(string path, int document, int page)
    {
        using var zip = ZipFile.Read(path);
        int address = _renderPage(document, page, 150);
        int length = _lastLength();
        // ZipEntry.InputStream is read when the archive is saved.
        ZipEntry entry = zip.AddEntry($"page-{page}.png", Array.Empty<byte>());
        entry.InputStream = PageStream(address, length); // expect: WVA003
        zip.Save();
    }

    public RenderedPage Retitle(int document)
    {
        RenderedPage cover = RenderCover(document);
        // 'with' keeps the same Png view: returned, not kept.
        return cover with { Number = 0 };
    }
}
