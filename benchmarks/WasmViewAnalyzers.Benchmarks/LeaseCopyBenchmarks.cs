using BenchmarkDotNet.Attributes;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace WasmViewAnalyzers.Benchmarks;

/// <summary>
/// Three ways to keep guest output past the next guest call. The source span is built from a pointer taken once, so
/// every method pays for its copy strategy only, not for Wasmtime's P/Invokes.
/// </summary>
[MemoryDiagnoser]
public class LeaseCopyBenchmarks
{
    private Engine _engine = null!;
    private Store _store = null!;
    private nint _guestBytes;
    private byte[] _destination = null!;

    [Params(64, 4 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = new Engine();
        _store = new Store(_engine);
        var memory = new Memory(_store, minimum: 17);
        memory.GetSpan(0, Size).Fill(0x5A);
        _guestBytes = memory.GetPointer();
        _destination = new byte[Size];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _engine.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Span.CopyTo(preallocated)")]
    public int CopyToPreallocated()
    {
        GuestSpan().CopyTo(_destination);
        return _destination.Length;
    }

    [Benchmark(Description = "LeaseCopy + Dispose")]
    public int LeaseCopy()
    {
        using var lease = GuestSpan().LeaseCopy();
        return lease.Length;
    }

    [Benchmark(Description = "Span.ToArray()")]
    public int ToArray() => GuestSpan().ToArray().Length;

    private unsafe Span<byte> GuestSpan() => new((byte*)_guestBytes, Size);
}
