using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace WasmViewAnalyzers.Benchmarks;

/// <summary>
/// A guarded guest call against the raw one, for a trivial guest function so that the wrapper's cost is not hidden by
/// guest work. Each category has its own baseline.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GuardedCallBenchmarks
{
    private const string Wat = """
        (module
          (memory (export "memory") 1)
          (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
        """;

    private readonly ValueBox[] _arguments = [1, 2];
    private Engine _engine = null!;
    private Module _module = null!;
    private Store _store = null!;
    private Memory _memory = null!;
    private GuestMemoryGuard _guard = null!;
    private Func<int, int, int> _rawAdd = null!;
    private Func<int, int, int> _guardedAdd = null!;
    private Func<int, int, int> _forwardingAdd = null!;
    private Function _rawFunction = null!;
    private GuardedFunction _guardedFunction = null!;

    [GlobalSetup]
    public void Setup()
    {
        _engine = new Engine();
        _module = Module.FromText(_engine, "add", Wat);
        _store = new Store(_engine);
        var instance = new Instance(_store, _module);
        _memory = instance.GetMemory("memory")!;
        _guard = new GuestMemoryGuard(_memory);
        _rawAdd = instance.GetFunction<int, int, int>("add")!;
        _guardedAdd = _guard.GetFunction<int, int, int>(instance, "add")!;
        var rawAdd = _rawAdd;
        _forwardingAdd = (a, b) => rawAdd(a, b);
        _rawFunction = instance.GetFunction("add")!;
        _guardedFunction = _guard.Wrap(_rawFunction, "add");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _module.Dispose();
        _engine.Dispose();
    }

    [Benchmark(Baseline = true, Description = "typed delegate (raw)")]
    [BenchmarkCategory("Typed delegate")]
    public int RawTypedCall() => _rawAdd(1, 2);

    /// <summary>The floor of any wrapper delegate: one more delegate hop and nothing else.</summary>
    [Benchmark(Description = "typed delegate in a bare forwarding lambda")]
    [BenchmarkCategory("Typed delegate")]
    public int ForwardingTypedCall() => _forwardingAdd(1, 2);

    [Benchmark(Description = "typed delegate (guarded)")]
    [BenchmarkCategory("Typed delegate")]
    public int GuardedTypedCall() => _guardedAdd(1, 2);

    [Benchmark(Baseline = true, Description = "Function.Invoke (raw)")]
    [BenchmarkCategory("Function.Invoke")]
    public object? RawInvoke() => _rawFunction.Invoke(_arguments);

    [Benchmark(Description = "GuardedFunction.Invoke")]
    [BenchmarkCategory("Function.Invoke")]
    public object? GuardedInvoke() => _guardedFunction.Invoke(_arguments);

    /// <summary>The usual host loop step: read guest memory, then call the guest. The guarded call now records.</summary>
    [Benchmark(Baseline = true, Description = "GetSpan, then typed call (raw)")]
    [BenchmarkCategory("View, then call")]
    public int RawViewThenCall() => _memory.GetSpan(0, 16)[0] + _rawAdd(1, 2);

    [Benchmark(Description = "GetView.Span, then typed call (guarded)")]
    [BenchmarkCategory("View, then call")]
    public int GuardedViewThenCall() => _guard.GetView(0, 16).Span[0] + _guardedAdd(1, 2);
}
