using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>
/// Throwing lives here, out of line, so that the checks on hot paths stay small enough to inline.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowStale(in GuardedView view)
    {
        var memory = view.Core!.Memory!;
        nint currentBase;
        long currentLength;
        try
        {
            currentBase = memory.GetPointer();
            currentLength = memory.GetLength();
        }
        catch (ObjectDisposedException exception)
        {
            throw new ObjectDisposedException(
                $"The guest memory view obtained in {view.Member} at {Path.GetFileName(view.File)}:{view.Line} ({view.Length} bytes at guest address 0x{view.Address:X}) cannot be read: the store that owns its memory was disposed.",
                exception);
        }

        throw StaleWasmViewException.Create(view, currentBase, currentLength);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowEnteredOnTwoThreads(GuardCore core, GuardEntry entry, string name) =>
        ThrowUsedOnTwoThreads(
            core,
            entry switch
            {
                GuardEntry.Call => $"the guarded call to '{name}'",
                GuardEntry.Callback => $"the guarded host function '{name}', called by WebAssembly on this thread",
                _ => "Grow",
            });

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowViewUsedOnTwoThreads(in GuardedView view) =>
        ThrowUsedOnTwoThreads(view.Core!, $"a GuardedView obtained in {view.Member} at {Path.GetFileName(view.File)}:{view.Line}");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowUsedOnTwoThreads(GuardCore core, string attempted)
    {
        var owner = core.Owner;
        var inside = core.ActiveCallName is { } call
            ? $"the guarded call to '{call}' (guarded call #{core.ActiveCallNumber})"
            : "a guarded host callback or Grow";
        throw new InvalidOperationException(
            $"{Describe(Thread.CurrentThread)} used the guard of a guest memory ({attempted}) while {(owner is null ? "another thread" : Describe(owner))} was inside {inside}. A Wasmtime store, its memories and their guards are single-threaded: use them on one thread at a time (handing them to another thread between calls is fine), or give each thread its own store.");
    }

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
    public static void ThrowLeaseDisposedWhileReading() =>
        throw new ObjectDisposedException(
            "WasmLease",
            "The lease was disposed while it was being copied, on another thread: its buffer went back to the pool, so the copy may hold someone else's data. Dispose a lease only after every reader is done with it.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowPinIndexOutOfRange(int elementIndex, int length) =>
        throw new ArgumentOutOfRangeException(nameof(elementIndex), elementIndex, $"The index must be between 0 and the view length ({length}).");

    /// <summary>
    /// Wasmtime turns an exception thrown in a host callback into a trap and throws a <see cref="WasmtimeException"/>
    /// carrying it as its inner exception; the guard's wrappers throw the <see cref="StaleWasmViewException"/> itself,
    /// with its original stack trace, so that <c>catch (StaleWasmViewException)</c> sees it.
    /// </summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void RethrowStaleFromCallback(WasmtimeException exception) =>
        ExceptionDispatchInfo.Throw(exception.InnerException!);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowNoSuchExport(string name, Function? function, Type expected)
    {
        var wanted = TypeNames.Describe(expected);
        if (function is null)
        {
            throw new ArgumentException($"The instance exports no function named '{name}' (wanted one callable as {wanted}).", nameof(name));
        }

        var parameters = string.Join(", ", function.Parameters);
        var results = string.Join(", ", function.Results);
        throw new ArgumentException(
            $"The export '{name}' is a function ({parameters}) -> ({results}), which cannot be called as {wanted}.",
            nameof(name));
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Memory ThrowNoMemoryAttached() =>
        throw new InvalidOperationException("The guard has no memory yet: call AttachMemory once the instance exists, before taking views or growing memory.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowStreamDisposed() => throw new ObjectDisposedException(nameof(GuardedStream));

    private static string Describe(Thread thread) =>
        thread.Name is { } name ? $"thread {thread.ManagedThreadId} ('{name}')" : $"thread {thread.ManagedThreadId} (unnamed)";
}
