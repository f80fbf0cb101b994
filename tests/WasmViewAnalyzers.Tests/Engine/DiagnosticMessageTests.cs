using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Tests.Verifiers;
using Stale = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;
using Escapes = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.ViewEscapesMethodAnalyzer>;
using Compressor = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.ViewWrittenToCompressorAnalyzer>;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Each message names what the user wrote and what happens to it: the expression a view is read
/// through (not the member alone), a collection as the holder of a view obtained on a given line,
/// and what a write into a compressor corrupts (an archive entry, or a compressor's output).
/// </summary>
public sealed class DiagnosticMessageTests
{
    [Fact]
    public Task CollectionOfViews_SaysItHoldsAViewObtainedOnALine()
    {
        var test = new Stale.Test
        {
            TestCode = HostCode.WithMembers("""
                List<UnmanagedMemoryStream> ConvertAll(int[] inputs)
                {
                    var pending = new List<UnmanagedMemoryStream>();
                    foreach (var input in inputs)
                    {
                        var address = convert(input);
                        pending.Add(new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, 64));
                    }

                    reset();
                    return {|#0:pending|};
                }
                """),
        };
        test.ExpectedDiagnostics.Add(Stale.Diagnostic("WVA001")
            .WithLocation(0)
            .WithArguments("pending", "holds a view obtained from Memory.GetPointer on line 33", "the call to 'convert'")
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task PlainView_SaysWhereItWasObtained()
    {
        var test = new Stale.Test
        {
            TestCode = HostCode.WithMembers("""
                int Read(int address)
                {
                    var view = memory.GetSpan(address, 16);
                    reset();
                    return {|#0:view|}[0];
                }
                """),
        };
        test.ExpectedDiagnostics.Add(Stale.Diagnostic("WVA001")
            .WithLocation(0)
            .WithArguments("view", "was obtained from Memory.GetSpan", "the call to 'reset'")
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task MemberOfANewObject_NamedAsWritten()
    {
        var test = new Escapes.Test(withArchiveLibraries: true)
        {
            TestCode = ArchiveHostCode.WithMembers(
                """
                private readonly List<Memory<byte>> _outputs = new();

                void Keep(int address, int length)
                {
                    _outputs.Add({|#0:new PointerManager((byte*)memory.GetPointer() + address, length).Memory|});
                }
                """,
                ArchiveHostCode.PointerManager),
        };
        test.ExpectedDiagnostics.Add(Escapes.Diagnostic("WVA002")
            .WithLocation(0)
            .WithArguments("new PointerManager(...).Memory", "Memory.GetPointer", "stored in '_outputs' by 'List.Add'")
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task WriteIntoGZipStream_CorruptsTheCompressedOutput() => VerifyCompressor(
        """
        void Save(Stream destination, int address, int length)
        {
            using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
            var output = memory.GetSpan(address, length);
            {|#0:gzip.Write(output)|};
        }
        """,
        "output",
        "'gzip' (GZipStream)",
        "the compressed output");

    [Fact]
    public Task WriteIntoZipArchiveEntry_CorruptsTheEntry() => VerifyCompressor(
        """
        void Save(ZipArchive archive, int address, int length)
        {
            var output = memory.GetSpan(address, length);
            using var entry = archive.CreateEntry("out.png").Open();
            {|#0:entry.Write(output)|};
        }
        """,
        "output",
        "'entry' (ZipArchiveEntry stream)",
        "the archive entry");

    private static Task VerifyCompressor(string members, string view, string stream, string damaged)
    {
        var test = new Compressor.Test(withArchiveLibraries: true) { TestCode = ArchiveHostCode.WithMembers(members) };
        test.ExpectedDiagnostics.Add(Compressor.Diagnostic("WVA004")
            .WithLocation(0)
            .WithArguments(view, stream, "while it compresses, so a callback or another thread that enters the guest meanwhile corrupts " + damaged)
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }
}
