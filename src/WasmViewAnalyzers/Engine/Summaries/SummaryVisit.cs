using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Solves interprocedural summaries on demand, one thread's chain of questions at a time, as a
/// least fixed point over the strongly connected components of the dependency graph (Tarjan's
/// algorithm, discovered as the questions are asked).
/// </summary>
/// <remarks>
/// <para>A summary that depends on no summary still being computed is final and cached for the whole
/// compilation. Summaries that depend on each other (recursion, directly or through other methods)
/// form a component: its members start from the bottom value (<c>unknown</c>) and are recomputed
/// together until none changes, and only then cached. Every summary domain is monotone (what may
/// happen only grows), so the answer is the same whichever member was asked first and whichever
/// thread asked: the result does not depend on analysis order.</para>
/// <para>Depth costs nothing when callees are summarized first (<see cref="CallGraphSummaries"/>
/// prepares them bottom-up). A chain still deeper than this thread's stack can hold gets the
/// conservative answer (<c>conservative</c>: "may call the guest", "may return a view"), never
/// "nothing found", and such an answer is not cached.</para>
/// </remarks>
internal sealed class SummaryVisit
{
    /// <summary>How many summaries one thread may nest before the answer becomes the conservative one.</summary>
    internal const int MaxDepth = 160;

    private readonly CallGraphSummaries? _callGraph;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<(object Cache, ISymbol Symbol), Frame> _open = new(FrameKeyComparer.Instance);
    private readonly List<Frame> _active = new();
    private readonly List<Frame> _component = new();
    private int _nextIndex;

    /// <summary>
    /// A chain of questions. With <paramref name="callGraph"/>, the first question about a method
    /// summarizes what it calls first (bottom-up); without it (while that preparation runs), questions
    /// are answered directly.
    /// </summary>
    public SummaryVisit(CallGraphSummaries? callGraph, CancellationToken cancellationToken)
    {
        _callGraph = callGraph;
        _cancellationToken = cancellationToken;
    }

    /// <summary>How many summaries this visit answered conservatively because the chain was too deep (for tests).</summary>
    internal int ConservativeAnswers { get; private set; }

    /// <summary>
    /// The summary of <paramref name="symbol"/> in <paramref name="cache"/>: cached, or computed by
    /// <paramref name="compute"/> (which may ask for other summaries through this visit).
    /// </summary>
    /// <param name="unknown">The bottom of the domain: where a member of a cycle starts.</param>
    /// <param name="conservative">The answer when the chain is too deep to follow: the top of the domain (computed only then).</param>
    public TResult Summarize<TState, TResult>(
        ConcurrentDictionary<ISymbol, TResult> cache,
        ISymbol symbol,
        TResult unknown,
        Func<TState, TResult> conservative,
        TState state,
        Func<TState, SummaryVisit, TResult> compute)
    {
        if (cache.TryGetValue(symbol, out var cached))
        {
            return cached;
        }

        if (_active.Count == 0 && _callGraph is not null && symbol is IMethodSymbol method)
        {
            _callGraph.Prepare(method, _cancellationToken);
            if (cache.TryGetValue(symbol, out cached))
            {
                return cached;
            }
        }

        if (_open.TryGetValue((cache, symbol), out var open))
        {
            // A cycle: answer with the current approximation; the component is solved to a fixed
            // point when its first member completes.
            var current = _active[_active.Count - 1];
            current.LowLink = Math.Min(current.LowLink, open.Index);
            if (ReferenceEquals(current, open))
            {
                current.ReadItself = true;
            }

            return ((Frame<TState, TResult>)open).Value;
        }

        if (_active.Count >= MaxDepth || !HasSufficientStack())
        {
            ConservativeAnswers++;
            if (_active.Count > 0)
            {
                _active[_active.Count - 1].DependsOnConservative = true;
            }

            return conservative(state);
        }

        var frame = new Frame<TState, TResult>(cache, symbol, state, compute, unknown, conservative, _nextIndex++);
        _open.Add((cache, symbol), frame);
        _component.Add(frame);
        frame.Recompute(this);

        if (frame.LowLink == frame.Index)
        {
            CompleteComponent(frame);
        }

        return frame.Value;
    }

    private void Run(Frame frame, Action compute)
    {
        _active.Add(frame);
        try
        {
            compute();
        }
        finally
        {
            _active.RemoveAt(_active.Count - 1);
        }

        if (_active.Count > 0)
        {
            var parent = _active[_active.Count - 1];
            parent.LowLink = Math.Min(parent.LowLink, frame.LowLink);
            parent.DependsOnConservative |= frame.DependsOnConservative;
        }
    }

    /// <summary>
    /// <paramref name="head"/> is the first member of its component: recompute the members until
    /// none changes (monotone domains over finite sets, so this ends), then cache them all.
    /// </summary>
    private void CompleteComponent(Frame head)
    {
        var start = _component.IndexOf(head);
        if (_component.Count - start > 1 || head.ReadItself)
        {
            var iterations = 0;
            bool changed;
            do
            {
                changed = false;

                // Recomputing may discover new members (a provisional answer led to new questions):
                // they join the component at its end and are iterated with it.
                for (var i = start; i < _component.Count; i++)
                {
                    var member = _component[i];
                    member.LowLink = head.Index;
                    changed |= member.Recompute(this);
                }

                if (++iterations > 64 * (_component.Count - start) + 64)
                {
                    // Cannot happen with monotone summaries; if it does, the conservative answer
                    // keeps every warning, and Debug builds (our tests) stop here.
#if DEBUG
                    throw new InvalidOperationException("Interprocedural summaries did not reach a fixed point around '" + head.Symbol.ToDisplayString() + "'.");
#else
                    for (var i = start; i < _component.Count; i++)
                    {
                        _component[i].GiveUp();
                    }

                    break;
#endif
                }
            }
            while (changed);
        }

        for (var i = start; i < _component.Count; i++)
        {
            var member = _component[i];
            _open.Remove((member.Cache, member.Symbol));
            member.Publish(cacheIt: !member.DependsOnConservative && !head.DependsOnConservative);
        }

        _component.RemoveRange(start, _component.Count - start);
    }

    private static bool HasSufficientStack()
    {
        try
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            return true;
        }
        catch (InsufficientExecutionStackException)
        {
            return false;
        }
    }

    private abstract class Frame
    {
        protected Frame(object cache, ISymbol symbol, int index)
        {
            Cache = cache;
            Symbol = symbol;
            Index = index;
            LowLink = index;
        }

        public object Cache { get; }

        public ISymbol Symbol { get; }

        public int Index { get; }

        public int LowLink { get; set; }

        public bool DependsOnConservative { get; set; }

        /// <summary>The summary asked for itself while it was computed (direct recursion).</summary>
        public bool ReadItself { get; set; }

        /// <summary>Computes the summary again from the current approximations; whether it changed.</summary>
        public abstract bool Recompute(SummaryVisit visit);

        public abstract void GiveUp();

        public abstract void Publish(bool cacheIt);
    }

    private sealed class Frame<TState, TResult> : Frame
    {
        private readonly ConcurrentDictionary<ISymbol, TResult> _cache;
        private readonly TState _state;
        private readonly Func<TState, SummaryVisit, TResult> _compute;
        private readonly Func<TState, TResult> _conservative;

        public Frame(
            ConcurrentDictionary<ISymbol, TResult> cache,
            ISymbol symbol,
            TState state,
            Func<TState, SummaryVisit, TResult> compute,
            TResult unknown,
            Func<TState, TResult> conservative,
            int index)
            : base(cache, symbol, index)
        {
            _cache = cache;
            _state = state;
            _compute = compute;
            Value = unknown;
            _conservative = conservative;
        }

        public TResult Value { get; private set; }

        public override bool Recompute(SummaryVisit visit)
        {
            var before = Value;
            var result = before;
            visit.Run(this, () => result = _compute(_state, visit));
            Value = result;
            return !SummaryEquality.Equal(before, result);
        }

        public override void GiveUp() => Value = _conservative(_state);

        public override void Publish(bool cacheIt)
        {
            if (cacheIt)
            {
                _cache.TryAdd(Symbol, Value);
            }
        }
    }

    private sealed class FrameKeyComparer : IEqualityComparer<(object Cache, ISymbol Symbol)>
    {
        public static readonly FrameKeyComparer Instance = new();

        public bool Equals((object Cache, ISymbol Symbol) x, (object Cache, ISymbol Symbol) y)
            => ReferenceEquals(x.Cache, y.Cache) && SymbolEqualityComparer.Default.Equals(x.Symbol, y.Symbol);

        public int GetHashCode((object Cache, ISymbol Symbol) obj)
            => (RuntimeHelpers.GetHashCode(obj.Cache) * 397) ^ SymbolEqualityComparer.Default.GetHashCode(obj.Symbol);
    }
}

/// <summary>Equality of summary values, so that a component knows when its fixed point is reached.</summary>
internal static class SummaryEquality
{
    public static bool Equal<T>(T left, T right) => (left, right) switch
    {
        (ImmutableHashSet<int> leftSet, ImmutableHashSet<int> rightSet) => leftSet.SetEquals(rightSet),

        // Keyed summaries (parameter ordinal to what happens to it) grow by their keys; the value
        // only describes the first way found.
        (ImmutableDictionary<int, ParameterEscape> leftMap, ImmutableDictionary<int, ParameterEscape> rightMap)
            => leftMap.Count == rightMap.Count && leftMap.Keys.All(rightMap.ContainsKey),
        _ => EqualityComparer<T>.Default.Equals(left, right),
    };
}
