using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.ViewWrittenToCompressorAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.CopyViewBeforeHandoverFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// 'Copy the view before handing it over (optional ...)' for WVA004, against the BCL's compressors,
/// SharpZipLib and DotNetZip. The copy is offered under its own equivalence key, so that Fix All
/// of the required copies (WVA002, WVA003) never applies it. Every test applies the fix one
/// diagnostic at a time and through Fix All (document, project and solution), and the fixed code
/// must compile with no diagnostic left; beside them, writes with no compiling copy get no fix.
/// </summary>
public sealed class ViewWrittenToCompressorFixerTests
{
    private const string Key = CopyViewBeforeHandoverFixer.OptionalCopyKey;

    private static Task VerifyMembers(string members, string fixedMembers, string types = "")
        => Verify.VerifyCodeFixAsync(ArchiveHostCode.WithMembers(members, types), ArchiveHostCode.WithMembers(fixedMembers, types), Key, withArchiveLibraries: true);

    private const string Reports = """

        public interface IReports
        {
            Stream Open(int length);
        }

        public sealed unsafe class Reports : IReports
        {
            private readonly Memory _memory;
            public Reports(Memory memory) => _memory = memory;
            public Stream Open(int length) => new UnmanagedMemoryStream((byte*)_memory.GetPointer(), length);
        }
        """;

    // ------------------------------------------------------------------ spans and memories written

    /// <summary>
    /// A view stream a helper returns, written into a compressor later (by a local function queued
    /// to the thread pool, in the block of an archive entry's stream): its bytes are copied where it
    /// is obtained, and the compressor reads the copy under the stream's name.
    /// </summary>
    [Fact]
    public Task StreamFromAHelperWrittenLaterOrInAnEntryBlock_CopiedWhereItIsObtained() => VerifyMembers("""
        Task CompressLater(Stream destination, Reports reports, int length)
        {
            var report = reports.Open(length);

            void Compress()
            {
                using var deflate = new DeflateStream(destination, CompressionLevel.Optimal, leaveOpen: true);
                {|WVA004:report.CopyTo(deflate)|};
            }

            return Task.Run(Compress);
        }

        void CompressEntry(ZipArchive archive, Reports reports, int length)
        {
            var types = reports.Open(length);
            using (var entry = archive.CreateEntry("types.xml").Open())
            {
                {|WVA004:types.CopyTo(entry)|};
            }
        }
        """, """
        Task CompressLater(Stream destination, Reports reports, int length)
        {
            var reportView = reports.Open(length);
            var report = new MemoryStream();
            reportView.CopyTo(report);
            report.Position = 0;

            void Compress()
            {
                using var deflate = new DeflateStream(destination, CompressionLevel.Optimal, leaveOpen: true);
                report.CopyTo(deflate);
            }

            return Task.Run(Compress);
        }

        void CompressEntry(ZipArchive archive, Reports reports, int length)
        {
            var typesView = reports.Open(length);
            var types = new MemoryStream();
            typesView.CopyTo(types);
            types.Position = 0;
            using (var entry = archive.CreateEntry("types.xml").Open())
            {
                types.CopyTo(entry);
            }
        }
        """, Reports);

    [Fact]
    public Task StreamOfAnyTypeCopiedIntoACompressor_WritesACopyOfItsBytes() => VerifyMembers("""
        void Compress(Stream destination, Reports reports, int length)
        {
            var report = reports.Open(length);
            using var gzip = new GZipStream(destination, CompressionLevel.Optimal);
            {|WVA004:report.CopyTo(gzip)|};
        }

        void CompressConverted(Stream destination, Reports reports, int length)
        {
            var report = reports.Open(length);
            convert(length);
            using var gzip = new GZipStream(destination, CompressionLevel.Optimal);
            {|WVA004:report.CopyTo(gzip)|};
        }
        """, """
        void Compress(Stream destination, Reports reports, int length)
        {
            var reportView = reports.Open(length);
            var report = new MemoryStream();
            reportView.CopyTo(report);
            report.Position = 0;
            using var gzip = new GZipStream(destination, CompressionLevel.Optimal);
            report.CopyTo(gzip);
        }

        void CompressConverted(Stream destination, Reports reports, int length)
        {
            var report = reports.Open(length);
            convert(length);
            using var gzip = new GZipStream(destination, CompressionLevel.Optimal);
            var reportCopy = new MemoryStream();
            report.CopyTo(reportCopy);
            reportCopy.Position = 0;
            reportCopy.CopyTo(gzip);
        }
        """, Reports);

    [Fact]
    public Task SpanWrittenIntoGZipStream_WritesAnArrayCopy() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
            var output = memory.GetSpan(address, length);
            {|WVA004:gzip.Write(output)|};
        }
        """, """
        void Save(Stream destination, int address, int length)
        {
            using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
            var output = memory.GetSpan(address, length);
            gzip.Write(output.ToArray());
        }
        """);

    [Fact]
    public Task ViewsWrittenIntoBclSharpZipLibAndDotNetZipCompressors_FixAllCopiesEach() => VerifyMembers("""
        void Save(ZipArchive archive, Stream destination, int address, int length)
        {
            var output = memory.GetSpan(address, length);
            {|WVA004:archive.CreateEntry("out.png").Open().Write(output.Slice(1))|};
            using var deflate = new DeflateStream(destination, CompressionLevel.Optimal);
            {|WVA004:deflate.Write(MemoryMarshal.AsBytes(memory.GetSpan<int>(address, length)))|};
            using var sharp = new SharpZip.ZipOutputStream(destination);
            sharp.PutNextEntry(new SharpZip.ZipEntry("out.png"));
            {|WVA004:sharp.Write(memory.GetSpan(address, length))|};
            using var ionic = new Ionic.Zlib.ZlibStream(destination, Ionic.Zlib.CompressionMode.Compress);
            {|WVA004:ionic.Write((ReadOnlySpan<byte>)output)|};
        }
        """, """
        void Save(ZipArchive archive, Stream destination, int address, int length)
        {
            var output = memory.GetSpan(address, length);
            archive.CreateEntry("out.png").Open().Write(output.Slice(1).ToArray());
            using var deflate = new DeflateStream(destination, CompressionLevel.Optimal);
            deflate.Write(MemoryMarshal.AsBytes(memory.GetSpan<int>(address, length)).ToArray());
            using var sharp = new SharpZip.ZipOutputStream(destination);
            sharp.PutNextEntry(new SharpZip.ZipEntry("out.png"));
            sharp.Write(memory.GetSpan(address, length).ToArray());
            using var ionic = new Ionic.Zlib.ZlibStream(destination, Ionic.Zlib.CompressionMode.Compress);
            ionic.Write(((ReadOnlySpan<byte>)output).ToArray());
        }
        """);

    [Fact]
    public Task MemoryWrittenAsyncAndAwaitedAtOnce_WritesAnArrayCopy() => Verify.VerifyCodeFixAsync(
        ArchiveHostCode.WithMembers(string.Empty, """

            sealed class Archiver
            {
                private readonly Memory _memory;

                public Archiver(Memory memory) => _memory = memory;

                public async Task SaveAsync(Stream destination, int address, int length)
                {
                    using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                    var output = Views.Output(_memory, address, length);
                    await {|WVA004:gzip.WriteAsync(output.Memory)|}.ConfigureAwait(false);
                }
            }
            """ + ArchiveHostCode.PointerManager),
        ArchiveHostCode.WithMembers(string.Empty, """

            sealed class Archiver
            {
                private readonly Memory _memory;

                public Archiver(Memory memory) => _memory = memory;

                public async Task SaveAsync(Stream destination, int address, int length)
                {
                    using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                    var output = Views.Output(_memory, address, length);
                    await gzip.WriteAsync(output.Memory.ToArray()).ConfigureAwait(false);
                }
            }
            """ + ArchiveHostCode.PointerManager),
        Key,
        withArchiveLibraries: true);

    // ------------------------------------------------------------------ view streams copied into a compressor

    [Fact]
    public Task ViewStreamCopiedIntoDeflateStream_CopiedWhereItIsCreated() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            using var deflate = new DeflateStream(destination, CompressionLevel.Fastest);
            {|WVA004:content.CopyTo(deflate)|};
        }
        """, """
        void Save(Stream destination, int address, int length)
        {
            using var content = new MemoryStream(memory.GetSpan(address, length).ToArray());
            using var deflate = new DeflateStream(destination, CompressionLevel.Fastest);
            content.CopyTo(deflate);
        }
        """);

    [Fact]
    public Task ViewStreamsCopiedIntoEntryAndSharpZipLibGZip_FixAllCopiesEach() => VerifyMembers("""
        void Save(ZipArchive archive, Stream destination, int address, int length)
        {
            using var entry = archive.CreateEntry("out.png", CompressionLevel.Fastest).Open();
            {|WVA004:new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length).CopyTo(entry)|};
            using var gzip = new ICSharpCode.SharpZipLib.GZip.GZipOutputStream(destination);
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA004:content.CopyTo(gzip, 81920)|};
        }
        """, """
        void Save(ZipArchive archive, Stream destination, int address, int length)
        {
            using var entry = archive.CreateEntry("out.png", CompressionLevel.Fastest).Open();
            new MemoryStream(memory.GetSpan(address, length).ToArray()).CopyTo(entry);
            using var gzip = new ICSharpCode.SharpZipLib.GZip.GZipOutputStream(destination);
            var content = new MemoryStream(memory.GetSpan(address, length).ToArray());
            content.CopyTo(gzip, 81920);
        }
        """);

    // ------------------------------------------------------------------ the optional copy stays apart from the required one

    [Fact]
    public async Task WriteIntoCompressor_OffersTheOptionalCopyUnderItsOwnKey()
    {
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers("""
                void Save(Stream destination, int address, int length)
                {
                    using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                    gzip.Write(memory.GetSpan(address, length));
                }
                """),
            withArchiveLibraries: true);

        var (diagnostic, offered) = Assert.Single(fixes);
        Assert.Equal("WVA004", diagnostic.Id);
        var fix = Assert.Single(offered);
        Assert.Equal(CopyViewBeforeHandoverFixer.OptionalCopyKey, fix.EquivalenceKey);
        Assert.NotEqual(CopyViewBeforeHandoverFixer.CopyKey, fix.EquivalenceKey);
        Assert.Contains("optional", fix.Title, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CopyViewBeforeHandoverFixer.CopyKey)]
    [InlineData(CopyViewBeforeHandoverFixer.OptionalCopyKey)]
    public Task FixAllOfOneKey_LeavesTheOtherRulesHandOffsAlone(string key)
    {
        const string Source = """
            void Save(Stream destination, int address, int length)
            {
                using var zip = new DotNetZip.ZipFile();
                {|WVA003:zip.AddEntry("out.png", new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length))|};
                zip.Save(destination);
                using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                {|WVA004:gzip.Write(memory.GetSpan(address, length))|};
            }
            """;
        var fixedSource = key == CopyViewBeforeHandoverFixer.CopyKey
            ? Source.Replace(
                """{|WVA003:zip.AddEntry("out.png", new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length))|}""",
                """zip.AddEntry("out.png", new MemoryStream(memory.GetSpan(address, length).ToArray()))""")
            : Source.Replace(
                """{|WVA004:gzip.Write(memory.GetSpan(address, length))|}""",
                """gzip.Write(memory.GetSpan(address, length).ToArray())""");
        var test = new BothArchiveRulesTest
        {
            TestCode = ArchiveHostCode.WithMembers(Source),
            FixedCode = ArchiveHostCode.WithMembers(fixedSource),
            CodeActionEquivalenceKey = key,
        };
        return test.RunAsync(CancellationToken.None);
    }

    // ------------------------------------------------------------------ no compiling copy: no fix

    [Fact]
    public async Task StreamTypedStreamOrFromAHelper_CopiedWhereCreatedOrInTheHelper()
    {
        // A view stream typed as plain Stream is copied where it is created; one a helper opens (in
        // code that is not unsafe) is copied by the helper, which returns a MemoryStream.
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers("""
                void Save(Stream destination, int address, int length)
                {
                    using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                    Stream content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    content.CopyTo(gzip);
                }
                """, """

                static unsafe class Streams
                {
                    public static UnmanagedMemoryStream Open(Memory memory, int address, int length)
                        => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                }

                sealed class SafeArchiver
                {
                    public async Task SaveAsync(ZipArchive archive, Memory memory, int address, int length)
                    {
                        await using var entry = archive.CreateEntry("out.png").Open();
                        using var content = Streams.Open(memory, address, length);
                        await content.CopyToAsync(entry);
                    }
                }
                """),
            withArchiveLibraries: true);

        Assert.Equal(2, fixes.Count(f => f.Diagnostic.Id == "WVA004"));
        Assert.Equal(new[] { "Copy the view before handing it over (optional: the writer reads it right away)", "Make the helper return a copy (optional: the writer reads it right away)" }, fixes.Select(f => Assert.Single(f.Fixes).Title));
    }

    [Fact]
    public async Task ViewStreamReadAgainAfterTheWrite_CopiedWhereItIsCreated()
    {
        // CopyTo leaves the stream at its end and the method reads its position: the stream copied
        // where it is created is the same stream object from there on, and ends where it did.
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers("""
                long Save(Stream destination, int address, int length)
                {
                    using var deflate = new DeflateStream(destination, CompressionLevel.Fastest);
                    using var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    content.CopyTo(deflate);
                    return content.Position;
                }
                """),
            withArchiveLibraries: true);

        var (diagnostic, offered) = Assert.Single(fixes);
        Assert.Equal("WVA004", diagnostic.Id);
        Assert.Single(offered);
    }

    /// <summary>WVA003 and WVA004 on one document, as a user sees them, with the one fixer.</summary>
    private sealed class BothArchiveRulesTest : CSharpCodeFixTest<ViewHandedToDeferredArchiveWriterAnalyzer, CopyViewBeforeHandoverFixer, DefaultVerifier>
    {
        public BothArchiveRulesTest()
        {
            TestProject.Configure(this, withRuntimeLibrary: false, withArchiveLibraries: true);

            // The other rule's hand-off stays in the fixed code, marked up like in the source.
            FixedState.MarkupHandling = MarkupMode.Allow;
        }

        protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers()
            => new DiagnosticAnalyzer[] { new ViewHandedToDeferredArchiveWriterAnalyzer(), new ViewWrittenToCompressorAnalyzer() };
    }
}
