using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>Where a view into guest memory was obtained.</summary>
internal sealed class ViewOrigin
{
    public ViewOrigin(IOperation acquisition, string description)
    {
        Acquisition = acquisition;
        Description = description;
    }

    /// <summary>The operation that produced the view: a <c>GetSpan</c> call, an <c>out</c> argument, ...</summary>
    public IOperation Acquisition { get; }

    /// <summary>What the user would call the source, e.g. <c>Memory.GetSpan</c>.</summary>
    public string Description { get; }

    public int Position => Acquisition.Syntax.SpanStart;
}

/// <summary>
/// An operation that may run guest code or grow guest memory, or that lets other code run before
/// the method goes on (<c>await</c>, <c>yield return</c>).
/// </summary>
internal sealed class GuestCall
{
    private string? _description;

    /// <summary>A call described as it reads in source (<see cref="OperationExtensions.DescribeCall"/>), when a message first needs it.</summary>
    /// <remarks>
    /// Every guest call an analysis meets is one of these, once per analysis of a method that makes
    /// it, and only those a finding names are ever described: the text is the call's syntax as a
    /// string with its whitespace collapsed, three strings and a builder per call.
    /// </remarks>
    public GuestCall(IOperation operation)
        : this(operation, description: null, isSuspension: false)
    {
    }

    public GuestCall(IOperation operation, string description)
        : this(operation, description, isSuspension: false)
    {
    }

    private GuestCall(IOperation operation, string? description, bool isSuspension)
    {
        Operation = operation;
        _description = description;
        IsSuspension = isSuspension;
    }

    public IOperation Operation { get; }

    /// <summary>How the call reads in source, e.g. <c>convert.Invoke</c> or <c>memory.Grow</c>; <c>await</c> or <c>yield return</c> for a suspension.</summary>
    public string Description => _description ??= Operation.DescribeCall();

    /// <summary>An <c>await</c> or <c>yield return</c> rather than a call.</summary>
    public bool IsSuspension { get; }

    /// <summary>How a message names it: <c>the call to 'convert'</c>, <c>the 'await' on line 12</c>.</summary>
    public string InMessage
        => IsSuspension
            ? "the '" + Description + "' on line " + (Operation.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1)
            : "the call to '" + Description + "'";

    public static GuestCall Suspension(IOperation operation)
        => new(operation, operation.Kind == OperationKind.YieldReturn ? "yield return" : "await", isSuspension: true);

    public int Position => Operation.Syntax.SpanStart;

    /// <summary>
    /// Whether this call finishes after <paramref name="other"/> on a path that runs both: the later
    /// end in source, and of two that end together the outer one (<c>a(b())</c>: <c>a</c>).
    /// </summary>
    public bool EndsAfter(GuestCall other)
    {
        var span = Operation.Syntax.Span;
        var otherSpan = other.Operation.Syntax.Span;
        return span.End != otherSpan.End ? span.End > otherSpan.End : span.Start < otherSpan.Start;
    }
}

/// <summary>
/// The abstract value of a variable or expression: not a view (<see langword="null"/> everywhere
/// in the engine), or a view with its origin and, when it may already be stale, the first guest
/// call that may have invalidated it on some path and the last one before this point.
/// </summary>
internal sealed class ViewValue : IEquatable<ViewValue>
{
    public ViewValue(ViewOrigin origin, GuestCall? staleBy, IOperation? lastReference, bool isAddress = false)
        : this(origin, staleBy, staleBy, lastReference, isAddress)
    {
    }

    private ViewValue(ViewOrigin origin, GuestCall? staleBy, GuestCall? latestCall, IOperation? lastReference, bool isAddress)
    {
        Origin = origin;
        StaleBy = staleBy;
        LatestCall = latestCall;
        LastReference = lastReference;
        IsAddress = isAddress;
    }

    public ViewOrigin Origin { get; }

    /// <summary>The first guest call after the view was obtained, on some path: a copy must come before it.</summary>
    public GuestCall? StaleBy { get; }

    /// <summary>
    /// The last guest call before this point, on some path (of several, the one that ends last in
    /// source): the one a reader looks for above a stale read, and after which the view could be
    /// obtained again.
    /// </summary>
    public GuestCall? LatestCall { get; }

    /// <summary>
    /// The variable reference through which this value was last read; the diagnostic names this
    /// variable and points at it.
    /// </summary>
    public IOperation? LastReference { get; }

    /// <summary>
    /// The value is the view's address held in an integer (<c>(long)pointer</c>,
    /// <c>pointer.ToInt64()</c>): arithmetic on it is still an address, not a read of guest memory.
    /// </summary>
    public bool IsAddress { get; }

    public bool IsStale => StaleBy is not null;

    public static ViewValue Fresh(ViewOrigin origin) => new(origin, staleBy: null, lastReference: null);

    public ViewValue WithReference(IOperation reference)
        => ReferenceEquals(reference, LastReference) ? this : new ViewValue(Origin, StaleBy, LatestCall, reference, IsAddress);

    /// <summary>The same value as read through no variable: a captured one, named by the diagnostic itself.</summary>
    public ViewValue WithoutReference()
        => LastReference is null ? this : new ViewValue(Origin, StaleBy, LatestCall, lastReference: null, IsAddress);

    /// <summary>After <paramref name="call"/>: stale since the first call, and <paramref name="call"/> the latest.</summary>
    public ViewValue MarkStale(GuestCall call)
        => ReferenceEquals(LatestCall, call) ? this : new ViewValue(Origin, StaleBy ?? call, call, LastReference, IsAddress);

    public ViewValue AsAddress(bool isAddress) => isAddress == IsAddress ? this : new ViewValue(Origin, StaleBy, LatestCall, LastReference, isAddress);

    /// <summary>
    /// Join at a control-flow merge: a view on some path, stale if stale on some path, with the
    /// earliest first call and the latest last call of either side. Each side only moves one way
    /// (earlier, later) over a finite set of calls, so joins in loops terminate.
    /// </summary>
    public static ViewValue? Join(ViewValue? left, ViewValue? right)
    {
        if (left is null || left.Equals(right))
        {
            return right ?? left;
        }

        if (right is null)
        {
            return left;
        }

        var origin = left.Origin.Position <= right.Origin.Position ? left.Origin : right.Origin;
        var staleBy = (left.StaleBy, right.StaleBy) switch
        {
            (null, var r) => r,
            (var l, null) => l,
            (var l, var r) => l!.Position <= r!.Position ? l : r,
        };
        var latest = (left.LatestCall, right.LatestCall) switch
        {
            (null, var r) => r,
            (var l, null) => l,
            (var l, var r) => r!.EndsAfter(l!) ? r : l,
        };
        var reference = origin == left.Origin ? left.LastReference : right.LastReference;
        return new ViewValue(origin, staleBy, latest, reference, left.IsAddress || right.IsAddress);
    }

    public bool Equals(ViewValue? other)
        => other is not null
           && ReferenceEquals(Origin, other.Origin)
           && ReferenceEquals(StaleBy, other.StaleBy)
           && ReferenceEquals(LatestCall, other.LatestCall)
           && ReferenceEquals(LastReference, other.LastReference)
           && IsAddress == other.IsAddress;

    public override bool Equals(object? obj) => Equals(obj as ViewValue);

    public override int GetHashCode() => Origin.GetHashCode() ^ (StaleBy?.GetHashCode() ?? 0);
}

/// <summary>A read of a view after a guest call may have invalidated it: the fact WVA001 reports.</summary>
internal sealed class StaleViewUse
{
    public StaleViewUse(IOperation use, string viewName, ViewValue value)
    {
        Use = use;
        ViewName = viewName;
        Value = value;
    }

    /// <summary>The variable reference the user reads the stale view through.</summary>
    public IOperation Use { get; }

    public string ViewName { get; }

    public ViewValue Value { get; }

    public ViewOrigin Origin => Value.Origin;

    public GuestCall InvalidatedBy => Value.StaleBy!;

    /// <summary>The last guest call before the use, on some path: the one a message names.</summary>
    public GuestCall LastCall => Value.LatestCall ?? Value.StaleBy!;
}

/// <summary>How a view leaves the method that obtained it (WVA002).</summary>
internal sealed class ViewEscape
{
    public ViewEscape(IOperation location, IOperation escapingValue, string viewName, ViewValue value, string destination)
    {
        Location = location;
        EscapingValue = escapingValue;
        ViewName = viewName;
        Value = value;
        Destination = destination;
    }

    /// <summary>Where the view escapes: the store, the call that keeps it, the lambda that captures it.</summary>
    public IOperation Location { get; }

    /// <summary>The expression whose value escapes: the one a copy would replace.</summary>
    public IOperation EscapingValue { get; }

    public string ViewName { get; }

    public ViewValue Value { get; }

    public ViewOrigin Origin => Value.Origin;

    /// <summary>Where it goes, as the user would say it: <c>field '_pending'</c>, <c>'queue.Enqueue'</c>.</summary>
    public string Destination { get; }
}

/// <summary>Whether an archive or compression writer reads a view now or later.</summary>
internal enum ArchiveHandoffKind
{
    /// <summary>The writer keeps the view and reads it later (WVA003).</summary>
    Deferred,

    /// <summary>The writer reads the view while the call runs (WVA004).</summary>
    Direct,
}

/// <summary>A view handed to an archive or compression writer (WVA003, WVA004).</summary>
internal sealed class ArchiveHandoff
{
    public ArchiveHandoff(IOperation location, IOperation handedValue, string viewName, ViewValue value, ArchiveHandoffKind kind, string consumer, string readsWhen)
    {
        Location = location;
        HandedValue = handedValue;
        ViewName = viewName;
        Value = value;
        Kind = kind;
        Consumer = consumer;
        ReadsWhen = readsWhen;
    }

    /// <summary>The hand-off: the call on the archive or compression writer.</summary>
    public IOperation Location { get; }

    /// <summary>The expression whose value is handed over: the one a copy would replace.</summary>
    public IOperation HandedValue { get; }

    public string ViewName { get; }

    public ViewValue Value { get; }

    public ViewOrigin Origin => Value.Origin;

    public ArchiveHandoffKind Kind { get; }

    /// <summary>The writer as the user would name it: <c>ZipFile.AddEntry</c>.</summary>
    public string Consumer { get; }

    /// <summary>When the writer reads the view (<c>when the archive is saved</c>), and for a direct write what a guest call meanwhile corrupts.</summary>
    public string ReadsWhen { get; }
}

/// <summary>
/// Everything the engine found in one method body (with its local functions and lambdas): the
/// facts every rule reads. Computed once per method and compilation, whichever rule asks first.
/// </summary>
internal sealed class MethodViewFacts
{
    public static readonly MethodViewFacts Empty = new(ImmutableArray<StaleViewUse>.Empty, ImmutableArray<ViewEscape>.Empty, ImmutableArray<ArchiveHandoff>.Empty);

    public MethodViewFacts(ImmutableArray<StaleViewUse> staleUses, ImmutableArray<ViewEscape> escapes, ImmutableArray<ArchiveHandoff> handoffs)
    {
        StaleUses = staleUses;
        Escapes = escapes;
        Handoffs = handoffs;
    }

    /// <summary>WVA001: reads of views that a guest call, <c>await</c> or <c>yield</c> may have invalidated.</summary>
    public ImmutableArray<StaleViewUse> StaleUses { get; }

    /// <summary>WVA002: views stored, queued or captured beyond the method.</summary>
    public ImmutableArray<ViewEscape> Escapes { get; }

    /// <summary>WVA003 and WVA004: views handed to archive and compression writers.</summary>
    public ImmutableArray<ArchiveHandoff> Handoffs { get; }
}

/// <summary>What a view is, as a fix sees it: what can be copied, re-bound or obtained again.</summary>
internal enum ViewKind
{
    /// <summary>A value that carries no view the engine can name (an expression of an unknown type).</summary>
    Unknown,

    /// <summary><c>Span&lt;T&gt;</c>: may be written through.</summary>
    Span,

    /// <summary><c>ReadOnlySpan&lt;T&gt;</c>.</summary>
    ReadOnlySpan,

    /// <summary><c>Memory&lt;T&gt;</c>: may be written through.</summary>
    Memory,

    /// <summary><c>ReadOnlyMemory&lt;T&gt;</c>.</summary>
    ReadOnlyMemory,

    /// <summary>A pointer (<c>byte*</c>, <c>void*</c>).</summary>
    Pointer,

    /// <summary>An address held in an integer (<c>nint</c>, <c>long</c> from a pointer).</summary>
    Address,

    /// <summary>A <c>ref</c> local, parameter or return into guest memory.</summary>
    Ref,

    /// <summary>A stream over guest memory (<c>UnmanagedMemoryStream</c>, typed as such or as <c>Stream</c>).</summary>
    Stream,

    /// <summary>A <c>MemoryManager&lt;T&gt;</c> over a pointer into guest memory.</summary>
    Manager,

    /// <summary>A record, tuple, struct or class of the user's that holds one of the above.</summary>
    Holder,

    /// <summary>A collection or array of views (a queue of pending outputs).</summary>
    Collection,
}

/// <summary>How a view was obtained, as a fix sees it: what evaluating its source again would do.</summary>
internal enum AcquisitionKind
{
    /// <summary>Something the engine cannot evaluate again (a parameter, a data source handed over).</summary>
    Other,

    /// <summary><c>Memory.GetSpan</c> (any overload).</summary>
    GetSpan,

    /// <summary><c>Memory.GetPointer</c>.</summary>
    GetPointer,

    /// <summary>The <c>out</c> span of <c>Caller.TryGetMemorySpan</c>.</summary>
    TryGetMemorySpan,

    /// <summary>A method, property or <c>out</c> parameter of the compilation that hands out a view it obtained.</summary>
    Helper,

    /// <summary>A member named as a view source by an attribute or by <c>wasm_view_analyzers.view_sources</c>, without a body the engine sees.</summary>
    Declared,
}
