using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>Scenarios that may crash their process, run by <see cref="ChildProcess"/>.</summary>
internal static class StressScenarios
{
    public const byte Original = 0xAB;
    public const byte Other = 0xCD;

    public static int Run(string name)
    {
        switch (name)
        {
            case "raw-read-after-grow":
                RawReadAfterGrow(otherStores: 0);
                return 0;
            case "raw-read-after-grow-with-other-stores":
                RawReadAfterGrow(otherStores: 32);
                return 0;
            default:
                Console.WriteLine($"unknown scenario {name}");
                return 2;
        }
    }

    /// <summary>
    /// Under the stress configuration: fills a one-page memory, keeps a raw pointer into it, grows it (which moves it),
    /// optionally creates other stores whose memories may be mapped where it was, and reads through the old pointer.
    /// Prints "read XX" if the read returned at all.
    /// </summary>
    private static unsafe void RawReadAfterGrow(int otherStores)
    {
        using var engine = new Engine(WasmStress.CreateConfig());
        using var store = new Store(engine);
        var memory = new Memory(store, minimum: 1);
        memory.GetSpan(0, GuestHost.PageSize).Fill(Original);
        var kept = (byte*)memory.GetPointer();

        memory.Grow(1);
        var others = new List<Store>();
        for (var i = 0; i < otherStores; i++)
        {
            var other = new Store(engine);
            new Memory(other, minimum: 1).GetSpan(0, GuestHost.PageSize).Fill(Other);
            others.Add(other);
        }

        Console.WriteLine("moved " + (memory.GetPointer() != (nint)kept));
        Console.Out.Flush();
        Console.WriteLine($"read {kept[GuestHost.PageSize / 2]:X2}");
        foreach (var other in others)
        {
            other.Dispose();
        }
    }
}
