namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>What bumped a guard's epoch; kept in the guard's history ring so a stale view can name it.</summary>
internal enum InvalidationKind
{
    GuestCall,
    GuestCallContinued,
    Grow,
    NotifiedGuestCall,
}

/// <summary>One entry of a guard's invalidation history, keyed by the epoch it produced.</summary>
internal readonly struct InvalidationRecord
{
    public InvalidationRecord(long epoch, long callNumber, InvalidationKind kind, string name, long growPages, string? member, string? file, int line)
    {
        Epoch = epoch;
        CallNumber = callNumber;
        Kind = kind;
        Name = name;
        GrowPages = growPages;
        Member = member;
        File = file;
        Line = line;
    }

    public long Epoch { get; }

    public long CallNumber { get; }

    public InvalidationKind Kind { get; }

    /// <summary>Function name for calls, description for notifications, "Grow" for grows.</summary>
    public string Name { get; }

    public long GrowPages { get; }

    /// <summary>Where a guarded <c>Grow</c> was called; null for calls.</summary>
    public string? Member { get; }

    public string? File { get; }

    public int Line { get; }
}
