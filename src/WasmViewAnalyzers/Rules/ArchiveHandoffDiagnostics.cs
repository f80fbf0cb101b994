using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Rules;

/// <summary>
/// How WVA003 and WVA004 report the engine's archive hand-offs, each rule the kind it owns. The
/// contract with the hand-over code fix: the diagnostic's location is the hand-off (the call or
/// assignment); <c>AdditionalLocations[0]</c> is the handed value expression, the one a copy replaces.
/// </summary>
internal static class ArchiveHandoffDiagnostics
{
    public static void Report(OperationBlockAnalysisContext context, MethodViewFacts facts, ArchiveHandoffKind kind, DiagnosticDescriptor rule)
    {
        var symbols = WasmSymbols.TryCreate(context.Compilation)!;
        foreach (var handoff in facts.Handoffs)
        {
            if (handoff.Kind == kind)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    rule,
                    handoff.Location.Syntax.GetLocation(),
                    additionalLocations: new[] { handoff.HandedValue.Syntax.GetLocation() },
                    properties: FindingProperties.Create(handoff.ViewName, ViewKinds.Of(handoff.HandedValue, handoff.Value, symbols), ViewKinds.SourceOf(handoff.Origin, symbols)),
                    handoff.ViewName,
                    handoff.Consumer,
                    handoff.ReadsWhen));
            }
        }
    }
}
