using System.Runtime.CompilerServices;
using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime;

/// <summary>
/// A view of guest linear memory that checks its own freshness on every access: it throws
/// <see cref="StaleWasmViewException"/> instead of reading bytes after a guest call or a grow.
/// </summary>
/// <remarks>
/// <para>
/// Obtain one from <see cref="GuestMemoryGuard.GetView"/>. Unlike <see cref="Span{T}"/>, a guarded view may be stored
/// in fields and queued: a stale one cannot be read, only rejected. Every access (<see cref="Span"/>,
/// <see cref="Memory"/>, <see cref="CopyTo"/>, <see cref="ToArray"/>, <see cref="LeaseCopy"/>, <see cref="AsStream"/>)
/// checks that no guarded call or guarded grow happened since the view was obtained, and that the memory's base
/// address and length are unchanged (which catches calls that bypassed the guard and grew or moved memory).
/// </para>
/// <para>
/// The check guards the moment of access. A <see cref="Span{T}"/> taken from <see cref="Span"/> is a raw view again:
/// use it right away, never across a guest call. <see cref="Memory"/> stays checked, because every
/// <c>Memory&lt;byte&gt;.Span</c> goes back through this view.
/// </para>
/// <para>
/// <c>default(GuardedView)</c> is an empty view that is never stale. Like its guard, a view is single-threaded: read on
/// another thread while a guarded call runs, it throws <see cref="InvalidOperationException"/>.
/// </para>
/// </remarks>
[RuntimeCheckedView]
public readonly struct GuardedView
{
    private readonly GuardCore? _core;
    private readonly long _address;
    private readonly long _epoch;
    private readonly nint _basePointer;
    private readonly long _memoryLength;
    private readonly string _member;
    private readonly string _file;
    private readonly int _length;
    private readonly int _line;

    internal GuardedView(GuardCore core, long address, int length, long epoch, nint basePointer, long memoryLength, string member, string file, int line)
    {
        _core = core;
        _address = address;
        _length = length;
        _epoch = epoch;
        _basePointer = basePointer;
        _memoryLength = memoryLength;
        _member = member;
        _file = file;
        _line = line;
    }

    /// <summary>Number of bytes in the view. Reading it never throws.</summary>
    public int Length => _length;

    /// <summary>Guest address of the first byte. Reading it never throws.</summary>
    public long Address => _address;

    /// <summary>
    /// <see langword="true"/> when an access would throw: <see cref="StaleWasmViewException"/>,
    /// <see cref="ObjectDisposedException"/> once the store that owns the memory is disposed, or
    /// <see cref="InvalidOperationException"/> while another thread is inside a guarded call over the memory. Never
    /// throws itself.
    /// </summary>
    public bool IsStale
    {
        get
        {
            var core = _core;
            if (core is null)
            {
                return false;
            }

            if (core.Epoch != _epoch || core.IsBusyElsewhere)
            {
                return true;
            }

            try
            {
                var memory = core.Memory!;
                return memory.GetPointer() != _basePointer || memory.GetLength() != _memoryLength;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// The viewed bytes, after checking that they are fresh. The returned span is not checked again: use it before the
    /// next guest call.
    /// </summary>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    [GuestViewSource]
    public unsafe Span<byte> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var core = _core;
            if (core is null)
            {
                return default;
            }

            if (core.IsBusyElsewhere)
            {
                ThrowHelper.ThrowViewUsedOnTwoThreads(this);
            }

            if (core.Epoch != _epoch)
            {
                ThrowHelper.ThrowStale(this);
            }

            var memory = core.Memory!;
            var basePointer = memory.GetPointer();
            if (basePointer != _basePointer || memory.GetLength() != _memoryLength)
            {
                ThrowHelper.ThrowStale(this);
            }

            return new Span<byte>((byte*)basePointer + _address, _length);
        }
    }

    /// <summary>
    /// The viewed bytes as a <see cref="Memory{T}"/> that stays checked: each later <c>.Span</c> or <c>Pin()</c> on it
    /// re-checks freshness and throws <see cref="StaleWasmViewException"/> once the view is stale.
    /// </summary>
    /// <remarks>Each call allocates a small <see cref="System.Buffers.MemoryManager{T}"/>; prefer <see cref="Span"/> on hot paths.</remarks>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    [GuestViewSource]
    public Memory<byte> Memory
    {
        get
        {
            ThrowIfStale();
            return _core is null ? default : new GuardedViewMemoryManager(this).Memory;
        }
    }

    /// <summary>Throws <see cref="StaleWasmViewException"/> when the view is stale.</summary>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    public void ThrowIfStale() => _ = Span;

    /// <summary>Copies the viewed bytes to <paramref name="destination"/> after checking that they are fresh.</summary>
    /// <param name="destination">Receives the bytes; must be at least <see cref="Length"/> long.</param>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the view.</exception>
    public void CopyTo(Span<byte> destination) => Span.CopyTo(destination);

    /// <summary>Copies the viewed bytes to a new array after checking that they are fresh.</summary>
    /// <returns>A copy that stays valid after guest calls.</returns>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>Copies the viewed bytes to a pooled lease after checking that they are fresh.</summary>
    /// <returns>A copy that stays valid after guest calls; dispose it to return its buffer to the pool.</returns>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    public WasmLease<byte> LeaseCopy() => WasmLease<byte>.CopyOf(Span);

    /// <summary>
    /// Opens a read-only, seekable stream over the view; the stream checks freshness on every read.
    /// </summary>
    /// <returns>A <see cref="GuardedStream"/> positioned at the first byte.</returns>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    [GuestViewSource]
    public GuardedStream AsStream()
    {
        ThrowIfStale();
        return new GuardedStream(this);
    }

    internal GuardCore? Core => _core;

    internal long Epoch => _epoch;

    internal nint BasePointer => _basePointer;

    internal long MemoryLength => _memoryLength;

    internal string Member => _member;

    internal string File => _file;

    internal int Line => _line;
}
