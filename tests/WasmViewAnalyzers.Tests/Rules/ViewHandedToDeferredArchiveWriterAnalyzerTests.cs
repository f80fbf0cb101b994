using Microsoft.CodeAnalysis.Testing;
using WasmViewAnalyzers.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.ViewHandedToDeferredArchiveWriterAnalyzer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// WVA003: views handed to archive writers that read them later (DotNetZip, SharpZipLib,
/// System.Formats.Tar, un-awaited writes), in several shapes; each next to the near misses
/// (copies, arrays, files, guarded views, writes awaited before the guest runs, look-alikes).
/// </summary>
public sealed class ViewHandedToDeferredArchiveWriterAnalyzerTests
{
    private static Task VerifyMembers(string members, string types = "", bool withRuntimeLibrary = false)
    {
        var test = new Verify.Test(withRuntimeLibrary, withArchiveLibraries: true) { TestCode = ArchiveHostCode.WithMembers(members, types) };
        return test.RunAsync(CancellationToken.None);
    }

    // ------------------------------------------------------------------ DotNetZip: read at Save

    [Fact]
    public Task ViewStreamAddedToDotNetZip_Reports() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA003:zip.AddEntry("out.png", content)|};
            zip.Save(destination);
        }
        """);

    [Fact]
    public Task ViewStreamsQueuedThenAddedInALoop_Reports() => VerifyMembers("""
        void Save(Stream destination, int[] outputs, int length)
        {
            var pending = new List<(string Name, UnmanagedMemoryStream Content)>();
            foreach (var output in outputs)
            {
                pending.Add(($"{output}.png", new UnmanagedMemoryStream((byte*)memory.GetPointer() + output, length)));
            }

            using var zip = new DotNetZip.ZipFile();
            foreach (var (name, content) in pending)
            {
                {|WVA003:zip.UpdateEntry(name, content)|};
            }

            zip.Save(destination);
        }
        """);

    [Fact]
    public Task ViewStreamSetAsDotNetZipEntryInput_Reports() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var entry = zip.AddEntry("out.png", Array.Empty<byte>());
            {|WVA003:entry.InputStream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length)|};
            zip.Save(destination);
        }
        """);

    [Fact]
    public Task WriteDelegateCapturingAViewStream_Reports() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA003:zip.AddEntry("out.png", (name, stream) => content.CopyTo(stream))|};
            zip.Save(destination);
        }
        """);

    // ------------------------------------------------------------------ SharpZipLib: read at CommitUpdate

    [Fact]
    public Task DataSourceHoldingAViewStream_Reports() => VerifyMembers("""
        void Save(SharpZip.ZipFile zip, int address, int length)
        {
            zip.BeginUpdate();
            var source = new StreamSource(new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length));
            {|WVA003:zip.Add(source, "out.png")|};
            zip.CommitUpdate();
        }
        """, """

        sealed class StreamSource : SharpZip.IStaticDataSource
        {
            private readonly Stream _content;
            public StreamSource(Stream content) => _content = content;
            public Stream GetSource() => _content;
        }
        """);

    [Fact]
    public Task DataSourceCreatedInlineOverAGuestAddress_Reports() => VerifyMembers("""
        void Save(SharpZip.ZipFile zip, int address, int length)
        {
            zip.BeginUpdate();
            {|WVA003:zip.Add(new AddressSource(memory.GetPointer() + address, length), "out.png", SharpZip.CompressionMethod.Deflated)|};
            zip.CommitUpdate();
        }
        """, """

        sealed unsafe class AddressSource : SharpZip.IStaticDataSource
        {
            private readonly nint _address;
            private readonly int _length;
            public AddressSource(nint address, int length) { _address = address; _length = length; }
            public Stream GetSource() => new UnmanagedMemoryStream((byte*)_address, _length);
        }
        """);

    [Fact]
    public Task DataSourceWhoseGetSourceReadsGuestMemory_Reports() => VerifyMembers("""
        void Save(SharpZip.ZipFile zip, int address, int length)
        {
            zip.BeginUpdate();
            {|WVA003:zip.Add(new GuestSource(memory, address, length), "out.png")|};
            zip.CommitUpdate();
        }
        """, """

        sealed unsafe class GuestSource : SharpZip.IStaticDataSource
        {
            private readonly Memory _memory;
            private readonly int _address;
            private readonly int _length;
            public GuestSource(Memory memory, int address, int length) { _memory = memory; _address = address; _length = length; }
            public Stream GetSource() => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _address, _length);
        }
        """);

    // ------------------------------------------------------------------ System.Formats.Tar: read at WriteEntry

    [Fact]
    public Task ViewStreamAsTarEntryData_Reports() => VerifyMembers("""
        void Save(TarWriter writer, int address, int length)
        {
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png") { {|WVA003:DataStream = content|} };
            writer.WriteEntry(entry);
            var other = new UstarTarEntry(TarEntryType.RegularFile, "other.png");
            {|WVA003:other.DataStream = content|};
            writer.WriteEntry(other);
        }
        """);

    // ------------------------------------------------------------------ writes that finish in the background

    [Fact]
    public Task WriteAsyncNotAwaitedBeforeAGuestCall_Reports() => VerifyMembers(string.Empty, """

        sealed class Archiver
        {
            private readonly Memory _memory;

            public Archiver(Memory memory) => _memory = memory;

            public async Task SaveAsync(Stream destination, int address, int length)
            {
                using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                var output = Views.Output(_memory, address, length);
                var write = {|WVA003:gzip.WriteAsync(output.Memory)|};
                _memory.Grow(1);
                await write;
            }

            public void SaveInBackground(ZipArchive archive, int address, int length)
            {
                var entry = archive.CreateEntry("out.png").Open();
                _ = {|WVA003:entry.WriteAsync(Views.Output(_memory, address, length).Memory)|};
            }
        }
        """ + ArchiveHostCode.PointerManager);

    // ------------------------------------------------------------------ one use, two diagnostics

    [Fact]
    public Task StaleViewHandedToDeferredWriter_ReportsBoth()
    {
        var test = new MultiRuleTest(
            ArchiveHostCode.WithMembers("""
                void Save(Stream destination, int address, int length)
                {
                    using var zip = new DotNetZip.ZipFile();
                    var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    reset();
                    {|WVA003:zip.AddEntry("out.png", {|WVA001:content|})|};
                    zip.Save(destination);
                }
                """),
            withRuntimeLibrary: false,
            new StaleViewAfterGuestCallAnalyzer(),
            new ViewWrittenToCompressorAnalyzer(),
            new ViewHandedToDeferredArchiveWriterAnalyzer());
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task DiagnosticNamesTheConsumerAndWhenItReads_AndCarriesTheHandedValue()
    {
        var test = new Verify.Test(withArchiveLibraries: true)
        {
            TestCode = ArchiveHostCode.WithMembers("""
                void Save(Stream destination, int address, int length)
                {
                    using var zip = new DotNetZip.ZipFile();
                    var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    {|#0:zip.AddEntry("out.png", {|#1:content|})|};
                    zip.Save(destination);
                }
                """),
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("WVA003")
            .WithLocation(0)
            .WithLocation(1)
            .WithArguments("content", "'ZipFile.AddEntry'", "when the archive is saved (ZipFile.Save)"));
        return test.RunAsync(CancellationToken.None);
    }

    // ------------------------------------------------------------------ near misses

    [Fact]
    public Task CopiesHandedToDotNetZip_NoDiagnostic() => VerifyMembers("""
        void Save(Stream destination, string path, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            zip.AddEntry("a.png", memory.GetSpan(address, length).ToArray());
            zip.AddEntry("b.png", new MemoryStream(memory.GetSpan(address, length).ToArray()));
            zip.AddEntry("c.txt", Encoding.UTF8.GetString(memory.GetSpan(address, length)));
            zip.AddEntry("d.png", File.OpenRead(path));
            var copy = memory.GetSpan(address, length).ToArray();
            zip.AddEntry("e.png", (name, stream) => stream.Write(copy, 0, copy.Length));
            zip.Save(destination);
        }
        """);

    [Fact]
    public Task DataSourcesOverCopies_NoDiagnostic() => VerifyMembers("""
        void Save(SharpZip.ZipFile zip, string path, int address, int length)
        {
            zip.BeginUpdate();
            zip.Add(new BytesSource(memory.GetSpan(address, length).ToArray()), "out.png");
            zip.Add(path, "file.png");
            zip.CommitUpdate();
        }
        """, """

        sealed class BytesSource : SharpZip.IStaticDataSource
        {
            private readonly byte[] _bytes;
            public BytesSource(byte[] bytes) => _bytes = bytes;
            public Stream GetSource() => new MemoryStream(_bytes);
        }
        """);

    [Fact]
    public Task TarEntryOverACopy_NoDiagnostic() => VerifyMembers("""
        void Save(TarWriter writer, int address, int length)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png")
            {
                DataStream = new MemoryStream(memory.GetSpan(address, length).ToArray()),
            };
            writer.WriteEntry(entry);
        }
        """);

    [Fact]
    public Task WriteAsyncAwaitedBeforeTheGuestRuns_NoDiagnostic() => VerifyMembers(string.Empty, """

        sealed class Archiver
        {
            private readonly Memory _memory;

            public Archiver(Memory memory) => _memory = memory;

            public async Task SaveAsync(Stream destination, int address, int length)
            {
                using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                await gzip.WriteAsync(Views.Output(_memory, address, length).Memory);
                var write = gzip.WriteAsync(Views.Output(_memory, address, length).Memory);
                Console.WriteLine("queued");
                await write;
                _memory.Grow(1);
                var plain = destination.WriteAsync(Views.Output(_memory, address, length).Memory);
                _memory.Grow(1);
                await plain;
            }
        }
        """ + ArchiveHostCode.PointerManager);

    [Fact]
    public Task GuardedViewsHandedToDeferredWriters_NoDiagnostic() => VerifyMembers("""
        void Save(Stream destination, WasmViewAnalyzers.Runtime.GuestMemoryGuard guard, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            zip.AddEntry("out.png", guard.OpenStream(address, length));
            zip.AddEntry("view.png", guard.GetView(address, length).AsStream());
            zip.Save(destination);
        }
        """, withRuntimeLibrary: true);

    [Fact]
    public Task LookAlikeArchiveOfTheUsersOwn_NoDiagnostic() => VerifyMembers("""
        void Save(int address, int length)
        {
            var zip = new My.ZipFile();
            zip.AddEntry("out.png", new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length));
        }
        """, """

        namespace My
        {
            sealed class ZipFile
            {
                public void AddEntry(string name, System.IO.Stream content) => content.CopyTo(System.IO.Stream.Null);
            }
        }
        """);
}
