using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Computes a bottom-up kind of summary (<see cref="SummaryScheduling.BottomUp"/>) for the methods
/// a question of that kind reaches, callees before callers: before the first summary of that kind
/// is solved for a method, everything it calls (transitively, in this compilation) is summarized
/// first, for that kind. The on-demand recursion of <see cref="SummarySolver"/> then stays one
/// level deep outside of recursive components, so a chain of thousands of helpers costs its
/// length, not a stack as deep as the chain, and is never cut off. Only what is reached is
/// summarized, and only for the kinds asked: a method that is only asked whether it calls the
/// guest (no view is passed to it) is not summarized for the views it keeps or reads.
/// </summary>
/// <remarks>
/// A kind's computation may ask another kind about a callee (which parameters a method reads after a
/// guest call asks whether its callees call the guest): the solver of a preparation prepares that
/// kind in turn, from that callee, unless the kind is already being prepared further up this
/// thread's chain of preparations (then it is answered directly, as every kind was when all were
/// prepared together). So preparations nest at most as deep as there are kinds.
/// </remarks>
internal sealed class BottomUpScheduler
{
    private readonly SourceCallGraph _callGraph;
    private readonly SummaryCatalog _catalog;
    private readonly ConcurrentDictionary<ISummary, ConcurrentDictionary<IMethodSymbol, bool>> _prepared = new();

    public BottomUpScheduler(SourceCallGraph callGraph, SummaryCatalog catalog)
    {
        _callGraph = callGraph;
        _catalog = catalog;
    }

    /// <summary>
    /// Whether a question of <paramref name="kind"/> about <paramref name="method"/> should first
    /// summarize what the method reaches: a bottom-up kind, not yet prepared for the method, and not
    /// one this thread is preparing already (<paramref name="preparing"/>).
    /// </summary>
    public bool NeedsPreparing(ISummary kind, IMethodSymbol method, ImmutableHashSet<ISummary> preparing)
        => _catalog.IsBottomUp(kind)
           && !preparing.Contains(kind)
           && !(_prepared.TryGetValue(kind, out var prepared) && prepared.ContainsKey(method));

    /// <summary>
    /// Summarizes <paramref name="kind"/> for every method reachable from <paramref name="root"/>,
    /// callees first (iteratively: no recursion); <paramref name="preparing"/> are the kinds this
    /// thread is already preparing further up.
    /// </summary>
    public void Prepare(IMethodSymbol root, ISummary kind, ImmutableHashSet<ISummary> preparing, CancellationToken cancellationToken)
    {
        var prepared = _prepared.GetOrAdd(kind, static _ => new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default));
        if (prepared.ContainsKey(root))
        {
            return;
        }

        preparing = preparing.Add(kind);

        var onPath = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { root };
        var stack = new Stack<(IMethodSymbol Method, ImmutableArray<IMethodSymbol> Callees, int Next)>();
        stack.Push((root, _callGraph.GetCallees(root, cancellationToken), 0));
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (method, callees, next) = stack.Pop();
            if (next < callees.Length)
            {
                stack.Push((method, callees, next + 1));
                var callee = callees[next];
                if (!prepared.ContainsKey(callee) && onPath.Add(callee))
                {
                    stack.Push((callee, _callGraph.GetCallees(callee, cancellationToken), 0));
                }

                continue;
            }

            // Every callee is summarized, or is on the current path (a recursive component, which
            // the solver iterates to its fixed point).
            kind.Prepare(method, new SummarySolver(this, preparing, cancellationToken));
            prepared.TryAdd(method, true);
        }
    }
}
