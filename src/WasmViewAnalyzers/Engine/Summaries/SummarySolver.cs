using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Solves interprocedural summaries on demand, one thread's chain of questions at a time, as a
/// least fixed point over the strongly connected components of the dependency graph (Tarjan's
/// algorithm, discovered as the questions are asked).
/// </summary>
/// <remarks>
/// <para>A summary that depends on no summary still being computed is final and cached for the whole
/// compilation. Summaries that depend on each other (recursion, directly or through other methods)
/// form a component: its members start from the bottom value (<see cref="Summary{TSymbol, TValue}.Bottom"/>) and are recomputed
/// together until none changes, and only then cached. Every summary domain is monotone (what may
/// happen only grows), so the answer is the same whichever member was asked first and whichever
/// thread asked: the result does not depend on analysis order.</para>
/// <para>Depth costs nothing when callees are summarized first (<see cref="BottomUpScheduler"/>
/// prepares them bottom-up). A chain still deeper than this thread's stack can hold gets the
/// conservative answer (<see cref="Summary{TSymbol, TValue}.Top"/>: "may call the guest", "may return a view"), never
/// "nothing found", and such an answer is not cached.</para>
/// </remarks>
internal sealed class SummarySolver
{
    /// <summary>How many summaries one thread may nest before the answer becomes the conservative one.</summary>
    internal const int MaxDepth = 160;

    private readonly BottomUpScheduler? _scheduler;
    private readonly ImmutableHashSet<ISummary> _preparing;
    private Frames? _frames;
    private int _nextIndex;

    /// <summary>
    /// A chain of questions. With <paramref name="scheduler"/>, the first question of a bottom-up
    /// kind about a method summarizes what it calls first, for that kind; without it, questions are
    /// answered directly.
    /// </summary>
    public SummarySolver(BottomUpScheduler? scheduler, CancellationToken cancellationToken)
        : this(scheduler, ImmutableHashSet<ISummary>.Empty, cancellationToken)
    {
    }

    /// <summary>The solver of one step of a preparation: the kinds in <paramref name="preparing"/> are answered directly.</summary>
    internal SummarySolver(BottomUpScheduler? scheduler, ImmutableHashSet<ISummary> preparing, CancellationToken cancellationToken)
    {
        _scheduler = scheduler;
        _preparing = preparing;
        CancellationToken = cancellationToken;
    }

    public CancellationToken CancellationToken { get; }

    /// <summary>How many summaries this solver answered conservatively because the chain was too deep (for tests).</summary>
    internal int ConservativeAnswers { get; private set; }

    /// <summary>
    /// The <paramref name="summary"/> of <paramref name="symbol"/>: final, or computed (its
    /// computation may ask for other summaries through this solver).
    /// </summary>
    public TValue Solve<TSymbol, TValue>(Summary<TSymbol, TValue> summary, TSymbol symbol)
        where TSymbol : class, ISymbol
    {
        if (summary.TryGetFinal(symbol, out var final))
        {
            return final;
        }

        if (_frames is { } open && open.Open.TryGetValue((summary, symbol), out var openFrame))
        {
            // A cycle: answer with the current approximation; the component is solved to a fixed
            // point when its first member completes.
            var current = open.Active[open.Active.Count - 1];
            current.LowLink = Math.Min(current.LowLink, openFrame.Index);
            if (ReferenceEquals(current, openFrame))
            {
                current.ReadItself = true;
            }

            return ((Frame<TSymbol, TValue>)openFrame).Value;
        }

        if (_scheduler is not null && symbol is IMethodSymbol method && _scheduler.NeedsPreparing(summary, method, _preparing))
        {
            _scheduler.Prepare(method, summary, _preparing, CancellationToken);
            if (summary.TryGetFinal(symbol, out final))
            {
                return final;
            }
        }

        var frames = _frames ??= new Frames();
        if (frames.Active.Count >= MaxDepth || !HasSufficientStack())
        {
            ConservativeAnswers++;
            if (frames.Active.Count > 0)
            {
                frames.Active[frames.Active.Count - 1].DependsOnConservative = true;
            }

            return summary.Top(symbol);
        }

        var frame = new Frame<TSymbol, TValue>(summary, symbol, _nextIndex++);
        frames.Open.Add((summary, symbol), frame);
        frames.Component.Add(frame);
        frame.Recompute(this);

        if (frame.LowLink == frame.Index)
        {
            CompleteComponent(frame);
        }

        return frame.Value;
    }

    private void Run(Frame frame, Action compute)
    {
        var active = _frames!.Active;
        active.Add(frame);
        try
        {
            compute();
        }
        finally
        {
            active.RemoveAt(active.Count - 1);
        }

        if (active.Count > 0)
        {
            var parent = active[active.Count - 1];
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
        var open = _frames!.Open;
        var component = _frames.Component;
        var start = component.IndexOf(head);
        if (component.Count - start > 1 || head.ReadItself)
        {
            var iterations = 0;
            bool changed;
            do
            {
                changed = false;

                // Recomputing may discover new members (a provisional answer led to new questions):
                // they join the component at its end and are iterated with it.
                for (var i = start; i < component.Count; i++)
                {
                    var member = component[i];
                    member.LowLink = head.Index;
                    changed |= member.Recompute(this);
                }

                if (++iterations > 64 * (component.Count - start) + 64)
                {
                    // Cannot happen with monotone summaries; if it does, the conservative answer
                    // keeps every warning, and Debug builds (our tests) stop here.
#if DEBUG
                    throw new InvalidOperationException("Interprocedural summaries did not reach a fixed point around '" + head.Symbol.ToDisplayString() + "'.");
#else
                    for (var i = start; i < component.Count; i++)
                    {
                        component[i].GiveUp();
                    }

                    break;
#endif
                }
            }
            while (changed);
        }

        for (var i = start; i < component.Count; i++)
        {
            var member = component[i];
            open.Remove((member.Summary, member.Symbol));
            member.Publish(final: !member.DependsOnConservative && !head.DependsOnConservative);
        }

        component.RemoveRange(start, component.Count - start);
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

    /// <summary>
    /// The frames of the questions being solved, made at the first question that needs solving: most
    /// solvers are made for one question that is answered from the cache.
    /// </summary>
    private sealed class Frames
    {
        public Dictionary<(object Summary, ISymbol Symbol), Frame> Open { get; } = new(FrameKeyComparer.Instance);

        public List<Frame> Active { get; } = new();

        public List<Frame> Component { get; } = new();
    }

    private abstract class Frame
    {
        protected Frame(object summary, ISymbol symbol, int index)
        {
            Summary = summary;
            Symbol = symbol;
            Index = index;
            LowLink = index;
        }

        public object Summary { get; }

        public ISymbol Symbol { get; }

        public int Index { get; }

        public int LowLink { get; set; }

        public bool DependsOnConservative { get; set; }

        /// <summary>The summary asked for itself while it was computed (direct recursion).</summary>
        public bool ReadItself { get; set; }

        /// <summary>Computes the summary again from the current approximations; whether it changed.</summary>
        public abstract bool Recompute(SummarySolver solver);

        public abstract void GiveUp();

        public abstract void Publish(bool final);
    }

    private sealed class Frame<TSymbol, TValue> : Frame
        where TSymbol : class, ISymbol
    {
        private readonly Summary<TSymbol, TValue> _summary;
        private readonly TSymbol _symbol;

        public Frame(Summary<TSymbol, TValue> summary, TSymbol symbol, int index)
            : base(summary, symbol, index)
        {
            _summary = summary;
            _symbol = symbol;
            Value = summary.Bottom;
        }

        public TValue Value { get; private set; }

        public override bool Recompute(SummarySolver solver)
        {
            var before = Value;
            var result = before;
            solver.Run(this, () => result = _summary.Compute(_symbol, solver));
            Value = result;
            return !_summary.AreEqual(before, result);
        }

        public override void GiveUp() => Value = _summary.Top(_symbol);

        public override void Publish(bool final)
        {
            if (final)
            {
                _summary.SetFinal(_symbol, Value);
            }
        }
    }

    private sealed class FrameKeyComparer : IEqualityComparer<(object Summary, ISymbol Symbol)>
    {
        public static readonly FrameKeyComparer Instance = new();

        public bool Equals((object Summary, ISymbol Symbol) x, (object Summary, ISymbol Symbol) y)
            => ReferenceEquals(x.Summary, y.Summary) && SymbolEqualityComparer.Default.Equals(x.Symbol, y.Symbol);

        public int GetHashCode((object Summary, ISymbol Symbol) obj)
            => (RuntimeHelpers.GetHashCode(obj.Summary) * 397) ^ SymbolEqualityComparer.Default.GetHashCode(obj.Symbol);
    }
}
