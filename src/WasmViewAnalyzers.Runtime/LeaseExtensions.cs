using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime;

/// <summary>
/// Copies guest data into pooled <see cref="WasmLease{T}"/>s: the cheap way to keep guest output across a guest call.
/// </summary>
public static class LeaseExtensions
{
    /// <summary>Copies <paramref name="view"/> into a pooled lease that never aliases it.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="view">The data to copy, typically a view into guest memory.</param>
    /// <returns>A lease of exactly <c>view.Length</c> elements; dispose it to return its buffer to the pool.</returns>
    public static WasmLease<T> LeaseCopy<T>(this Span<T> view)
        where T : unmanaged => WasmLease<T>.CopyOf(view);

    /// <summary>Copies <paramref name="view"/> into a pooled lease that never aliases it.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="view">The data to copy, typically a view into guest memory.</param>
    /// <returns>A lease of exactly <c>view.Length</c> elements; dispose it to return its buffer to the pool.</returns>
    public static WasmLease<T> LeaseCopy<T>(this ReadOnlySpan<T> view)
        where T : unmanaged => WasmLease<T>.CopyOf(view);

    /// <summary>Copies <paramref name="length"/> bytes of guest memory at <paramref name="address"/> into a pooled lease.</summary>
    /// <param name="memory">The guest memory.</param>
    /// <param name="address">Guest address of the first byte.</param>
    /// <param name="length">Number of bytes.</param>
    /// <returns>A lease of exactly <paramref name="length"/> bytes; dispose it to return its buffer to the pool.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="address"/> or <paramref name="length"/> is negative, or the range ends past the memory's current length.
    /// </exception>
    public static unsafe WasmLease<byte> LeaseCopy(this Wasmtime.Memory memory, long address, int length)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var basePointer = memory.GetPointer();
        var memoryLength = memory.GetLength();
        if ((ulong)address > (ulong)memoryLength || (uint)length > (ulong)(memoryLength - address))
        {
            ThrowHelper.ThrowViewOutOfRange(address, length, memoryLength);
        }

        return WasmLease<byte>.CopyOf(new ReadOnlySpan<byte>((byte*)basePointer + address, length));
    }
}
