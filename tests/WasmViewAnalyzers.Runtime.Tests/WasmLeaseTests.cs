using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace WasmViewAnalyzers.Runtime.Tests;

public sealed class WasmLeaseTests : IDisposable
{
    private readonly GuestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void LeaseCopy_OfGuestMemory_HasExactLengthAndTheGuestBytes()
    {
        using var lease = _host.Memory.LeaseCopy(GuestHost.GreetingAddress, GuestHost.Greeting.Length);

        Assert.Equal(GuestHost.Greeting.Length, lease.Length);
        Assert.Equal(GuestHost.Greeting.Length, lease.Span.Length);
        Assert.Equal(GuestHost.Greeting.Length, lease.Memory.Length);
        Assert.Equal(GuestHost.Greeting, Encoding.ASCII.GetString(lease.Span));
        Assert.True(MemoryMarshal.TryGetArray<byte>(lease.Memory, out var segment));
        Assert.True(segment.Array!.Length >= GuestHost.Greeting.Length);
    }

    [Fact]
    public void LeaseCopy_IsACopy_GuestOverwriteAfterLeasingDoesNotChangeIt()
    {
        var fill = _host.Guard.GetAction<int, int, int>(_host.Instance, "fill")!;
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, GuestHost.Greeting.Length);
        using var fromView = view.LeaseCopy();
        using var fromSpan = _host.Memory.GetSpan(GuestHost.GreetingAddress, GuestHost.Greeting.Length).LeaseCopy();
        using var fromMemory = _host.Memory.LeaseCopy(GuestHost.GreetingAddress, GuestHost.Greeting.Length);

        fill(GuestHost.GreetingAddress, GuestHost.Greeting.Length, '#');

        Assert.Equal(new string('#', GuestHost.Greeting.Length), _host.Memory.ReadString(GuestHost.GreetingAddress, GuestHost.Greeting.Length));
        Assert.Equal(GuestHost.Greeting, Encoding.ASCII.GetString(fromView.Span));
        Assert.Equal(GuestHost.Greeting, Encoding.ASCII.GetString(fromSpan.Span));
        Assert.Equal(GuestHost.Greeting, Encoding.ASCII.GetString(fromMemory.Span));
    }

    [Fact]
    public void LeaseCopy_SurvivesAGrowThatMovesMemory()
    {
        using var host = new GuestHost(stress: true);
        using var lease = host.Memory.LeaseCopy(GuestHost.GreetingAddress, 5);

        host.Guard.Grow(1);

        Assert.Equal("hello", Encoding.ASCII.GetString(lease.Span));
    }

    [Fact]
    public void LeaseCopy_OfReadOnlySpanOfInts_CopiesTheElements()
    {
        ReadOnlySpan<int> source = [1, 2, 3, 4, 5];

        using var lease = source.LeaseCopy();

        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, lease.Span.ToArray());
    }

    [Fact]
    public void Disposed_SpanAndMemoryThrowObjectDisposed()
    {
        var lease = _host.Memory.LeaseCopy(0, 32);

        lease.Dispose();

        Assert.Throws<ObjectDisposedException>(() => lease.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => lease.Memory);
        Assert.Equal(32, lease.Length);
    }

    [Fact]
    public void DisposingACopy_DisposesEveryCopy_AndDisposingTwiceIsHarmless()
    {
        var lease = _host.Memory.LeaseCopy(0, 32);
        var copy = lease;

        copy.Dispose();
        copy.Dispose();
        lease.Dispose();

        Assert.Throws<ObjectDisposedException>(() => lease.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => copy.Memory);
    }

    [Fact]
    public void StaleHandle_AfterItsSlotIsReusedByANewerLease_StillThrows_AndCannotDisposeTheNewerLease()
    {
        var old = _host.Memory.LeaseCopy(GuestHost.GreetingAddress, 5);
        old.Dispose();

        using var newer = _host.Memory.LeaseCopy(GuestHost.GreetingAddress + 7, 5);

        Assert.Same(old.Slot, newer.Slot);
        Assert.Throws<ObjectDisposedException>(() => old.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => old.Memory);
        old.Dispose();
        Assert.Equal("guest", Encoding.ASCII.GetString(newer.Span));
    }

    [Fact]
    public void Dispose_ReturnsTheArrayToTheSharedPool()
    {
        // 3000 bytes fall in the pool's 4096-byte bucket; the shared pool hands the array this thread returned last
        // back to this thread first.
        var lease = _host.Memory.LeaseCopy(0, 3000);
        Assert.True(MemoryMarshal.TryGetArray<byte>(lease.Memory, out var segment));

        lease.Dispose();
        var rented = ArrayPool<byte>.Shared.Rent(3000);
        ArrayPool<byte>.Shared.Return(rented);

        Assert.Same(segment.Array, rented);
    }

    [Fact]
    public void DisposeThroughIMemoryOwner_ReturnsTheLease()
    {
        var lease = _host.Memory.LeaseCopy(0, 8);
        IMemoryOwner<byte> owner = lease;

        Assert.Equal(8, owner.Memory.Length);
        owner.Dispose();

        Assert.Throws<ObjectDisposedException>(() => lease.Span.Length);
    }

    [Fact]
    public void EmptyLease_HasNoElementsAndStillHonoursDispose()
    {
        var lease = Span<byte>.Empty.LeaseCopy();

        Assert.Equal(0, lease.Length);
        Assert.True(lease.Span.IsEmpty);
        lease.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lease.Span.Length);
    }

    [Fact]
    public void DefaultLease_IsEmptyAndDisposeDoesNothing()
    {
        WasmLease<byte> lease = default;

        lease.Dispose();

        Assert.Equal(0, lease.Length);
        Assert.True(lease.Span.IsEmpty);
        Assert.True(lease.Memory.IsEmpty);
    }

    [Fact]
    public void LeaseAndDispose_InSteadyState_AllocatesNothing()
    {
        var view = _host.Guard.GetView(0, 4096);
        for (var i = 0; i < 100; i++)
        {
            view.LeaseCopy().Dispose();
            _host.Memory.LeaseCopy(0, 64).Dispose();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            view.LeaseCopy().Dispose();
            _host.Memory.LeaseCopy(0, 64).Dispose();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
