using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
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
        messageFormat: "'{0}' {1} before {2} and may be stale; copy it when it is obtained (.ToArray() or a lease copy) or obtain it again after that point",
        RuleIdentifiers.ReliabilityCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A view into WebAssembly linear memory must not be used after calling into WebAssembly or growing memory, nor after an 'await' or 'yield return' that lets such calls run: the guest may overwrite the bytes, and growth may move the memory and leave the view dangling. Copy the view when it is obtained (ToArray(), or LeaseCopy() from WasmViewAnalyzers.Runtime), or obtain it again after the call. dotnet format applies one fix per run, to the findings that offer it (run it again for others); some findings have no automatic fix (a view whose source calls the guest, a view read in a loop condition, a stream), and those it leaves as they are, exiting 0: change them by hand as the rule's page shows.",
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
                DescribeOrigin(use, context.Compilation),
                DescribeCall(use.LastCall, context)));
        }
    }

    /// <summary>
    /// <c>the call to 'convert'</c>; for a method of the compilation that calls the guest through
    /// others, which guest call it reaches: <c>the call to 'Warmup', which calls the guest through
    /// '_process',</c> (and in which method, when not in the one called).
    /// </summary>
    private static string DescribeCall(GuestCall call, OperationBlockAnalysisContext context)
    {
        if (call.IsSuspension
            || CompilationViewAnalysis.For(context.Compilation, context.Options).Semantics is not { } semantics
            || semantics.GuestCalls.FindGuestCallBehind(call.Operation, context.CancellationToken) is not { } behind)
        {
            return call.InMessage;
        }

        var where = CalledMethod(call.Operation) is { } called && SymbolEqualityComparer.Default.Equals(called.OriginalDefinition, behind.Method.OriginalDefinition)
            ? string.Empty
            : " in '" + WasmViewSemantics.Describe(behind.Method.AssociatedSymbol ?? behind.Method) + "'";
        return call.InMessage + ", which calls the guest through '" + behind.Call.DescribeCall() + "'" + where + ",";
    }

    private static IMethodSymbol? CalledMethod(IOperation operation) => operation switch
    {
        IInvocationOperation invocation => invocation.TargetMethod,
        IObjectCreationOperation creation => creation.Constructor,
        IPropertyReferenceOperation property => property.Property.GetMethod ?? property.Property.SetMethod,
        _ => null,
    };

    /// <summary>
    /// <c>was obtained from Memory.GetSpan</c> for a view; for a collection or array of views (a
    /// queue of pending outputs) what it holds and where that was obtained:
    /// <c>holds a view obtained from Memory.GetPointer on line 12</c>.
    /// </summary>
    private static string DescribeOrigin(StaleViewUse use, Compilation compilation)
    {
        if (!IsCollection(use.Use.Type, compilation))
        {
            return "was obtained from " + use.Origin.Description;
        }

        var acquisition = use.Origin.Acquisition.Syntax.GetLocation().GetLineSpan();
        var where = acquisition.Path == use.Use.Syntax.GetLocation().GetLineSpan().Path
            ? "on line " + (acquisition.StartLinePosition.Line + 1)
            : "in " + System.IO.Path.GetFileName(acquisition.Path) + " on line " + (acquisition.StartLinePosition.Line + 1);
        return "holds a view obtained from " + use.Origin.Description + " " + where;
    }

    private static bool IsCollection(ITypeSymbol? type, Compilation compilation)
    {
        if (type is IArrayTypeSymbol)
        {
            return true;
        }

        var enumerable = compilation.GetSpecialType(SpecialType.System_Collections_Generic_IEnumerable_T);
        return type is INamedTypeSymbol { IsRefLikeType: false } named
               && named.SpecialType != SpecialType.System_String
               && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, enumerable)
                   || named.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, enumerable)));
    }
}
