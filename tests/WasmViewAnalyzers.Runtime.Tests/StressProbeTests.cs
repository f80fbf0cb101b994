using System.Text;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// The stress configuration's promise, probed: under it no raw span kept across a grow that moved memory lies inside the
/// memory afterwards, whoever grew it and however the memory is declared. Raw spans are only checked here, never read:
/// reading one may kill the process (see <see cref="WasmStressChildProcessTests"/>).
/// </summary>
public sealed class StressProbeTests
{
    private const int Sequences = 1000;

    // Fixed, so that a failure names a sequence that can be replayed.
    private const int Seed = 22;

    [Fact]
    public unsafe void RawSpanKeptAcrossTwoGuardedGrows_NeverPassesThrowIfOutsideMemory()
    {
        // The repro of issue 22: a later region often landed on an earlier one (3 pages, then 4 just below, then 5
        // exactly on the first), within 16 rounds in every run.
        using var host = new GuestHost(stress: true);
        for (var round = 0; round < 32; round++)
        {
            var keptAt = (nint)host.Memory.GetPointer();

            host.Guard.Grow(1);
            host.Guard.Grow(1);

            var exception = Assert.Throws<StaleWasmViewException>(() => host.Guard.ThrowIfOutsideMemory(new ReadOnlySpan<byte>((void*)keptAt, 8)));
            Assert.Equal(StaleViewCause.RawViewOutsideMemory, exception.Cause);
        }
    }

    [Fact]
    public void RandomGrowSequences_NoStaleRawSpanPassesThrowIfOutsideMemory()
    {
        using var engine = new Engine(WasmStress.CreateConfig().WithMemory64(true).WithMultiMemory(true));
        var modules = Enum.GetValues<ProbeModule.Kind>().ToDictionary(kind => kind, kind => Module.FromText(engine, kind.ToString(), ProbeModule.Wat(kind)));
        try
        {
            var random = new Random(Seed);
            var failures = new List<string>();
            var staleChecks = 0;
            var freshChecks = 0;
            for (var sequence = 0; sequence < Sequences; sequence++)
            {
                var kind = (ProbeModule.Kind)random.Next(modules.Count);
                var probe = new ProbeRun(engine, modules[kind], kind, random);
                try
                {
                    probe.Run();
                }
                finally
                {
                    probe.Dispose();
                }

                staleChecks += probe.StaleChecks;
                freshChecks += probe.FreshChecks;
                if (probe.Failure is { } failure)
                {
                    failures.Add($"sequence {sequence} ({kind}): {failure}");
                }
            }

            Assert.True(failures.Count == 0, $"{failures.Count} of {Sequences} sequences let a stale raw span pass:\n" + string.Join("\n", failures.Take(20)));

            // The probe must have probed: many stale spans and many fresh ones (which must pass) were checked.
            Assert.True(staleChecks > Sequences, $"only {staleChecks} stale spans were checked");
            Assert.True(freshChecks > Sequences / 2, $"only {freshChecks} fresh spans were checked");
        }
        finally
        {
            foreach (var module in modules.Values)
            {
                module.Dispose();
            }
        }
    }

    /// <summary>One random sequence: a fresh store, raw spans taken between random grows, each checked after every grow.</summary>
    private sealed class ProbeRun : IDisposable
    {
        private readonly Store _store;
        private readonly ProbeModule.Kind _kind;
        private readonly Random _random;
        private readonly Memory _memory;
        private readonly GuestMemoryGuard _guard;
        private readonly Instance _instance;
        private readonly List<(nint Address, int Length, string TakenAt)> _fresh = [];
        private readonly List<(nint Address, int Length, string TakenAt)> _stale = [];
        private readonly StringBuilder _log = new();

        public ProbeRun(Engine engine, Module module, ProbeModule.Kind kind, Random random)
        {
            _store = new Store(engine);
            _kind = kind;
            _random = random;
            _instance = new Instance(_store, module);
            _memory = _instance.GetMemory("memory")!;
            _guard = new GuestMemoryGuard(_memory);
        }

        public int StaleChecks { get; private set; }

        public int FreshChecks { get; private set; }

        public string? Failure { get; private set; }

        public void Run()
        {
            var steps = _random.Next(2, 7);
            for (var step = 0; step < steps && Failure is null; step++)
            {
                for (var spans = _random.Next(0, 3); spans > 0; spans--)
                {
                    TakeSpan();
                }

                var pages = _random.Next(0, 3);
                var how = _random.Next(4);
                var before = _memory.GetPointer();
                var grew = Grow(how, pages);
                var moved = _memory.GetPointer() != before;
                _log.Append($" {HowName(how)}({pages}){(grew ? "" : " refused")}{(moved ? " moved" : "")};");

                if (grew && pages > 0)
                {
                    if (!moved)
                    {
                        Failure = "a grow of at least one page did not move memory:" + _log;
                        return;
                    }

                    _stale.AddRange(_fresh);
                    _fresh.Clear();
                }
                else if (moved)
                {
                    Failure = "memory moved without growing:" + _log;
                    return;
                }

                Check();
            }
        }

        public void Dispose() => _store.Dispose();

        private bool Grow(int how, int pages)
        {
            try
            {
                switch (how)
                {
                    case 0:
                        _guard.Grow(pages);
                        return true;
                    case 1:
                        return CallGrowExport(guarded: true, pages);
                    case 2:
                        _memory.Grow(pages);
                        return true;
                    default:
                        return CallGrowExport(guarded: false, pages);
                }
            }
            catch (WasmtimeException)
            {
                // Past the maximum: refused, nothing moved.
                return false;
            }
        }

        private bool CallGrowExport(bool guarded, int pages)
        {
            if (_kind == ProbeModule.Kind.Memory64)
            {
                var grow64 = guarded ? _guard.GetRequiredFunction<long, long>(_instance, "grow") : _instance.GetFunction<long, long>("grow")!;
                return grow64(pages) >= 0;
            }

            var grow = guarded ? _guard.GetRequiredFunction<int, int>(_instance, "grow") : _instance.GetFunction<int, int>("grow")!;
            return grow(pages) >= 0;
        }

        private static string HowName(int how) => how switch
        {
            0 => "guard.Grow",
            1 => "guarded export grow",
            2 => "Memory.Grow",
            _ => "unguarded export grow",
        };

        private void TakeSpan()
        {
            var memoryLength = (int)Math.Min(_memory.GetLength(), int.MaxValue);
            var length = _random.Next(1, 64);
            var address = _random.Next(0, memoryLength - length);
            var span = _memory.GetSpan(address, length);
            unsafe
            {
                fixed (byte* start = span)
                {
                    _fresh.Add(((nint)start, length, $"guest address 0x{address:X} after{_log}"));
                }
            }
        }

        private unsafe void Check()
        {
            foreach (var (address, length, takenAt) in _stale)
            {
                StaleChecks++;
                try
                {
                    _guard.ThrowIfOutsideMemory(new ReadOnlySpan<byte>((void*)address, length));
                    Failure = $"a stale span ({length} bytes at {takenAt}) passed after{_log}";
                    return;
                }
                catch (StaleWasmViewException exception) when (exception.Cause == StaleViewCause.RawViewOutsideMemory)
                {
                }
            }

            foreach (var (address, length, _) in _fresh)
            {
                FreshChecks++;
                _guard.ThrowIfOutsideMemory(new ReadOnlySpan<byte>((void*)address, length));
            }
        }
    }
}

/// <summary>The memories the probe grows: always exported as "memory", with a "grow" export that grows it.</summary>
internal static class ProbeModule
{
    public enum Kind
    {
        Memory32,
        Memory64,
        WithMaximum,
        SecondOfTwoMemories,
    }

    public static string Wat(Kind kind) => kind switch
    {
        Kind.Memory32 => """
            (module
              (memory (export "memory") 1)
              (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
            """,
        Kind.Memory64 => """
            (module
              (memory (export "memory") i64 1)
              (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0))))
            """,
        Kind.WithMaximum => """
            (module
              (memory (export "memory") 1 4)
              (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
            """,
        _ => """
            (module
              (memory (export "first") 1)
              (memory (export "memory") 1)
              (func (export "grow") (param i32) (result i32) (memory.grow 1 (local.get 0))))
            """,
    };
}
