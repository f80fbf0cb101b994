using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine;

/// <summary>Resolves a flow capture of the control-flow graph being analyzed to the values captured into it.</summary>
internal delegate IEnumerable<IOperation> CaptureResolver(CaptureId id);

/// <summary>
/// The engine's vocabulary, shared by every rule: which operations obtain a view into guest
/// memory, which operations are guest calls (may run WebAssembly or grow memory), and the
/// interprocedural summaries behind both (methods of the compilation that call the guest or
/// return views, delegates that wrap guest functions). One instance per compilation.
/// </summary>
internal sealed partial class WasmViewSemantics
{
    private readonly ConcurrentDictionary<ISymbol, bool> _mayCallGuest = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, bool> _returnsGuestDelegate = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, bool> _guestDelegateLocals = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, ViewReturnSummary> _viewReturns = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, ImmutableHashSet<int>> _parameterUses = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableHashSet<ISymbol>> _capturedReads = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> _implementations = new(SymbolEqualityComparer.Default);
    private readonly GuestDelegateIndex _delegateIndex;
    private readonly Lazy<ImmutableArray<INamedTypeSymbol>> _sourceTypes;

    private WasmViewSemantics(WasmSymbols symbols)
    {
        Symbols = symbols;
        Types = new ViewTypeClassifier(symbols);
        Bodies = new SourceBodies(symbols.Compilation);
        _delegateIndex = new GuestDelegateIndex(this);
        CallGraph = new CallGraphSummaries(this);
        _sourceTypes = new Lazy<ImmutableArray<INamedTypeSymbol>>(() => CollectSourceTypes(symbols.Compilation));
    }

    public WasmSymbols Symbols { get; }

    public ViewTypeClassifier Types { get; }

    public SourceBodies Bodies { get; }

    /// <summary>Prepares the interprocedural summaries bottom-up over the call graph.</summary>
    public CallGraphSummaries CallGraph { get; }

    public Compilation Compilation => Symbols.Compilation;

    /// <summary>Returns <see langword="null"/> for compilations that do not reference Wasmtime.</summary>
    public static WasmViewSemantics? TryCreate(Compilation compilation)
    {
        var symbols = WasmSymbols.TryCreate(compilation);
        return symbols is null ? null : new WasmViewSemantics(symbols);
    }

    /// <summary>A new chain of summary questions, which summarizes callees before callers.</summary>
    public SummaryVisit NewVisit(CancellationToken cancellationToken) => new(CallGraph, cancellationToken);

    /// <summary>
    /// Computes every summary of <paramref name="method"/> once its callees are summarized: the
    /// bottom-up step of <see cref="CallGraphSummaries"/>.
    /// </summary>
    internal void SummarizeMethod(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var visit = new SummaryVisit(callGraph: null, cancellationToken);
        MayCallGuest(method, visit, cancellationToken);
        ReturnsGuestDelegate(method, visit, cancellationToken);
        GetViewReturns(method, visit, cancellationToken);
        GetParameterUses(method, visit, cancellationToken);
        GetEscapingParameters(method, visit, cancellationToken);
    }

    /// <summary>Whether <paramref name="method"/> has a body in this compilation, and the symbol its summaries are kept under.</summary>
    internal bool IsSourceMethod(IMethodSymbol method, out IMethodSymbol normalized)
    {
        normalized = Normalize(method);
        return IsDeclaredInSource(normalized);
    }

    private static string Describe(ISymbol symbol)
        => symbol.ContainingType is { } type && symbol is not IMethodSymbol { MethodKind: MethodKind.LocalFunction }
            ? type.Name + "." + symbol.Name
            : symbol.Name;

    public static bool IsAssignmentTarget(IOperation operation)
        => operation.Parent is IAssignmentOperation assignment && assignment.Target == operation;

    private static IMethodSymbol Normalize(IMethodSymbol method)
    {
        method = method.PartialImplementationPart ?? method;
        return method.ReducedFrom ?? method.OriginalDefinition;
    }

    private static ImmutableArray<INamedTypeSymbol> CollectSourceTypes(Compilation compilation)
    {
        var builder = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(compilation.Assembly.GlobalNamespace);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            foreach (var member in current.GetMembers())
            {
                if (member is INamespaceOrTypeSymbol child)
                {
                    stack.Push(child);
                }

                if (member is INamedTypeSymbol type)
                {
                    builder.Add(type);
                }
            }
        }

        return builder.ToImmutable();
    }
}
