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

    // ------------------------------------------------------------------ spans and memories written

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
    public Task ViewStreamCopiedIntoDeflateStream_CopiesFromAMemoryStreamOverTheRemainingBytes() => VerifyMembers("""
        void Save(Stream destination, int address, int length)
        {
            using var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            using var deflate = new DeflateStream(destination, CompressionLevel.Fastest);
            {|WVA004:content.CopyTo(deflate)|};
        }
        """, """
        void Save(Stream destination, int address, int length)
        {
            using var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            using var deflate = new DeflateStream(destination, CompressionLevel.Fastest);
            new MemoryStream(new ReadOnlySpan<byte>(content.PositionPointer, checked((int)(content.Length - content.Position))).ToArray()).CopyTo(deflate);
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
            new MemoryStream(new ReadOnlySpan<byte>((byte*)memory.GetPointer() + address, length).ToArray()).CopyTo(entry);
            using var gzip = new ICSharpCode.SharpZipLib.GZip.GZipOutputStream(destination);
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            new MemoryStream(new ReadOnlySpan<byte>(content.PositionPointer, checked((int)(content.Length - content.Position))).ToArray()).CopyTo(gzip, 81920);
        }
        """);
}
