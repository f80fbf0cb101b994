namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>
/// The shared state behind every copy of one <see cref="WasmLease{T}"/>. Slots are pooled and reused; the generation
/// tells a live handle from one whose lease was disposed.
/// </summary>
internal sealed class LeaseSlot<T>
    where T : unmanaged
{
    /// <summary>
    /// A slot whose generation reaches this value is retired instead of pooled, so that no generation is ever handed
    /// out twice. At one lease per nanosecond a slot would take 292 years to get there.
    /// </summary>
    public const long LastGeneration = long.MaxValue;

    // Fields, not properties: Dispose needs a ref to Generation for Interlocked.
    public long Generation;
    public T[]? Array;

    // Links slots in the pool's overflow stack; null while the slot backs a lease.
    public LeaseSlot<T>? Next;
}

/// <summary>
/// An allocation-free pool of <see cref="LeaseSlot{T}"/>: one slot per thread without synchronization, then a small
/// shared array claimed with compare-exchange (the scheme of Microsoft.Extensions.ObjectPool), then a locked stack
/// linked through the slots themselves. The pool keeps every slot returned to it, so it holds as many slots as there
/// were leases alive at once at the peak (32 bytes each), and renting allocates only beyond that peak, whichever
/// thread disposes the leases.
/// </summary>
internal static class LeaseSlotPool<T>
    where T : unmanaged
{
    [ThreadStatic]
    private static LeaseSlot<T>? t_cached;

    private static readonly LeaseSlot<T>?[] s_shared = new LeaseSlot<T>?[Math.Max(16, Environment.ProcessorCount * 4)];

    private static readonly object s_overflowLock = new();
    private static LeaseSlot<T>? s_overflow;

    public static LeaseSlot<T> Rent()
    {
        var slot = t_cached;
        if (slot is not null)
        {
            t_cached = null;
            return slot;
        }

        var shared = s_shared;
        for (var i = 0; i < shared.Length; i++)
        {
            slot = Volatile.Read(ref shared[i]);
            if (slot is not null && Interlocked.CompareExchange(ref shared[i], null, slot) == slot)
            {
                return slot;
            }
        }

        return RentOverflow() ?? new LeaseSlot<T>();
    }

    public static void Return(LeaseSlot<T> slot)
    {
        if (t_cached is null)
        {
            t_cached = slot;
            return;
        }

        var shared = s_shared;
        for (var i = 0; i < shared.Length; i++)
        {
            if (Volatile.Read(ref shared[i]) is null && Interlocked.CompareExchange(ref shared[i], slot, null) is null)
            {
                return;
            }
        }

        ReturnOverflow(slot);
    }

    private static LeaseSlot<T>? RentOverflow()
    {
        if (Volatile.Read(ref s_overflow) is null)
        {
            return null;
        }

        lock (s_overflowLock)
        {
            var slot = s_overflow;
            if (slot is not null)
            {
                s_overflow = slot.Next;
                slot.Next = null;
            }

            return slot;
        }
    }

    private static void ReturnOverflow(LeaseSlot<T> slot)
    {
        lock (s_overflowLock)
        {
            slot.Next = s_overflow;
            s_overflow = slot;
        }
    }
}
