using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// Flow-sensitive analysis of one control-flow graph: which variables hold views into guest
/// memory at each point, which of those may be stale (a guest call happened after they were
/// obtained on some path), and where a possibly stale view is read.
/// </summary>
/// <remarks>
/// A forward "may" analysis: at merges a variable is a view if it is one on some path and stale if
/// it is stale on some path. Loops iterate to a fixed point, so a view used in the next iteration
/// after a guest call in the previous one is stale. Catch handlers see every state of their try
/// block; finally blocks run on the paths that leave through them.
/// </remarks>
internal sealed partial class ViewFlowAnalysis
{
    private readonly WasmViewSemantics _semantics;
    private readonly ControlFlowGraph _graph;
    private readonly SummaryVisit? _visit;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<CaptureId, List<IOperation>> _captureValues = new();
    private readonly Dictionary<IOperation, GuestCall?> _guestCalls = new();
    private readonly Dictionary<IOperation, ViewOrigin?> _origins = new();
    private readonly Dictionary<(IOperation, int), ViewOrigin?> _outOrigins = new();
    private readonly FlowState?[] _in;
    private readonly FlowState?[] _out;
    private readonly FlowState?[] _anyPoint;
    private readonly Dictionary<int, ControlFlowRegion> _handlerEntries = new();
    private readonly HashSet<int> _guardedBlocks = new();
    private readonly Dictionary<int, List<(ControlFlowBranch Branch, int Index)>> _finallyEntries = new();
    private readonly HashSet<int> _blocksGuardedByFinally = new();
    private readonly Dictionary<(SyntaxNode Syntax, string Name), StaleViewUse> _staleUses = new();
    private readonly Dictionary<(SyntaxNode Syntax, string Name), ViewEscape> _escapes = new();
    private readonly Dictionary<(SyntaxNode Syntax, string Name, ArchiveHandoffKind Kind), ArchiveHandoff> _handoffs = new();
    private readonly Dictionary<IOperation, GuestCall> _calleeCalls = new();
    private readonly FlowState? _entryState;
    private readonly Dictionary<ViewOrigin, int>? _parameterOrigins;
    private ImmutableHashSet<int> _parametersReadStale = ImmutableHashSet<int>.Empty;
    private bool _returnsView;

#if DEBUG
    /// <summary>Our own builds (the tests) stop at a fixed point that is not reached: it is a bug of the domain.</summary>
    private const bool FailOnVisitLimit = true;
#else
    private const bool FailOnVisitLimit = false;
#endif

    /// <summary>How often each block may be visited before the analysis gives up on a fixed point.</summary>
    internal const int VisitsPerBlock = 64;

    /// <summary>Whether the fixed point was not reached and every view was taken as stale everywhere instead.</summary>
    internal bool GaveUp { get; private set; }

    private ViewFlowAnalysis(
        WasmViewSemantics semantics,
        ControlFlowGraph graph,
        SummaryVisit? visit,
        CancellationToken cancellationToken,
        FlowState? entryState = null,
        Dictionary<ViewOrigin, int>? parameterOrigins = null)
    {
        _entryState = entryState;
        _parameterOrigins = parameterOrigins;
        _semantics = semantics;
        _graph = graph;
        _visit = visit;
        _cancellationToken = cancellationToken;
        var count = graph.Blocks.Length;
        _in = new FlowState?[count];
        _out = new FlowState?[count];
        _anyPoint = new FlowState?[count];
        IndexGraph();
    }

    /// <summary>The facts of <paramref name="graph"/> (not of its nested functions) that the rules report.</summary>
    public static MethodViewFacts Analyze(WasmViewSemantics semantics, ControlFlowGraph graph, CancellationToken cancellationToken)
        => Analyze(semantics, graph, graph.Blocks.Length * VisitsPerBlock, FailOnVisitLimit, cancellationToken, out _);

    /// <summary>
    /// The facts of <paramref name="graph"/>, visiting blocks at most <paramref name="visitLimit"/>
    /// times in all. Past the limit the answer is the conservative one (every view may be stale
    /// everywhere in the graph) unless <paramref name="failOnLimit"/> asks to throw.
    /// </summary>
    internal static MethodViewFacts Analyze(WasmViewSemantics semantics, ControlFlowGraph graph, int visitLimit, bool failOnLimit, CancellationToken cancellationToken, out bool gaveUp)
    {
        var analysis = new ViewFlowAnalysis(semantics, graph, visit: null, cancellationToken);
        analysis.Solve(visitLimit);
        if (analysis.GaveUp && failOnLimit)
        {
            throw new InvalidOperationException($"The view analysis did not reach a fixed point within {visitLimit} block visits.");
        }

        gaveUp = analysis.GaveUp;
        analysis.Report();
        return new MethodViewFacts(
            SortedBySpan(analysis._staleUses.Values, use => use.Use),
            SortedBySpan(analysis._escapes.Values, escape => escape.Location),
            SortedBySpan(analysis._handoffs.Values, handoff => handoff.Location));
    }

    private static ImmutableArray<T> SortedBySpan<T>(ICollection<T> items, System.Func<T, IOperation> location)
    {
        var builder = ImmutableArray.CreateBuilder<T>(items.Count);
        builder.AddRange(items);
        builder.Sort((left, right) => location(left).Syntax.SpanStart.CompareTo(location(right).Syntax.SpanStart));
        return builder.MoveToImmutable();
    }

    /// <summary>Whether <paramref name="method"/> hands back a view it obtained (as its result or through out parameters).</summary>
    public static ViewReturnSummary Summarize(WasmViewSemantics semantics, ControlFlowGraph graph, IMethodSymbol method, SummaryVisit visit, CancellationToken cancellationToken)
    {
        var analysis = new ViewFlowAnalysis(semantics, graph, visit, cancellationToken);
        analysis.Solve();
        var outParameters = ImmutableHashSet<int>.Empty;
        var exit = analysis._in[graph.Blocks.Length - 1];
        if (exit is not null)
        {
            foreach (var parameter in method.Parameters)
            {
                if (parameter.RefKind is RefKind.Out or RefKind.Ref && exit.Get(parameter) is not null)
                {
                    outParameters = outParameters.Add(parameter.Ordinal);
                }
            }
        }

        return new ViewReturnSummary(analysis._returnsView, outParameters);
    }

    /// <summary>
    /// Which parameters of <paramref name="method"/> that can hold a view it reads after a guest
    /// call of its own: a caller passing a view there has it read stale.
    /// </summary>
    public static ImmutableHashSet<int> SummarizeParameterUses(WasmViewSemantics semantics, ControlFlowGraph graph, IMethodSymbol method, SummaryVisit visit, CancellationToken cancellationToken)
    {
        var entry = new FlowState();
        var origins = new Dictionary<ViewOrigin, int>();
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.Out && semantics.Types.CanHoldView(parameter.Type))
            {
                var origin = new ViewOrigin(graph.OriginalOperation, "parameter '" + parameter.Name + "'");
                origins.Add(origin, parameter.Ordinal);
                entry.Set(parameter, ViewValue.Fresh(origin));
            }
        }

        if (origins.Count == 0)
        {
            return ImmutableHashSet<int>.Empty;
        }

        var analysis = new ViewFlowAnalysis(semantics, graph, visit, cancellationToken, entry, origins);
        analysis.Solve();
        return analysis._parametersReadStale;
    }

    // ------------------------------------------------------------------ graph structure

    private void IndexGraph()
    {
        IndexHandlers(_graph.Root);
        foreach (var block in _graph.Blocks)
        {
            foreach (var operation in block.Operations)
            {
                IndexCaptures(operation);
            }

            if (block.BranchValue is not null)
            {
                IndexCaptures(block.BranchValue);
            }

            IndexFinallyEntries(block.FallThroughSuccessor);
            IndexFinallyEntries(block.ConditionalSuccessor);
        }
    }

    /// <summary>
    /// The finally blocks <paramref name="branch"/> runs on its way out, outermost last. Only a branch
    /// out of the try part of a try/finally runs any; asking another branch makes the graph compute
    /// (and allocate) the regions it leaves for nothing, on every branch of every graph.
    /// </summary>
    private ImmutableArray<ControlFlowRegion> FinallyRegions(ControlFlowBranch branch)
        => _blocksGuardedByFinally.Contains(branch.Source.Ordinal) ? branch.FinallyRegions : ImmutableArray<ControlFlowRegion>.Empty;

    private void IndexFinallyEntries(ControlFlowBranch? branch)
    {
        if (branch is null)
        {
            return;
        }

        var finallyRegions = FinallyRegions(branch);
        for (var i = 0; i < finallyRegions.Length; i++)
        {
            var entry = finallyRegions[i].FirstBlockOrdinal;
            if (!_finallyEntries.TryGetValue(entry, out var list))
            {
                _finallyEntries[entry] = list = new List<(ControlFlowBranch, int)>();
            }

            list.Add((branch, i));
        }
    }

    private void IndexCaptures(IOperation root)
    {
        foreach (var operation in root.DescendantsAndSelf())
        {
            if (operation is IFlowCaptureOperation capture)
            {
                if (!_captureValues.TryGetValue(capture.Id, out var values))
                {
                    _captureValues[capture.Id] = values = new List<IOperation>();
                }

                values.Add(capture.Value);
            }
        }
    }

    /// <summary>Maps the first block of each catch, filter and finally handler to the try region it guards.</summary>
    private void IndexHandlers(ControlFlowRegion region)
    {
        if (region.Kind is ControlFlowRegionKind.TryAndCatch or ControlFlowRegionKind.TryAndFinally && region.NestedRegions.Length > 0)
        {
            var tryRegion = region.NestedRegions[0];
            for (var i = 1; i < region.NestedRegions.Length; i++)
            {
                _handlerEntries[region.NestedRegions[i].FirstBlockOrdinal] = tryRegion;
            }

            for (var ordinal = tryRegion.FirstBlockOrdinal; ordinal <= tryRegion.LastBlockOrdinal; ordinal++)
            {
                _guardedBlocks.Add(ordinal);
                if (region.Kind == ControlFlowRegionKind.TryAndFinally)
                {
                    _blocksGuardedByFinally.Add(ordinal);
                }
            }
        }

        foreach (var nested in region.NestedRegions)
        {
            IndexHandlers(nested);
        }
    }

    private IEnumerable<IOperation> ResolveCapture(CaptureId id)
        => _captureValues.TryGetValue(id, out var values) ? values : System.Array.Empty<IOperation>();

    // ------------------------------------------------------------------ fixed point

    private void Solve()
    {
        Solve(_graph.Blocks.Length * VisitsPerBlock);
        if (GaveUp && FailOnVisitLimit)
        {
            throw new InvalidOperationException("The view analysis of a summary did not reach a fixed point.");
        }
    }

    private void Solve(int limit)
    {
        var blocks = _graph.Blocks;
        var pending = new SortedSet<int> { 0 };
        var visits = 0;
        while (pending.Count > 0)
        {
            if (visits++ >= limit)
            {
                GiveUp();
                return;
            }

            _cancellationToken.ThrowIfCancellationRequested();
            var ordinal = pending.Min;
            pending.Remove(ordinal);
            var input = ComputeInput(blocks[ordinal]);
            if (input is null || (input.SameAs(_in[ordinal]) && _out[ordinal] is not null))
            {
                continue;
            }

            _in[ordinal] = input;
            var (output, anyPoint) = Transfer(blocks[ordinal], input.Clone(), report: false);
            _out[ordinal] = output;
            _anyPoint[ordinal] = anyPoint;
            foreach (var next in Dependents(blocks[ordinal]))
            {
                pending.Add(next);
            }
        }
    }

    /// <summary>
    /// The conservative answer when no fixed point was found: every view the graph ever held may be
    /// stale at the entry of every block.
    /// </summary>
    private void GiveUp()
    {
        GaveUp = true;
        var everything = new FlowState();
        foreach (var state in _in.Concat(_out))
        {
            if (state is not null)
            {
                everything.JoinWith(state);
            }
        }

        everything.MarkAllStale(new GuestCall(_graph.OriginalOperation, "a loop too complex to follow"));
        for (var i = 0; i < _in.Length; i++)
        {
            _in[i] = everything.Clone();
        }

        // What the summaries collect while blocks are evaluated (views returned, parameters read
        // stale) is collected again from these states.
        foreach (var block in _graph.Blocks)
        {
            var (output, anyPoint) = Transfer(block, _in[block.Ordinal]!.Clone(), report: false);
            _out[block.Ordinal] = output;
            _anyPoint[block.Ordinal] = anyPoint;
        }
    }

    private void Report()
    {
        foreach (var block in _graph.Blocks)
        {
            if (_in[block.Ordinal] is { } input)
            {
                Transfer(block, input.Clone(), report: true);
            }
        }
    }

    private FlowState? ComputeInput(BasicBlock block)
    {
        FlowState? state = block.Kind == BasicBlockKind.Entry ? _entryState?.Clone() ?? new FlowState() : null;
        foreach (var branch in block.Predecessors)
        {
            state = FlowState.Join(state, ThroughFinally(_out[branch.Source.Ordinal], branch, FinallyRegions(branch).Length));
        }

        if (_handlerEntries.TryGetValue(block.Ordinal, out var tryRegion))
        {
            // Any point of the try block may throw into its handlers.
            for (var ordinal = tryRegion.FirstBlockOrdinal; ordinal <= tryRegion.LastBlockOrdinal; ordinal++)
            {
                state = FlowState.Join(state, _anyPoint[ordinal]);
            }
        }

        if (_finallyEntries.TryGetValue(block.Ordinal, out var entering))
        {
            foreach (var (branch, index) in entering)
            {
                state = FlowState.Join(state, ThroughFinally(_out[branch.Source.Ordinal], branch, index));
            }
        }

        return state;
    }

    /// <summary>The state after the first <paramref name="count"/> finally blocks a branch runs on its way out.</summary>
    private FlowState? ThroughFinally(FlowState? state, ControlFlowBranch branch, int count)
    {
        for (var i = 0; i < count && state is not null; i++)
        {
            var region = FinallyRegions(branch)[i];
            for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
            {
                // Each block of the finally may or may not run on this path (conditions inside it
                // are not tracked here); keeping both keeps every possibly stale view.
                var before = state!;
                var (after, _) = Transfer(_graph.Blocks[ordinal], before.Clone(), report: false);
                state = FlowState.Join(before, after);
            }
        }

        return state;
    }

    private IEnumerable<int> Dependents(BasicBlock block)
    {
        foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
        {
            if (branch is null)
            {
                continue;
            }

            if (branch.Destination is not null)
            {
                yield return branch.Destination.Ordinal;
            }

            foreach (var region in FinallyRegions(branch))
            {
                yield return region.FirstBlockOrdinal;
            }
        }

        if (_guardedBlocks.Contains(block.Ordinal))
        {
            foreach (var pair in _handlerEntries)
            {
                if (pair.Value.FirstBlockOrdinal <= block.Ordinal && block.Ordinal <= pair.Value.LastBlockOrdinal)
                {
                    yield return pair.Key;
                }
            }
        }
    }

    private (FlowState Output, FlowState? AnyPoint) Transfer(BasicBlock block, FlowState state, bool report)
    {
        var evaluator = new Evaluator(this, state, report);

        // Only a block that may throw into a handler needs the states between its statements.
        var anyPoint = _guardedBlocks.Contains(block.Ordinal) ? state.Clone() : null;
        foreach (var operation in block.Operations)
        {
            evaluator.EvaluateStatement(operation);
            anyPoint?.JoinWith(state);
        }

        if (block.BranchValue is { } branchValue)
        {
            var value = evaluator.Evaluate(branchValue);
            if (block.ConditionalSuccessor is null && block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return)
            {
                evaluator.EscapesByReturn(branchValue, value);
            }

            anyPoint?.JoinWith(state);
        }

        return (state, anyPoint);
    }

    // ------------------------------------------------------------------ shared lookups (cached per operation so values stay canonical)

    private GuestCall? GetGuestCall(IOperation operation)
    {
        if (!_guestCalls.TryGetValue(operation, out var call))
        {
            call = _semantics.TryGetGuestCall(operation, ResolveCapture, _visit, _cancellationToken);
            _guestCalls[operation] = call;
        }

        return call;
    }

    private ViewOrigin? GetOrigin(IOperation operation)
    {
        if (!_origins.TryGetValue(operation, out var origin))
        {
            var description = _semantics.TryGetAcquisition(operation, _visit, _cancellationToken);
            origin = description is null ? null : new ViewOrigin(operation, description);
            _origins[operation] = origin;
        }

        return origin;
    }

    private ViewOrigin? GetOutOrigin(IInvocationOperation invocation, IArgumentOperation argument, int index)
    {
        if (!_outOrigins.TryGetValue((invocation, index), out var origin))
        {
            var description = _semantics.TryGetOutAcquisition(invocation, argument, _visit, _cancellationToken);
            origin = description is null ? null : new ViewOrigin(argument, description);
            _outOrigins[(invocation, index)] = origin;
        }

        return origin;
    }

    /// <summary>An <c>await</c> or <c>yield return</c>: other code may run before the method resumes.</summary>
    private GuestCall GetSuspension(IOperation suspension)
    {
        if (!_guestCalls.TryGetValue(suspension, out var call) || call is null)
        {
            _guestCalls[suspension] = call = GuestCall.Suspension(suspension);
        }

        return call;
    }

    private GuestCall GetCalleeCall(IOperation invocation)
    {
        if (!_calleeCalls.TryGetValue(invocation, out var call))
        {
            _calleeCalls[invocation] = call = new GuestCall(invocation, invocation.DescribeCall());
        }

        return call;
    }

    private void RecordParameterUse(ViewValue staleValue)
    {
        if (_parameterOrigins is not null && _parameterOrigins.TryGetValue(staleValue.Origin, out var ordinal))
        {
            _parametersReadStale = _parametersReadStale.Add(ordinal);
        }
    }

    private void RecordStaleUse(IOperation fallbackLocation, ViewValue value, string? name)
    {
        var use = value.LastReference ?? fallbackLocation;
        var key = (use.Syntax, name ?? NameOf(use));
        if (!_staleUses.ContainsKey(key))
        {
            _staleUses[key] = new StaleViewUse(use, key.Item2, value);
        }
    }

    private void RecordEscape(IOperation location, IOperation escapingValue, ViewValue value, string destination, string? name = null)
    {
        name ??= NameOf(value.LastReference ?? escapingValue);
        var key = (location.Syntax, name);
        if (!_escapes.ContainsKey(key))
        {
            _escapes[key] = new ViewEscape(location, escapingValue, name, value, destination);
        }
    }

    private void RecordHandoff(IOperation location, IOperation handedValue, ViewValue value, ArchiveHandoffKind kind, string consumer, string readsWhen)
    {
        var name = NameOf(value.LastReference ?? handedValue);
        var key = (location.Syntax, name, kind);
        if (!_handoffs.ContainsKey(key))
        {
            _handoffs[key] = new ArchiveHandoff(location, handedValue, name, value, kind, consumer, readsWhen);
        }
    }

    private static string NameOf(IOperation reference) => reference switch
    {
        ILocalReferenceOperation local => local.Local.Name,
        IParameterReferenceOperation parameter => parameter.Parameter.Name,
        IMemberReferenceOperation { Instance: { IsImplicit: false } and not IInstanceReferenceOperation } member => NameOfMemberRead(member),
        IFieldReferenceOperation field => field.Field.Name,
        IPropertyReferenceOperation property => property.Property.Name,
        _ => reference.Syntax is ArgumentSyntax argument ? argument.Expression.ToString() : reference.Syntax.ToString(),
    };
}
