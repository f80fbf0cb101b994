using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Computes the bottom-up kinds of summary (<see cref="SummaryScheduling.BottomUp"/>) for the
/// methods a question reaches, callees before callers: before the first summary of a method is
/// solved, everything it calls (transitively, in this compilation) is summarized first. The
/// on-demand recursion of <see cref="SummarySolver"/> then stays one level deep outside of
/// recursive components, so a chain of thousands of helpers costs its length, not a stack as deep
/// as the chain, and is never cut off. Only what is reached is summarized.
/// </summary>
internal sealed class BottomUpScheduler
{
    private readonly SourceCallGraph _callGraph;
    private readonly SummaryCatalog _catalog;
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _prepared = new(SymbolEqualityComparer.Default);

    public BottomUpScheduler(SourceCallGraph callGraph, SummaryCatalog catalog)
    {
        _callGraph = callGraph;
        _catalog = catalog;
    }

    /// <summary>Summarizes every method reachable from <paramref name="root"/>, callees first (iteratively: no recursion).</summary>
    public void Prepare(IMethodSymbol root, CancellationToken cancellationToken)
    {
        if (_prepared.ContainsKey(root))
        {
            return;
        }

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
                if (!_prepared.ContainsKey(callee) && onPath.Add(callee))
                {
                    stack.Push((callee, _callGraph.GetCallees(callee, cancellationToken), 0));
                }

                continue;
            }

            // Every callee is summarized, or is on the current path (a recursive component, which
            // the solver iterates to its fixed point).
            var solver = new SummarySolver(scheduler: null, cancellationToken);
            foreach (var summary in _catalog.BottomUp)
            {
                summary.Prepare(method, solver);
            }

            _prepared.TryAdd(method, true);
        }
    }
}
