namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>What bumped a guard's epoch; kept in the guard's history ring so a stale view can name it.</summary>
internal enum InvalidationKind
{
    GuestCall,
    GuestCallContinued,
    Grow,
    NotifiedGuestCall,
    CallbackEntered,
    CallbackReturned,
}

/// <summary>
/// What a guarded call wrapper keeps between entering and leaving WebAssembly: its own call number, and the guarded
/// call it is nested in (restored when it returns), so the guard always knows which guarded call is running; and whether
/// its thread was inside the guard already (a nested call), so that leaving the outermost call clears the marker.
/// </summary>
internal readonly struct CallScope(long number, string? outerName, long outerNumber, bool wasBusy)
{
    public long Number { get; } = number;

    public string? OuterName { get; } = outerName;

    public long OuterNumber { get; } = outerNumber;

    public bool WasBusy { get; } = wasBusy;
}

/// <summary>Where a guarded <c>Grow</c> was called, and by how much; only allocated when a view is outstanding.</summary>
internal sealed class GrowSite(long pages, string member, string file, int line)
{
    public long Pages { get; } = pages;

    public string Member { get; } = member;

    public string File { get; } = file;

    public int Line { get; } = line;
}

/// <summary>
/// One entry of a guard's invalidation history, keyed by the epoch it produced. Kept to 32 bytes so that the ring can
/// be long enough for views queued over many calls: <see cref="Detail"/> is the function name or notification text,
/// or a <see cref="GrowSite"/> for a grow.
/// </summary>
internal readonly struct InvalidationRecord(long epoch, long callNumber, InvalidationKind kind, object detail)
{
    public long Epoch { get; } = epoch;

    public long CallNumber { get; } = callNumber;

    public InvalidationKind Kind { get; } = kind;

    public object Detail { get; } = detail;

    public string Name => Detail as string ?? "Grow";

    public GrowSite? Grow => Detail as GrowSite;
}
