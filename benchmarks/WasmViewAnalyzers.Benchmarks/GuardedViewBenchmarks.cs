using BenchmarkDotNet.Attributes;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace WasmViewAnalyzers.Benchmarks;

/// <summary>Reading guest memory through a guarded view against the raw <see cref="Memory.GetSpan(long, int)"/>.</summary>
[MemoryDiagnoser]
public class GuardedViewBenchmarks
{
    private const long Address = 1024;
    private const int Length = 256;

    private Engine _engine = null!;
    private Store _store = null!;
    private Memory _memory = null!;
    private GuestMemoryGuard _guard = null!;
    private GuardedView _view;

    [GlobalSetup]
    public void Setup()
    {
        _engine = new Engine();
        _store = new Store(_engine);
        _memory = new Memory(_store, minimum: 1);
        _memory.GetSpan(Address, Length).Fill(7);
        _guard = new GuestMemoryGuard(_memory);
        _view = _guard.GetView(Address, Length);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _engine.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Memory.GetSpan (raw)")]
    public byte RawGetSpan() => _memory.GetSpan(Address, Length)[0];

    [Benchmark(Description = "GuardedView.Span (view kept)")]
    public byte GuardedSpan() => _view.Span[0];

    [Benchmark(Description = "GetView(...).Span")]
    public byte GetViewThenSpan() => _guard.GetView(Address, Length).Span[0];

    /// <summary>The floor of any check that catches calls bypassing the guard: Wasmtime's two P/Invokes.</summary>
    [Benchmark(Description = "GetPointer + GetLength (raw)")]
    public long RawPointerAndLength() => _memory.GetPointer() + _memory.GetLength();
}
