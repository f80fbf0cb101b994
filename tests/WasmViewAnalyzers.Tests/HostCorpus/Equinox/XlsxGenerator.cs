using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Wasmtime;
using DnzZip = Ionic.Zip.ZipFile;

namespace Corpus.Equinox.XlsxGenerator;

public sealed record Sheet(string Name, IReadOnlyList<object?[]> Rows);

/// <summary>Builds .xlsx workbooks; the SpreadsheetML of each part is rendered by a wasm template engine.</summary>
public sealed unsafe class WorkbookWriter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int, int> _renderSheet;
    private readonly Func<int, int> _renderPart;
    private readonly Func<int> _outputLength;
    private readonly Action _reset;

    public WorkbookWriter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _renderSheet = instance.GetFunction<int, int, int, int>("render_sheet")!;
        _renderPart = instance.GetFunction<int, int>("render_part")!;
        _outputLength = instance.GetFunction<int>("output_length")!;
        _reset = instance.GetAction("reset")!;
    }

    private (int Address, int Length) UploadRows(Sheet sheet)
    {
        var csv = string.Join('\n', sheet.Rows.Select(r => string.Join('\t', r.Select(c => c?.ToString() ?? ""))));
        var bytes = Encoding.UTF8.GetBytes(csv);
        var address = _alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        return (address, bytes.Length);
    }

    private UnmanagedMemoryStream RenderedPart(int part)
    {
        var output = _renderPart(part);
        var length = _outputLength();
        return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + output, length);
    }

    public void SaveWithDotNetZip(IReadOnlyList<Sheet> sheets, string path)
    {
        using var zip = new DnzZip();
        zip.AddEntry("[Content_Types].xml", RenderedPart(0)); // expect: WVA003
        zip.AddEntry("_rels/.rels", _memory.GetSpan(_renderPart(1), _outputLength()).ToArray());

        for (var i = 0; i < sheets.Count; i++)
        {
            _reset();
            var (rows, length) = UploadRows(sheets[i]);
            var output = _renderSheet(rows, length, i);
            var xmlLength = _outputLength();
            var xml = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + output, xmlLength);
            zip.AddEntry($"xl/worksheets/sheet{i + 1}.xml", xml); // expect: WVA003
        }

        var workbook = RenderedPart(2);
        zip.AddEntry("xl/workbook.xml", (name, stream) => workbook.CopyTo(stream)); // expect: WVA003
        zip.Save(path);
    }

    public void SaveWithBcl(IReadOnlyList<Sheet> sheets, Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        for (var i = 0; i < sheets.Count; i++)
        {
            _reset();
            var (rows, length) = UploadRows(sheets[i]);
            var output = _renderSheet(rows, length, i);
            var xml = _memory.GetSpan(output, _outputLength());

            using var entry = archive.CreateEntry($"xl/worksheets/sheet{i + 1}.xml", CompressionLevel.Optimal).Open();
            entry.Write(xml); // expect: WVA004
        }

        var types = RenderedPart(0);
        using (var entry = archive.CreateEntry("[Content_Types].xml").Open())
        {
            types.CopyTo(entry); // expect: WVA004
        }

        var sharedStrings = _memory.GetSpan(_renderPart(3), _outputLength()).ToArray();
        using (var entry = archive.CreateEntry("xl/sharedStrings.xml").Open())
        {
            entry.Write(sharedStrings);
        }
    }

    public byte[] SheetXml(Sheet sheet, int index)
    {
        var (rows, length) = UploadRows(sheet);
        var output = _renderSheet(rows, length, index);
        var xml = _memory.GetSpan(output, _outputLength());
        var header = xml[..Math.Min(5, xml.Length)].ToArray();
        _reset();
        return Encoding.ASCII.GetString(header) == "<?xml" ? xml.ToArray() : header; // expect: WVA001
    }

    public long MeasureParts(int parts)
    {
        long total = 0;
        var streams = new UnmanagedMemoryStream[parts];
        for (var p = 0; p < parts; p++)
        {
            streams[p] = RenderedPart(p);
            total += streams[p].Length;
        }

        return total;
    }

    public void ReplaceStyles(string path)
    {
        using var zip = DnzZip.Read(path);
        var entry = zip["xl/styles.xml"];
        entry.InputStream = RenderedPart(4); // expect: WVA003
        zip.Save();
    }
}
