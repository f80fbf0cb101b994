using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;

namespace WasmViewAnalyzers.Rules;

/// <summary>
/// WVA004: a view into guest memory is written straight into an archive or compression stream
/// (<c>Write</c>/<c>WriteAsync</c> awaited at once on a <c>ZipArchiveEntry.Open()</c> stream, a
/// <c>DeflateStream</c>, a <c>GZipStream</c>, ..., or <c>CopyTo</c> from a view stream into one).
/// Info by default: it matters where a callback or another thread can enter the guest while the
/// compressor runs, and users raise it in <c>.editorconfig</c> where that is so.
/// </summary>
/// <remarks>
/// The contract with the hand-over code fix: the diagnostic's location is the write (the call);
/// <c>AdditionalLocations[0]</c> is the handed value expression (the buffer written, or the
/// stream copied from), the one a copy replaces.
/// </remarks>
/// <seealso cref="Engine.Flow.ViewFlowAnalysis"/> (ViewFlowAnalysis.Archives.cs) decides where a view is written;
/// <seealso cref="Engine.Knowledge.ArchiveWriters"/> knows which streams compress or archive.
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ViewWrittenToCompressorAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.ViewWrittenToCompressor,
        title: "Wasm memory view written directly into an archive or compression stream",
        messageFormat: "'{0}' is written directly into {1}: the compressor reads guest memory {2}; write a copy",
        RuleIdentifiers.ReliabilityCategory,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "A compressor reads its input while it compresses, which takes long enough for a guest callback or another thread to enter WebAssembly and overwrite or move the memory being read: the entry is silently corrupted. Write a copy of the view, or keep the guest from running during the write. A view written to an ordinary stream (a file, a MemoryStream, a socket) is not reported.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.ViewWrittenToCompressor));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(WasmViewAnalysisDriver.GeneratedCodeAnalysis);
        context.EnableConcurrentExecution();
        WasmViewAnalysisDriver.Register(context, ReportWrites);
    }

    private static void ReportWrites(OperationBlockAnalysisContext context, MethodViewFacts facts)
        => ArchiveHandoffDiagnostics.Report(context, facts, ArchiveHandoffKind.Direct, Rule);
}
