using System.Runtime.CompilerServices;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>A real Wasmtime engine, store and instance of <see cref="Wat"/>, with a guard over its memory.</summary>
internal sealed class GuestHost : IDisposable
{
    /// <summary>Bytes the data segment puts at <see cref="GreetingAddress"/>.</summary>
    public const string Greeting = "hello, guest memory";

    public const int GreetingAddress = 16;

    public const int PageSize = 65536;

    public const string Wat = """
        (module
          (import "host" "callback" (func $callback))
          (memory (export "memory") 1)
          (data (i32.const 16) "hello, guest memory")
          (func (export "nop"))
          (func (export "answer") (result i32) (i32.const 42))
          (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
          (func (export "fill") (param $address i32) (param $length i32) (param $value i32)
            (memory.fill (local.get $address) (local.get $value) (local.get $length)))
          (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages)))
          (func (export "trap") unreachable)
          (func (export "callback_then_fill") (param $address i32) (param $length i32) (param $value i32)
            (call $callback)
            (memory.fill (local.get $address) (local.get $value) (local.get $length)))
          (func (export "callback_grow_callback") (param $pages i32)
            (call $callback)
            (drop (memory.grow (local.get $pages)))
            (call $callback))
          (func (export "sum16")
            (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
            (i32.add
              (call $sum8 (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                          (local.get 4) (local.get 5) (local.get 6) (local.get 7))
              (call $sum8 (local.get 8) (local.get 9) (local.get 10) (local.get 11)
                          (local.get 12) (local.get 13) (local.get 14) (local.get 15))))
          (func $sum8 (export "sum8") (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
            (i32.add
              (i32.add (i32.add (local.get 0) (local.get 1)) (i32.add (local.get 2) (local.get 3)))
              (i32.add (i32.add (local.get 4) (local.get 5)) (i32.add (local.get 6) (local.get 7)))))
          (func (export "store_sum8") (param i32 i32 i32 i32 i32 i32 i32 i32)
            (i32.store (i32.const 0)
              (call $sum8 (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                          (local.get 4) (local.get 5) (local.get 6) (local.get 7)))))
        """;

    private readonly Engine _engine;
    private readonly Module _module;

    public GuestHost(bool stress = false)
    {
        _engine = stress ? new Engine(WasmStress.CreateConfig()) : new Engine();
        _module = Module.FromText(_engine, "guest", Wat);
        Store = new Store(_engine);
        Instance = new Instance(Store, _module, Function.FromCallback(Store, () => OnCallback?.Invoke()));
        Memory = Instance.GetMemory("memory")!;
        Guard = new GuestMemoryGuard(Memory);
    }

    public Engine Engine => _engine;

    public Store Store { get; }

    public Instance Instance { get; }

    public Memory Memory { get; }

    public GuestMemoryGuard Guard { get; }

    /// <summary>Runs when the guest calls its "host.callback" import.</summary>
    public Action? OnCallback { get; set; }

    /// <summary>The raw Wasmtime function, calling it bypasses the guard.</summary>
    public Function RawFunction(string name) => Instance.GetFunction(name)!;

    public void Dispose()
    {
        Store.Dispose();
        _module.Dispose();
        _engine.Dispose();
    }
}

internal static class Source
{
    /// <summary>The line it is called on, to compare with the line a stale-view error names.</summary>
    public static int Line([CallerLineNumber] int line = 0) => line;
}
