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
        => Verify.VerifyCodeFixAsync(ArchiveHostCode.WithMembers(members, types), ArchiveHostCode.WithMembers(fixedMembers, types), Key, withArchiveLibraries: true);

    /// <summary>Types after the host class (async code, which cannot be unsafe), with <see cref="ArchiveHostCode.PointerManager"/>.</summary>
    private static Task VerifyTypes(string types, string fixedTypes)
        => Verify.VerifyCodeFixAsync(
            ArchiveHostCode.WithMembers(string.Empty, "\n" + types + ArchiveHostCode.PointerManager),
            ArchiveHostCode.WithMembers(string.Empty, "\n" + fixedTypes + ArchiveHostCode.PointerManager),
            Key,
            withArchiveLibraries: true);

    // ------------------------------------------------------------------ DotNetZip: read at Save

    [Fact]
    public Task ViewStreamVariableAddedToDotNetZip_BecomesMemoryStreamOverTheRemainingBytes() => VerifyMembers("""
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
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            zip.AddEntry("out.png", new MemoryStream(new ReadOnlySpan<byte>(content.PositionPointer, checked((int)(content.Length - content.Position))).ToArray()));
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
            var pending = new List<(string Name, UnmanagedMemoryStream Content)>();
            foreach (var output in outputs)
            {
                pending.Add(($"{output}.png", new UnmanagedMemoryStream((byte*)memory.GetPointer() + output, length)));
            }

            using var zip = new DotNetZip.ZipFile();
            foreach (var (name, content) in pending)
            {
                zip.UpdateEntry(name, new MemoryStream(new ReadOnlySpan<byte>(content.PositionPointer, checked((int)(content.Length - content.Position))).ToArray()));
            }

            zip.AddEntry("first.png", new MemoryStream(new ReadOnlySpan<byte>((byte*)memory.GetPointer() + address, length).ToArray()));
            var entry = zip.AddEntry("second.png", Array.Empty<byte>());
            entry.InputStream = new MemoryStream(new ReadOnlySpan<byte>((byte*)memory.GetPointer() + address, checked((int)size)).ToArray());
            zip.Save(destination);
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
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png") { DataStream = new MemoryStream(new ReadOnlySpan<byte>(content.PositionPointer, checked((int)(content.Length - content.Position))).ToArray()) };
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
}
