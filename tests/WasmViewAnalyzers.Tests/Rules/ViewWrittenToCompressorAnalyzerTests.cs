using Microsoft.CodeAnalysis.Testing;
using WasmViewAnalyzers.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.ViewWrittenToCompressorAnalyzer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// WVA004: views written straight into archive and compression streams of the BCL, SharpZipLib
/// and DotNetZip, in several shapes; each next to the near misses (copies, ordinary streams,
/// guarded views, reads out of a compressor, look-alike types).
/// </summary>
public sealed class ViewWrittenToCompressorAnalyzerTests
{
    private static Task VerifyMembers(string members, string types = "", bool withRuntimeLibrary = false)
    {
        var test = new Verify.Test(withRuntimeLibrary, withArchiveLibraries: true) { TestCode = ArchiveHostCode.WithMembers(members, types) };
        return test.RunAsync(CancellationToken.None);
    }

    // ------------------------------------------------------------------ helpers that write into a Stream parameter

    /// <summary>
    /// A helper of the host's that writes one of its parameters into its <c>Stream</c> parameter:
    /// the call that passes a view and a compressor writes the view into the compressor.
    /// </summary>
    [Fact]
    public Task HelperWritingItsParameterIntoItsStreamParameter_ReportsAtTheCall() => VerifyMembers("""
        static void WriteAll(Stream target, ReadOnlySpan<byte> data) => target.Write(data);

        static void WriteMemory(ReadOnlyMemory<byte> data, Stream target) => target.Write(data.Span.Slice(0, data.Length));

        static void Pump(Stream source, Stream target) => source.CopyTo(target);

        static void Forward(Stream target, ReadOnlySpan<byte> data, bool flush)
        {
            WriteAll(target, data);
            if (flush)
            {
                target.Flush();
            }
        }

        void Direct(Stream file, int address, int length)
        {
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            {|WVA004:WriteAll(gzip, memory.GetSpan(address, length))|};
        }

        void Reordered(Stream file, int address, int length)
        {
            using var deflate = new DeflateStream(file, CompressionMode.Compress);
            {|WVA004:WriteAll(data: memory.GetSpan(address, length), target: deflate)|};
        }

        unsafe void OverAPointer(Stream file, int address, int length)
        {
            using var brotli = new BrotliStream(file, CompressionLevel.Fastest);
            var output = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA004:Pump(output, brotli)|};
        }

        void TwoHelpersDeep(ZipArchive archive, int address, int length)
        {
            using var entry = archive.CreateEntry("out.bin").Open();
            {|WVA004:Forward(entry, memory.GetSpan(address, length), flush: true)|};
        }

        void NearMisses(Stream file, int address, int length, byte[] bytes)
        {
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            WriteAll(gzip, memory.GetSpan(address, length).ToArray());
            WriteAll(gzip, bytes);
            WriteAll(file, memory.GetSpan(address, length));
            using var copy = new MemoryStream();
            WriteAll(copy, memory.GetSpan(address, length));
            WriteCopy(gzip, memory.GetSpan(address, length));
            WriteOther(gzip, memory.GetSpan(address, length));
            Measure(gzip, memory.GetSpan(address, length));
        }

        static void WriteCopy(Stream target, ReadOnlySpan<byte> data) => target.Write(data.ToArray());

        static void WriteOther(Stream target, ReadOnlySpan<byte> data)
        {
            data = stackalloc byte[4];
            target.Write(data);
        }

        static int Measure(Stream target, ReadOnlySpan<byte> data) => target.CanWrite ? data.Length : 0;
        """);

    // ------------------------------------------------------------------ System.IO.Compression

    [Fact]
    public Task ViewStreamCopiedIntoZipArchiveEntry_Reports() => VerifyMembers("""
        void Save(ZipArchive archive, int address, int length)
        {
            using var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            using var entry = archive.CreateEntry("out.png", CompressionLevel.Fastest).Open();
            {|WVA004:content.CopyTo(entry)|};
        }
        """);

    [Fact]
    public Task SpanWrittenIntoEntryOpenedInline_Reports() => VerifyMembers("""
        void Save(ZipArchive archive, int address, int length)
        {
            var output = memory.GetSpan(address, length);
            {|WVA004:archive.CreateEntry("out.png").Open().Write(output)|};
        }
        """);

    [Fact]
    public Task EntryStreamAssignedLaterThroughPlainStreamLocal_Reports() => VerifyMembers("""
        void Save(ZipArchive archive, int address, int length)
        {
            Stream target;
            var entry = archive.CreateEntry("out.png");
            target = entry.Open();
            using (target)
            {
                {|WVA004:target.Write(memory.GetSpan(address, length))|};
            }
        }
        """);

    [Theory]
    [InlineData("GZipStream")]
    [InlineData("DeflateStream")]
    [InlineData("BrotliStream")]
    [InlineData("ZLibStream")]
    public Task SpanWrittenIntoBclCompressor_Reports(string compressor) => VerifyMembers($$"""
        void Save(Stream destination, int address, int length)
        {
            using var compressed = new {{compressor}}(destination, CompressionLevel.Optimal);
            var output = memory.GetSpan(address, length);
            {|WVA004:compressed.Write(output)|};
        }
        """);

    [Fact]
    public Task CompressorReachedThroughConditional_Reports() => VerifyMembers("""
        void Save(Stream destination, bool compress, int address, int length)
        {
            Stream target = compress ? new GZipStream(destination, CompressionMode.Compress) : destination;
            {|WVA004:target.Write(memory.GetSpan(address, length))|};
        }
        """);

    [Fact]
    public Task MemoryOverGuestPointerWrittenAsyncAndAwaitedAtOnce_Reports() => VerifyMembers(string.Empty, """

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
        """ + ArchiveHostCode.PointerManager);

    // ------------------------------------------------------------------ SharpZipLib and DotNetZip

    [Fact]
    public Task SpanWrittenIntoSharpZipLibZipOutputStream_Reports() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new SharpZip.ZipOutputStream(destination);
            zip.PutNextEntry(new SharpZip.ZipEntry("out.png"));
            var output = memory.GetSpan(address, length);
            {|WVA004:zip.Write(output)|};
        }
        """);

    [Fact]
    public Task ViewStreamCopiedIntoSharpZipLibGZipOutputStream_Reports() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var gzip = new ICSharpCode.SharpZipLib.GZip.GZipOutputStream(destination);
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA004:content.CopyTo(gzip, 81920)|};
        }
        """);

    [Fact]
    public Task SpanWrittenIntoDotNetZipOutputStream_Reports() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipOutputStream(destination);
            zip.PutNextEntry("out.png");
            {|WVA004:zip.Write(memory.GetSpan(address, length))|};
        }
        """);

    [Fact]
    public Task SpanWrittenIntoDotNetZipZlibStream_Reports() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var zlib = new Ionic.Zlib.ZlibStream(destination, Ionic.Zlib.CompressionMode.Compress);
            var output = memory.GetSpan(address, length);
            {|WVA004:zlib.Write(output)|};
        }
        """);

    // ------------------------------------------------------------------ one use, two diagnostics

    [Fact]
    public Task StaleViewWrittenIntoCompressor_ReportsBoth()
    {
        var test = new MultiRuleTest(
            ArchiveHostCode.WithMembers("""
                void Save(ZipArchive archive, int address, int length)
                {
                    var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    convert(1);
                    using var entry = archive.CreateEntry("out.png").Open();
                    {|WVA004:{|WVA001:content|}.CopyTo(entry)|};
                }
                """),
            withRuntimeLibrary: false,
            new StaleViewAfterGuestCallAnalyzer(),
            new ViewWrittenToCompressorAnalyzer(),
            new ViewHandedToDeferredArchiveWriterAnalyzer());
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task DiagnosticCarriesTheHandedValueForTheFix()
    {
        var test = new Verify.Test(withArchiveLibraries: true)
        {
            TestCode = ArchiveHostCode.WithMembers("""
                void Save(Stream destination, int address, int length)
                {
                    using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                    var output = memory.GetSpan(address, length);
                    {|#0:gzip.Write({|#1:output|})|};
                }
                """),
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("WVA004")
            .WithLocation(0)
            .WithLocation(1)
            .WithArguments("output", "'gzip' (GZipStream)", "while it compresses, so a callback or another thread that enters the guest meanwhile corrupts the compressed output"));
        return test.RunAsync(CancellationToken.None);
    }

    // ------------------------------------------------------------------ in a local function or lambda

    [Fact]
    public Task ViewCapturedByALocalFunctionOrLambda_WrittenThere_Reports() => VerifyMembers("""
        Stream Open(int address, int length) => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);

        Task RunLater(Stream destination, int address, int length)
        {
            var xhtml = Open(address, length);
            void Compress()
            {
                using var gz = new GZipStream(destination, CompressionMode.Compress, leaveOpen: true);
                {|WVA004:xhtml.CopyTo(gz)|};
            }

            return Task.Run(Compress);
        }

        void RunNow(Stream destination, int address, int length)
        {
            var output = (byte*)memory.GetPointer() + address;
            Action compress = () =>
            {
                using var gz = new GZipStream(destination, CompressionMode.Compress, leaveOpen: true);
                {|WVA004:gz.Write(new ReadOnlySpan<byte>(output, length))|};
            };
            compress();
        }

        void CopiedOrAssignedAPlainStream(Stream destination, int address, int length, bool copy)
        {
            var copied = new MemoryStream(memory.GetSpan(address, length).ToArray());
            var either = Open(address, length);
            if (copy)
            {
                either = copied;
            }

            void Compress()
            {
                using var gz = new GZipStream(destination, CompressionMode.Compress, leaveOpen: true);
                copied.CopyTo(gz);
                either.CopyTo(gz);
            }

            Compress();
        }
        """);

    // ------------------------------------------------------------------ near misses

    [Fact]
    public Task CopiesWrittenIntoCompressors_NoDiagnostic() => VerifyMembers("""
        void Save(ZipArchive archive, Stream destination, int address, int length)
        {
            var copy = memory.GetSpan(address, length).ToArray();
            using var entry = archive.CreateEntry("out.png").Open();
            entry.Write(copy, 0, copy.Length);
            using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
            new MemoryStream(memory.GetSpan(address, length).ToArray()).CopyTo(gzip);
            gzip.WriteByte(memory.GetSpan(address, 1)[0]);
        }
        """);

    [Fact]
    public Task ViewsWrittenToOrdinaryStreams_NoDiagnostic() => VerifyMembers("""
        void Save(Stream destination, string path, Socket socket, int address, int length)
        {
            var output = memory.GetSpan(address, length);
            using var file = File.Create(path);
            file.Write(output);
            using var buffer = new MemoryStream();
            buffer.Write(output);
            using var network = new NetworkStream(socket);
            network.Write(output);
            destination.Write(output);
            using var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            content.CopyTo(new BufferedStream(destination));
        }
        """);

    [Fact]
    public Task DecompressingIntoGuestMemory_NoDiagnostic() => VerifyMembers("""
        void Load(Stream source, int address, int length)
        {
            using var gzip = new GZipStream(source, CompressionMode.Decompress);
            gzip.ReadExactly(memory.GetSpan(address, length));
        }
        """);

    [Fact]
    public Task LookAlikeCompressorOfTheUsersOwn_NoDiagnostic() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var gzip = new My.GZipStream(destination);
            gzip.Write(memory.GetSpan(address, length));
        }
        """, """

        namespace My
        {
            sealed class GZipStream : System.IO.Stream
            {
                private readonly System.IO.Stream _inner;
                public GZipStream(System.IO.Stream inner) => _inner = inner;
                public override bool CanRead => false;
                public override bool CanSeek => false;
                public override bool CanWrite => true;
                public override long Length => 0;
                public override long Position { get => 0; set { } }
                public override void Flush() => _inner.Flush();
                public override int Read(byte[] buffer, int offset, int count) => 0;
                public override long Seek(long offset, System.IO.SeekOrigin origin) => 0;
                public override void SetLength(long value) { }
                public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);
            }
        }
        """);

    [Fact]
    public Task GuardedViewsWrittenIntoCompressor_NoDiagnostic() => VerifyMembers("""
        void Save(ZipArchive archive, WasmViewAnalyzers.Runtime.GuestMemoryGuard guard, int address, int length)
        {
            var view = guard.GetView(address, length);
            using var entry = archive.CreateEntry("out.png").Open();
            entry.Write(view.Span);
            using var stream = guard.OpenStream(address, length);
            stream.CopyTo(entry);
        }
        """, withRuntimeLibrary: true);

    [Fact]
    public Task StreamLocalNeverAssignedACompressor_NoDiagnostic() => VerifyMembers("""
        void Save(ZipArchive archive, string path, int address, int length)
        {
            var entry = archive.CreateEntry("out.png");
            Stream target = File.Create(path);
            target.Write(memory.GetSpan(address, length));
            _ = entry.Name;
        }
        """);

    // ------------------------------------------------------------------ what a stream local may hold

    [Fact]
    public Task CompressorAssignedInASwitchArmCoalescingOrDeconstruction_Reports() => VerifyMembers("""
        void Switch(Stream destination, int mode, int address, int length)
        {
            Stream target = mode switch
            {
                1 => new GZipStream(destination, CompressionLevel.Fastest),
                2 => new BrotliStream(destination, CompressionLevel.Fastest),
                _ => destination,
            };
            {|WVA004:target.Write(memory.GetSpan(address, length))|};
        }

        void IfElse(Stream destination, bool compress, int address, int length)
        {
            Stream target;
            if (compress)
            {
                target = new DeflateStream(destination, CompressionLevel.Fastest);
            }
            else
            {
                target = destination;
            }

            {|WVA004:target.Write(memory.GetSpan(address, length))|};
        }

        void Coalesce(Stream destination, int address, int length)
        {
            Stream? target = null;
            target ??= new GZipStream(destination, CompressionLevel.Fastest);
            {|WVA004:target.Write(memory.GetSpan(address, length))|};
        }

        void Deconstruct(Stream destination, int address, int length)
        {
            var (target, name) = (new GZipStream(destination, CompressionLevel.Fastest), "out.gz");
            {|WVA004:target.Write(memory.GetSpan(address, length))|};
            Console.WriteLine(name);
        }
        """);

    [Fact]
    public Task SwitchArmsWithoutACompressor_NoDiagnostic() => VerifyMembers("""
        void Save(Stream destination, int mode, int address, int length)
        {
            Stream target = mode switch
            {
                1 => new BufferedStream(destination),
                _ => destination,
            };
            target.Write(memory.GetSpan(address, length));
            var (plain, name) = (new BufferedStream(destination), "out.bin");
            plain.Write(memory.GetSpan(address, length));
            Console.WriteLine(name);
        }
        """);
}
