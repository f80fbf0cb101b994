using Wasmtime;

namespace WasmViewAnalyzers.Runtime;

/// <summary>
/// Engine settings for tests that want stale-view bugs to show: under them every grow moves guest memory, so a view kept
/// across a growing call points at unmapped or reused memory instead of happening to still work.
/// </summary>
public static class WasmStress
{
    /// <summary>
    /// Creates a <see cref="Config"/> on which every <c>Memory.Grow</c> (from the host or from the guest's
    /// <c>memory.grow</c>) moves the memory to a new base address.
    /// </summary>
    /// <returns>A new configuration; further <c>With...</c> calls may be chained on it.</returns>
    /// <remarks>
    /// <para>
    /// Memories get no virtual-memory reservation beyond their current size, no room reserved for growth and no guard
    /// region, so growing must map a new region and copy into it. Signals-based traps stay on because without them
    /// Wasmtime backs memory with the allocator, whose realloc may grow in place.
    /// </para>
    /// <para>
    /// Cost (measured in docs/performance.md): every grow copies the whole memory, and guest loads and stores need
    /// explicit bounds checks. Use it in tests and debugging sessions, not in production.
    /// </para>
    /// </remarks>
    public static Config CreateConfig() =>
        new Config()
            .WithMemoryMayMove(true)
            .WithStaticMemoryMaximumSize(0)
            .WithMemoryReservationForGrowth(0)
            .WithMemoryGuardSize(0)
            .WithSignalsBasedTraps(true);
}
