using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>
/// What one run of <see cref="ViewFlowAnalysis"/> is for: the evaluator reports every fact it finds
/// at the fixed point here, and the sink keeps the ones its question needs (the rules' facts, or
/// one of the interprocedural summaries). The passes that look for the fixed point report to
/// <see cref="None"/>, unless the sink can take facts from them (<see cref="CollectsWhileSolving"/>).
/// </summary>
internal abstract class ViewFactSink
{
    /// <summary>Keeps nothing: the solver's passes, whose intermediate states are no answer yet.</summary>
    public static readonly ViewFactSink None = new Nothing();

    /// <summary>
    /// Whether the sink's answer is the same from every pass of the solver as from the fixed point:
    /// a yes/no per parameter or per method that only grows as states grow. Such a sink is fed while
    /// solving and needs no pass of its own; facts whose wording depends on the final states (the
    /// rules' messages name the first invalidating call) are taken at the fixed point only.
    /// </summary>
    public virtual bool CollectsWhileSolving => false;

    /// <summary>The state at the graph's entry: nothing is a view yet, unless the question starts from views.</summary>
    public virtual FlowState? EntryState => null;

    /// <summary>Whether escapes (WVA002 and the escaping-parameter summary) are wanted: finding them costs lookups.</summary>
    public virtual bool WantsEscapes => false;

    /// <summary>Whether hand-offs to archive and compression writers (WVA003, WVA004) are wanted.</summary>
    public virtual bool WantsHandoffs => false;

    /// <summary>A possibly stale view is read through <paramref name="use"/>.</summary>
    public virtual void StaleUse(IOperation use, ViewValue value, string? name)
    {
    }

    /// <summary>A view leaves the method through <c>return</c> (or a returned ref, or <c>yield return</c>).</summary>
    public virtual void ViewReturned(ViewValue value)
    {
    }

    /// <param name="intoReceiver">Only into the object the method runs on (see <see cref="ParameterEscape.IntoReceiver"/>).</param>
    public virtual void Escape(ViewEscape escape, bool intoReceiver)
    {
    }

    public virtual void Handoff(ArchiveHandoff handoff)
    {
    }

    private sealed class Nothing : ViewFactSink
    {
    }
}

/// <summary>The facts the rules report (<see cref="MethodViewFacts"/>), each once per location and view.</summary>
internal sealed class MethodFactSink : ViewFactSink
{
    private readonly Dictionary<(SyntaxNode Syntax, string Name), StaleViewUse> _staleUses = new();
    private readonly Dictionary<(SyntaxNode Syntax, string Name), ViewEscape> _escapes = new();
    private readonly Dictionary<(SyntaxNode Syntax, string Name, ArchiveHandoffKind Kind), ArchiveHandoff> _handoffs = new();

    public override bool WantsEscapes => true;

    public override bool WantsHandoffs => true;

    public override void StaleUse(IOperation use, ViewValue value, string? name)
    {
        var key = (use.Syntax, name ?? ViewFlowAnalysis.NameOf(use));
        if (!_staleUses.ContainsKey(key))
        {
            _staleUses[key] = new StaleViewUse(use, key.Item2, value);
        }
    }

    public override void Escape(ViewEscape escape, bool intoReceiver)
    {
        var key = (escape.Location.Syntax, escape.ViewName);
        if (!_escapes.ContainsKey(key))
        {
            _escapes[key] = escape;
        }
    }

    public override void Handoff(ArchiveHandoff handoff)
    {
        var key = (handoff.Location.Syntax, handoff.ViewName, handoff.Kind);
        if (!_handoffs.ContainsKey(key))
        {
            _handoffs[key] = handoff;
        }
    }

    public MethodViewFacts ToFacts()
        => new(
            SortedBySpan(_staleUses.Values, use => use.Use),
            SortedBySpan(_escapes.Values, escape => escape.Location),
            SortedBySpan(_handoffs.Values, handoff => handoff.Location));

    private static ImmutableArray<T> SortedBySpan<T>(ICollection<T> items, System.Func<T, IOperation> location)
    {
        var builder = ImmutableArray.CreateBuilder<T>(items.Count);
        builder.AddRange(items);
        builder.Sort((left, right) => location(left).Syntax.SpanStart.CompareTo(location(right).Syntax.SpanStart));
        return builder.MoveToImmutable();
    }
}

/// <summary>
/// The facts of each block's latest transfer, told to the run's sink after the fixed point in block
/// order: what the reporting pass would report, without transferring every block once more. The
/// solver transfers a block again whenever its input changes, so its latest transfer was from its
/// input at the fixed point, and a transfer reports the same facts from the same input.
/// </summary>
internal sealed class BlockFactRecorder : ViewFactSink
{
    private readonly ViewFactSink _target;
    private readonly List<System.Action<ViewFactSink>>?[] _byBlock;
    private int _block;

    public BlockFactRecorder(ViewFactSink target, int blockCount)
    {
        _target = target;
        _byBlock = new List<System.Action<ViewFactSink>>?[blockCount];
    }

    public override bool WantsEscapes => _target.WantsEscapes;

    public override bool WantsHandoffs => _target.WantsHandoffs;

    /// <summary>The block about to be transferred: what its earlier transfers reported is dropped.</summary>
    public void Transferring(int block)
    {
        _block = block;
        _byBlock[block]?.Clear();
    }

    public override void StaleUse(IOperation use, ViewValue value, string? name) => Record(sink => sink.StaleUse(use, value, name));

    public override void ViewReturned(ViewValue value) => Record(sink => sink.ViewReturned(value));

    public override void Escape(ViewEscape escape, bool intoReceiver) => Record(sink => sink.Escape(escape, intoReceiver));

    public override void Handoff(ArchiveHandoff handoff) => Record(sink => sink.Handoff(handoff));

    /// <summary>Tells the target every recorded fact, block by block in ordinal order, each block's in the order they were found.</summary>
    public void Replay()
    {
        foreach (var facts in _byBlock)
        {
            if (facts is null)
            {
                continue;
            }

            foreach (var fact in facts)
            {
                fact(_target);
            }
        }
    }

    private void Record(System.Action<ViewFactSink> fact)
        => (_byBlock[_block] ??= new List<System.Action<ViewFactSink>>()).Add(fact);
}

/// <summary>Whether the method hands back a view through its result (the out parameters are read from the exit state).</summary>
internal sealed class ViewReturnSink : ViewFactSink
{
    public override bool CollectsWhileSolving => true;

    public bool ReturnsView { get; private set; }

    public override void ViewReturned(ViewValue value) => ReturnsView = true;
}

/// <summary>
/// The views a summary of a method's parameters starts from: one origin per parameter that can
/// receive a view from the caller, mapped back to its ordinal.
/// </summary>
internal sealed class ParameterViews
{
    private ParameterViews(FlowState entry, Dictionary<ViewOrigin, int> ordinals)
    {
        Entry = entry;
        Ordinals = ordinals;
    }

    /// <summary>The state at the method's entry: each such parameter holds a fresh view.</summary>
    public FlowState Entry { get; }

    public Dictionary<ViewOrigin, int> Ordinals { get; }

    public bool IsEmpty => Ordinals.Count == 0;

    /// <param name="includeRuntimeChecked">
    /// Whether parameters of runtime-checked view types (guarded views and streams) count: they
    /// throw when read stale, but keeping one does not corrupt anything.
    /// </param>
    /// <param name="includeByReference">
    /// Whether every <c>ref</c>, <c>in</c> and <c>out</c> parameter counts, whatever its type: the
    /// caller may pass a reference into guest memory (<c>Wait(out Slot(address))</c>), which the
    /// method then reads or writes through.
    /// </param>
    public static ParameterViews Of(WasmViewSemantics semantics, IOperation body, IMethodSymbol method, bool includeRuntimeChecked, bool includeByReference = false)
    {
        var entry = new FlowState();
        var ordinals = new Dictionary<ViewOrigin, int>();
        foreach (var parameter in method.Parameters)
        {
            if ((includeByReference && parameter.RefKind != RefKind.None && !ViewTypeClassifier.IsRuntimeChecked(parameter.Type))
                || (parameter.RefKind != RefKind.Out
                    && semantics.Types.CanHoldView(parameter.Type)
                    && (includeRuntimeChecked || !ViewTypeClassifier.IsRuntimeChecked(parameter.Type))))
            {
                var origin = new ViewOrigin(body, "parameter '" + parameter.Name + "'");
                ordinals.Add(origin, parameter.Ordinal);
                entry.Set(parameter, ViewValue.Fresh(origin));
            }
        }

        return new ParameterViews(entry, ordinals);
    }
}

/// <summary>Which parameters the method reads after a guest call of its own.</summary>
internal sealed class ParameterUseSink : ViewFactSink
{
    private readonly ParameterViews _parameters;

    public ParameterUseSink(ParameterViews parameters)
    {
        _parameters = parameters;
    }

    public override FlowState EntryState => _parameters.Entry;

    public override bool CollectsWhileSolving => true;

    public ImmutableHashSet<int> ReadStale { get; private set; } = ImmutableHashSet<int>.Empty;

    public override void StaleUse(IOperation use, ViewValue value, string? name)
    {
        if (_parameters.Ordinals.TryGetValue(value.Origin, out var ordinal))
        {
            ReadStale = ReadStale.Add(ordinal);
        }
    }
}

/// <summary>Whether the method hands back, as its result, a view it was given through a parameter.</summary>
internal sealed class ParameterReturnSink : ViewFactSink
{
    private readonly ParameterViews _parameters;

    public ParameterReturnSink(ParameterViews parameters)
    {
        _parameters = parameters;
    }

    public override FlowState EntryState => _parameters.Entry;

    public override bool CollectsWhileSolving => true;

    public bool ReturnsParameter { get; private set; }

    /// <remarks>
    /// A joined value keeps the origin that comes first in source, and the parameters' origins are
    /// at the start of the body: a result that may be a parameter's view carries a parameter's origin.
    /// </remarks>
    public override void ViewReturned(ViewValue value)
    {
        if (_parameters.Ordinals.ContainsKey(value.Origin))
        {
            ReturnsParameter = true;
        }
    }
}

/// <summary>Which parameters the method keeps beyond the call, and where.</summary>
internal sealed class ParameterEscapeSink : ViewFactSink
{
    private readonly ParameterViews _parameters;
    private readonly Dictionary<int, ParameterEscape> _escapes = new();

    public ParameterEscapeSink(ParameterViews parameters)
    {
        _parameters = parameters;
    }

    public override FlowState EntryState => _parameters.Entry;

    public override bool WantsEscapes => true;

    public ImmutableDictionary<int, ParameterEscape> Escapes => _escapes.ToImmutableDictionary();

    public override void Escape(ViewEscape escape, bool intoReceiver)
    {
        // An escape beyond the receiver outweighs one into it: the caller's object cannot carry the view then.
        if (_parameters.Ordinals.TryGetValue(escape.Origin, out var ordinal)
            && (!_escapes.TryGetValue(ordinal, out var known) || (known.IntoReceiver && !intoReceiver)))
        {
            _escapes[ordinal] = new ParameterEscape(escape.Destination, intoReceiver);
        }
    }
}

/// <summary>
/// The inputs of a method a summary of its reads starts from: each view parameter, each captured
/// variable that can hold a view and each field of its object that can, already stale on entry.
/// </summary>
internal sealed class StaleInputs
{
    private StaleInputs(FlowState entry, Dictionary<ViewOrigin, ISymbol> others, Dictionary<ViewOrigin, int> parameters)
    {
        Entry = entry;
        Others = others;
        Parameters = parameters;
    }

    public FlowState Entry { get; }

    /// <summary>The parameter (by ordinal) each parameter's origin stands for.</summary>
    public Dictionary<ViewOrigin, int> Parameters { get; }

    /// <summary>The captured variable or field each other origin stands for.</summary>
    public Dictionary<ViewOrigin, ISymbol> Others { get; }

    public bool IsEmpty => Parameters.Count == 0 && Others.Count == 0;

    public static StaleInputs Of(WasmViewSemantics semantics, IOperation body, IMethodSymbol method, System.Threading.CancellationToken cancellationToken)
    {
        var entry = new FlowState();
        var others = new Dictionary<ViewOrigin, ISymbol>();
        var parameters = new Dictionary<ViewOrigin, int>();
        var caller = new GuestCall(body, "the caller");
        ViewOrigin Add(ISymbol symbol, string description)
        {
            var origin = new ViewOrigin(body, description);
            entry.Set(symbol, new ViewValue(origin, caller, lastReference: null));
            return origin;
        }

        foreach (var parameter in method.Parameters)
        {
            // A ref or in parameter of any type may refer to guest memory itself (ref Invocation inv).
            if (parameter.RefKind is RefKind.Ref or RefKind.In or RefKind.RefReadOnlyParameter || (parameter.RefKind == RefKind.None && semantics.Types.CanHoldView(parameter.Type)))
            {
                parameters.Add(Add(parameter, "parameter '" + parameter.Name + "'"), parameter.Ordinal);
            }
        }

        foreach (var captured in semantics.Captures.GetCapturedReads(method, cancellationToken))
        {
            var type = captured switch
            {
                ILocalSymbol local => local.Type,
                IParameterSymbol parameter => parameter.Type,
                _ => null,
            };

            if (semantics.Types.CanHoldView(type))
            {
                others.Add(Add(captured, "captured '" + captured.Name + "'"), captured);
            }
        }

        if (!method.IsStatic && method.ContainingType is { } containingType)
        {
            foreach (var member in containingType.GetMembers())
            {
                if (member is IFieldSymbol { IsStatic: false, IsConst: false } field
                    && (field.RefKind != RefKind.None || semantics.Types.CanHoldView(field.Type)))
                {
                    others.Add(Add(field, "field '" + field.Name + "'"), field);
                }
            }

            if (method.MethodKind != MethodKind.Constructor && ViewTypeClassifier.PrimaryConstructorOf(containingType) is { } primary)
            {
                foreach (var parameter in primary.Parameters)
                {
                    if (semantics.Types.CanHoldView(parameter.Type))
                    {
                        others.Add(Add(parameter, "parameter '" + parameter.Name + "' of the primary constructor"), parameter);
                    }
                }
            }
        }

        return new StaleInputs(entry, others, parameters);
    }
}

/// <summary>Which inputs the method reads: each stale use of one of <see cref="StaleInputs"/>.</summary>
internal sealed class InputReadSink : ViewFactSink
{
    private readonly StaleInputs _inputs;
    private ImmutableHashSet<int> _parameters = ImmutableHashSet<int>.Empty;
    private ImmutableHashSet<ISymbol> _others = ImmutableHashSet.Create<ISymbol>(SymbolEqualityComparer.Default);

    public InputReadSink(StaleInputs inputs)
    {
        _inputs = inputs;
    }

    public override FlowState EntryState => _inputs.Entry;

    public override bool CollectsWhileSolving => true;

    public InputReads Reads => new(_parameters, _others, readsEverything: false);

    public override void StaleUse(IOperation use, ViewValue value, string? name)
    {
        if (_inputs.Parameters.TryGetValue(value.Origin, out var ordinal))
        {
            _parameters = _parameters.Add(ordinal);
        }
        else if (_inputs.Others.TryGetValue(value.Origin, out var symbol))
        {
            _others = _others.Add(symbol);
        }
    }
}
