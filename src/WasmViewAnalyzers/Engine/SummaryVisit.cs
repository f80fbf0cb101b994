using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// The chain of summaries being computed on one thread, so that recursion (a method that calls
/// itself, directly or through others) terminates. A result that depended on a summary still in
/// progress is provisional and is not cached, so it is recomputed from a clean start later.
/// </summary>
internal sealed class SummaryVisit
{
    private const int MaxDepth = 24;

    private readonly HashSet<ISymbol> _active = new(SymbolEqualityComparer.Default);

    private bool HitCycle { get; set; }

    /// <summary>
    /// The summary of <paramref name="symbol"/>: from <paramref name="cache"/>, or computed by
    /// <paramref name="compute"/> and cached unless it is provisional. While <paramref name="symbol"/>
    /// is already being summarized further up this chain (or the chain is too deep), the answer is
    /// <paramref name="unknown"/>. A result that found nothing (<paramref name="foundNothing"/>) while
    /// some summary it asked for was cut off that way is provisional: finding something stays true
    /// whatever the cut-off summaries would have said, finding nothing might not.
    /// </summary>
    public TResult Summarize<TState, TResult>(
        ConcurrentDictionary<ISymbol, TResult> cache,
        ISymbol symbol,
        TResult unknown,
        TState state,
        Func<TState, SummaryVisit, TResult> compute,
        Func<TResult, bool> foundNothing)
    {
        if (cache.TryGetValue(symbol, out var cached))
        {
            return cached;
        }

        if (!TryEnter(symbol))
        {
            return unknown;
        }

        var outerHitCycle = HitCycle;
        HitCycle = false;
        TResult result;
        try
        {
            result = compute(state, this);
        }
        finally
        {
            Exit(symbol);
        }

        var provisional = HitCycle && foundNothing(result);
        HitCycle = outerHitCycle || provisional;
        if (!provisional)
        {
            cache.TryAdd(symbol, result);
        }

        return result;
    }

    private bool TryEnter(ISymbol symbol)
    {
        if (_active.Count >= MaxDepth || !_active.Add(symbol))
        {
            HitCycle = true;
            return false;
        }

        return true;
    }

    private void Exit(ISymbol symbol) => _active.Remove(symbol);
}
