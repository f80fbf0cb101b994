namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>
/// The shared state behind every copy of one <see cref="WasmLease{T}"/>. Slots are pooled and reused; the generation
/// tells a live handle from one whose lease was disposed.
/// </summary>
internal sealed class LeaseSlot<T>
    where T : unmanaged
{
    // Fields, not properties: Dispose needs a ref to Generation for Interlocked.
    public int Generation;
    public T[]? Array;
}

/// <summary>
/// An allocation-free pool of <see cref="LeaseSlot{T}"/>: one slot per thread without synchronization, then a small
/// shared array claimed with compare-exchange (the scheme of Microsoft.Extensions.ObjectPool). When every cell is
/// full a returned slot is dropped for the GC, so the pool never grows.
/// </summary>
internal static class LeaseSlotPool<T>
    where T : unmanaged
{
    [ThreadStatic]
    private static LeaseSlot<T>? t_cached;

    private static readonly LeaseSlot<T>?[] s_shared = new LeaseSlot<T>?[Math.Max(16, Environment.ProcessorCount * 4)];

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

        return new LeaseSlot<T>();
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
    }
}
