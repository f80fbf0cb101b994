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
            case "raw-read-after-grows-until-memory-covers-it":
                RawReadAfterGrowsUntilMemoryCoversIt();
                return 0;
            default:
                Console.WriteLine($"unknown scenario {name}");
                return 2;
        }
    }

    /// <summary>
    /// Under the stress configuration: fills a one-page memory, keeps a raw pointer into it, grows it (which moves it),
    /// optionally creates other stores whose memories are mapped wherever the kernel finds room, and reads through the
    /// old pointer. Prints "read XX" if the read returned at all.
    /// </summary>
    private static unsafe void RawReadAfterGrow(int otherStores)
    {
        using var engine = new Engine(WasmStress.CreateConfig());
        using var module = Module.FromText(engine, "scenario", """(module (memory (export "memory") 1))""");
        using var store = new Store(engine);
        var memory = new Instance(store, module).GetMemory("memory")!;
        memory.GetSpan(0, GuestHost.PageSize).Fill(Original);
        var kept = (byte*)memory.GetPointer();

        memory.Grow(1);
        var others = new List<Store>();
        for (var i = 0; i < otherStores; i++)
        {
            var other = new Store(engine);
            new Instance(other, module).GetMemory("memory")!.GetSpan(0, GuestHost.PageSize).Fill(Other);
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

    /// <summary>
    /// Under the stress configuration: keeps a raw pointer into a one-page memory and grows the memory a page at a time
    /// until the memory covers the pointer again (a later region mapped where the first one was) or 64 grows went by,
    /// then reads through the pointer. Prints "covered True" if the memory came back over it, then "read XX" if the read
    /// returned at all.
    /// </summary>
    private static unsafe void RawReadAfterGrowsUntilMemoryCoversIt()
    {
        using var engine = new Engine(WasmStress.CreateConfig());
        using var module = Module.FromText(engine, "scenario", """(module (memory (export "memory") 1))""");
        using var store = new Store(engine);
        var memory = new Instance(store, module).GetMemory("memory")!;
        memory.GetSpan(0, GuestHost.PageSize).Fill(Original);
        var kept = (byte*)memory.GetPointer() + GuestHost.PageSize / 2;

        var covered = false;
        for (var grow = 0; grow < 64 && !covered; grow++)
        {
            memory.Grow(1);
            var offset = kept - (byte*)memory.GetPointer();
            covered = offset >= 0 && offset < memory.GetLength();
        }

        Console.WriteLine("moved " + (memory.GetPointer() != (nint)kept - GuestHost.PageSize / 2));
        Console.WriteLine("covered " + covered);
        Console.Out.Flush();
        Console.WriteLine($"read {kept[0]:X2}");
    }
}
