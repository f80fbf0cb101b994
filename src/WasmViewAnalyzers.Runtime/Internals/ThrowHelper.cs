using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>
/// Throwing lives here, out of line, so that the checks on hot paths stay small enough to inline.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowStale(in GuardedView view) => throw StaleWasmViewException.Create(view);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowViewOutOfRange(long address, int length, long memoryLength)
    {
        if (address < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address, "The guest address must not be negative.");
        }

        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The view length must not be negative.");
        }

        throw new ArgumentOutOfRangeException(
            address > memoryLength ? nameof(address) : nameof(length),
            $"{length} bytes at guest address 0x{address:X} do not fit in guest memory, which is currently {memoryLength} bytes (0x{memoryLength:X}) long.");
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowLeaseDisposed() =>
        throw new ObjectDisposedException(
            "WasmLease",
            "The lease was disposed: its buffer went back to the pool and may already hold someone else's data. Read the lease before disposing it.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowPinIndexOutOfRange(int elementIndex, int length) =>
        throw new ArgumentOutOfRangeException(nameof(elementIndex), elementIndex, $"The index must be between 0 and the view length ({length}).");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowStreamDisposed() => throw new ObjectDisposedException(nameof(GuardedStream));
}
