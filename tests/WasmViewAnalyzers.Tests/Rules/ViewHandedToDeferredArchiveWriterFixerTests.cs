using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.ViewHandedToDeferredArchiveWriterAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.CopyViewBeforeHandoverFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// 'Copy the view before handing it over' for WVA003, against the real DotNetZip, SharpZipLib and
/// System.Formats.Tar. Every test applies the fix one diagnostic at a time and through Fix All
/// (document, project and solution), and the fixed code must compile with no diagnostic left;
/// beside them, hand-offs that have no compiling copy get no fix.
/// </summary>
public sealed class ViewHandedToDeferredArchiveWriterFixerTests
{
    private const string Key = CopyViewBeforeHandoverFixer.CopyKey;

    private static Task VerifyMembers(string members, string fixedMembers, string types = "")
        => VerifyMembers(members, fixedMembers, types, types);

    /// <summary>The fix changes the types after the host class too (a data source, a helper).</summary>
    private static Task VerifyMembers(string members, string fixedMembers, string types, string fixedTypes)
        => Verify.VerifyCodeFixAsync(ArchiveHostCode.WithMembers(members, types), ArchiveHostCode.WithMembers(fixedMembers, fixedTypes), Key, withArchiveLibraries: true);

    /// <summary>Types after the host class (async code, which cannot be unsafe), with <see cref="ArchiveHostCode.PointerManager"/>.</summary>
    private static Task VerifyTypes(string types, string fixedTypes)
        => Verify.VerifyCodeFixAsync(
            ArchiveHostCode.WithMembers(string.Empty, "\n" + types + ArchiveHostCode.PointerManager),
            ArchiveHostCode.WithMembers(string.Empty, "\n" + fixedTypes + ArchiveHostCode.PointerManager),
            Key,
            withArchiveLibraries: true);

    // ------------------------------------------------------------------ DotNetZip: read at Save

    [Fact]
    public Task ViewStreamVariableAddedToDotNetZip_CopiedWhereItIsCreated() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA003:zip.AddEntry("out.png", content)|};
            zip.Save(destination);
        }
        """, """
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = new MemoryStream(memory.GetSpan(address, length).ToArray());
            zip.AddEntry("out.png", content);
            zip.Save(destination);
        }
        """);

    [Fact]
    public Task ViewStreamsAddedUpdatedAndSetAsInput_FixAllCopiesEach() => VerifyMembers("""
        void Save(Stream destination, int[] outputs, int address, int length, long size)
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

            {|WVA003:zip.AddEntry("first.png", new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length))|};
            var entry = zip.AddEntry("second.png", Array.Empty<byte>());
            {|WVA003:entry.InputStream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, size)|};
            zip.Save(destination);
        }
        """, """
        void Save(Stream destination, int[] outputs, int address, int length, long size)
        {
            var pending = new List<(string Name, Stream Content)>();
            foreach (var output in outputs)
            {
                pending.Add(($"{output}.png", new MemoryStream(memory.GetSpan(output, length).ToArray())));
            }

            using var zip = new DotNetZip.ZipFile();
            foreach (var (name, content) in pending)
            {
                zip.UpdateEntry(name, content);
            }

            zip.AddEntry("first.png", new MemoryStream(memory.GetSpan(address, length).ToArray()));
            var entry = zip.AddEntry("second.png", Array.Empty<byte>());
            entry.InputStream = new MemoryStream(memory.GetSpan(address, checked((int)size)).ToArray());
            zip.Save(destination);
        }
        """);

    [Fact]
    public Task ViewStreamDisposedAfterTheSave_StillCopied() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            var zip = new DotNetZip.ZipFile();
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA003:zip.AddEntry("out.png", content)|};
            zip.Save(destination);
            content.Dispose();
            zip.Dispose();
        }
        """, """
        void Save(Stream destination, int address, int length)
        {
            var zip = new DotNetZip.ZipFile();
            var content = new MemoryStream(memory.GetSpan(address, length).ToArray());
            zip.AddEntry("out.png", content);
            zip.Save(destination);
            content.Dispose();
            zip.Dispose();
        }
        """);

    // ------------------------------------------------------------------ System.Formats.Tar: read at WriteEntry

    [Fact]
    public Task ViewStreamsAsTarEntryData_FixAllCopiesEach() => VerifyMembers("""
        void Save(TarWriter writer, int address, int length)
        {
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png") { {|WVA003:DataStream = content|} };
            writer.WriteEntry(entry);
            var other = new UstarTarEntry(TarEntryType.RegularFile, "other.png");
            {|WVA003:other.DataStream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address + length, length)|};
            writer.WriteEntry(other);
        }
        """, """
        void Save(TarWriter writer, int address, int length)
        {
            var content = new MemoryStream(memory.GetSpan(address, length).ToArray());
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png") { DataStream = content };
            writer.WriteEntry(entry);
            var other = new UstarTarEntry(TarEntryType.RegularFile, "other.png");
            other.DataStream = new MemoryStream(new ReadOnlySpan<byte>((byte*)memory.GetPointer() + address + length, length).ToArray());
            writer.WriteEntry(other);
        }
        """);

    // ------------------------------------------------------------------ writes that finish in the background

    [Fact]
    public Task WriteAsyncNotAwaitedBeforeTheGuestRuns_WritesAnArrayCopy() => VerifyTypes("""
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
        """, """
        sealed class Archiver
        {
            private readonly Memory _memory;

            public Archiver(Memory memory) => _memory = memory;

            public async Task SaveAsync(Stream destination, int address, int length)
            {
                using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
                var output = Views.Output(_memory, address, length);
                var write = gzip.WriteAsync(output.Memory.ToArray());
                _memory.Grow(1);
                await write;
            }

            public void SaveInBackground(ZipArchive archive, int address, int length)
            {
                var entry = archive.CreateEntry("out.png").Open();
                _ = entry.WriteAsync(Views.Output(_memory, address, length).Memory.ToArray());
            }
        }
        """);

    // ------------------------------------------------------------------ Fix All across documents

    [Fact]
    public async Task HandOffsInTwoDocuments_FixAllInProjectAndSolutionCopiesBoth()
    {
        var test = new Verify.Test(withArchiveLibraries: true) { CodeActionEquivalenceKey = Key };
        test.TestState.Sources.Add(ArchiveHostCode.WithMembers("""
            void Save(Stream destination, int address, int length)
            {
                using var zip = new DotNetZip.ZipFile();
                {|WVA003:zip.AddEntry("out.png", new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length))|};
                zip.Save(destination);
            }
            """));
        test.TestState.Sources.Add(("Tar.cs", """
            using System.Formats.Tar;
            using System.IO;

            static unsafe class Tar
            {
                public static void Save(TarWriter writer, Wasmtime.Memory memory, int address, int length)
                {
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png");
                    {|WVA003:entry.DataStream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length)|};
                    writer.WriteEntry(entry);
                }
            }
            """));
        test.FixedState.Sources.Add(ArchiveHostCode.WithMembers("""
            void Save(Stream destination, int address, int length)
            {
                using var zip = new DotNetZip.ZipFile();
                zip.AddEntry("out.png", new MemoryStream(memory.GetSpan(address, length).ToArray()));
                zip.Save(destination);
            }
            """));
        test.FixedState.Sources.Add(("Tar.cs", """
            using System.Formats.Tar;
            using System.IO;

            static unsafe class Tar
            {
                public static void Save(TarWriter writer, Wasmtime.Memory memory, int address, int length)
                {
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png");
                    entry.DataStream = new MemoryStream(memory.GetSpan(address, length).ToArray());
                    writer.WriteEntry(entry);
                }
            }
            """));
        await test.RunAsync(CancellationToken.None);
    }

    // ------------------------------------------------------------------ no compiling copy: no fix

    private const string SnapshotBackend = """

        public interface ISnapshots
        {
            Stream Open(int length);
        }

        public sealed unsafe class WasmSnapshots : ISnapshots
        {
            private readonly Memory _memory;
            private readonly Func<int> _output;
            public WasmSnapshots(Memory memory, Func<int> output) { _memory = memory; _output = output; }
            public Stream Open(int length) => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _output(), length);
        }
        """;

    [Fact]
    public Task StreamOfAnyTypeFromAPublicBackend_BytesCopiedBeforeTheHandOff_FixAll() => VerifyMembers("""
        void Save(Stream destination, WasmSnapshots snapshots, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = snapshots.Open(length);
            {|WVA003:zip.AddEntry("content.bin", content)|};
            var entry = zip.AddEntry("input.bin", Array.Empty<byte>());
            {|WVA003:entry.InputStream = snapshots.Open(length)|};
            zip.Save(destination);
            content.Dispose();
        }

        void Tar(Stream destination, WasmSnapshots snapshots, int length)
        {
            using var tar = new System.Formats.Tar.TarWriter(destination);
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "t.bin")
            {
                {|WVA003:DataStream = snapshots.Open(length)|},
            };
            tar.WriteEntry(entry);
        }
        """, """
        void Save(Stream destination, WasmSnapshots snapshots, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = snapshots.Open(length);
            var contentCopy = new MemoryStream();
            content.CopyTo(contentCopy);
            contentCopy.Position = 0;
            zip.AddEntry("content.bin", contentCopy);
            var entry = zip.AddEntry("input.bin", Array.Empty<byte>());
            var stream = snapshots.Open(length);
            var streamCopy = new MemoryStream();
            stream.CopyTo(streamCopy);
            streamCopy.Position = 0;
            entry.InputStream = streamCopy;
            zip.Save(destination);
            content.Dispose();
        }

        void Tar(Stream destination, WasmSnapshots snapshots, int length)
        {
            using var tar = new System.Formats.Tar.TarWriter(destination);
            var stream = snapshots.Open(length);
            var streamCopy = new MemoryStream();
            stream.CopyTo(streamCopy);
            streamCopy.Position = 0;
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "t.bin")
            {
                DataStream = streamCopy,
            };
            tar.WriteEntry(entry);
        }
        """, SnapshotBackend);

    [Fact]
    public async Task StreamOfAnyTypeReadAgainOrHandedOnEachTurn_NoCopyBeforeTheHandOff()
    {
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers("""
                private Stream? _kept;

                void Save(Stream destination, WasmSnapshots snapshots, int length, string[] names)
                {
                    using var zip = new DotNetZip.ZipFile();
                    var content = snapshots.Open(length);
                    zip.AddEntry("content.bin", content);
                    content.Position = 0;

                    var shared = snapshots.Open(length);
                    foreach (var name in names)
                    {
                        zip.AddEntry(name, shared);
                    }

                    _kept = snapshots.Open(length);
                    zip.AddEntry("kept.bin", _kept);
                    zip.Save(destination);
                }
                """, SnapshotBackend),
            withArchiveLibraries: true);

        // Read again after the hand-off, a field: the copy would read the stream to its end where
        // the program reads it again. Handed on each turn from outside the loop: copied where it is
        // made, the one MemoryStream is shared by the entries as the stream was.
        var handOffs = fixes.Where(f => f.Diagnostic.Id == "WVA003").ToList();
        Assert.Equal(3, handOffs.Count);
        Assert.Equal(new[] { 0, 1, 0 }, handOffs.Select(f => f.Fixes.Length));
        Assert.Contains("var sharedView = snapshots.Open(length);", await ChangedTextAsync(handOffs[1].Fixes[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataSourcesThatKeepAnAddressThatChangesOrAPointerReadElsewhere_ReportedButNoFixOffered()
    {
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers("""
                void Save(Stream destination, SharpZip.ZipFile archive, int address, int length)
                {
                    using var zip = new DotNetZip.ZipFile();
                    var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    zip.AddEntry("written.png", (name, stream) => content.CopyTo(stream));
                    zip.Save(destination);

                    archive.BeginUpdate();
                    archive.Add(new AddressSource(memory.GetPointer() + address, length), "address.png");
                    archive.Add(new GuestSource(memory, address, length), "guest.png");
                    archive.CommitUpdate();
                }
                """, """

                sealed class StreamSource : SharpZip.IStaticDataSource
                {
                    private readonly Stream _content;
                    public StreamSource(Stream content) => _content = content;
                    public Stream GetSource() => _content;
                }

                sealed unsafe class AddressSource : SharpZip.IStaticDataSource
                {
                    private readonly nint _address;
                    private readonly int _length;
                    public AddressSource(nint address, int length) { _address = address; _length = length; }
                    public nint Address => _address;
                    public Stream GetSource() => new UnmanagedMemoryStream((byte*)_address, _length);
                }

                sealed unsafe class GuestSource : SharpZip.IStaticDataSource
                {
                    private readonly Memory _memory;
                    private int _address;
                    private readonly int _length;
                    public GuestSource(Memory memory, int address, int length) { _memory = memory; _address = address; _length = length; }
                    public void Skip(int bytes) => _address += bytes;
                    public Stream GetSource() => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _address, _length);
                }
                """),
            withArchiveLibraries: true);

        // The lambda's stream is copied where it is created. One data source keeps a pointer that a
        // property hands out too (a copy in its constructor would leave the object holding it), the
        // other keeps its address in a field that may change later, so the bytes GetSource() reads
        // are not known when it is built.
        Assert.Equal(3, fixes.Count(f => f.Diagnostic.Id == "WVA003"));
        Assert.Equal(new[] { 1, 0, 0 }, fixes.Select(f => f.Fixes.Length));
    }

    [Fact]
    public Task DataSourcesWithPrimaryConstructors_CopyTheBytesWhenCreated() => VerifyMembers("""
        void Save(SharpZip.ZipFile archive, int address, int length)
        {
            archive.BeginUpdate();
            var source = new PointerSource((byte*)memory.GetPointer() + address, length);
            {|WVA003:archive.Add(source, "pointer.png")|};
            {|WVA003:archive.Add(new LiveSource(memory, address, length), "live.png")|};
            archive.CommitUpdate();
        }
        """, """
        void Save(SharpZip.ZipFile archive, int address, int length)
        {
            archive.BeginUpdate();
            var source = new PointerSource((byte*)memory.GetPointer() + address, length);
            archive.Add(source, "pointer.png");
            archive.Add(new LiveSource(memory, address, length), "live.png");
            archive.CommitUpdate();
        }
        """, """

        sealed unsafe class PointerSource(byte* start, int length) : SharpZip.IStaticDataSource
        {
            public Stream GetSource() => new UnmanagedMemoryStream(start, length);
        }

        sealed unsafe class LiveSource(Memory memory, int address, int length) : SharpZip.IStaticDataSource
        {
            public Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
        }
        """, """

        sealed unsafe class PointerSource(byte* start, int length) : SharpZip.IStaticDataSource
        {
            private readonly byte[] _bytes = new ReadOnlySpan<byte>(start, length).ToArray();

            public Stream GetSource() => new MemoryStream(_bytes, writable: false);
        }

        sealed unsafe class LiveSource(Memory memory, int address, int length) : SharpZip.IStaticDataSource
        {
            private readonly byte[] _bytes = memory.GetSpan(address, length).ToArray();

            public Stream GetSource() => new MemoryStream(_bytes, writable: false);
        }
        """);

    [Fact]
    public Task DataSourcesWithAConstructorThatKeepsItsParameters_CopyTheBytesWhenCreated() => VerifyMembers("""
        void Save(SharpZip.ZipFile archive, int address, int length)
        {
            archive.BeginUpdate();
            {|WVA003:archive.Add(new GuestSource(memory, address, length), "guest.png")|};
            archive.CommitUpdate();
        }
        """, """
        void Save(SharpZip.ZipFile archive, int address, int length)
        {
            archive.BeginUpdate();
            archive.Add(new GuestSource(memory, address, length), "guest.png");
            archive.CommitUpdate();
        }
        """, """

        sealed unsafe class GuestSource : SharpZip.IStaticDataSource
        {
            private readonly Memory _memory;
            private readonly int _address;
            private readonly int _length;

            public GuestSource(Memory memory, int address, int length)
            {
                _memory = memory;
                _address = address;
                _length = length;
            }

            public Stream GetSource() => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _address, _length);
        }
        """, """

        sealed unsafe class GuestSource : SharpZip.IStaticDataSource
        {
            private readonly byte[] _bytes;
            private readonly Memory _memory;
            private readonly int _address;
            private readonly int _length;

            public GuestSource(Memory memory, int address, int length)
            {
                _memory = memory;
                _address = address;
                _length = length;
                _bytes = _memory.GetSpan(_address, _length).ToArray();
            }

            public Stream GetSource() => new MemoryStream(_bytes, writable: false);
        }
        """);

    [Fact]
    public Task DataSourcesWithAConstructorThatKeepsAPointer_CopyFromItsParameterAndDropTheField() => VerifyMembers("""
        void Save(SharpZip.ZipFile archive, int address, int length)
        {
            archive.BeginUpdate();
            {|WVA003:archive.Add(new FrameSource((byte*)memory.GetPointer() + address, length), "frame.bin")|};
            archive.CommitUpdate();
            using var preview = new FrameSource((byte*)memory.GetPointer() + address, 16).GetSource();
        }
        """, """
        void Save(SharpZip.ZipFile archive, int address, int length)
        {
            archive.BeginUpdate();
            archive.Add(new FrameSource((byte*)memory.GetPointer() + address, length), "frame.bin");
            archive.CommitUpdate();
            using var preview = new FrameSource((byte*)memory.GetPointer() + address, 16).GetSource();
        }
        """, """

        sealed unsafe class FrameSource : SharpZip.IStaticDataSource
        {
            private readonly byte* _start;
            private readonly int _length;

            public FrameSource(byte* start, int length)
            {
                _start = start;
                _length = length;
            }

            public Stream GetSource() => new UnmanagedMemoryStream(this._start, _length);
        }
        """, """

        sealed unsafe class FrameSource : SharpZip.IStaticDataSource
        {
            private readonly byte[] _bytes;
            private readonly int _length;

            public FrameSource(byte* start, int length)
            {
                _length = length;
                _bytes = new ReadOnlySpan<byte>(start, _length).ToArray();
            }

            public Stream GetSource() => new MemoryStream(_bytes, writable: false);
        }
        """);

    [Fact]
    public async Task DataSourceBuiltBeforeAGuestCall_NoCopyWhenCreated()
    {
        // The source is built before the guest fills the bytes it points at: a copy taken when it is
        // built would archive what was there before.
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers("""
                void Save(SharpZip.ZipFile archive, int address, int length)
                {
                    archive.BeginUpdate();
                    var source = new LiveSource(memory, address, length);
                    convert(address);
                    archive.Add(source, "live.png");
                    archive.CommitUpdate();
                }
                """, """

                sealed unsafe class LiveSource(Memory memory, int address, int length) : SharpZip.IStaticDataSource
                {
                    public Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                }
                """),
            withArchiveLibraries: true);

        Assert.Single(fixes, f => f.Diagnostic.Id == "WVA003");
        Assert.All(fixes, f => Assert.Empty(f.Fixes));
    }

    [Fact]
    public Task DataSourceThatOnlyKeepsItsStream_GetsACopyOfTheStream() => VerifyMembers("""
        void Save(SharpZip.ZipFile archive, int address, int length)
        {
            archive.BeginUpdate();
            {|WVA003:archive.Add(new StreamSource(new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length)), "held.png")|};
            archive.CommitUpdate();
        }
        """, """
        void Save(SharpZip.ZipFile archive, int address, int length)
        {
            archive.BeginUpdate();
            archive.Add(new StreamSource(new MemoryStream(memory.GetSpan(address, length).ToArray())), "held.png");
            archive.CommitUpdate();
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
    public Task StreamTypedStreamOrFromAHelper_CopiedWhereCreatedOrInTheHelper() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            Stream content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA003:zip.AddEntry("plain.png", content)|};
            zip.Save(destination);
        }
        """, """
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            Stream content = new MemoryStream(memory.GetSpan(address, length).ToArray());
            zip.AddEntry("plain.png", content);
            zip.Save(destination);
        }
        """, """

        static unsafe class Streams
        {
            public static UnmanagedMemoryStream Open(Memory memory, int address, int length)
                => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
        }

        sealed class SafeArchiver
        {
            public void Save(Stream destination, Memory memory, int address, int length)
            {
                using var zip = new DotNetZip.ZipFile();
                var content = Streams.Open(memory, address, length);
                {|WVA003:zip.AddEntry("safe.png", content)|};
                zip.Save(destination);
            }
        }
        """, """

        static unsafe class Streams
        {
            public static MemoryStream Open(Memory memory, int address, int length)
                => new MemoryStream(memory.GetSpan(address, length).ToArray());
        }

        sealed class SafeArchiver
        {
            public void Save(Stream destination, Memory memory, int address, int length)
            {
                using var zip = new DotNetZip.ZipFile();
                var content = Streams.Open(memory, address, length);
                zip.AddEntry("safe.png", content);
                zip.Save(destination);
            }
        }
        """);

    [Fact]
    public Task StreamFromAHelperIntoExplicitlyTypedLocals_HelperCopiesAndTheLocalsBecomeStreams() => VerifyMembers(string.Empty, string.Empty, """

        sealed class Exporter
        {
            private readonly Memory _memory;
            private readonly Func<int> _length;
            private readonly Func<int, int> _encode;

            public Exporter(Memory memory, Func<int> length, Func<int, int> encode)
            {
                _memory = memory;
                _length = length;
                _encode = encode;
            }

            private unsafe UnmanagedMemoryStream OpenEncoded(int address)
            {
                int length = _length();
                return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
            }

            public void Save(Stream destination, int[] batches)
            {
                using (var zip = new DotNetZip.ZipFile())
                {
                    foreach (var batch in batches)
                    {
                        UnmanagedMemoryStream content = OpenEncoded(_encode(batch));
                        {|WVA003:zip.AddEntry(batch + ".pb", content)|};
                    }

                    zip.Save(destination);
                }
            }

            public long Measure(int batch)
            {
                using UnmanagedMemoryStream content = OpenEncoded(_encode(batch));
                return content.Length;
            }
        }
        """, """

        sealed class Exporter
        {
            private readonly Memory _memory;
            private readonly Func<int> _length;
            private readonly Func<int, int> _encode;

            public Exporter(Memory memory, Func<int> length, Func<int, int> encode)
            {
                _memory = memory;
                _length = length;
                _encode = encode;
            }

            private unsafe MemoryStream OpenEncoded(int address)
            {
                int length = _length();
                return new MemoryStream(_memory.GetSpan(address, length).ToArray());
            }

            public void Save(Stream destination, int[] batches)
            {
                using (var zip = new DotNetZip.ZipFile())
                {
                    foreach (var batch in batches)
                    {
                        Stream content = OpenEncoded(_encode(batch));
                        zip.AddEntry(batch + ".pb", content);
                    }

                    zip.Save(destination);
                }
            }

            public long Measure(int batch)
            {
                using Stream content = OpenEncoded(_encode(batch));
                return content.Length;
            }
        }
        """);

    [Fact]
    public Task ViewStreamReadAgainOrSharedAcrossLoopTurns_CopiedWhereItIsCreated() => VerifyMembers("""
        long SaveOnce(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            {|WVA003:zip.AddEntry("out.png", content)|};
            zip.Save(destination);
            return content.Position;
        }

        void SaveEach(Stream destination, string[] names, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            foreach (var name in names)
            {
                {|WVA003:zip.AddEntry(name, content)|};
            }

            zip.Save(destination);
        }
        """, """
        long SaveOnce(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = new MemoryStream(memory.GetSpan(address, length).ToArray());
            zip.AddEntry("out.png", content);
            zip.Save(destination);
            return content.Position;
        }

        void SaveEach(Stream destination, string[] names, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = new MemoryStream(memory.GetSpan(address, length).ToArray());
            foreach (var name in names)
            {
                zip.AddEntry(name, content);
            }

            zip.Save(destination);
        }
        """);

    // ------------------------------------------------------------------ a view stream copied where it is created, not at the hand-off

    /// <summary>
    /// A stream a helper returns may not start at its beginning: its copy does, so where the method
    /// seeks it, or reads its position or length, the copy where it is obtained is not offered.
    /// </summary>
    [Theory]
    [InlineData("content.Seek(1, SeekOrigin.Begin);", "")]
    [InlineData("", "long size = content.Length;")]
    [InlineData("", "content.Dispose();")]
    public async Task StreamFromAHelperSeekedMeasuredOrDisposed_NotCopiedWhereItIsObtained(string between, string after)
    {
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers($$"""
                void Save(Stream destination, WasmSnapshots snapshots, int length)
                {
                    using var zip = new DotNetZip.ZipFile();
                    var content = snapshots.Open(length);
                    {{between}}
                    zip.AddEntry("content.bin", content);
                    zip.Save(destination);
                    {{after}}
                }
                """, SnapshotBackend),
            withArchiveLibraries: true);

        foreach (var fix in fixes.Single(f => f.Diagnostic.Id == "WVA003").Fixes)
        {
            Assert.DoesNotContain("contentView", await ChangedTextAsync(fix), StringComparison.Ordinal);
        }
    }

    /// <summary>The declarations of a view stream over a pointer obtained before it, and the same declarations after the fix.</summary>
    public static TheoryData<string, string> CreatedOverAPointer() => new()
    {
        { "var content = new UnmanagedMemoryStream(start, length);", "var content = new MemoryStream(new ReadOnlySpan<byte>(start, length).ToArray());" },
        { "using var content = new UnmanagedMemoryStream(start, length);", "using var content = new MemoryStream(new ReadOnlySpan<byte>(start, length).ToArray());" },
        { "UnmanagedMemoryStream content = new(start, length);", "MemoryStream content = new MemoryStream(new ReadOnlySpan<byte>(start, length).ToArray());" },
        { "Stream content = new UnmanagedMemoryStream(start, length, length, FileAccess.Read);", "Stream content = new MemoryStream(new ReadOnlySpan<byte>(start, length).ToArray());" },
    };

    /// <summary>
    /// A view stream made in the method over a pointer obtained before it (the pointer a helper
    /// returns, kept in a record): the bytes are copied where the stream is made, in each turn of the
    /// loop, rather than through its pointer where it is handed over.
    /// </summary>
    [Theory]
    [MemberData(nameof(CreatedOverAPointer))]
    public Task ViewStreamCreatedOverAPointerInTheMethod_CopiedWhereItIsCreated(string declaration, string fixedDeclaration) => VerifyMembers($$"""
        void Save(TarWriter writer, DotNetZip.ZipFile zip, int[] outputs, int length)
        {
            foreach (var output in outputs)
            {
                var start = (byte*)memory.GetPointer() + output;
                {{declaration}}
                var entry = new PaxTarEntry(TarEntryType.RegularFile, output + ".png") { {|WVA003:DataStream = content|} };
                writer.WriteEntry(entry);
                long size = content.Length;
            }
        }
        """, $$"""
        void Save(TarWriter writer, DotNetZip.ZipFile zip, int[] outputs, int length)
        {
            foreach (var output in outputs)
            {
                var start = (byte*)memory.GetPointer() + output;
                {{fixedDeclaration}}
                var entry = new PaxTarEntry(TarEntryType.RegularFile, output + ".png") { DataStream = content };
                writer.WriteEntry(entry);
                long size = content.Length;
            }
        }
        """);

    [Fact]
    public Task ViewStreamDeclaredByAUsingStatement_CopiedWhereItIsCreated() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            var start = (byte*)memory.GetPointer() + address;
            using (var content = new UnmanagedMemoryStream(start, length))
            {
                using var zip = new DotNetZip.ZipFile();
                {|WVA003:zip.AddEntry("content.bin", content)|};
                zip.Save(destination);
            }
        }
        """, """
        void Save(Stream destination, int address, int length)
        {
            var start = (byte*)memory.GetPointer() + address;
            using (var content = new MemoryStream(new ReadOnlySpan<byte>(start, length).ToArray()))
            {
                using var zip = new DotNetZip.ZipFile();
                zip.AddEntry("content.bin", content);
                zip.Save(destination);
            }
        }
        """);

    /// <summary>
    /// A view stream a helper of the host's returns (typed as itself or as <c>Stream</c>), handed to
    /// a writer or read by a write delegate: its bytes are copied into a MemoryStream under the
    /// local's name where the helper returns it.
    /// </summary>
    [Fact]
    public Task ViewStreamFromAHelperHandedOrCapturedByAWriteDelegate_CopiedWhereItIsObtained_FixAll() => VerifyMembers("""
        void Save(Stream destination, WasmSnapshots snapshots, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var content = Outputs.Open(memory, address, length);
            {|WVA003:zip.AddEntry("content.bin", content)|};
            using var workbook = snapshots.Open(length);
            {|WVA003:zip.AddEntry("workbook.xml", (name, stream) => workbook.CopyTo(stream))|};
            zip.Save(destination);
        }
        """, """
        void Save(Stream destination, WasmSnapshots snapshots, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var contentView = Outputs.Open(memory, address, length);
            var content = new MemoryStream();
            contentView.CopyTo(content);
            content.Position = 0;
            zip.AddEntry("content.bin", content);
            using var workbookView = snapshots.Open(length);
            using var workbook = new MemoryStream();
            workbookView.CopyTo(workbook);
            workbook.Position = 0;
            zip.AddEntry("workbook.xml", (name, stream) => workbook.CopyTo(stream));
            zip.Save(destination);
        }
        """, PublicOutputs + SnapshotBackend);

    /// <summary>
    /// Where the bytes the stream views may change between where it is made and where it is handed
    /// over (a guest call, a write through the pointer, the pointer handed to a call, an await), or
    /// the method writes to the stream, seeks it, or assigns it again, the copy where it is made would
    /// not hold what the writer reads: it is made at the hand-off, or not at all.
    /// </summary>
    [Theory]
    [InlineData("convert(length);", "")]
    [InlineData("start[0] = 1;", "")]
    [InlineData("Fill(new Span<byte>(start, length));", "")]
    [InlineData("", "content.WriteByte(1);")]
    [InlineData("content = new UnmanagedMemoryStream(start, 1);", "")]
    public async Task ViewStreamWhoseBytesOrPositionMayChangeBeforeTheHandOff_NotCopiedWhereItIsCreated(string between, string after)
    {
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers($$"""
                static void Fill(Span<byte> bytes) => bytes.Clear();

                void Save(Stream destination, int address, int length)
                {
                    using var zip = new DotNetZip.ZipFile();
                    var start = (byte*)memory.GetPointer() + address;
                    var content = new UnmanagedMemoryStream(start, length);
                    {{between}}
                    zip.AddEntry("content.bin", content);
                    {{after}}
                    zip.Save(destination);
                }

                void SaveFromHelper(Stream destination, int address, int length)
                {
                    using var zip = new DotNetZip.ZipFile();
                    var start = (byte*)memory.GetPointer() + address;
                    var content = Outputs.Open(memory, address, length);
                    {{between.Replace("new UnmanagedMemoryStream(start, 1)", "Outputs.Open(memory, 0, 1)")}}
                    zip.AddEntry("content.bin", content);
                    {{after}}
                    zip.Save(destination);
                }
                """, PublicOutputs),
            withArchiveLibraries: true);

        var handOffs = fixes.Where(f => f.Diagnostic.Id == "WVA003").ToList();
        Assert.Equal(2, handOffs.Count);
        foreach (var fix in handOffs.SelectMany(f => f.Fixes))
        {
            Assert.DoesNotContain("var content = new MemoryStream", await ChangedTextAsync(fix), StringComparison.Ordinal);
        }
    }

    // ------------------------------------------------------------------ a writer delegate that captures a view stream

    private const string PublicOutputs = """

        public static unsafe class Outputs
        {
            public static UnmanagedMemoryStream Open(Memory memory, int address, int length) => new((byte*)memory.GetPointer() + address, length);

            public static UnmanagedMemoryStream OpenOutput(Memory memory, int address, int length) => new((byte*)memory.GetPointer() + address, length);
        }
        """;

    /// <summary>The forms of a DotNetZip write delegate that copies a captured view stream into the entry at Save.</summary>
    public static TheoryData<string, string> WriteDelegates() => new()
    {
        { "(name, stream) => output.CopyTo(stream)", "(name, stream) => outputCopy.CopyTo(stream)" },
        { "(name, stream) => { output.CopyTo(stream); }", "(name, stream) => { outputCopy.CopyTo(stream); }" },
        { "delegate (string name, Stream stream) { output.CopyTo(stream, 4096); }", "delegate (string name, Stream stream) { outputCopy.CopyTo(stream, 4096); }" },
    };

    [Theory]
    [MemberData(nameof(WriteDelegates))]
    public Task ViewStreamCapturedByAWriteDelegate_CopiedWhereItIsObtained(string writer, string fixedWriter) => VerifyMembers($$"""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var output = Outputs.Open(memory, address, length);
            {|WVA003:zip.AddEntry("out.png", {{writer}})|};
            zip.Save(destination);
        }
        """, $$"""
        void Save(Stream destination, int address, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var outputView = Outputs.Open(memory, address, length);
            var output = new MemoryStream();
            outputView.CopyTo(output);
            output.Position = 0;
            zip.AddEntry("out.png", {{fixedWriter.Replace("outputCopy", "output")}});
            zip.Save(destination);
        }
        """, PublicOutputs);

    [Theory]
    [MemberData(nameof(WriteDelegates))]
    public async Task ViewStreamCapturedByAWriteDelegateAndReadAgain_NoCopyOffered(string writer, string unused)
    {
        _ = unused;

        // The method reads the stream after the hand-off, or hands it over on each turn of a loop:
        // the writer and the method share one position, which a copy would not. The same for an
        // UnmanagedMemoryStream and for a stream of another type.
        foreach (var open in new[] { "Outputs.Open(memory, address, length)", "snapshots.Open(length)" })
        {
            var fixes = await Verify.GetFixesPerDiagnosticAsync(
                ArchiveHostCode.WithMembers($$"""
                    long SaveOnce(Stream destination, WasmSnapshots snapshots, int address, int length)
                    {
                        using var zip = new DotNetZip.ZipFile();
                        var output = {{open}};
                        zip.AddEntry("out.png", {{writer}});
                        zip.Save(destination);
                        return output.Position;
                    }

                    void SaveEach(Stream destination, WasmSnapshots snapshots, string[] names, int address, int length)
                    {
                        using var zip = new DotNetZip.ZipFile();
                        var output = {{open}};
                        foreach (var entry in names)
                        {
                            zip.AddEntry(entry, {{writer}});
                        }

                        zip.Save(destination);
                    }
                    """, PublicOutputs + SnapshotBackend),
                withArchiveLibraries: true);

            // Handed on each turn from outside the loop: copied where it is made, the one
            // MemoryStream is shared by the entries as the stream was.
            var handOffs = fixes.Where(f => f.Diagnostic.Id == "WVA003").ToList();
            Assert.Equal(2, handOffs.Count);
            Assert.Empty(handOffs[0].Fixes);
            Assert.Contains("var outputView = " + open + ";", await ChangedTextAsync(handOffs[1].Fixes[0]), StringComparison.Ordinal);
        }
    }

    private static async Task<string> ChangedTextAsync(Microsoft.CodeAnalysis.CodeActions.CodeAction fix)
    {
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
    }

    /// <summary>
    /// A write delegate that captures a stream of another type (<c>Stream</c> from a backend's
    /// <c>Open</c>): its bytes are copied into a MemoryStream where it is obtained, in each turn of
    /// the loop the stream is made in; where the guest runs between the two, before the delegate's
    /// statement, and the delegate reads the copy.
    /// </summary>
    [Theory]
    [MemberData(nameof(WriteDelegates))]
    public Task StreamOfAnyTypeCapturedByAWriteDelegate_CopiedWhereItIsObtained(string writer, string fixedWriter) => VerifyMembers($$"""
        void Save(Stream destination, WasmSnapshots snapshots, string[] files, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            foreach (var file in files)
            {
                var output = snapshots.Open(length);
                {|WVA003:zip.AddEntry(file, {{writer}})|};
            }

            zip.Save(destination);
        }

        void SaveConverted(Stream destination, WasmSnapshots snapshots, string file, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var output = snapshots.Open(length);
            convert(length);
            {|WVA003:zip.AddEntry(file, {{writer}})|};
            zip.Save(destination);
        }
        """, $$"""
        void Save(Stream destination, WasmSnapshots snapshots, string[] files, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            foreach (var file in files)
            {
                var outputView = snapshots.Open(length);
                var output = new MemoryStream();
                outputView.CopyTo(output);
                output.Position = 0;
                zip.AddEntry(file, {{fixedWriter.Replace("outputCopy", "output")}});
            }

            zip.Save(destination);
        }

        void SaveConverted(Stream destination, WasmSnapshots snapshots, string file, int length)
        {
            using var zip = new DotNetZip.ZipFile();
            var output = snapshots.Open(length);
            convert(length);
            var outputCopy = new MemoryStream();
            output.CopyTo(outputCopy);
            outputCopy.Position = 0;
            zip.AddEntry(file, {{fixedWriter}});
            zip.Save(destination);
        }
        """, SnapshotBackend);

    // ------------------------------------------------------------------ a view stream a call returns, handed over where it is made

    /// <summary>Each place a writer takes a stream a public helper returns, and the statement after the fix.</summary>
    public static TheoryData<string, string> HandedWhereMade() => new()
    {
        {
            "var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { {|WVA003:DataStream = Outputs.OpenOutput(memory, address, length)|} };",
            "var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(new ReadOnlySpan<byte>(output.PositionPointer, checked((int)(output.Length - output.Position))).ToArray()) };"
        },
        {
            "{|WVA003:tarEntry.DataStream = Outputs.OpenOutput(memory, address, length)|};",
            "tarEntry.DataStream = new MemoryStream(new ReadOnlySpan<byte>(output.PositionPointer, checked((int)(output.Length - output.Position))).ToArray());"
        },
        {
            "{|WVA003:zip.AddEntry(name, Outputs.OpenOutput(memory, address, length))|};",
            "zip.AddEntry(name, new MemoryStream(new ReadOnlySpan<byte>(output.PositionPointer, checked((int)(output.Length - output.Position))).ToArray()));"
        },
    };

    [Theory]
    [MemberData(nameof(HandedWhereMade))]
    public Task ViewStreamFromAPublicHelperHandedWhereItIsMade_TakenIntoALocalAndCopied(string handover, string fixedHandover) => VerifyMembers($$"""
        void Save(Stream destination, DotNetZip.ZipFile zip, PaxTarEntry tarEntry, TarWriter tar, string name, int address, int length)
        {
            {{handover}}
            zip.Save(destination);
            tar.WriteEntry(tarEntry);
        }
        """, $$"""
        void Save(Stream destination, DotNetZip.ZipFile zip, PaxTarEntry tarEntry, TarWriter tar, string name, int address, int length)
        {
            var output = Outputs.OpenOutput(memory, address, length);
            {{fixedHandover}}
            zip.Save(destination);
            tar.WriteEntry(tarEntry);
        }
        """, PublicOutputs);

    [Theory]
    [MemberData(nameof(HandedWhereMade))]
    public async Task ViewStreamFromAPublicHelperAfterAGuestCallOrNotAlwaysMade_NoCopyOffered(string handover, string unused)
    {
        _ = unused;
        var plain = System.Text.RegularExpressions.Regex.Replace(handover, @"\{\|WVA003:(.*)\|\}", "$1");

        // Moved before its statement, the call would run before a guest call the statement makes
        // first, or run where the statement would not have run it (one branch of a condition).
        var fixes = await Verify.GetFixesPerDiagnosticAsync(
            ArchiveHostCode.WithMembers($$"""
                void AfterAGuestCall(Stream destination, DotNetZip.ZipFile zip, PaxTarEntry tarEntry, TarWriter tar, string name, int address, int length)
                {
                    {{plain.Replace("name", "name + convert(length)").Replace("tarEntry.DataStream", "(convert(length) > 0 ? tarEntry : tarEntry).DataStream")}}
                    zip.Save(destination);
                    tar.WriteEntry(tarEntry);
                }

                void NotAlwaysMade(Stream destination, DotNetZip.ZipFile zip, PaxTarEntry tarEntry, TarWriter tar, string name, int address, int length)
                {
                    {{plain.Replace("Outputs.OpenOutput(memory, address, length)", "(length > 0 ? Outputs.OpenOutput(memory, address, length) : Outputs.OpenOutput(memory, 0, 0))")}}
                    zip.Save(destination);
                    tar.WriteEntry(tarEntry);
                }
                """, PublicOutputs),
            withArchiveLibraries: true);

        Assert.Equal(2, fixes.Count(f => f.Diagnostic.Id == "WVA003"));
        Assert.All(fixes, f => Assert.Empty(f.Fixes));
    }
}
