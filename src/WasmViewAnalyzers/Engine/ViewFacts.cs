using System;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine;

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

/// <summary>An operation that may run guest code or grow guest memory.</summary>
internal sealed class GuestCall
{
    public GuestCall(IOperation operation, string description)
    {
        Operation = operation;
        Description = description;
    }

    public IOperation Operation { get; }

    /// <summary>How the call reads in source, e.g. <c>convert.Invoke</c> or <c>memory.Grow</c>.</summary>
    public string Description { get; }

    public int Position => Operation.Syntax.SpanStart;
}

/// <summary>
/// The abstract value of a variable or expression: not a view (<see langword="null"/> everywhere
/// in the engine), or a view with its origin and, when it may already be stale, the first guest
/// call that may have invalidated it on some path.
/// </summary>
internal sealed class ViewValue : IEquatable<ViewValue>
{
    public ViewValue(ViewOrigin origin, GuestCall? staleBy, IOperation? lastReference, bool isAddress = false)
    {
        Origin = origin;
        StaleBy = staleBy;
        LastReference = lastReference;
        IsAddress = isAddress;
    }

    public ViewOrigin Origin { get; }

    public GuestCall? StaleBy { get; }

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
        => ReferenceEquals(reference, LastReference) ? this : new ViewValue(Origin, StaleBy, reference, IsAddress);

    public ViewValue MarkStale(GuestCall call) => StaleBy is null ? new ViewValue(Origin, call, LastReference, IsAddress) : this;

    public ViewValue AsAddress(bool isAddress) => isAddress == IsAddress ? this : new ViewValue(Origin, StaleBy, LastReference, isAddress);

    /// <summary>Join at a control-flow merge: a view on some path, stale if stale on some path.</summary>
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
        var reference = origin == left.Origin ? left.LastReference : right.LastReference;
        return new ViewValue(origin, staleBy, reference, left.IsAddress || right.IsAddress);
    }

    public bool Equals(ViewValue? other)
        => other is not null
           && ReferenceEquals(Origin, other.Origin)
           && ReferenceEquals(StaleBy, other.StaleBy)
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
}
