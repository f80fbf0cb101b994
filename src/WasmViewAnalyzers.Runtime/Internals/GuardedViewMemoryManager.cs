using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>
/// Backs <see cref="GuardedView.Memory"/> so that a <see cref="Memory{T}"/> kept for later is still checked when it is
/// finally read: <see cref="Memory{T}.Span"/> and <see cref="Memory{T}.Pin"/> come back here.
/// </summary>
internal sealed class GuardedViewMemoryManager : MemoryManager<byte>
{
    private readonly GuardedView _view;

    public GuardedViewMemoryManager(GuardedView view) => _view = view;

    public override Span<byte> GetSpan() => _view.Span;

    // Guest memory is native memory and never moved by the GC, so pinning is only a freshness check; the pointer
    // still dangles if the guest later grows memory, as a pinned pointer into any pooled buffer would.
    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        var span = _view.Span;
        if ((uint)elementIndex > (uint)span.Length)
        {
            ThrowHelper.ThrowPinIndexOutOfRange(elementIndex, span.Length);
        }

        return new MemoryHandle(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetReference(span), elementIndex)));
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
