using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Rules;

/// <summary>
/// WVA002: a view into guest memory leaves the method that obtained it: stored in a field or
/// property, added to a collection or channel, captured by a delegate that runs later, or handed to
/// a method of the compilation that keeps it. Whoever reads it later reads whatever the guest has
/// put there since, or memory that has moved.
/// </summary>
/// <remarks>
/// Contract with the code fix (shared by WVA003 and WVA004): the diagnostic is reported on the
/// expression whose value escapes; <c>AdditionalLocations[0]</c> is that same expression (the one a
/// copy replaces) and <c>AdditionalLocations[1]</c>, when in the same file, is where the view was
/// obtained.
/// </remarks>
/// <seealso cref="Engine.Flow.ViewFlowAnalysis"/> (ViewFlowAnalysis.Escapes.cs) decides where a view leaves the method;
/// <seealso cref="Engine.Knowledge.EscapeSinks"/> knows which APIs keep what they are given;
/// <seealso cref="Engine.Summaries.EscapeSummaries"/> knows which parameters the methods of the compilation keep.
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ViewEscapesMethodAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.ViewEscapesMethod,
        title: "Wasm memory view escapes the method that obtained it",
        messageFormat: "'{0}' (from {1}) is {2} and may be read after later guest calls have overwritten or moved it; copy it before handing it over",
        RuleIdentifiers.ReliabilityCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A view into WebAssembly linear memory is only valid until the next call into WebAssembly or the next growth of memory. Kept in a field, a collection or a channel, or captured by a delegate that runs later, it is read when the guest has reused those bytes or memory has moved. Hand over a copy (ToArray(), a MemoryStream over the bytes) instead.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.ViewEscapesMethod));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(WasmViewAnalysisDriver.GeneratedCodeAnalysis);
        context.EnableConcurrentExecution();
        WasmViewAnalysisDriver.Register(context, ReportEscapes);
    }

    private static void ReportEscapes(OperationBlockAnalysisContext context, MethodViewFacts facts)
    {
        var symbols = WasmSymbols.TryCreate(context.Compilation)!;
        foreach (var escape in facts.Escapes)
        {
            var escaping = escape.EscapingValue.Syntax;
            var acquisition = escape.Origin.Acquisition.Syntax;
            var additional = new List<Location> { escaping.GetLocation() };
            if (acquisition.SyntaxTree == escaping.SyntaxTree)
            {
                additional.Add(acquisition.GetLocation());
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Rule,
                escape.Location.Syntax.GetLocation(),
                additional,
                FindingProperties.Create(escape.ViewName, ViewKinds.Of(escape.EscapingValue, escape.Value, symbols), ViewKinds.SourceOf(escape.Origin, symbols)),
                escape.ViewName,
                escape.Origin.Description,
                escape.Destination));
        }
    }
}
