using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// One kind of interprocedural summary: its domain (<see cref="Bottom"/>, <see cref="Top"/>,
/// <see cref="AreEqual"/>), how one symbol's summary is computed from the others
/// (<see cref="Compute"/>), and the final answers of the compilation. The
/// <see cref="SummarySolver"/> solves any kind alike; a kind declared with
/// <see cref="SummaryScheduling.BottomUp"/> is also computed by the <see cref="BottomUpScheduler"/>
/// for every method a caller reaches, callees first. Adding a kind is one class.
/// </summary>
/// <remarks>
/// Every domain is monotone: what may happen only grows from <see cref="Bottom"/> (where a member
/// of a recursive component starts) to <see cref="Top"/> (the conservative answer for a chain too
/// deep to follow), so the solution does not depend on the order of the questions.
/// </remarks>
internal abstract class Summary<TSymbol, TValue> : ISummary
    where TSymbol : class, ISymbol
{
    private readonly ConcurrentDictionary<ISymbol, TValue> _final = new(SymbolEqualityComparer.Default);

    protected Summary(SummaryCatalog catalog, SummaryScheduling scheduling)
    {
        catalog.Add(this, scheduling);
    }

    /// <summary>The least value: nothing found yet.</summary>
    public abstract TValue Bottom { get; }

    /// <summary>Whether two approximations are the same, so that a component knows its fixed point is reached.</summary>
    public virtual bool AreEqual(TValue left, TValue right) => EqualityComparer<TValue>.Default.Equals(left, right);

    /// <summary>The summary of <paramref name="symbol"/>, solved on demand through <paramref name="solver"/>.</summary>
    public TValue Get(TSymbol symbol, SummarySolver solver)
        => TryAnswerWithoutSolving(ref symbol, out var answer) ? answer : solver.Solve(this, symbol);

    void ISummary.Prepare(IMethodSymbol method, SummarySolver solver)
    {
        if (method is TSymbol symbol)
        {
            Get(symbol, solver);
        }
    }

    /// <summary>The greatest value for <paramref name="symbol"/>: whatever its declaration allows.</summary>
    public abstract TValue Top(TSymbol symbol);

    /// <summary>Computes the summary from the current approximations of the summaries it asks <paramref name="solver"/> for.</summary>
    public abstract TValue Compute(TSymbol symbol, SummarySolver solver);

    /// <summary>
    /// Answers the symbols that need no solving (declared outside the compilation, of a shape that
    /// cannot have the property); may replace <paramref name="symbol"/> by the one its summary is kept under.
    /// </summary>
    protected virtual bool TryAnswerWithoutSolving(ref TSymbol symbol, out TValue answer)
    {
        answer = default!;
        return false;
    }

    internal bool TryGetFinal(ISymbol symbol, out TValue value) => _final.TryGetValue(symbol, out value!);

    internal void SetFinal(ISymbol symbol, TValue value) => _final.TryAdd(symbol, value);
}

/// <summary>When a kind of summary is computed.</summary>
internal enum SummaryScheduling
{
    /// <summary>Only when asked.</summary>
    OnDemand,

    /// <summary>Also for every method reachable from the first one asked about, callees before callers, when the kind is first asked about it (<see cref="BottomUpScheduler"/>).</summary>
    BottomUp,
}

/// <summary>A kind of summary, as the scheduler sees it.</summary>
internal interface ISummary
{
    /// <summary>Computes the summary of <paramref name="method"/>, whose callees are summarized.</summary>
    void Prepare(IMethodSymbol method, SummarySolver solver);
}

/// <summary>The kinds of summary of one compilation, and which of them are computed bottom-up.</summary>
internal sealed class SummaryCatalog
{
    private readonly HashSet<ISummary> _bottomUp = new();

    /// <summary>Whether <paramref name="summary"/> is computed bottom-up for every method a question of its kind reaches.</summary>
    public bool IsBottomUp(ISummary summary) => _bottomUp.Contains(summary);

    public void Add(ISummary summary, SummaryScheduling scheduling)
    {
        if (scheduling == SummaryScheduling.BottomUp)
        {
            _bottomUp.Add(summary);
        }
    }
}

/// <summary>Answers a symbol without solving (see <see cref="Summary{TSymbol, TValue}"/>); may replace it by the symbol its summary is kept under.</summary>
internal delegate bool AnswerWithoutSolving<TSymbol, TValue>(ref TSymbol symbol, out TValue answer);

/// <summary>
/// A "may" property of a symbol (may call the guest, may hold a guest delegate): false until
/// something is found, true when a chain is too deep to follow.
/// </summary>
internal sealed class MaySummary<TSymbol> : Summary<TSymbol, bool>
    where TSymbol : class, ISymbol
{
    private readonly System.Func<TSymbol, SummarySolver, bool> _compute;
    private readonly AnswerWithoutSolving<TSymbol, bool>? _answerWithoutSolving;

    public MaySummary(
        SummaryCatalog catalog,
        SummaryScheduling scheduling,
        System.Func<TSymbol, SummarySolver, bool> compute,
        AnswerWithoutSolving<TSymbol, bool>? answerWithoutSolving = null)
        : base(catalog, scheduling)
    {
        _compute = compute;
        _answerWithoutSolving = answerWithoutSolving;
    }

    public override bool Bottom => false;

    public override bool Top(TSymbol symbol) => true;

    public override bool Compute(TSymbol symbol, SummarySolver solver) => _compute(symbol, solver);

    protected override bool TryAnswerWithoutSolving(ref TSymbol symbol, out bool answer)
    {
        if (_answerWithoutSolving is { } answerWithoutSolving)
        {
            return answerWithoutSolving(ref symbol, out answer);
        }

        answer = false;
        return false;
    }
}
