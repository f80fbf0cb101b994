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
/// Guards over the same memory share what they know: a call or grow through any of them makes the views of all stale,
/// and <see cref="GuardedCallCount"/> counts the calls of all.
/// </para>
/// <para>
/// Like the Wasmtime <see cref="Store"/> it belongs to, a guard is single-threaded: use it, its views and its wrappers
/// only on the thread that currently owns the store. A thread that enters a guarded call, a guarded callback or
/// <see cref="Grow"/>, obtains or reads a view, while another thread is inside one of them gets an
/// <see cref="InvalidOperationException"/> naming both threads.
/// </para>
/// <para>
/// <c>DefineFunction</c> has an overload for every typed <c>Linker.DefineFunction</c> of Wasmtime: up to 12 parameters
/// and 4 results. The call wrappers (<c>GetFunction</c>, <c>GetAction</c>, <c>Wrap</c>) go to 16 parameters, as
/// Wasmtime's <c>Instance.GetFunction</c> does.
/// </para>
/// </remarks>
public sealed partial class GuestMemoryGuard
{
    /// <summary>The length of the invalidation history a guarded memory keeps, to name what made a view stale.</summary>
    internal const int HistoryLength = GuardCore.HistoryLength;

    // Replaced once, when a guard created without a memory attaches one that other guards already share.
    private GuardCore _core;

    /// <summary>Creates a guard for <paramref name="memory"/>.</summary>
    /// <param name="memory">The guest memory whose views this guard hands out.</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The store that owns <paramref name="memory"/> was disposed.</exception>
    public GuestMemoryGuard(Memory memory)
    {
        ThrowIfUnusable(memory);
        _core = GuardCore.For(memory);
    }

    /// <summary>
    /// Creates a guard whose memory is attached later with <see cref="AttachMemory"/>: for hosts that define guarded
    /// host functions (<c>DefineFunction</c>) in a <see cref="Linker"/> before the instance, and so its memory, exists.
    /// </summary>
    public GuestMemoryGuard()
    {
        _core = new GuardCore();
    }

    /// <summary>The guarded memory.</summary>
    /// <exception cref="InvalidOperationException">No memory is attached yet.</exception>
    public Memory Memory => _core.Memory ?? ThrowHelper.ThrowNoMemoryAttached();

    /// <summary>
    /// Attaches the memory to guard, once, to a guard created without one (typically the memory an instance exports,
    /// after the <see cref="Linker"/> that holds the guarded host functions instantiated it). If other guards already
    /// guard that memory, this one shares their state from now on.
    /// </summary>
    /// <param name="memory">The guest memory whose views this guard hands out.</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The store that owns <paramref name="memory"/> was disposed.</exception>
    /// <exception cref="InvalidOperationException">The guard already guards a memory.</exception>
    public void AttachMemory(Memory memory)
    {
        ThrowIfUnusable(memory);
        if (_core.Memory is not null)
        {
            throw new InvalidOperationException("The guard already guards a memory; create another guard for another memory.");
        }

        _core = _core.Attach(memory);
    }

    /// <summary>
    /// Number of guarded calls so far, through this guard and every other guard over the same memory: wrapped guest
    /// calls, successful <see cref="Grow"/> calls, <see cref="NotifyGuestCall"/> notifications, and each entry into and
    /// return from a host callback defined through a guard's <c>DefineFunction</c>. Stale-view messages number calls
    /// with it.
    /// </summary>
    public long GuardedCallCount => _core.CallCount;

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
        var core = _core;
        if (core.IsBusyElsewhere)
        {
            ThrowHelper.ThrowUsedOnTwoThreads(core, "GetView");
        }

        var memory = core.Memory ?? ThrowHelper.ThrowNoMemoryAttached();
        var basePointer = memory.GetPointer();
        var memoryLength = memory.GetLength();
        if ((ulong)address > (ulong)memoryLength || (uint)length > (ulong)(memoryLength - address))
        {
            ThrowHelper.ThrowViewOutOfRange(address, length, memoryLength);
        }

        core.ViewIssued();
        return new GuardedView(core, address, length, core.Epoch, basePointer, memoryLength, member, file, line);
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
        var core = _core;
        var memory = core.Memory ?? ThrowHelper.ThrowNoMemoryAttached();
        var wasBusy = core.Enter(GuardEntry.Grow, "Grow");
        try
        {
            // Grow runs no guest code and no view can be read while it runs, so recording after it succeeded is as
            // safe as before, and a refused grow leaves every view valid.
            var previousPages = memory.Grow(deltaPages);
            core.InvalidateByGrow(deltaPages, member, file, line);
            return previousPages;
        }
        finally
        {
            core.Leave(wasBusy);
        }
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
        var core = _core;
        if (core.IsBusyElsewhere)
        {
            ThrowHelper.ThrowUsedOnTwoThreads(core, "ThrowIfOutsideMemory");
        }

        var memory = core.Memory ?? ThrowHelper.ThrowNoMemoryAttached();
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
        var core = _core;
        if (core.IsBusyElsewhere)
        {
            ThrowHelper.ThrowUsedOnTwoThreads(core, "NotifyGuestCall");
        }

        core.Invalidate(InvalidationKind.NotifiedGuestCall, description);
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
    internal CallScope EnterCall(string name) => _core.EnterCall(name);

    /// <summary>Called by every wrapper when WebAssembly returns (or traps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ExitCall(string name, in CallScope scope) => _core.ExitCall(name, scope);

    /// <summary>
    /// Called by every guarded host callback when the guest calls it: the guest ran up to here, so a view obtained
    /// before (outside the guest, or in an earlier callback) is stale. Returns whether the thread was inside the guard
    /// already (the guest was called through it), for <see cref="ExitCallback"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool EnterCallback(string name)
    {
        var core = _core;
        var wasBusy = core.Enter(GuardEntry.Callback, name);
        core.Invalidate(InvalidationKind.CallbackEntered, name);
        return wasBusy;
    }

    /// <summary>
    /// Called by every guarded host callback when it returns to WebAssembly (or throws): the guest runs again, so a
    /// view obtained in the callback is stale from now on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ExitCallback(string name, bool wasBusy)
    {
        var core = _core;
        core.Invalidate(InvalidationKind.CallbackReturned, name);
        core.Leave(wasBusy);
    }

    private static void ThrowIfUnusable(Memory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        try
        {
            _ = memory.GetPointer();
        }
        catch (ObjectDisposedException exception)
        {
            throw new ArgumentException("The memory cannot be guarded: the store that owns it was disposed.", nameof(memory), exception);
        }
    }
}
