using System.Runtime.CompilerServices;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>
/// What a <see cref="GuestMemoryGuard"/> knows about its memory: the invalidations (epoch and history), the guarded call
/// running, and the thread inside the guard. One per memory, shared by every guard over it, so that a call through any
/// of them invalidates the views of all; views keep the core, not the guard.
/// </summary>
internal sealed class GuardCore
{
    // Power of two so the ring index is a mask. Views queued over a batch see two or three invalidations per item,
    // so 128 names the culprit for batches of about 40 items and more; older ones are summarized instead of named.
    // At 32 bytes per record the ring costs 4 KiB per guarded memory, small next to one 64 KiB page of guest memory.
    internal const int HistoryLength = 128;
    private const int HistoryMask = HistoryLength - 1;

    // Wasmtime hands out one Memory object per memory of a store (Instance.GetMemory, Caller.GetMemory and
    // Instance.GetMemories return the object the store caches), so the object is the memory's identity. The table holds
    // it weakly: a core lives as long as the store's Memory object, or as any guard or view that uses it.
    private static readonly ConditionalWeakTable<Memory, GuardCore> ByMemory = new();

    private readonly InvalidationRecord[] _history = new InvalidationRecord[HistoryLength];
    private Memory? _memory;

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

    // A marker, not a lock: set while a thread is inside a guarded call, callback or grow, so that another thread
    // entering (or reading a view) meanwhile is caught. The owner is only rewritten when another thread takes over,
    // which keeps a reference store, and its GC write barrier, off the path a single-threaded host repeats.
    private bool _busy;
    private Thread? _owner;

    /// <summary>The core of <paramref name="memory"/>: the one its guards already share, or a new one.</summary>
    public static GuardCore For(Memory memory) => ByMemory.GetValue(memory, static memory => new GuardCore { _memory = memory });

    /// <summary>
    /// The core a guard created without a memory uses once <paramref name="memory"/> is attached: this one, unless the
    /// memory already has guards, whose core it then joins (what this one counted before is left behind).
    /// </summary>
    public GuardCore Attach(Memory memory)
    {
        _memory = memory;
        var core = ByMemory.GetValue(memory, _ => this);
        if (core != this)
        {
            _memory = null;
        }

        return core;
    }

    public Memory? Memory => _memory;

    public long Epoch => _epoch;

    public long CallCount => _callCount;

    /// <summary>The innermost guarded call running now, or <see langword="null"/> outside guarded calls.</summary>
    public string? ActiveCallName => _activeCallName;

    public long ActiveCallNumber => _activeCallNumber;

    /// <summary>The thread inside a guarded call, callback or grow, or <see langword="null"/> when none is.</summary>
    public Thread? Owner => _busy ? _owner : null;

    /// <summary>
    /// Whether a thread other than the current one is inside the guard: the check of everything that reads memory
    /// without entering. Costs one flag read outside guarded calls.
    /// </summary>
    public bool IsBusyElsewhere
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _busy && _owner != Thread.CurrentThread;
    }

    /// <summary>
    /// Marks the current thread as inside the guard, or throws when another thread is; returns whether it already was,
    /// for <see cref="Leave"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Enter(GuardEntry entry, string name)
    {
        var thread = Thread.CurrentThread;
        var wasBusy = _busy;
        if (_owner != thread)
        {
            if (wasBusy)
            {
                ThrowHelper.ThrowEnteredOnTwoThreads(this, entry, name);
            }

            _owner = thread;
        }

        _busy = true;
        return wasBusy;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Leave(bool wasBusy) => _busy = wasBusy;

    /// <summary>Records that a view was issued, so the next invalidation moves the epoch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ViewIssued() => _viewIssuedSinceLastInvalidation = true;

    /// <summary>Counts a guarded call and records it as an invalidation if a view is outstanding; returns its number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Invalidate(InvalidationKind kind, object detail)
    {
        var callNumber = ++_callCount;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(kind, callNumber, detail);
        }

        return callNumber;
    }

    /// <summary>Counts a successful guarded grow and records where it was called, if a view is outstanding.</summary>
    public void InvalidateByGrow(long deltaPages, string member, string file, int line)
    {
        var callNumber = ++_callCount;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(InvalidationKind.Grow, callNumber, new GrowSite(deltaPages, member, file, line));
        }
    }

    /// <summary>Called by every wrapper before it enters WebAssembly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public CallScope EnterCall(string name)
    {
        var wasBusy = Enter(GuardEntry.Call, name);
        var callNumber = Invalidate(InvalidationKind.GuestCall, name);
        var scope = new CallScope(callNumber, _activeCallName, _activeCallNumber, wasBusy);
        _activeCallName = name;
        _activeCallNumber = callNumber;
        return scope;
    }

    /// <summary>
    /// Called by every wrapper when WebAssembly returns (or traps). Only a view obtained during the call, from a host
    /// callback, can be fresh here; the guest kept running after that view was taken, so it is stale too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ExitCall(string name, in CallScope scope)
    {
        _activeCallName = scope.OuterName;
        _activeCallNumber = scope.OuterNumber;
        if (_viewIssuedSinceLastInvalidation)
        {
            Record(InvalidationKind.GuestCallContinued, scope.Number, name);
        }

        Leave(scope.WasBusy);
    }

    /// <summary>The first invalidation after <paramref name="epoch"/>, if the ring still holds it.</summary>
    public bool TryGetFirstInvalidationAfter(long epoch, out InvalidationRecord record)
    {
        record = _history[(epoch + 1) & HistoryMask];
        return record.Epoch == epoch + 1;
    }

    public InvalidationRecord LatestInvalidation => _history[_epoch & HistoryMask];

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Record(InvalidationKind kind, long callNumber, object detail)
    {
        _viewIssuedSinceLastInvalidation = false;
        var epoch = ++_epoch;
        _history[epoch & HistoryMask] = new InvalidationRecord(epoch, callNumber, kind, detail);
    }
}

/// <summary>The ways into the guard that mark the thread as inside it, for the message when another thread is.</summary>
internal enum GuardEntry
{
    Call,
    Callback,
    Grow,
}
