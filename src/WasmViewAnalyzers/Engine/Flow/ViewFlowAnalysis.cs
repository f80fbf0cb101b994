using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine.Flow;

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
/// <para>
/// One analysis answers one question, told by its <see cref="ViewFactSink"/>: the rules' facts of a
/// method, or one of the interprocedural summaries (views returned, parameters read stale,
/// parameters kept). The solver's passes report to it only when its answer cannot depend on how far
/// the solver got; otherwise, once the fixed point is reached, the facts of each block's latest
/// transfer go to the sink (the rules' analysis, <see cref="BlockFactRecorder"/>) or each block is
/// evaluated once more (a summary's); a summary whose answer only grows with the states takes its
/// facts while solving instead, as <see cref="ViewFactSink.CollectsWhileSolving"/>.
/// </para>
/// </remarks>
internal sealed partial class ViewFlowAnalysis
{
    private readonly WasmViewSemantics _semantics;
    private readonly ControlFlowGraph _graph;
    private readonly SummarySolver? _visit;
    private SummarySolver? _solver;
    private readonly CancellationToken _cancellationToken;
    private FlowState? _capturedAtEntry;
    private bool _capturedAtEntryComputed;
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
    private readonly Dictionary<IOperation, GuestCall> _calleeCalls = new();
    private Dictionary<object, bool>? _ownedHolders;
    private readonly ViewFactSink _facts;

    /// <summary><see cref="ResolveCapture"/> as the delegate the summaries take: made once, not at every call that passes it.</summary>
    private readonly CaptureResolver _resolveCapture;

    /// <summary>
    /// The solver of this analysis' questions: the summary's own when this analysis computes one,
    /// else one made at the first question and kept for the others. Between two questions a solver
    /// holds nothing (every frame is closed when its question is answered), and the rules' analysis
    /// of a method asks a question at nearly every call it evaluates.
    /// </summary>
    private SummarySolver Solver => _visit ?? (_solver ??= _semantics.NewSolver(_cancellationToken));

    /// <summary>The evaluators' operand lists not in use (<c>Evaluator.RentOperands</c>).</summary>
    private readonly Stack<List<Evaluator.Operand>> _spareOperandLists = new();

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

    /// <summary>Whether the solver gave the sink its facts (its one pass over a forward graph, <see cref="TransfersOnceInOrder"/>, or the blocks' latest transfers), so that no reporting pass is needed.</summary>
    private bool _reportedWhileSolving;

    private ViewFlowAnalysis(
        WasmViewSemantics semantics,
        ControlFlowGraph graph,
        SummarySolver? visit,
        ViewFactSink facts,
        CancellationToken cancellationToken)
    {
        _facts = facts;
        _semantics = semantics;
        _graph = graph;
        _visit = visit;
        _cancellationToken = cancellationToken;
        _resolveCapture = ResolveCapture;
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
        var facts = new MethodFactSink();
        var analysis = new ViewFlowAnalysis(semantics, graph, visit: null, facts, cancellationToken);
        analysis.Solve(visitLimit);
        if (analysis.GaveUp && failOnLimit)
        {
            throw new InvalidOperationException($"The view analysis did not reach a fixed point within {visitLimit} block visits.");
        }

        gaveUp = analysis.GaveUp;
        if (!analysis._reportedWhileSolving)
        {
            analysis.Report();
        }

        return facts.ToFacts();
    }

    /// <summary>Whether <paramref name="method"/> hands back a view it obtained (as its result or through out parameters).</summary>
    public static ViewReturnSummary Summarize(WasmViewSemantics semantics, ControlFlowGraph graph, IMethodSymbol method, SummarySolver visit, CancellationToken cancellationToken)
    {
        var facts = new ViewReturnSink();
        var analysis = new ViewFlowAnalysis(semantics, graph, visit, facts, cancellationToken);
        analysis.SolveAndReport();
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

        return new ViewReturnSummary(facts.ReturnsView, outParameters);
    }

    /// <summary>
    /// Whether <paramref name="method"/>'s own body may return a view one of its parameters was
    /// given (<c>a[..2]</c>, <c>flag ? a : b</c>), rather than one it made or a buffer of its own.
    /// </summary>
    public static bool SummarizeParameterReturns(WasmViewSemantics semantics, ControlFlowGraph graph, IMethodSymbol method, SummarySolver visit, CancellationToken cancellationToken)
    {
        var parameters = ParameterViews.Of(semantics, graph.OriginalOperation, method, includeRuntimeChecked: true);
        if (parameters.IsEmpty)
        {
            return false;
        }

        var facts = new ParameterReturnSink(parameters);
        new ViewFlowAnalysis(semantics, graph, visit, facts, cancellationToken).SolveAndReport();
        return facts.ReturnsParameter;
    }

    /// <summary>
    /// Which parameters of <paramref name="method"/> that can hold a view it reads after a guest
    /// call of its own: a caller passing a view there has it read stale.
    /// </summary>
    public static ImmutableHashSet<int> SummarizeParameterUses(WasmViewSemantics semantics, ControlFlowGraph graph, IMethodSymbol method, SummarySolver visit, CancellationToken cancellationToken)
    {
        var parameters = ParameterViews.Of(semantics, graph.OriginalOperation, method, includeRuntimeChecked: true, includeByReference: true);
        if (parameters.IsEmpty)
        {
            return ImmutableHashSet<int>.Empty;
        }

        var facts = new ParameterUseSink(parameters);
        new ViewFlowAnalysis(semantics, graph, visit, facts, cancellationToken).SolveAndReport();
        return facts.ReadStale;
    }

    /// <summary>
    /// Which of its inputs <paramref name="method"/> reads through (<see cref="InputReadSummaries"/>):
    /// every view parameter, captured variable and field of its object starts out stale, and each
    /// stale use found is a read of that input.
    /// </summary>
    public static InputReads SummarizeInputReads(WasmViewSemantics semantics, ControlFlowGraph graph, IMethodSymbol method, SummarySolver visit, CancellationToken cancellationToken)
    {
        var inputs = StaleInputs.Of(semantics, graph.OriginalOperation, method, cancellationToken);
        if (inputs.IsEmpty)
        {
            return InputReads.Nothing;
        }

        var facts = new InputReadSink(inputs);
        new ViewFlowAnalysis(semantics, graph, visit, facts, cancellationToken).SolveAndReport();
        return facts.Reads;
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

    /// <summary>Where the solver's passes report: the run's sink when it takes facts while solving, else nowhere.</summary>
    private ViewFactSink SolvingFacts => _facts.CollectsWhileSolving ? _facts : ViewFactSink.None;

    /// <summary>Solves for the fixed point of a summary, and reports its facts to the sink.</summary>
    private void SolveAndReport()
    {
        Solve(_graph.Blocks.Length * VisitsPerBlock);
        if (GaveUp && FailOnVisitLimit)
        {
            throw new InvalidOperationException("The view analysis of a summary did not reach a fixed point.");
        }

        // A sink fed while solving has its answer, unless the solver gave up: then every view is
        // stale everywhere, and the facts of those states are the answer.
        if (!_reportedWhileSolving && (!_facts.CollectsWhileSolving || GaveUp))
        {
            Report();
        }
    }

    private void Solve(int limit)
    {
        var blocks = _graph.Blocks;

        // Where every block is transferred once, from its final input, and in the order of the
        // reporting pass, that pass would repeat the solver's work: the sink takes its facts now.
        // Elsewhere the rules' analysis keeps what each block's latest transfer found instead of
        // evaluating every block once more; a summary's, solved inside its callers' questions,
        // still reports from the fixed point.
        var solvingFacts = SolvingFacts;
        BlockFactRecorder? recorder = null;
        if (!_facts.CollectsWhileSolving && limit >= blocks.Length)
        {
            if (TransfersOnceInOrder())
            {
                solvingFacts = _facts;
                _reportedWhileSolving = true;
            }
            else if (_visit is null)
            {
                solvingFacts = recorder = new BlockFactRecorder(_facts, blocks.Length);
            }
        }

        // The pending blocks, lowest ordinal first: a flag per block and the lowest one set, since a
        // graph has few blocks and a sorted set allocates a node for every block it is given.
        var pending = new bool[blocks.Length];
        pending[0] = true;
        var pendingCount = 1;
        var lowest = 0;
        var dependents = new List<int>();
        var visits = 0;
        while (pendingCount > 0)
        {
            if (visits++ >= limit)
            {
                GiveUp();
                return;
            }

            _cancellationToken.ThrowIfCancellationRequested();
            while (!pending[lowest])
            {
                lowest++;
            }

            var ordinal = lowest;
            pending[ordinal] = false;
            pendingCount--;
            var input = ComputeInput(blocks[ordinal]);
            if (input is null || (input.SameAs(_in[ordinal]) && _out[ordinal] is not null))
            {
                continue;
            }

#if DEBUG
            if (_reportedWhileSolving && _out[ordinal] is not null)
            {
                throw new InvalidOperationException("A block of a forward graph was transferred twice.");
            }
#endif

            _in[ordinal] = input;
            recorder?.Transferring(ordinal);
            var (output, anyPoint) = Transfer(blocks[ordinal], input.Clone(), solvingFacts);
            _out[ordinal] = output;
            _anyPoint[ordinal] = anyPoint;
            AddDependents(blocks[ordinal], dependents);
            foreach (var next in dependents)
            {
                if (!pending[next])
                {
                    pending[next] = true;
                    pendingCount++;
                    lowest = Math.Min(lowest, next);
                }
            }
        }

        if (recorder is not null)
        {
            recorder.Replay();
            _reportedWhileSolving = true;
        }
    }

    /// <summary>
    /// Whether every block's input reads only blocks of lower ordinal (no loop, no branch back, no
    /// handler or finally before the code it guards). The solver takes the lowest pending block
    /// first, so then each reachable block is transferred exactly once, after everything its input
    /// reads, in ascending order: the same transfers, from the same states, as the reporting pass.
    /// </summary>
    private bool TransfersOnceInOrder()
    {
        var dependents = new List<int>();
        foreach (var block in _graph.Blocks)
        {
            AddDependents(block, dependents);
            foreach (var next in dependents)
            {
                if (next <= block.Ordinal)
                {
                    return false;
                }
            }
        }

        return true;
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
    }

    /// <summary>Evaluates each block once more from its state at the fixed point, reporting to the run's sink.</summary>
    private void Report()
    {
        foreach (var block in _graph.Blocks)
        {
            if (_in[block.Ordinal] is { } input)
            {
                Transfer(block, input.Clone(), _facts);
            }
        }
    }

    /// <summary>
    /// What a local function or lambda starts with: the views of the enclosing method it captures.
    /// Where every value the method assigns a captured variable is a view it obtains (<c>var xhtml =
    /// OpenXhtml(...)</c>, <c>var p = memory.GetPointer() + address</c>), the function starts with that
    /// view, fresh. Whether it was already stale where the function was created or handed over is
    /// reported there (a use of a stale view, WVA001; a capture that escapes, WVA002); what is checked
    /// here is what the function does with it: a guest call of its own before a use, a write into a
    /// compressor. A variable also assigned anything else starts unknown, as before.
    /// </summary>
    private FlowState? CapturedViewsAtEntry()
    {
        if (_capturedAtEntryComputed)
        {
            return _capturedAtEntry;
        }

        _capturedAtEntryComputed = true;
        var function = _graph.OriginalOperation switch
        {
            ILocalFunctionOperation localFunction => localFunction.Symbol,
            IAnonymousFunctionOperation lambda => lambda.Symbol,
            _ => null,
        };

        if (_graph.Parent is null || function is null)
        {
            return null;
        }

        foreach (var symbol in _semantics.Captures.GetCapturedReads(function, _cancellationToken))
        {
            if (symbol is not ILocalSymbol { IsRef: false } local || !_semantics.Types.CanHoldView(local.Type))
            {
                continue;
            }

            ViewValue? seeded = null;
            foreach (var value in AssignedValues(local))
            {
                if (ObtainedView(value) is not { } origin)
                {
                    seeded = null;
                    break;
                }

                seeded = ViewValue.Join(seeded, ViewValue.Fresh(origin));
            }

            if (seeded is not null)
            {
                (_capturedAtEntry ??= new FlowState()).Set(local, seeded);
            }
        }

        return _capturedAtEntry;
    }

    /// <summary>
    /// The view <paramref name="value"/> obtains itself: directly, by pointer arithmetic on one, or as
    /// an <c>UnmanagedMemoryStream</c> over one.
    /// </summary>
    private ViewOrigin? ObtainedView(IOperation value)
    {
        switch (value.WalkDownConversions())
        {
            case IBinaryOperation { Type: IPointerTypeSymbol } arithmetic:
                return ObtainedView(arithmetic.LeftOperand) ?? ObtainedView(arithmetic.RightOperand);

            case IObjectCreationOperation creation when _semantics.Symbols.IsUnmanagedMemoryStream(creation.Type) && creation.Arguments.Length > 0:
                return ObtainedView(creation.Arguments[0].Value);

            case var operation:
                return GetOrigin(operation);
        }
    }

    private FlowState? ComputeInput(BasicBlock block)
    {
        FlowState? state = block.Kind == BasicBlockKind.Entry ? _facts.EntryState?.Clone() ?? CapturedViewsAtEntry()?.Clone() ?? new FlowState() : null;
        foreach (var branch in block.Predecessors)
        {
            state = FlowState.Join(state, ThroughFinally(CheckedByRuntime(_out[branch.Source.Ordinal], branch), branch, FinallyRegions(branch).Length));
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

    /// <summary>
    /// The state on the branch where a guarded view's own check said it is fresh
    /// (<c>view.IsStale ? ... : Read(view.Span)</c>, <c>if (!view.IsStale) ...</c>): the companion
    /// library answers for it there, as it does after <c>view.ThrowIfStale()</c>.
    /// </summary>
    private static FlowState? CheckedByRuntime(FlowState? state, ControlFlowBranch branch)
    {
        var source = branch.Source;
        if (state is null || source.BranchValue is not { } condition || source.ConditionalSuccessor is null)
        {
            return state;
        }

        var negated = false;
        while (condition.WalkDownConversions() is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            condition = not.Operand;
        }

        if (condition.WalkDownConversions() is not IPropertyReferenceOperation { Property.Name: "IsStale", Instance: { } instance } check
            || !Knowledge.ViewTypeClassifier.IsRuntimeChecked(check.Property.ContainingType)
            || RuntimeCheckedEntity(instance) is not { } entity
            || state.Get(entity) is not { IsStale: true } value)
        {
            return state;
        }

        // The conditional successor is taken when the condition is ConditionKind's value.
        var conditionValue = ReferenceEquals(branch, source.ConditionalSuccessor) == (source.ConditionKind == ControlFlowConditionKind.WhenTrue);
        if (conditionValue != negated)
        {
            return state;
        }

        var refined = state.Clone();
        refined.Set(entity, ViewValue.Fresh(value.Origin).AsAddress(value.IsAddress));
        return refined;
    }

    /// <summary>The variable a runtime-checked view's own check is made on.</summary>
    internal static object? RuntimeCheckedEntity(IOperation instance) => instance.WalkDownConversions() switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

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
                var (after, _) = Transfer(_graph.Blocks[ordinal], before.Clone(), SolvingFacts);
                state = FlowState.Join(before, after);
            }
        }

        return state;
    }

    /// <summary>Fills <paramref name="dependents"/> with the blocks whose input reads <paramref name="block"/>'s output or states.</summary>
    private void AddDependents(BasicBlock block, List<int> dependents)
    {
        dependents.Clear();
        AddDestinations(block.FallThroughSuccessor, dependents);
        AddDestinations(block.ConditionalSuccessor, dependents);
        if (_guardedBlocks.Contains(block.Ordinal))
        {
            foreach (var pair in _handlerEntries)
            {
                if (pair.Value.FirstBlockOrdinal <= block.Ordinal && block.Ordinal <= pair.Value.LastBlockOrdinal)
                {
                    dependents.Add(pair.Key);
                }
            }
        }
    }

    private void AddDestinations(ControlFlowBranch? branch, List<int> dependents)
    {
        if (branch is null)
        {
            return;
        }

        if (branch.Destination is not null)
        {
            dependents.Add(branch.Destination.Ordinal);
        }

        foreach (var region in FinallyRegions(branch))
        {
            dependents.Add(region.FirstBlockOrdinal);
        }
    }

    private (FlowState Output, FlowState? AnyPoint) Transfer(BasicBlock block, FlowState state, ViewFactSink facts)
    {
        var evaluator = new Evaluator(this, state, facts);

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
            call = _semantics.GuestCalls.TryGetGuestCall(operation, _resolveCapture, Solver, _cancellationToken, RootOperation().SemanticModel) ?? UnknownDelegateCall(operation);
            _guestCalls[operation] = call;
        }

        return call;
    }

    /// <summary>
    /// The local a flow capture stands for when the graph captured a local (a receiver or target
    /// evaluated before operands with side effects, <c>list.Add(new Sample { ... })</c>): stores into
    /// the capture go to that local. Any other entity is itself.
    /// </summary>
    private object ThroughCapture(object entity)
    {
        if (entity is not CaptureId capture)
        {
            return entity;
        }

        ILocalSymbol? local = null;
        foreach (var value in ResolveCapture(capture))
        {
            if (value.WalkDownConversions() is not ILocalReferenceOperation { Local: { IsRef: false } captured }
                || (local is not null && !SymbolEqualityComparer.Default.Equals(local, captured)))
            {
                return entity;
            }

            local = captured;
        }

        return (object?)local ?? entity;
    }

    /// <summary>See <c>Evaluator.IsOwned</c>; cached per local or capture of the graph.</summary>
    private bool IsOwned(object holder)
    {
        _ownedHolders ??= new Dictionary<object, bool>();
        if (!_ownedHolders.TryGetValue(holder, out var owned))
        {
            _ownedHolders[holder] = owned = ComputeIsOwned(holder);
        }

        return owned;
    }

    private bool ComputeIsOwned(object holder)
    {
        switch (holder)
        {
            case CaptureId capture:
                foreach (var value in ResolveCapture(capture))
                {
                    if (!IsCreatedHere(value))
                    {
                        return false;
                    }
                }

                return true;

            case ILocalSymbol local:
                if (local.Type.IsValueType && !local.IsRef)
                {
                    return true;
                }

                if (_graph.OriginalOperation is IAnonymousFunctionOperation lambda && !SymbolEqualityComparer.Default.Equals(local.ContainingSymbol, lambda.Symbol))
                {
                    return false;
                }

                var assigned = false;
                foreach (var value in AssignedValues(local))
                {
                    if (!IsCreatedHere(value))
                    {
                        return false;
                    }

                    assigned = true;
                }

                return assigned;

            default:
                return false;
        }
    }

    /// <summary>A new object (or none): <c>new</c>, <c>with</c>, an array or collection expression, <c>null</c>.</summary>
    private static bool IsCreatedHere(IOperation value)
    {
        switch (value.WalkDownConversions())
        {
            case IObjectCreationOperation or IAnonymousObjectCreationOperation or ITypeParameterObjectCreationOperation or IDynamicObjectCreationOperation:
            case IArrayCreationOperation or IWithOperation or ILiteralOperation or IDefaultValueOperation:
                return true;
            case IInvocationOperation { TargetMethod: { IsImplicitlyDeclared: true, Name: "<Clone>$" } }:
                // The graph's `with`: a copy of the record.
                return true;
            case IConditionalOperation conditional:
                return IsCreatedHere(conditional.WhenTrue) && (conditional.WhenFalse is null || IsCreatedHere(conditional.WhenFalse));
            case ICoalesceOperation coalesce:
                return IsCreatedHere(coalesce.Value) && IsCreatedHere(coalesce.WhenNull);
            case var other:
                return other.Kind == OperationRoles.CollectionExpression;
        }
    }

    /// <summary>The iterator of the compilation whose body <paramref name="operation"/> runs by enumerating its sequence (<see cref="Iterators"/>).</summary>
    private IMethodSymbol? EnumeratedIterator(IOperation operation)
        => _semantics.Iterators.EnumeratedBy(operation, _resolveCapture, Solver);

    /// <summary>
    /// With <c>wasm_view_analyzers.unknown_delegates = guest_call</c>: invoking a delegate the method
    /// was handed (a parameter) or an event it raises, for hosts whose callbacks re-enter the guest.
    /// </summary>
    private GuestCall? UnknownDelegateCall(IOperation operation)
        => _semantics.Options.UnknownDelegatesAreGuestCalls
           && operation is IInvocationOperation { TargetMethod.MethodKind: MethodKind.DelegateInvoke, Instance: { } instance } invocation
           && IsOfUnknownOrigin(instance, depth: 0)
            ? new GuestCall(invocation)
            : null;

    private bool IsOfUnknownOrigin(IOperation @delegate, int depth)
    {
        switch (@delegate.WalkDownConversions())
        {
            case IParameterReferenceOperation:
            case IEventReferenceOperation:
                return true;
            case IFlowCaptureReferenceOperation capture when depth < 4:
                foreach (var value in ResolveCapture(capture.Id))
                {
                    if (IsOfUnknownOrigin(value, depth + 1))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private ViewOrigin? GetOrigin(IOperation operation)
    {
        if (!_origins.TryGetValue(operation, out var origin))
        {
            var description = _semantics.ViewSources.TryGetAcquisition(operation, Solver, _cancellationToken);
            origin = description is null ? null : new ViewOrigin(operation, description);
            _origins[operation] = origin;
        }

        return origin;
    }

    private ViewOrigin? GetOutOrigin(IInvocationOperation invocation, IArgumentOperation argument, int index)
    {
        if (!_outOrigins.TryGetValue((invocation, index), out var origin))
        {
            var description = _semantics.ViewSources.TryGetOutAcquisition(invocation, argument, Solver, _cancellationToken);
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
            _calleeCalls[invocation] = call = new GuestCall(invocation);
        }

        return call;
    }

    /// <summary>How a message names the view read or handed on through <paramref name="reference"/>.</summary>
    internal static string NameOf(IOperation reference) => reference switch
    {
        ILocalReferenceOperation local => local.Local.Name,
        IParameterReferenceOperation parameter => parameter.Parameter.Name,
        IMemberReferenceOperation { Instance: { IsImplicit: false } and not IInstanceReferenceOperation } member => NameOfMemberRead(member),
        IFieldReferenceOperation field => field.Field.Name,
        IPropertyReferenceOperation property => property.Property.Name,
        _ => reference.Syntax is ArgumentSyntax argument ? argument.Expression.ToString() : reference.Syntax.ToString(),
    };
}
