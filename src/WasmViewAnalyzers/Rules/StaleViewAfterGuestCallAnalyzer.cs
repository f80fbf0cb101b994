using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;

namespace WasmViewAnalyzers.Rules;

/// <summary>
/// WVA001: a view into guest memory (a span, pointer, stream or anything built over
/// <c>Memory.GetSpan</c>/<c>GetPointer</c>) is used after a guest call that may have overwritten or
/// moved the memory it points to.
/// </summary>
/// <seealso cref="Engine.Flow.ViewFlowAnalysis"/> decides where a view is read after it may have gone stale;
/// <seealso cref="Engine.Summaries.GuestCallSummaries"/> decides what is a guest call;
/// <seealso cref="Engine.Summaries.ViewSourceSummaries"/> decides what obtains a view.
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StaleViewAfterGuestCallAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.StaleViewAfterGuestCall,
        title: "Wasm memory view used after a guest call may have invalidated it",
        messageFormat: "'{0}' was obtained from {1} before {2} and may be stale; copy it before that point or re-acquire it after",
        RuleIdentifiers.ReliabilityCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A view into WebAssembly linear memory must not be used after calling into WebAssembly or growing memory, nor after an 'await' or 'yield return' that lets such calls run: the guest may overwrite the bytes, and growth may move the memory and leave the view dangling. Copy the view before that point (ToArray() or a lease copy), or obtain it again after it.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.StaleViewAfterGuestCall));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(WasmViewAnalysisDriver.GeneratedCodeAnalysis);
        context.EnableConcurrentExecution();
        WasmViewAnalysisDriver.Register(context, ReportStaleUses);
    }

    private static void ReportStaleUses(OperationBlockAnalysisContext context, MethodViewFacts facts)
    {
        foreach (var use in facts.StaleUses)
        {
            // The additional location is where the view was obtained: the code fixes copy it there.
            var acquisition = use.Origin.Acquisition.Syntax;
            context.ReportDiagnostic(Diagnostic.Create(
                Rule,
                use.Use.Syntax.GetLocation(),
                additionalLocations: acquisition.SyntaxTree == use.Use.Syntax.SyntaxTree ? new[] { acquisition.GetLocation() } : null,
                use.ViewName,
                use.Origin.Description,
                use.InvalidatedBy.InMessage));
        }
    }
}
