using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Summaries;
using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// The engine's domain and solvers on their own: joins and equality of abstract values, the flow
/// solver's visit limit and the summary solver's cycles and depth limit. Rule tests exercise them
/// through whole programs; these pin the properties those rely on.
/// </summary>
public sealed class FlowDomainTests
{
    private const string Source = """
        using System;
        using Wasmtime;

        class Host
        {
            Memory memory = null!;
            Func<int, int> convert = null!;

            int Loop(int n)
            {
                var view = memory.GetSpan(0, 16);
                var total = 0;
                for (var i = 0; i < n; i++)
                {
                    total += view[i % 16];
                }

                convert(total);
                return total;
            }

            void A() { } void B() { } void C() { }
        }
        """;

    private static readonly Compilation Compilation = CompilationAnalysis.Compile(Source);

    private static readonly WasmViewSemantics Semantics = WasmViewSemantics.TryCreate(Compilation)!;

    private static IMethodSymbol Method(string name) => (IMethodSymbol)Compilation.GetTypeByMetadataName("Host")!.GetMembers(name).Single();

    private static ControlFlowGraph GraphOf(string name)
    {
        var syntax = (MethodDeclarationSyntax)Method(name).DeclaringSyntaxReferences[0].GetSyntax();
        var model = Compilation.GetSemanticModel(syntax.SyntaxTree);
        return ControlFlowGraph.Create((IMethodBodyOperation)model.GetOperation(syntax)!);
    }

    private static readonly IOperation[] Operations = GraphOf("Loop").Blocks.SelectMany(b => b.Operations).ToArray();

    private static ViewOrigin Origin(int index) => new(Operations[index], "origin " + index);

    private static GuestCall Call(int index) => new(Operations[index], "call " + index);

    // ------------------------------------------------------------------ values

    [Fact]
    public void ViewValueJoin_WithNothing_IsTheValue()
    {
        var value = ViewValue.Fresh(Origin(0));

        Assert.Same(value, ViewValue.Join(value, null));
        Assert.Same(value, ViewValue.Join(null, value));
        Assert.Null(ViewValue.Join(null, null));
    }

    [Fact]
    public void ViewValueJoin_StaleOnEitherSide_IsStale_AndCommutes()
    {
        var origin = Origin(0);
        var fresh = ViewValue.Fresh(origin);
        var stale = fresh.MarkStale(Call(1));

        var left = ViewValue.Join(fresh, stale)!;
        var right = ViewValue.Join(stale, fresh)!;

        Assert.True(left.IsStale);
        Assert.Equal(left, right);
        Assert.Same(stale.StaleBy, left.StaleBy);
    }

    [Fact]
    public void ViewValueJoin_OfTwoOrigins_KeepsTheEarlierOrigin_AndTheEarlierCall()
    {
        var first = Origin(0);
        var second = Origin(2);
        var early = Call(1);
        var late = Call(3);

        var joined = ViewValue.Join(ViewValue.Fresh(second).MarkStale(early), ViewValue.Fresh(first).MarkStale(late))!;

        Assert.Same(first, joined.Origin);
        Assert.Same(early, joined.StaleBy);
    }

    [Fact]
    public void ViewValueJoin_IsIdempotent_AndMarkStaleKeepsTheFirstCall_AndTheLatest()
    {
        var first = Call(1);
        var second = Call(2);
        var value = ViewValue.Fresh(Origin(0)).MarkStale(first);
        var later = value.MarkStale(second);

        Assert.Equal(value, ViewValue.Join(value, value));
        Assert.Same(value, value.MarkStale(first));
        Assert.Same(first, later.StaleBy);
        Assert.Same(second, later.LatestCall);
    }

    [Fact]
    public void ViewValueJoin_KeepsTheCallThatEndsLast_AndCommutes()
    {
        var first = Call(1);
        var early = Call(2);
        var late = Call(3);
        var origin = Origin(0);
        var left = ViewValue.Fresh(origin).MarkStale(first).MarkStale(late);
        var right = ViewValue.Fresh(origin).MarkStale(first).MarkStale(early);

        var joined = ViewValue.Join(left, right)!;

        Assert.True(late.EndsAfter(early) && !early.EndsAfter(late));
        Assert.Same(late, joined.LatestCall);
        Assert.Same(first, joined.StaleBy);
        Assert.Equal(joined, ViewValue.Join(right, left));
    }

    // ------------------------------------------------------------------ states

    [Fact]
    public void FlowStateJoin_HasEveryLocationOfBothSides_AndEqualityIsByContent()
    {
        var a = new FlowState();
        var b = new FlowState();
        var view = ViewValue.Fresh(Origin(0));
        a.Set("x", view);
        b.Set("y", view.MarkStale(Call(1)));

        var joined = FlowState.Join(a, b)!;

        Assert.Same(view, joined.Get("x"));
        Assert.True(joined.Get("y")!.IsStale);
        Assert.True(joined.SameAs(FlowState.Join(b, a)));
        Assert.False(joined.SameAs(a));
        Assert.True(a.SameAs(a.Clone()));
    }

    [Fact]
    public void FlowStateJoin_DoesNotChangeItsInputs_AndMarkAllStaleOnlyTouchesTheState()
    {
        var a = new FlowState();
        a.Set("x", ViewValue.Fresh(Origin(0)));
        var copy = a.Clone();

        copy.MarkAllStale(Call(1));
        _ = FlowState.Join(a, copy);

        Assert.False(a.Get("x")!.IsStale);
        Assert.True(copy.Get("x")!.IsStale);
    }

    // ------------------------------------------------------------------ the flow solver's limit

    [Fact]
    public void FlowSolver_ReachesItsFixedPoint_OnALoop()
    {
        var facts = ViewFlowAnalysis.Analyze(Semantics, GraphOf("Loop"), int.MaxValue, failOnLimit: true, CancellationToken.None, out var gaveUp);

        Assert.False(gaveUp);
        Assert.Empty(facts.StaleUses);
    }

    [Fact]
    public void FlowSolver_PastItsLimit_GivesTheConservativeAnswer()
    {
        // The view is read before the guest call on every path; only a solver that gave up calls it stale.
        var facts = ViewFlowAnalysis.Analyze(Semantics, GraphOf("Loop"), visitLimit: 2, failOnLimit: false, CancellationToken.None, out var gaveUp);

        Assert.True(gaveUp);
        Assert.Contains(facts.StaleUses, use => use.ViewName == "view");
    }

    [Fact]
    public void FlowSolver_PastItsLimit_FailsLoudlyWhenAsked()
        => Assert.Throws<InvalidOperationException>(() => ViewFlowAnalysis.Analyze(Semantics, GraphOf("Loop"), visitLimit: 2, failOnLimit: true, CancellationToken.None, out _));

    // ------------------------------------------------------------------ the summary solver

    [Fact]
    public void SummaryCycle_IsSolvedToTheLeastFixedPoint_AndCached()
    {
        // A -> B -> C -> A, and only C finds something: all three find it, whichever is asked first.
        var edges = new Dictionary<string, string> { ["A"] = "B", ["B"] = "C", ["C"] = "A" };
        var summary = new TestSummary((self, method, solver) =>
        {
            var next = self.Get(Method(edges[method.Name]), solver);
            return method.Name == "C" || next;
        });

        var solver = new SummarySolver(scheduler: null, CancellationToken.None);
        Assert.True(summary.Get(Method("B"), solver));
        Assert.All(new[] { "A", "B", "C" }, name => Assert.True(summary.TryGetFinal(Method(name), out var value) && value));
        Assert.Equal(0, solver.ConservativeAnswers);
    }

    [Fact]
    public void SummaryCycle_WhereNothingIsFound_IsFalseForEveryMember()
    {
        var edges = new Dictionary<string, string> { ["A"] = "B", ["B"] = "A" };
        var summary = new TestSummary((self, method, solver) => self.Get(Method(edges[method.Name]), solver));

        var solver = new SummarySolver(scheduler: null, CancellationToken.None);
        Assert.False(summary.Get(Method("A"), solver));
        Assert.True(summary.TryGetFinal(Method("B"), out var b));
        Assert.False(b);
    }

    [Fact]
    public void SummaryChain_DeeperThanTheLimit_GetsTheConservativeAnswer_AndCachesNothingBelowIt()
    {
        // A chain of questions deeper than one solver may nest, where nothing is found at the bottom:
        // the answer must be "may" (conservative), never "nothing found", and not be cached.
        var depth = SummarySolver.MaxDepth + 10;
        var chain = CompilationAnalysis.Compile("class Chain { " + string.Concat(Enumerable.Range(0, depth).Select(i => $"void M{i}() {{ }} ")) + "}");
        var keys = Enumerable.Range(0, depth).Select(i => (IMethodSymbol)chain.GetTypeByMetadataName("Chain")!.GetMembers("M" + i).Single()).ToArray();
        var summary = new TestSummary((self, method, solver) =>
        {
            var level = Array.IndexOf(keys, method);
            return level + 1 < depth && self.Get(keys[level + 1], solver);
        });

        var solver = new SummarySolver(scheduler: null, CancellationToken.None);

        Assert.True(summary.Get(keys[0], solver));
        Assert.True(solver.ConservativeAnswers > 0);
        Assert.False(summary.TryGetFinal(keys[0], out _));
    }

    /// <summary>A boolean summary over methods whose computation the test gives.</summary>
    private sealed class TestSummary : Summary<IMethodSymbol, bool>
    {
        private readonly Func<TestSummary, IMethodSymbol, SummarySolver, bool> _compute;

        public TestSummary(Func<TestSummary, IMethodSymbol, SummarySolver, bool> compute)
            : base(new SummaryCatalog(), SummaryScheduling.OnDemand)
        {
            _compute = compute;
        }

        public override bool Bottom => false;

        public override bool Top(IMethodSymbol symbol) => true;

        public override bool Compute(IMethodSymbol symbol, SummarySolver solver) => _compute(this, symbol, solver);
    }
}
