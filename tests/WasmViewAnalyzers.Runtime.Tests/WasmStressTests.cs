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
}
