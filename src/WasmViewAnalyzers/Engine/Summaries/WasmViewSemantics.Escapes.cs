using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine;

/// <summary>Escapes (WVA002): the APIs that keep a view, and which parameters the methods of the compilation keep.</summary>
internal sealed partial class WasmViewSemantics
{
    private readonly ConcurrentDictionary<ISymbol, ImmutableDictionary<int, ParameterEscape>> _escapingParameters = new(SymbolEqualityComparer.Default);
    private EscapeSinks? _escapeSinks;

    public EscapeSinks EscapeSinks => LazyInitializer.EnsureInitialized(ref _escapeSinks, () => new EscapeSinks(Compilation, IsConfiguredEscapeSink))!;

    /// <summary>
    /// The parameters of <paramref name="method"/> (of the compilation) that it keeps beyond the
    /// call, directly or through the methods it calls: stored in a field or property, added to a
    /// collection, handed to something that runs later. Computed once per method.
    /// </summary>
    public ImmutableDictionary<int, ParameterEscape> GetEscapingParameters(IMethodSymbol method, SummaryVisit? visit, CancellationToken cancellationToken)
    {
        method = Normalize(method);
        if (!IsDeclaredInSource(method) || !HasViewParameter(method))
        {
            return ImmutableDictionary<int, ParameterEscape>.Empty;
        }

        return (visit ?? NewVisit(cancellationToken)).Summarize(
            _escapingParameters,
            method,
            unknown: ImmutableDictionary<int, ParameterEscape>.Empty,
            conservative: static state => state.Semantics.ConservativeEscapes(state.Method),
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.Bodies.GetGraph(state.Method, state.CancellationToken) is { } graph
                ? ViewFlowAnalysis.SummarizeEscapingParameters(state.Semantics, graph, state.Method, visit, state.CancellationToken)
                : ImmutableDictionary<int, ParameterEscape>.Empty);
    }

    /// <summary>What a method too deep to follow may keep: every parameter that can hold a view.</summary>
    private ImmutableDictionary<int, ParameterEscape> ConservativeEscapes(IMethodSymbol method)
    {
        var escapes = ImmutableDictionary<int, ParameterEscape>.Empty;
        foreach (var ordinal in ViewParameters(method))
        {
            escapes = escapes.Add(ordinal, new ParameterEscape("kept by '" + Describe(method) + "'", intoReceiver: false));
        }

        return escapes;
    }

    /// <summary>
    /// The local functions and lambdas a delegate value runs: <c>() =&gt; ...</c>, <c>Flush</c>, or a
    /// local assigned one of those.
    /// </summary>
    public IEnumerable<IMethodSymbol> GetDelegateTargets(IOperation value, CancellationToken cancellationToken)
    {
        var target = value.WalkDownConversions();
        if (target is IDelegateCreationOperation creation)
        {
            target = creation.Target.WalkDownConversions();
        }

        switch (target)
        {
            case IFlowAnonymousFunctionOperation flowLambda:
                yield return flowLambda.Symbol;
                break;
            case IAnonymousFunctionOperation lambda:
                yield return lambda.Symbol;
                break;
            case IMethodReferenceOperation { Method.MethodKind: MethodKind.LocalFunction } reference:
                yield return reference.Method.OriginalDefinition;
                break;
            case ILocalReferenceOperation { Local: { Type.TypeKind: TypeKind.Delegate } local }:
                foreach (var assigned in FindAssignedValues(local, NewVisit(cancellationToken), cancellationToken))
                {
                    if (assigned.WalkDownConversions() is not ILocalReferenceOperation)
                    {
                        foreach (var function in GetDelegateTargets(assigned, cancellationToken))
                        {
                            yield return function;
                        }
                    }
                }

                break;
        }
    }
}
