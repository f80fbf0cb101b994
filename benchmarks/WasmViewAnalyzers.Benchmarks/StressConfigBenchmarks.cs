using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace WasmViewAnalyzers.Benchmarks;

/// <summary>
/// What <see cref="WasmStress.CreateConfig"/> costs against Wasmtime's defaults: guest code that touches memory
/// (explicit bounds checks) and growing memory (a new mapping and a full copy per grow).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class StressConfigBenchmarks
{
    private const string Wat = """
        (module
          (memory (export "memory") 1)
          (func (export "sum") (param $length i32) (result i32)
            (local $i i32) (local $sum i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
                (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $i))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $next)))
            (local.get $sum)))
        """;

    private Guest _default = null!;
    private Guest _stress = null!;

    [GlobalSetup]
    public void Setup()
    {
        _default = new Guest(new Config());
        _stress = new Guest(WasmStress.CreateConfig());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _default.Dispose();
        _stress.Dispose();
    }

    [Benchmark(Baseline = true, Description = "guest sums 64 KiB (default config)")]
    [BenchmarkCategory("Guest memory access")]
    public int SumDefault() => _default.Sum(65536);

    [Benchmark(Description = "guest sums 64 KiB (stress config)")]
    [BenchmarkCategory("Guest memory access")]
    public int SumStress() => _stress.Sum(65536);

    [Benchmark(Baseline = true, Description = "new store, grow 1 page at a time to 1 MiB (default config)")]
    [BenchmarkCategory("Grow")]
    public long GrowDefault() => _default.GrowFreshMemoryTo(16);

    [Benchmark(Description = "new store, grow 1 page at a time to 1 MiB (stress config)")]
    [BenchmarkCategory("Grow")]
    public long GrowStress() => _stress.GrowFreshMemoryTo(16);

    private sealed class Guest : IDisposable
    {
        private readonly Engine _engine;
        private readonly Module _module;
        private readonly Store _store;
        private readonly Func<int, int> _sum;

        public Guest(Config config)
        {
            _engine = new Engine(config);
            _module = Module.FromText(_engine, "sum", Wat);
            _store = new Store(_engine);
            var instance = new Instance(_store, _module);
            instance.GetMemory("memory")!.GetSpan(0, 65536).Fill(1);
            _sum = instance.GetFunction<int, int>("sum")!;
        }

        public int Sum(int length) => _sum(length);

        public long GrowFreshMemoryTo(int pages)
        {
            using var store = new Store(_engine);
            var memory = new Instance(store, _module).GetMemory("memory")!;
            while (memory.GetSize() < pages)
            {
                memory.Grow(1);
            }

            return memory.GetLength();
        }

        public void Dispose()
        {
            _store.Dispose();
            _module.Dispose();
            _engine.Dispose();
        }
    }
}
