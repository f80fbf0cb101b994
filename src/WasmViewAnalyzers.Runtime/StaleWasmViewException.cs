using System.Globalization;
using System.Text;
using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime;

/// <summary>What made a <see cref="GuardedView"/> stale.</summary>
public enum StaleViewCause
{
    /// <summary>A guarded guest call ran after the view was obtained.</summary>
    GuestCall,

    /// <summary>
    /// The view was obtained during a guarded guest call (in a host callback) and the guest kept running after that.
    /// </summary>
    GuestCallContinued,

    /// <summary><see cref="GuestMemoryGuard.Grow"/> ran after the view was obtained.</summary>
    Grow,

    /// <summary>A guest call reported through <see cref="GuestMemoryGuard.NotifyGuestCall"/> ran after the view was obtained.</summary>
    NotifiedGuestCall,

    /// <summary>
    /// Guarded calls ran after the view was obtained, but the first of them is older than the history the guard keeps.
    /// </summary>
    OlderThanHistory,

    /// <summary>
    /// No guarded call ran, but the memory's base address or length changed: a call that bypassed the guard grew or moved it.
    /// </summary>
    UnguardedMemoryChange,

    /// <summary>
    /// The guest ran and called a host callback defined through the guard's <c>DefineFunction</c> after the view was
    /// obtained.
    /// </summary>
    HostCallbackEntered,

    /// <summary>
    /// A host callback defined through the guard's <c>DefineFunction</c> returned to WebAssembly after the view was
    /// obtained (typically, the view was obtained in that callback and read in a later one).
    /// </summary>
    HostCallbackReturned,

    /// <summary>
    /// A raw span or pointer checked with <see cref="GuestMemoryGuard.ThrowIfOutsideMemory"/> does not point into the
    /// memory as it is now: memory moved (or shrank from its view) since the span was taken. For this cause the
    /// <c>AcquiredIn...</c> properties name where the check was made, and <see cref="StaleWasmViewException.PreviousBaseAddress"/> is the
    /// span's own address.
    /// </summary>
    RawViewOutsideMemory,
}

/// <summary>
/// Thrown when a <see cref="GuardedView"/> or <see cref="GuardedStream"/> is read after a guest call or a grow made its
/// bytes unreliable. The message says where the view was obtained and what invalidated it.
/// </summary>
public sealed class StaleWasmViewException : InvalidOperationException
{
    private StaleWasmViewException(string message, string member, string file, int line, nint spanAddress, nint currentBaseAddress, long currentMemoryLength)
        : base(message)
    {
        AcquiredInMember = member;
        AcquiredInFile = file;
        AcquiredAtLine = line;
        Cause = StaleViewCause.RawViewOutsideMemory;
        PreviousBaseAddress = spanAddress;
        CurrentBaseAddress = currentBaseAddress;
        PreviousMemoryLength = currentMemoryLength;
        CurrentMemoryLength = currentMemoryLength;
    }

    private StaleWasmViewException(string message, in GuardedView view, StaleViewCause cause, string? invalidatedBy, long? guardedCallNumber, nint currentBaseAddress, long currentMemoryLength)
        : base(message)
    {
        AcquiredInMember = view.Member;
        AcquiredInFile = view.File;
        AcquiredAtLine = view.Line;
        Cause = cause;
        InvalidatedBy = invalidatedBy;
        GuardedCallNumber = guardedCallNumber;
        PreviousBaseAddress = view.BasePointer;
        CurrentBaseAddress = currentBaseAddress;
        PreviousMemoryLength = view.MemoryLength;
        CurrentMemoryLength = currentMemoryLength;
    }

    /// <summary>The member that obtained the view.</summary>
    public string AcquiredInMember { get; }

    /// <summary>The full path of the source file that obtained the view.</summary>
    public string AcquiredInFile { get; }

    /// <summary>The source line that obtained the view.</summary>
    public int AcquiredAtLine { get; }

    /// <summary>What made the view stale.</summary>
    public StaleViewCause Cause { get; }

    /// <summary>
    /// The first invalidation after the view was obtained: the guest function's name, the <c>NotifyGuestCall</c>
    /// description, or <c>"Grow"</c>; <see langword="null"/> when it is unknown (<see cref="StaleViewCause.OlderThanHistory"/>,
    /// <see cref="StaleViewCause.UnguardedMemoryChange"/>).
    /// </summary>
    public string? InvalidatedBy { get; }

    /// <summary>
    /// The <see cref="GuestMemoryGuard.GuardedCallCount"/> number of the invalidating call, or <see langword="null"/>
    /// when it is unknown.
    /// </summary>
    public long? GuardedCallNumber { get; }

    /// <summary>The memory's base address when the view was obtained.</summary>
    public nint PreviousBaseAddress { get; }

    /// <summary>The memory's base address when the stale access was detected.</summary>
    public nint CurrentBaseAddress { get; }

    /// <summary>The memory's length in bytes when the view was obtained.</summary>
    public long PreviousMemoryLength { get; }

    /// <summary>The memory's length in bytes when the stale access was detected.</summary>
    public long CurrentMemoryLength { get; }

    internal static StaleWasmViewException Create(in GuardedView view, nint currentBase, long currentLength)
    {
        var core = view.Core!;
        var memoryChanged = currentBase != view.BasePointer || currentLength != view.MemoryLength;

        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"The guest memory view obtained in {view.Member} at {Path.GetFileName(view.File)}:{view.Line} ({view.Length} bytes at guest address 0x{view.Address:X}) is stale: ");

        StaleViewCause cause;
        string? invalidatedBy = null;
        long? callNumber = null;
        if (core.Epoch == view.Epoch && core.ActiveCallName is { } activeCall)
        {
            // Nothing was recorded since the view was taken, yet memory changed, and a guarded call is running: the
            // view was taken in a host callback of this call (any earlier view would have been invalidated on entry),
            // and the guest changed memory (memory.grow) after that callback returned.
            cause = StaleViewCause.GuestCallContinued;
            invalidatedBy = activeCall;
            callNumber = core.ActiveCallNumber;
            message.Append(CultureInfo.InvariantCulture, $"it was obtained during the call to '{activeCall}' (guarded call #{callNumber}), and WebAssembly kept running after it was obtained: the guest memory's ");
            AppendMemoryChange(message, view, currentBase, currentLength);
            message.Append(" since then (the guest grew it, with memory.grow or through a host function), so the guest may have overwritten or moved those bytes.");
        }
        else if (core.Epoch == view.Epoch)
        {
            cause = StaleViewCause.UnguardedMemoryChange;
            message.Append("the guest memory's ");
            AppendMemoryChange(message, view, currentBase, currentLength);
            message.Append(" since it was obtained, by a call that did not go through the guard (for example Function.Invoke or a delegate from Instance.GetFunction called directly), so the guest may have overwritten or moved those bytes. Route guest calls through the guard's GetFunction, GetAction or Wrap so it can name them.");
        }
        else if (core.TryGetFirstInvalidationAfter(view.Epoch, out var first))
        {
            cause = first.Kind switch
            {
                InvalidationKind.GuestCall => StaleViewCause.GuestCall,
                InvalidationKind.GuestCallContinued => StaleViewCause.GuestCallContinued,
                InvalidationKind.Grow => StaleViewCause.Grow,
                InvalidationKind.CallbackEntered => StaleViewCause.HostCallbackEntered,
                InvalidationKind.CallbackReturned => StaleViewCause.HostCallbackReturned,
                _ => StaleViewCause.NotifiedGuestCall,
            };
            invalidatedBy = first.Name;
            callNumber = first.CallNumber;
            AppendInvalidation(message, first);
            AppendAlsoChanged(message, view, memoryChanged, currentBase, currentLength);
        }
        else
        {
            cause = StaleViewCause.OlderThanHistory;
            var latest = core.LatestInvalidation;
            message.Append(CultureInfo.InvariantCulture, $"at least {core.Epoch - view.Epoch} guarded calls ran after it was obtained; the first is older than the last {GuestMemoryGuard.HistoryLength} the guard remembers, the latest was ");
            AppendInvalidationName(message, latest);
            message.Append(", so the guest may have overwritten or moved those bytes.");
            AppendAlsoChanged(message, view, memoryChanged, currentBase, currentLength);
        }

        message.Append(" Copy the view (ToArray() or LeaseCopy()) before calling into WebAssembly, or obtain it again after the call.");
        return new StaleWasmViewException(message.ToString(), view, cause, invalidatedBy, callNumber, currentBase, currentLength);
    }

    internal static StaleWasmViewException ForRawView(nint address, int length, nint currentBase, long currentLength, string member, string file, int line)
    {
        var message = string.Create(
            CultureInfo.InvariantCulture,
            $"The raw view checked in {member} at {Path.GetFileName(file)}:{line} ({length} bytes at 0x{(ulong)address:X}) does not point into the guest memory, which is now {currentLength} bytes at 0x{(ulong)currentBase:X}: it was taken before memory moved (a grow), so it points at memory that is unmapped or belongs to something else. Reading it would crash the process or return someone else's bytes. Obtain the view again after every call that may grow memory, or keep a GuardedView instead.");
        return new StaleWasmViewException(message, member, file, line, address, currentBase, currentLength);
    }

    private static void AppendInvalidation(StringBuilder message, in InvalidationRecord record)
    {
        switch (record.Kind)
        {
            case InvalidationKind.GuestCallContinued:
                message.Append(CultureInfo.InvariantCulture, $"it was obtained during the call to '{record.Name}' (guarded call #{record.CallNumber}), and WebAssembly kept running after it was obtained, so the guest may have overwritten or moved those bytes.");
                break;
            case InvalidationKind.Grow:
                AppendInvalidationName(message, record);
                message.Append(" ran after it was obtained, so guest memory may have moved.");
                break;
            case InvalidationKind.CallbackEntered:
                message.Append(CultureInfo.InvariantCulture, $"WebAssembly ran after it was obtained and called the host function '{record.Name}' (guarded call #{record.CallNumber}), so the guest may have overwritten or moved those bytes.");
                break;
            case InvalidationKind.CallbackReturned:
                message.Append(CultureInfo.InvariantCulture, $"the host function '{record.Name}' returned to WebAssembly (guarded call #{record.CallNumber}) after it was obtained, so the guest may have overwritten or moved those bytes; a view obtained in a host callback is valid only until the callback returns.");
                break;
            default:
                AppendInvalidationName(message, record);
                message.Append(" ran after it was obtained, so the guest may have overwritten or moved those bytes.");
                break;
        }
    }

    private static void AppendInvalidationName(StringBuilder message, in InvalidationRecord record)
    {
        switch (record.Kind)
        {
            case InvalidationKind.Grow:
                var grow = record.Grow!;
                var unit = grow.Pages == 1 ? "page" : "pages";
                message.Append(CultureInfo.InvariantCulture, $"Grow({grow.Pages} {unit}) in {grow.Member} at {Path.GetFileName(grow.File)}:{grow.Line} (guarded call #{record.CallNumber})");
                break;
            case InvalidationKind.NotifiedGuestCall:
                message.Append(CultureInfo.InvariantCulture, $"the guest call '{record.Name}' reported through NotifyGuestCall (guarded call #{record.CallNumber})");
                break;
            case InvalidationKind.CallbackEntered:
                message.Append(CultureInfo.InvariantCulture, $"the guest's call to the host function '{record.Name}' (guarded call #{record.CallNumber})");
                break;
            case InvalidationKind.CallbackReturned:
                message.Append(CultureInfo.InvariantCulture, $"the return of the host function '{record.Name}' to WebAssembly (guarded call #{record.CallNumber})");
                break;
            default:
                message.Append(CultureInfo.InvariantCulture, $"the call to '{record.Name}' (guarded call #{record.CallNumber})");
                break;
        }
    }

    private static void AppendAlsoChanged(StringBuilder message, in GuardedView view, bool memoryChanged, nint currentBase, long currentLength)
    {
        if (memoryChanged)
        {
            message.Append(" Since then the memory's ");
            AppendMemoryChange(message, view, currentBase, currentLength);
            message.Append('.');
        }
    }

    private static void AppendMemoryChange(StringBuilder message, in GuardedView view, nint currentBase, long currentLength)
    {
        var moved = currentBase != view.BasePointer;
        if (moved)
        {
            message.Append(CultureInfo.InvariantCulture, $"base address moved from 0x{(ulong)view.BasePointer:X} to 0x{(ulong)currentBase:X}");
        }

        if (currentLength != view.MemoryLength)
        {
            message.Append(moved ? " and its " : string.Empty);
            message.Append(CultureInfo.InvariantCulture, $"length changed from {view.MemoryLength} to {currentLength} bytes");
        }
    }
}
