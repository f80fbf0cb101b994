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
/// In steady state a lease allocates nothing: the struct refers to a pooled slot and remembers the slot's 64-bit
/// generation. Disposing bumps the generation and returns slot and array to their pools, so every earlier handle, even
/// one whose slot now backs a newer lease, sees a mismatch and throws. A slot that reaches its last generation is
/// retired, so a generation never repeats.
/// </para>
/// <para>
/// <see cref="Dispose"/> is safe on any thread and any copy. Reading a lease that another thread may dispose meanwhile
/// is safe through <see cref="CopyTo"/> and <see cref="ToArray"/> (they throw <see cref="ObjectDisposedException"/>
/// when the lease was disposed during the copy); <see cref="Span"/> and <see cref="Memory"/> check only when they are
/// taken, so what they return must not be used once another thread may have disposed the lease.
/// </para>
/// <para><c>default(WasmLease&lt;T&gt;)</c> is an empty lease.</para>
/// </remarks>
public readonly struct WasmLease<T> : IMemoryOwner<T>
    where T : unmanaged
{
    private readonly LeaseSlot<T>? _slot;
    private readonly long _generation;
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
    /// <remarks>
    /// The check happens when the span is taken: the span must not be used after the lease is disposed, on this
    /// thread or another. To read a lease that another thread may dispose, use <see cref="CopyTo"/> or
    /// <see cref="ToArray"/>, which check again after copying.
    /// </remarks>
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

            // The array first, then the generation: Dispose bumps the generation before it clears the array and pools
            // the slot, so an unchanged generation means the array read is this lease's, even when another thread
            // disposes the lease meanwhile.
            var array = Volatile.Read(ref slot.Array);
            if (slot.Generation != _generation || array is null)
            {
                ThrowHelper.ThrowLeaseDisposed();
            }

            return MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), _length);
        }
    }

    /// <summary>The leased elements, exactly <see cref="Length"/> of them.</summary>
    /// <remarks>As with <see cref="Span"/>, the check happens when the memory is taken.</remarks>
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

            var array = Volatile.Read(ref slot.Array);
            if (slot.Generation != _generation || array is null)
            {
                ThrowHelper.ThrowLeaseDisposed();
            }

            return new Memory<T>(array, 0, _length);
        }
    }

    /// <summary>
    /// Copies the leased elements to <paramref name="destination"/>, then checks that the lease was not disposed while
    /// copying: safe against <see cref="Dispose"/> on another thread, which <see cref="Span"/> is not.
    /// </summary>
    /// <param name="destination">Receives the elements; must be at least <see cref="Length"/> long.</param>
    /// <exception cref="ObjectDisposedException">
    /// The lease was disposed, before or during the copy (then <paramref name="destination"/> may hold any bytes).
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the lease.</exception>
    public void CopyTo(Span<T> destination)
    {
        Span.CopyTo(destination);
        var slot = _slot;
        if (slot is not null)
        {
            // The copy's reads must not move past the second check.
            Interlocked.MemoryBarrier();
            if (slot.Generation != _generation)
            {
                ThrowHelper.ThrowLeaseDisposedWhileReading();
            }
        }
    }

    /// <summary>
    /// Copies the leased elements to a new array, then checks that the lease was not disposed while copying: safe
    /// against <see cref="Dispose"/> on another thread, which <see cref="Span"/> is not.
    /// </summary>
    /// <returns>A new array of exactly <see cref="Length"/> elements.</returns>
    /// <exception cref="ObjectDisposedException">The lease was disposed, before or during the copy.</exception>
    public T[] ToArray()
    {
        if (_length == 0)
        {
            _ = Span;
            return [];
        }

        var array = new T[_length];
        CopyTo(array);
        return array;
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
        // The generation moves first: a read that sees it unchanged after reading the array read this lease's array.
        var generation = _generation;
        var next = generation + 1;
        if (Interlocked.CompareExchange(ref slot.Generation, next, generation) != generation)
        {
            return;
        }

        var array = slot.Array!;
        Volatile.Write(ref slot.Array, null);
        if (array.Length != 0)
        {
            ArrayPool<T>.Shared.Return(array);
        }

        // A slot at its last generation would repeat one if it were reused: retire it.
        if (next != LeaseSlot<T>.LastGeneration)
        {
            LeaseSlotPool<T>.Return(slot);
        }
    }

    internal static WasmLease<T> CopyOf(ReadOnlySpan<T> source) => CopyOf(source, LeaseSlotPool<T>.Rent());

    /// <summary>The seam for tests that need a slot in a given state (for example near its last generation).</summary>
    internal static WasmLease<T> CopyOf(ReadOnlySpan<T> source, LeaseSlot<T> slot)
    {
        var array = source.IsEmpty ? Array.Empty<T>() : ArrayPool<T>.Shared.Rent(source.Length);
        source.CopyTo(array);
        slot.Array = array;
        return new WasmLease<T>(slot, source.Length);
    }

    internal LeaseSlot<T>? Slot => _slot;
}
