// Crash-report bundler: a wasm minidump/log formatter renders report sections, the host writes a .tar.gz (System.Formats.Tar).
// Shape from hosts that stream guest output into TarEntry.DataStream and compress with GZipStream asynchronously.
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Dev.TarBundleWriter;

public sealed record ReportSection(string FileName, int Kind);

public sealed class ReportBundler
{
    private readonly Memory _memory;
    private readonly Func<int, int> _renderSection;   // kind -> output address
    private readonly Func<int> _sectionLength;
    private readonly Action _nextReport;

    public ReportBundler(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _renderSection = instance.GetFunction<int, int>("render_section")!;
        _sectionLength = instance.GetFunction<int>("section_length")!;
        _nextReport = instance.GetAction("next_report")!;
    }

    private static unsafe UnmanagedMemoryStream View(Memory memory, int address, int length) =>
        new((byte*)memory.GetPointer() + address, length);

    public void WriteBundle(IReadOnlyList<ReportSection> sections, Stream destination)
    {
        using var gzip = new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var section in sections)
        {
            var address = _renderSection(section.Kind);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, section.FileName);
            entry.DataStream = View(_memory, address, _sectionLength()); // expect: WVA003
            tar.WriteEntry(entry);                 // written at once, but the hand-off is reported wherever Save happens
        }
    }

    public void WriteBundleCopied(IReadOnlyList<ReportSection> sections, Stream destination)
    {
        using var gzip = new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var section in sections)
        {
            var address = _renderSection(section.Kind);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, section.FileName)
            {
                DataStream = new MemoryStream(_memory.GetSpan(address, _sectionLength()).ToArray()),
            };
            tar.WriteEntry(entry);
        }
    }

    public void WriteBundleUstar(IReadOnlyList<ReportSection> sections, Stream destination)
    {
        using var tar = new TarWriter(destination, TarEntryFormat.Ustar, leaveOpen: true);
        foreach (var section in sections)
        {
            var address = _renderSection(section.Kind);
            var length = _sectionLength();
            var entry = new UstarTarEntry(TarEntryType.RegularFile, section.FileName)
            {
                DataStream = View(_memory, address, length), // expect: WVA003
            };
            tar.WriteEntry(entry);
        }
    }

    public void WriteWithTrailer(ReportSection section, Stream destination)
    {
        using var tar = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        var address = _renderSection(section.Kind);
        var content = View(_memory, address, _sectionLength());
        var trailer = _renderSection(99);          // renders the trailer: the guest may reuse the section's bytes
        var entry = new GnuTarEntry(TarEntryType.RegularFile, section.FileName);
        entry.DataStream = content; // expect: WVA001, WVA003
        tar.WriteEntry(entry);
        tar.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "trailer")
        {
            DataStream = new MemoryStream(_memory.GetSpan(trailer, _sectionLength()).ToArray()),
        });
    }

    public void WriteGuarded(GuestMemoryGuard guard, IReadOnlyList<ReportSection> sections, Stream destination)
    {
        var render = guard.Wrap(_renderSection, "render_section")!;
        using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var section in sections)
        {
            var address = render(section.Kind);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, section.FileName)
            {
                DataStream = guard.OpenStream(address, _sectionLength()),   // a guarded stream checks itself
            };
            tar.WriteEntry(entry);
        }
    }

    public async Task CompressSectionsAsync(IReadOnlyList<ReportSection> sections, Stream destination)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        foreach (var section in sections)
        {
            var address = _renderSection(section.Kind);
            var content = View(_memory, address, _sectionLength());
            var copying = content.CopyToAsync(gzip); // expect: WVA003
            _nextReport();                         // runs while the copy may still read guest memory
            await copying;
        }
    }

    public async Task CompressSectionsAwaitedAsync(IReadOnlyList<ReportSection> sections, Stream destination)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        foreach (var section in sections)
        {
            var address = _renderSection(section.Kind);
            var content = View(_memory, address, _sectionLength());
            await content.CopyToAsync(gzip); // expect: WVA004
            _nextReport();
        }
    }

    public async Task CompressSectionsToFileAsync(IReadOnlyList<ReportSection> sections, string path)
    {
        await using var file = File.Create(path);
        foreach (var section in sections)
        {
            var address = _renderSection(section.Kind);
            var content = View(_memory, address, _sectionLength());
            var copying = content.CopyToAsync(file);   // an ordinary file, not an archive or compressor
            await copying;
            _nextReport();
        }
    }

    public async Task FireAndForgetAsync(ReportSection section, Stream destination)
    {
        var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        var address = _renderSection(section.Kind);
        var bytes = GuestBytes(address, _sectionLength());
        _ = gzip.WriteAsync(bytes); // expect: WVA003
        await Task.Yield();
        await gzip.DisposeAsync();
    }

    public async Task WriteCopyNotAwaitedAsync(ReportSection section, Stream destination)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        var address = _renderSection(section.Kind);
        var bytes = GuestBytes(address, _sectionLength()).ToArray();   // a copy
        var write = gzip.WriteAsync(bytes);
        _nextReport();
        await write;
    }

    // A helper that returns a view (a Memory<byte> over guest memory).
    private unsafe ReadOnlyMemory<byte> GuestBytes(int address, int length) =>
        new SectionMemory((byte*)_memory.GetPointer() + address, length).Memory;

    private sealed unsafe class SectionMemory : System.Buffers.MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public SectionMemory(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new(_start, _length);

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
