using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

public sealed class WasmStressTests
{
    [Fact]
    public void CreateConfig_EveryHostGrowMovesMemoryAndKeepsItsBytes()
    {
        using var host = new GuestHost(stress: true);
        for (var i = 0; i < 8; i++)
        {
            var before = host.Memory.GetPointer();
            host.Memory.Grow(1);
            var after = host.Memory.GetPointer();

            Assert.NotEqual(before, after);
            Assert.Equal(GuestHost.Greeting, host.Memory.ReadString(GuestHost.GreetingAddress, GuestHost.Greeting.Length));
        }

        Assert.Equal(9 * GuestHost.PageSize, host.Memory.GetLength());
    }

    [Fact]
    public void CreateConfig_EveryGuestMemoryGrowMovesMemory()
    {
        using var host = new GuestHost(stress: true);
        var grow = host.Instance.GetFunction<int, int>("grow")!;

        for (var i = 0; i < 8; i++)
        {
            var before = host.Memory.GetPointer();

            Assert.Equal(i + 1, grow(1));

            Assert.NotEqual(before, host.Memory.GetPointer());
        }
    }

    [Fact]
    public unsafe void ThrowIfOutsideMemory_RawSpanKeptAcrossAGrow_Throws_EvenAfterAnotherStoreMappedAMemory()
    {
        using var host = new GuestHost(stress: true);
        var kept = (nint)host.Memory.GetPointer() + GuestHost.GreetingAddress;
        var grow = host.Guard.GetFunction<int, int>(host.Instance, "grow")!;

        grow(1);
        using var otherStore = new Store(host.Engine);
        _ = new Memory(otherStore, minimum: 1);

        StaleWasmViewException? exception = null;
        try
        {
            host.Guard.ThrowIfOutsideMemory(new ReadOnlySpan<byte>((void*)kept, 5));
        }
        catch (StaleWasmViewException caught)
        {
            exception = caught;
        }

        Assert.NotNull(exception);
        Assert.Equal(StaleViewCause.RawViewOutsideMemory, exception.Cause);
        Assert.Equal(kept, exception.PreviousBaseAddress);
        Assert.Equal(host.Memory.GetPointer(), exception.CurrentBaseAddress);
        Assert.Contains($"The raw view checked in {nameof(ThrowIfOutsideMemory_RawSpanKeptAcrossAGrow_Throws_EvenAfterAnotherStoreMappedAMemory)} at WasmStressTests.cs:", exception.Message);
        Assert.Contains($"(5 bytes at 0x{(ulong)kept:X}) does not point into the guest memory, which is now 131072 bytes at 0x{(ulong)host.Memory.GetPointer():X}", exception.Message);
    }

    [Fact]
    public void ThrowIfOutsideMemory_SpansInsideMemory_Pass_EvenAcrossACallThatOverwroteThem()
    {
        // The documented limit: the check sees where a span points, not what the guest wrote there.
        using var host = new GuestHost(stress: true);
        var fill = host.Guard.GetAction<int, int, int>(host.Instance, "fill")!;
        var span = host.Memory.GetSpan(GuestHost.GreetingAddress, 5);

        fill(GuestHost.GreetingAddress, 5, 'z');

        host.Guard.ThrowIfOutsideMemory(span);
        host.Guard.ThrowIfOutsideMemory(host.Memory.GetSpan(0, GuestHost.PageSize));
        host.Guard.ThrowIfOutsideMemory(ReadOnlySpan<byte>.Empty);
        Assert.Equal("zzzzz", System.Text.Encoding.ASCII.GetString(span));
    }

    [Fact]
    public unsafe void ThrowIfOutsideMemory_SpanRunningPastTheEnd_Throws()
    {
        using var host = new GuestHost();
        var end = (nint)host.Memory.GetPointer() + GuestHost.PageSize - 2;

        Assert.Throws<StaleWasmViewException>(() => host.Guard.ThrowIfOutsideMemory(new ReadOnlySpan<byte>((void*)end, 4)));
        host.Guard.ThrowIfOutsideMemory(new ReadOnlySpan<byte>((void*)end, 2));
    }
}
