using System.Globalization;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// Where the stress configuration keeps the regions a memory left, read from /proc/self/maps (Linux). Run alone: other
/// tests' mappings must not come and go meanwhile.
/// </summary>
[Collection(nameof(StressAddressSpaceTests))]
[CollectionDefinition(nameof(StressAddressSpaceTests), DisableParallelization = true)]
public sealed class StressAddressSpaceTests
{
    [Fact]
    public void RegionsAMemoryLeft_StayReservedAndInaccessibleUntilItsStoreIsDisposed()
    {
        Assert.True(OperatingSystem.IsLinux(), "the stress configuration keeps left regions on Linux only");
        using var engine = new Engine(WasmStress.CreateConfig());
        using var module = Module.FromText(engine, "left", """(module (memory (export "memory") 2))""");
        var store = new Store(engine);
        var memory = new Instance(store, module).GetMemory("memory")!;
        var left = new List<(ulong Start, ulong End)>();

        for (var grow = 0; grow < 4; grow++)
        {
            var start = (ulong)memory.GetPointer();
            left.Add((start, start + (ulong)memory.GetLength()));
            memory.Grow(1);
        }

        var whileAlive = Mappings();
        store.Dispose();
        var afterDispose = Mappings();

        Assert.All(left, region => Assert.Equal("---p", MappingOver(whileAlive, region)?.Permissions));
        Assert.All(left, region => Assert.NotEqual("---p", MappingOver(afterDispose, region)?.Permissions));
    }

    [Fact]
    public void GrowOfZeroPages_DoesNotMove()
    {
        using var host = new GuestHost(stress: true);
        var grow = host.Guard.GetRequiredFunction<int, int>(host.Instance, "grow");
        var before = host.Memory.GetPointer();

        host.Memory.Grow(0);
        host.Guard.Grow(0);
        grow(0);

        Assert.Equal(before, host.Memory.GetPointer());
    }

    [Fact]
    public void MemoryOfZeroPages_GrowsAndMoves()
    {
        using var engine = new Engine(WasmStress.CreateConfig());
        using var module = Module.FromText(engine, "empty", """(module (memory (export "memory") 0))""");
        using var store = new Store(engine);
        var memory = new Instance(store, module).GetMemory("memory")!;
        var empty = memory.GetPointer();

        memory.Grow(1);
        memory.WriteByte(GuestHost.PageSize - 1, 7);

        Assert.NotEqual(0, empty);
        Assert.NotEqual(empty, memory.GetPointer());
        Assert.Equal(GuestHost.PageSize, memory.GetLength());
        Assert.Equal(7, memory.ReadByte(GuestHost.PageSize - 1));
    }

    private static (ulong Start, ulong End, string Permissions)? MappingOver(List<(ulong Start, ulong End, string Permissions)> mappings, (ulong Start, ulong End) region) =>
        mappings.Where(mapping => mapping.Start <= region.Start && region.End <= mapping.End).Select(mapping => ((ulong, ulong, string)?)mapping).FirstOrDefault();

    private static List<(ulong Start, ulong End, string Permissions)> Mappings() =>
        File.ReadAllLines("/proc/self/maps")
            .Select(line => line.Split(' ', 3))
            .Select(fields =>
            {
                var range = fields[0].Split('-');
                return (ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), fields[1]);
            })
            .ToList();
}
