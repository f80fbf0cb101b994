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

    // The guest calls a host function that adds; the same module is linked once with a raw and once with a guarded one.
    private const string CallbackWat = """
        (module
          (import "host" "add" (func $add (param i32 i32) (result i32)))
          (func (export "call_add") (param i32 i32) (result i32) (call $add (local.get 0) (local.get 1))))
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
    private Module _callbackModule = null!;
    private Linker _rawLinker = null!;
    private Linker _guardedLinker = null!;
    private Func<int, int, int> _rawCallback = null!;
    private Func<int, int, int> _guardedCallback = null!;

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

        _callbackModule = Module.FromText(_engine, "callback", CallbackWat);
        _rawLinker = new Linker(_engine);
        _rawLinker.DefineFunction("host", "add", (int a, int b) => a + b);
        _rawCallback = _rawLinker.Instantiate(_store, _callbackModule).GetFunction<int, int, int>("call_add")!;
        _guardedLinker = new Linker(_engine);
        _guard.DefineFunction(_guardedLinker, "host", "add", (int a, int b) => a + b);
        _guardedCallback = _guardedLinker.Instantiate(_store, _callbackModule).GetFunction<int, int, int>("call_add")!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawLinker.Dispose();
        _guardedLinker.Dispose();
        _store.Dispose();
        _callbackModule.Dispose();
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

    /// <summary>A raw call into the guest, which calls back into the host once: the host function is raw or guarded.</summary>
    [Benchmark(Baseline = true, Description = "guest calls a host function (raw Linker.DefineFunction)")]
    [BenchmarkCategory("Host callback")]
    public int RawHostCallback() => _rawCallback(1, 2);

    [Benchmark(Description = "guest calls a host function (guard.DefineFunction)")]
    [BenchmarkCategory("Host callback")]
    public int GuardedHostCallback() => _guardedCallback(1, 2);
}
