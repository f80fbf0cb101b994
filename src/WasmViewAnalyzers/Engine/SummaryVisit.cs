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
    public const int MaxDepth = 24;

    private readonly HashSet<ISymbol> _active = new(SymbolEqualityComparer.Default);

    public bool HitCycle { get; set; }

    public int Depth => _active.Count;

    public bool TryEnter(ISymbol symbol)
    {
        if (_active.Count >= MaxDepth || !_active.Add(symbol))
        {
            HitCycle = true;
            return false;
        }

        return true;
    }

    public void Exit(ISymbol symbol) => _active.Remove(symbol);
}
