using Wasmtime;
using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime;

/// <summary>
/// Engine settings for tests that want stale-view bugs to show: under them every grow moves guest memory, so a view kept
/// across a growing call points at memory that is no longer the guest's instead of happening to still work.
/// </summary>
public static class WasmStress
{
    /// <summary>
    /// Creates a <see cref="Config"/> on which every grow of at least one page (<c>Memory.Grow</c> from the host,
    /// <c>memory.grow</c> from the guest) moves the memory to a new base address. On Linux, the memories that modules
    /// define also keep every address range they left reserved and inaccessible until their store is disposed.
    /// </summary>
    /// <returns>A new configuration; further <c>With...</c> calls may be chained on it.</returns>
    /// <exception cref="NotSupportedException">
    /// On Linux, the Wasmtime assembly loaded is not one whose native configuration this library can reach (it was built
    /// against Wasmtime 50.0.1).
    /// </exception>
    /// <remarks>
    /// <para>
    /// Memories get no virtual-memory reservation beyond their current size, no room reserved for growth and no guard
    /// region, so growing must map a new region and copy into it. Signals-based traps stay on because without them
    /// Wasmtime backs memory with the allocator, whose realloc may grow in place. A grow of 0 pages never moves.
    /// </para>
    /// <para>
    /// On Linux (x64 and arm64), the linear memories that modules define come from this library instead of Wasmtime's
    /// allocator: a region left by a grow is never unmapped while the store lives, only made inaccessible, so no later
    /// mapping (the memory's own next region, another store's memory, anything else in the process) can be placed
    /// there. A raw view kept across a grow then never lies inside the memory again, which
    /// <see cref="GuestMemoryGuard.ThrowIfOutsideMemory"/> relies on, and reading it faults instead of returning bytes.
    /// Memories the host creates itself (<c>new Memory(store, ...)</c>) do not go through Wasmtime's memory creator and
    /// keep Wasmtime's behavior: they move, but a later mapping may land where they were. Copy-on-write memory
    /// initialization is turned off, as Wasmtime requires for such memories: do not turn it back on.
    /// </para>
    /// <para>
    /// Cost (measured in docs/performance.md): every grow copies the whole memory, and guest loads and stores need
    /// explicit bounds checks. Every region a memory leaves stays reserved (address space only, no memory) until its store
    /// is disposed. Use it in tests and debugging sessions, not in production.
    /// </para>
    /// </remarks>
    public static Config CreateConfig()
    {
        var config = new Config()
            .WithMemoryMayMove(true)
            .WithStaticMemoryMaximumSize(0)
            .WithMemoryReservationForGrowth(0)
            .WithMemoryGuardSize(0)
            .WithSignalsBasedTraps(true)
            .WithMemoryInitCopyOnWrite(false);
        if (StressMemoryCreator.IsSupported)
        {
            StressMemoryCreator.Install(config);
        }

        return config;
    }
}
