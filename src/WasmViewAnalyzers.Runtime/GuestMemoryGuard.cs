using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Wasmtime;
using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime;

/// <summary>
/// Guards one <see cref="Wasmtime.Memory"/>: hands out <see cref="GuardedView"/>s that refuse to be read
/// after a guest call or a grow, instead of silently reading bytes the guest may have overwritten or moved.
/// </summary>
/// <remarks>
/// <para>
/// The guard learns about guest calls through its wrappers (<c>GetFunction</c>, <c>GetAction</c>,
/// <c>GetRequiredFunction</c>, <c>GetRequiredAction</c>, <c>Wrap</c>, <see cref="GuardedFunction"/>,
/// <see cref="NotifyGuestCall"/>), about host callbacks through <c>DefineFunction</c> (the guest calling in and the
/// callback returning), and about grows through <see cref="Grow"/>.
/// Every view also compares the memory's base address and length with the ones it saw when it was
/// obtained, so a call that bypassed the guard and grew or moved memory is caught too.
/// </para>
/// <para>
/// Like the Wasmtime <see cref="Store"/> it belongs to, a guard is single-threaded: use it, its views and
/// its wrappers only on the thread that currently owns the store. Use one guard per memory.
/// </para>
/// </remarks>
public sealed partial class GuestMemoryGuard
{
    // Power of two so the ring index is a mask. Views queued over a batch see two or three invalidations per item,
    // so 128 names the culprit for batches of about 40 items and more; older ones are summarized instead of named.
    // At 32 bytes per record the ring costs 4 KiB per guard, small next to one 64 KiB page of guest memory.
    internal const int HistoryLength = 128;
    private const int HistoryMask = HistoryLength - 1;

    private Memory? _memory;
    private readonly InvalidationRecord[] _history = new InvalidationRecord[HistoryLength];

    // The epoch only moves when it must: an invalidation with no view issued since the last one cannot make
    // any view stale, so it costs a counter increment and nothing else. The first invalidation after a view
    // was issued always moves the epoch, so a view's "first invalidation" is the record at its epoch + 1.
    private long _epoch;
    private long _callCount;
    private bool _viewIssuedSinceLastInvalidation;

    // The innermost guarded call that is running (null outside guarded calls), so that a memory change seen during a
    // call can be blamed on it rather than on a call that bypassed the guard.
    private string? _activeCallName;
    private long _activeCallNumber;

    /// <summary>Creates a guard for <paramref name="memory"/>.</summary>
    /// <param name="memory">The guest memory whose views this guard hands out.</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The store that owns <paramref name="memory"/> was disposed.</exception>
    public GuestMemoryGuard(Memory memory)
    {
        AttachMemory(memory);
    }

    /// <summary>
    /// Creates a guard whose memory is attached later with <see cref="AttachMemory"/>: for hosts that define guarded
    /// host functions (<c>DefineFunction</c>) in a <see cref="Linker"/> before the instance, and so its memory, exists.
    /// </summary>
    public GuestMemoryGuard()
    {
    }

    /// <summary>The guarded memory.</summary>
    /// <exception cref="InvalidOperationException">No memory is attached yet.</exception>
    public Memory Memory => _memory ?? ThrowHelper.ThrowNoMemoryAttached();

    /// <summary>The guarded memory, for views: they exist only once a memory is attached.</summary>
    internal Memory AttachedMemory => _memory!;

    /// <summary>
    /// Attaches the memory to guard, once, to a guard created without one (typically the memory an instance exports,
    /// after the <see cref="Linker"/> that holds the guarded host functions instantiated it).
    /// </summary>
    /// <param name="memory">The guest memory whose views this guard hands out.</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The store that owns <paramref name="memory"/> was disposed.</exception>
    /// <exception cref="InvalidOperationException">The guard already guards a memory.</exception>
    public void AttachMemory(Memory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (_memory is not null)
        {
            throw new InvalidOperationException("The guard already guards a memory; use one guard per memory.");
        }

        try
        {
            _ = memory.GetPointer();
        }
        catch (ObjectDisposedException exception)
        {
            throw new ArgumentException("The memory cannot be guarded: the store that owns it was disposed.", nameof(memory), exception);
        }

        _memory = memory;
    }

    /// <summary>
    /// Number of guarded calls so far: wrapped guest calls, successful <see cref="Grow"/> calls,
    /// <see cref="NotifyGuestCall"/> notifications, and each entry into and return from a host callback defined
    /// through the guard's <c>DefineFunction</c>. Stale-view messages number calls with it.
    /// </summary>
    public long GuardedCallCount => _callCount;

    internal long Epoch => _epoch;

    /// <summary>The innermost guarded call running now, or <see langword="null"/> outside guarded calls.</summary>
    internal string? ActiveCallName => _activeCallName;

    internal long ActiveCallNumber => _activeCallNumber;

    /// <summary>
    /// Returns a view of <paramref name="length"/> bytes of guest memory at <paramref name="address"/> that
    /// throws <see cref="StaleWasmViewException"/> when it is read after a guest call or a grow.
    /// </summary>
    /// <param name="address">Guest address of the first byte.</param>
    /// <param name="length">Number of bytes.</param>
    /// <param name="member">Filled in by the compiler: the member that obtains the view, named by a stale-view error.</param>
    /// <param name="file">Filled in by the compiler: the source file that obtains the view.</param>
    /// <param name="line">Filled in by the compiler: the source line that obtains the view.</param>
    /// <returns>A guarded view over the same bytes as <c>Memory.GetSpan(address, length)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="address"/> or <paramref name="length"/> is negative, or the range ends past the memory's current length.
    /// </exception>
    [GuestViewSource]
    public GuardedView GetView(
        long address,
        int length,
        [CallerMemberName] string member = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        var memory = _memory ?? ThrowHelper.ThrowNoMemoryAttached();
        var basePointer = memory.GetPointer();
        var memoryLength = memory.GetLength();
        if ((ulong)address > (ulong)memoryLength || (uint)length > (ulong)(memoryLength - address))
        {
            ThrowHelper.ThrowViewOutOfRange(address, length, memoryLength);
        }

        _viewIssuedSinceLastInvalidation = true;
        return new GuardedView(this, address, length, _epoch, basePointer, memoryLength, member, file, line);
    }

    /// <summary>
    /// Opens a read-only, seekable stream over guest memory whose every read checks that the bytes are still
    /// fresh; the guarded replacement for <c>new UnmanagedMemoryStream(pointer + offset, length)</c>.
    /// </summary>
    /// <param name="address">Guest address of the first byte.</param>
    /// <param name="length">Number of bytes.</param>
    /// <param name="member">Filled in by the compiler: the member that opens the stream.</param>
    /// <param name="file">Filled in by the compiler: the source file that opens the stream.</param>
    /// <param name="line">Filled in by the compiler: the source line that opens the stream.</param>
    /// <returns>A stream over the same bytes as <c>Memory.GetSpan(address, length)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="address"/> or <paramref name="length"/> is negative, or the range ends past the memory's current length.
    /// </exception>
    [GuestViewSource]
    public GuardedStream OpenStream(
        long address,
        int length,
        [CallerMemberName] string member = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        return new GuardedStream(GetView(address, length, member, file, line));
    }

    /// <summary>
    /// Grows the guarded memory through Wasmtime and records it, so every view obtained earlier becomes stale. A grow
    /// that fails (a negative delta, past the memory's maximum) did not run: it is not recorded.
    /// </summary>
    /// <param name="deltaPages">Number of WebAssembly pages to add.</param>
    /// <param name="member">Filled in by the compiler: the member that grows memory, named by a stale-view error.</param>
    /// <param name="file">Filled in by the compiler: the source file that grows memory.</param>
    /// <param name="line">Filled in by the compiler: the source line that grows memory.</param>
    /// <returns>The previous size of the memory, in pages (as <see cref="Memory.Grow(long)"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deltaPages"/> is negative.</exception>
    /// <exception cref="WasmtimeException">Wasmtime refused the grow, for example past the memory's maximum.</exception>
    [GuestCall]
    public long Grow(
        long deltaPages,
        [CallerMemberName] string member = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        // Grow runs no guest code and no view can be read while it runs, so recording after it succeeded is as safe
        // as before, and a refused grow leaves every view valid.
        var previousPages = Memory.Grow(deltaPages);
        var callNumber = ++_callCount;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(InvalidationKind.Grow, callNumber, new GrowSite(deltaPages, member, file, line));
        }

        return previousPages;
    }

    /// <summary>
    /// Throws when <paramref name="span"/> does not lie inside the guarded memory as it is now: the check a test can
    /// make on a raw <see cref="Span{T}"/> or pointer that it suspects was kept across a grow. Under
    /// <see cref="WasmStress.CreateConfig"/> every grow of a page or more moves memory and, on Linux, the range a memory
    /// left stays reserved until its store is disposed, so any raw view kept across such a grow fails this check, where
    /// reading it would crash the process.
    /// </summary>
    /// <param name="span">A raw view that should point into the guarded memory.</param>
    /// <param name="member">Filled in by the compiler: the member that makes the check, named by the error.</param>
    /// <param name="file">Filled in by the compiler: the source file that makes the check.</param>
    /// <param name="line">Filled in by the compiler: the source line that makes the check.</param>
    /// <exception cref="StaleWasmViewException">
    /// The span is not inside the memory (cause <see cref="StaleViewCause.RawViewOutsideMemory"/>).
    /// </exception>
    /// <remarks>
    /// A raw view kept across a call that did not move memory still lies inside it and passes: this check finds views
    /// that memory moved away from, not bytes the guest overwrote.
    /// </remarks>
    public unsafe void ThrowIfOutsideMemory(
        ReadOnlySpan<byte> span,
        [CallerMemberName] string member = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        var memory = Memory;
        var basePointer = (ulong)memory.GetPointer();
        var memoryLength = (ulong)memory.GetLength();
        fixed (byte* start = span)
        {
            var offset = (ulong)start - basePointer;
            if (span.IsEmpty || (offset <= memoryLength && (ulong)span.Length <= memoryLength - offset))
            {
                return;
            }

            throw StaleWasmViewException.ForRawView((nint)start, span.Length, (nint)basePointer, (long)memoryLength, member, file, line);
        }
    }

    /// <summary>
    /// Records that the host is about to call (or has called) into WebAssembly some other way than through this
    /// guard, so every view obtained earlier becomes stale.
    /// </summary>
    /// <param name="description">What was called; a stale-view error quotes it.</param>
    [GuestCall]
    public void NotifyGuestCall(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var callNumber = ++_callCount;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(InvalidationKind.NotifiedGuestCall, callNumber, description);
        }
    }

    /// <summary>
    /// Wraps an untyped <see cref="Function"/> so that each <see cref="GuardedFunction.Invoke()"/> is recorded
    /// as a guest call.
    /// </summary>
    /// <param name="function">The function, typically from <c>Instance.GetFunction(name)</c>; may be <see langword="null"/>.</param>
    /// <param name="name">The name stale-view errors use for this function.</param>
    /// <returns>The guarded function, or <see langword="null"/> when <paramref name="function"/> is <see langword="null"/>.</returns>
    [return: NotNullIfNotNull(nameof(function))]
    public GuardedFunction? Wrap(Function? function, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return function is null ? null : new GuardedFunction(this, function, name);
    }

    /// <summary>Called by every wrapper before it enters WebAssembly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal CallScope EnterCall(string name)
    {
        var callNumber = ++_callCount;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(InvalidationKind.GuestCall, callNumber, name);
        }

        var scope = new CallScope(callNumber, _activeCallName, _activeCallNumber);
        _activeCallName = name;
        _activeCallNumber = callNumber;
        return scope;
    }

    /// <summary>
    /// Called by every wrapper when WebAssembly returns (or traps). Only a view obtained during the call, from a host
    /// callback, can be fresh here; the guest kept running after that view was taken, so it is stale too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ExitCall(string name, in CallScope scope)
    {
        _activeCallName = scope.OuterName;
        _activeCallNumber = scope.OuterNumber;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(InvalidationKind.GuestCallContinued, scope.Number, name);
        }
    }

    /// <summary>
    /// Called by every guarded host callback when the guest calls it: the guest ran up to here, so a view obtained
    /// before (outside the guest, or in an earlier callback) is stale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnterCallback(string name)
    {
        var callNumber = ++_callCount;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(InvalidationKind.CallbackEntered, callNumber, name);
        }
    }

    /// <summary>
    /// Called by every guarded host callback when it returns to WebAssembly (or throws): the guest runs again, so a
    /// view obtained in the callback is stale from now on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ExitCallback(string name)
    {
        var callNumber = ++_callCount;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(InvalidationKind.CallbackReturned, callNumber, name);
        }
    }

    /// <summary>The first invalidation after <paramref name="epoch"/>, if the ring still holds it.</summary>
    internal bool TryGetFirstInvalidationAfter(long epoch, out InvalidationRecord record)
    {
        record = _history[(epoch + 1) & HistoryMask];
        return record.Epoch == epoch + 1;
    }

    internal InvalidationRecord LatestInvalidation => _history[_epoch & HistoryMask];

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Record(InvalidationKind kind, long callNumber, object detail)
    {
        _viewIssuedSinceLastInvalidation = false;
        var epoch = ++_epoch;
        _history[epoch & HistoryMask] = new InvalidationRecord(epoch, callNumber, kind, detail);
    }
}
