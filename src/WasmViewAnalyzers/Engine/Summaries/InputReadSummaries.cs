using System;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Members judged by their bodies (issue 21): which of its inputs a method of the compilation
/// reads through — the views passed as its parameters, the variables a lambda or local function
/// captures, the fields of its own object. A method whose body only reads <c>Length</c>, compares
/// a pointer or hands the view on unread does not read it, whatever it is declared on (a class, a
/// <c>ref struct</c>, a <c>scoped</c> parameter): passing it a stale view is no use of it.
/// </summary>
/// <remarks>
/// One flow analysis of the body answers all three, run from a state where every such input holds
/// a view that is already stale: whatever reads one is a stale use of that input. Computed on
/// demand, for the methods a stale view is actually handed to.
/// </remarks>
internal sealed class InputReadSummaries
{
    private readonly WasmViewSemantics _semantics;
    private readonly InputReadsSummary _reads;

    public InputReadSummaries(WasmViewSemantics semantics, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _reads = new InputReadsSummary(this, catalog);
    }

    /// <summary>Whether <paramref name="method"/> (of the compilation) reads the view passed as its parameter <paramref name="ordinal"/>.</summary>
    public bool ReadsParameter(IMethodSymbol method, int ordinal, SummarySolver? solver, CancellationToken cancellationToken)
        => Get(method, solver, cancellationToken) is var reads && (reads.ReadsEverything || reads.Parameters.Contains(ordinal));

    /// <summary>Whether the lambda or local function <paramref name="function"/> reads the view its captured variable <paramref name="captured"/> holds.</summary>
    public bool ReadsCaptured(IMethodSymbol function, ISymbol captured, SummarySolver? solver, CancellationToken cancellationToken)
        => Get(function, solver, cancellationToken) is var reads && (reads.ReadsEverything || reads.Others.Contains(captured));

    /// <summary>Whether <paramref name="member"/> (an instance member of the compilation) reads a view held in a field of its object.</summary>
    public bool ReadsOwnFields(IMethodSymbol member, SummarySolver? solver, CancellationToken cancellationToken)
    {
        var reads = Get(member, solver, cancellationToken);
        if (reads.ReadsEverything)
        {
            return true;
        }

        foreach (var symbol in reads.Others)
        {
            if (symbol is IFieldSymbol || (symbol is IParameterSymbol parameter && ViewTypeClassifier.IsKeptPrimaryParameter(parameter, member)))
            {
                return true;
            }
        }

        return false;
    }

    private InputReads Get(IMethodSymbol method, SummarySolver? solver, CancellationToken cancellationToken)
        => _reads.Get(method, solver ?? _semantics.NewSolver(cancellationToken));

    private InputReads Compute(IMethodSymbol method, SummarySolver solver)
    {
        if (_semantics.Bodies.GetGraph(method, solver.CancellationToken) is { } graph)
        {
            return ViewFlowAnalysis.SummarizeInputReads(_semantics, graph, method, solver, solver.CancellationToken);
        }

        // No body here: an interface or abstract member reads what its implementations in the
        // compilation read; a delegate's Invoke, an extern or an implementation elsewhere may read anything.
        if (!SourceCallGraph.IsDispatched(method))
        {
            return InputReads.Everything;
        }

        var implementations = _semantics.CallGraph.FindImplementations(method);
        if (implementations.IsEmpty)
        {
            return InputReads.Everything;
        }

        var parameters = ImmutableHashSet<int>.Empty;
        foreach (var implementation in implementations)
        {
            var reads = _reads.Get(implementation, solver);
            if (reads.ReadsEverything)
            {
                return InputReads.Everything;
            }

            parameters = parameters.Union(reads.Parameters);
        }

        return new InputReads(parameters, ImmutableHashSet<ISymbol>.Empty, readsEverything: false);
    }

    private sealed class InputReadsSummary : Summary<IMethodSymbol, InputReads>
    {
        private readonly InputReadSummaries _owner;

        public InputReadsSummary(InputReadSummaries owner, SummaryCatalog catalog)
            : base(catalog, SummaryScheduling.OnDemand)
        {
            _owner = owner;
        }

        public override InputReads Bottom => InputReads.Nothing;

        public override InputReads Top(IMethodSymbol symbol) => InputReads.Everything;

        public override InputReads Compute(IMethodSymbol symbol, SummarySolver solver) => _owner.Compute(symbol, solver);

        protected override bool TryAnswerWithoutSolving(ref IMethodSymbol symbol, out InputReads answer)
        {
            answer = InputReads.Everything;
            return !_owner._semantics.IsSourceMethod(symbol, out symbol);
        }
    }
}

/// <summary>The inputs a method reads through: parameters by ordinal, captured variables and fields of its object by symbol.</summary>
internal sealed class InputReads : IEquatable<InputReads>
{
    public static readonly InputReads Nothing = new(ImmutableHashSet<int>.Empty, ImmutableHashSet<ISymbol>.Empty, readsEverything: false);

    public static readonly InputReads Everything = new(ImmutableHashSet<int>.Empty, ImmutableHashSet<ISymbol>.Empty, readsEverything: true);

    public InputReads(ImmutableHashSet<int> parameters, ImmutableHashSet<ISymbol> others, bool readsEverything)
    {
        Parameters = parameters;
        Others = others;
        ReadsEverything = readsEverything;
    }

    public ImmutableHashSet<int> Parameters { get; }

    /// <summary>Captured variables and fields of the method's object.</summary>
    public ImmutableHashSet<ISymbol> Others { get; }

    /// <summary>The conservative answer: a method whose body the analysis cannot see.</summary>
    public bool ReadsEverything { get; }

    public bool Equals(InputReads? other)
        => other is not null
           && ReadsEverything == other.ReadsEverything
           && Parameters.SetEquals(other.Parameters)
           && Others.SetEquals(other.Others);

    public override bool Equals(object? obj) => Equals(obj as InputReads);

    public override int GetHashCode() => (ReadsEverything ? 1 : 0) ^ (Parameters.Count << 1) ^ (Others.Count << 8);
}
