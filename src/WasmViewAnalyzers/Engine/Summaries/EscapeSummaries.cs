using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>Escapes (WVA002): which parameters the methods of the compilation keep, and what a delegate value runs.</summary>
internal sealed class EscapeSummaries
{
    private readonly WasmViewSemantics _semantics;
    private readonly EscapingParametersSummary _escapingParameters;

    public EscapeSummaries(WasmViewSemantics semantics, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _escapingParameters = new EscapingParametersSummary(this, catalog);
    }

    /// <summary>
    /// The parameters of <paramref name="method"/> (of the compilation) that it keeps beyond the
    /// call, directly or through the methods it calls: stored in a field or property, added to a
    /// collection, handed to something that runs later. Computed once per method.
    /// </summary>
    public ImmutableDictionary<int, ParameterEscape> GetEscapingParameters(IMethodSymbol method, SummarySolver? solver, CancellationToken cancellationToken)
        => _escapingParameters.Get(method, solver ?? _semantics.NewSolver(cancellationToken));

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
                foreach (var assigned in _semantics.GuestDelegates.FindAssignedValues(local, _semantics.NewSolver(cancellationToken)))
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

    /// <summary>What a method too deep to follow may keep: every parameter that can hold a view.</summary>
    private ImmutableDictionary<int, ParameterEscape> ConservativeEscapes(IMethodSymbol method)
    {
        var escapes = ImmutableDictionary<int, ParameterEscape>.Empty;
        foreach (var ordinal in _semantics.ViewSources.ViewParameters(method))
        {
            escapes = escapes.Add(ordinal, new ParameterEscape("kept by '" + WasmViewSemantics.Describe(method) + "'", intoReceiver: false));
        }

        return escapes;
    }

    /// <summary>Which parameters a method of the compilation keeps, and how (the first way found).</summary>
    private sealed class EscapingParametersSummary : Summary<IMethodSymbol, ImmutableDictionary<int, ParameterEscape>>
    {
        private readonly EscapeSummaries _owner;

        public EscapingParametersSummary(EscapeSummaries owner, SummaryCatalog catalog)
            : base(catalog, SummaryScheduling.BottomUp)
        {
            _owner = owner;
        }

        public override ImmutableDictionary<int, ParameterEscape> Bottom => ImmutableDictionary<int, ParameterEscape>.Empty;

        /// <summary>The summary grows by its keys; the value only describes the first way found.</summary>
        public override bool AreEqual(ImmutableDictionary<int, ParameterEscape> left, ImmutableDictionary<int, ParameterEscape> right)
            => left.Count == right.Count && left.Keys.All(right.ContainsKey);

        public override ImmutableDictionary<int, ParameterEscape> Top(IMethodSymbol symbol) => _owner.ConservativeEscapes(symbol);

        public override ImmutableDictionary<int, ParameterEscape> Compute(IMethodSymbol symbol, SummarySolver solver)
            => _owner._semantics.Bodies.GetGraph(symbol, solver.CancellationToken) is { } graph
                ? ViewFlowAnalysis.SummarizeEscapingParameters(_owner._semantics, graph, symbol, solver, solver.CancellationToken)
                : ImmutableDictionary<int, ParameterEscape>.Empty;

        protected override bool TryAnswerWithoutSolving(ref IMethodSymbol symbol, out ImmutableDictionary<int, ParameterEscape> answer)
        {
            answer = ImmutableDictionary<int, ParameterEscape>.Empty;
            return !_owner._semantics.IsSourceMethod(symbol, out symbol)
                   || !_owner._semantics.ViewSources.HasViewParameter(symbol);
        }
    }
}
