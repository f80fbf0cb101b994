// Nightly report export job: a guest query engine renders result sets, the host writes them asynchronously into a DotNetZip
// archive, a gzip file and a tar bundle; shaped after report exporters that open result streams over guest memory.
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.HeldOut.ReportExportJob;

public sealed class ReportExportJob
{
    private readonly Memory _memory;
    private readonly Func<int, int> _run;
    private readonly Func<int> _resultLength;
    private readonly Action _nextPage;
    private Stream? _current;
    private int _currentOffset;
    private int _currentLength;

    public ReportExportJob(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _run = instance.GetFunction<int, int>("run_query") ?? throw new InvalidOperationException("run_query");
        _resultLength = instance.GetFunction<int>("result_length") ?? throw new InvalidOperationException("result_length");
        _nextPage = instance.GetAction("next_page") ?? throw new InvalidOperationException("next_page");
    }

    // Returns a view stream over the result set.
    private unsafe UnmanagedMemoryStream OpenResult(int address, int length)
        => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);

    // The same helper, returning a copy: what its callers can keep.
    private Stream OpenResultCopy(int address, int length)
        => new MemoryStream(_memory.GetSpan(address, length).ToArray(), writable: false);

    public async Task ExportToZipAsync(Ionic.Zip.ZipFile zip, int query, Stream log)
    {
        var address = _run(query);
        var result = OpenResult(address, _resultLength());
        await log.FlushAsync();
        zip.AddEntry($"query-{query}.csv", result); // expect: WVA001, WVA003
    }

    public async Task ExportCopyToZipAsync(Ionic.Zip.ZipFile zip, int query, Stream log)
    {
        var address = _run(query);
        var result = OpenResultCopy(address, _resultLength());
        await log.FlushAsync();
        zip.AddEntry($"query-{query}.csv", result);
    }

    public async Task CompressInBackgroundAsync(Stream output, int query)
    {
        var address = _run(query);
        using var result = OpenResult(address, _resultLength());
        await using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        var copying = result.CopyToAsync(gzip); // expect: WVA003
        _nextPage();
        await copying;
    }

    public async Task CompressAsync(Stream output, int query)
    {
        var address = _run(query);
        using var result = OpenResult(address, _resultLength());
        await using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        await result.CopyToAsync(gzip); // expect: WVA004
        _nextPage();
    }

    public async Task SaveRawAsync(FileStream file, int query)
    {
        var address = _run(query);
        using var result = OpenResult(address, _resultLength());
        await result.CopyToAsync(file);                     // an ordinary file: read while awaited
        _nextPage();
    }

    public async Task<long> SaveAfterDelayAsync(Stream file, int query)
    {
        var address = _run(query);
        var result = OpenResult(address, _resultLength());
        await Task.Delay(10);
        var length = result.Length;                         // Length reads no guest memory
        result.CopyTo(file); // expect: WVA001
        return length;
    }

    public async Task<long> SaveBeforeDelayAsync(Stream file, int query)
    {
        var address = _run(query);
        var result = OpenResult(address, _resultLength());
        result.CopyTo(file);
        await Task.Delay(10);
        var length = result.Length;
        result.Dispose();                                   // disposing reads nothing
        return length;
    }

    public void Hold(int query)
    {
        var address = _run(query);
        var length = _resultLength();
        _current = OpenResult(address, length); // expect: WVA002
        _currentOffset = address;
        _currentLength = length;
    }

    public Stream Reopen() => OpenResultCopy(_currentOffset, _currentLength);

    public void Bundle(Stream output, IReadOnlyList<int> queries)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var query in queries)
        {
            var address = _run(query);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"query-{query}.csv");
            entry.DataStream = OpenResult(address, _resultLength()); // expect: WVA003
            tar.WriteEntry(entry);
        }
    }

    public void BundleCopies(Stream output, IReadOnlyList<int> queries)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var query in queries)
        {
            var address = _run(query);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"query-{query}.csv")
            {
                DataStream = OpenResultCopy(address, _resultLength()),
            };
            tar.WriteEntry(entry);
        }
    }

    public void Paginate(Stream output, int query, int pages)
    {
        var address = _run(query);
        var length = _resultLength();
        var page = OpenResult(address, length);
        using var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true);
        for (var i = 0; i < pages; i++)
        {
            // Fresh on the first pass, stale on every later one (next_page ran in the previous iteration).
            page.CopyTo(deflate); // expect: WVA001, WVA004
            _nextPage();
            page.Position = 0;                              // Position touches no guest memory
        }
    }

    public void PaginateReopened(Stream output, int query, int pages)
    {
        var address = _run(query);
        var length = _resultLength();
        using var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true);
        for (var i = 0; i < pages; i++)
        {
            using var page = OpenResultCopy(address, length);
            page.CopyTo(deflate);
            _nextPage();
        }
    }
}
