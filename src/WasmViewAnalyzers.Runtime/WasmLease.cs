using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime;

/// <summary>
/// A pooled copy of guest data: a buffer rented from <see cref="ArrayPool{T}.Shared"/> holding exactly
/// <see cref="Length"/> elements. It never aliases guest memory, so it stays valid across guest calls and grows.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// <para>
/// Create one with <see cref="LeaseExtensions"/> or <see cref="GuardedView.LeaseCopy"/>; dispose it to return the
/// buffer to the pool. After <see cref="Dispose"/>, <see cref="Span"/> and <see cref="Memory"/> throw
/// <see cref="ObjectDisposedException"/>. Copies of this struct share one state: disposing any copy disposes all of
/// them, and disposing twice is harmless.
/// </para>
/// <para>
/// A <see cref="Span{T}"/> or <see cref="Memory{T}"/> taken from the lease before <see cref="Dispose"/> must not be
/// used after it, as with any pooled buffer: the pool may already have handed the array to someone else.
/// </para>
/// <para>
/// In steady state a lease allocates nothing: the struct refers to a pooled slot and remembers the slot's generation.
/// Disposing bumps the generation and returns slot and array to their pools, so every earlier handle, even one whose
/// slot now backs a newer lease, sees a mismatch and throws.
/// </para>
/// <para><c>default(WasmLease&lt;T&gt;)</c> is an empty lease.</para>
/// </remarks>
public readonly struct WasmLease<T> : IMemoryOwner<T>
    where T : unmanaged
{
    private readonly LeaseSlot<T>? _slot;
    private readonly int _generation;
    private readonly int _length;

    private WasmLease(LeaseSlot<T> slot, int length)
    {
        _slot = slot;
        _generation = slot.Generation;
        _length = length;
    }

    /// <summary>Number of elements in the lease. Reading it never throws.</summary>
    public int Length => _length;

    /// <summary>The leased elements, exactly <see cref="Length"/> of them.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public Span<T> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var slot = _slot;
            if (slot is null)
            {
                return default;
            }

            if (slot.Generation != _generation)
            {
                ThrowHelper.ThrowLeaseDisposed();
            }

            return MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(slot.Array!), _length);
        }
    }

    /// <summary>The leased elements, exactly <see cref="Length"/> of them.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public Memory<T> Memory
    {
        get
        {
            var slot = _slot;
            if (slot is null)
            {
                return default;
            }

            if (slot.Generation != _generation)
            {
                ThrowHelper.ThrowLeaseDisposed();
            }

            return new Memory<T>(slot.Array, 0, _length);
        }
    }

    /// <summary>Returns the buffer to <see cref="ArrayPool{T}.Shared"/>. Disposing again, through any copy, does nothing.</summary>
    public void Dispose()
    {
        var slot = _slot;
        if (slot is null)
        {
            return;
        }

        // The compare-exchange makes exactly one disposer win, even when copies are disposed on two threads at once;
        // returning the array twice would hand it to two renters.
        var generation = _generation;
        if (Interlocked.CompareExchange(ref slot.Generation, unchecked(generation + 1), generation) != generation)
        {
            return;
        }

        var array = slot.Array!;
        slot.Array = null;
        if (array.Length != 0)
        {
            ArrayPool<T>.Shared.Return(array);
        }

        LeaseSlotPool<T>.Return(slot);
    }

    internal static WasmLease<T> CopyOf(ReadOnlySpan<T> source)
    {
        var array = source.IsEmpty ? Array.Empty<T>() : ArrayPool<T>.Shared.Rent(source.Length);
        source.CopyTo(array);
        var slot = LeaseSlotPool<T>.Rent();
        slot.Array = array;
        return new WasmLease<T>(slot, source.Length);
    }

    internal LeaseSlot<T>? Slot => _slot;
}
