using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;

namespace WasmViewAnalyzers.Rules;

/// <summary>
/// WVA003: a view into guest memory is handed to an archive writer that keeps it and reads it
/// later (DotNetZip's <c>ZipFile.AddEntry</c> reads at <c>Save</c>, SharpZipLib's <c>ZipFile.Add</c>
/// at <c>CommitUpdate</c>, a <c>TarEntry.DataStream</c> at <c>TarWriter.WriteEntry</c>, an
/// un-awaited <c>WriteAsync</c> in the background, a <c>wasm_view_analyzers.deferred_sinks</c> method).
/// </summary>
/// <remarks>
/// The contract with the hand-over code fix: the diagnostic's location is the hand-off (the call
/// or assignment); <c>AdditionalLocations[0]</c> is the handed value expression, the one a copy
/// replaces. When that expression is a lambda that captures the view, or a data source whose
/// <c>GetSource()</c> reads guest memory itself, there is no expression to copy and the fix offers nothing.
/// </remarks>
/// <seealso cref="Engine.Flow.ViewFlowAnalysis"/> (ViewFlowAnalysis.Archives.cs) decides where a view is handed over;
/// <seealso cref="Engine.Knowledge.ArchiveWriters"/> knows which archive writers read what they are given later.
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ViewHandedToDeferredArchiveWriterAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.ViewHandedToDeferredArchiveWriter,
        title: "Wasm memory view handed to an archive writer that reads it later",
        messageFormat: "'{0}' is handed to {1}, which reads it {2}; by then a guest call may have reused or moved the guest memory it points to: hand over a copy",
        RuleIdentifiers.ReliabilityCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Some archive writers keep the stream or buffer they are given and read it only when the archive is saved or the update committed. A view into WebAssembly linear memory handed to them is read after later guest calls have overwritten the bytes or growth has moved the memory: the archive gets garbage, or the read faults. Hand over a copy (ToArray(), a lease copy, a MemoryStream over copied bytes).",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.ViewHandedToDeferredArchiveWriter));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(WasmViewAnalysisDriver.GeneratedCodeAnalysis);
        context.EnableConcurrentExecution();
        WasmViewAnalysisDriver.Register(context, ReportHandoffs);
    }

    private static void ReportHandoffs(OperationBlockAnalysisContext context, MethodViewFacts facts)
        => ArchiveHandoffDiagnostics.Report(context, facts, ArchiveHandoffKind.Deferred, Rule);
}
