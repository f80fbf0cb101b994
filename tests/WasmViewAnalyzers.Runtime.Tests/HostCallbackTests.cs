using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// Host callbacks defined through <c>GuestMemoryGuard.DefineFunction</c>: the guest calling in and the callback
/// returning to WebAssembly count as guest calls, so what the guest can change between two callbacks is stale.
/// </summary>
public sealed class HostCallbackTests : IDisposable
{
    // run: first(); writes 0x77 at 16; second(). The data segment puts 0x10 at 16.
    private const string Wat = """
        (module
          (import "host" "first" (func $first))
          (import "host" "second" (func $second))
          (import "host" "sum" (func $sum (param i32 i32) (result i32)))
          (import "host" "pair" (func $pair (param i32) (result i32 i64)))
          (memory (export "memory") 1)
          (data (i32.const 16) "\10")
          (func (export "run")
            (call $first)
            (i32.store8 (i32.const 16) (i32.const 0x77))
            (call $second))
          (func (export "sum_then_pair") (param i32 i32) (result i32 i64)
            (call $pair (call $sum (local.get 0) (local.get 1)))))
        """;

    private const int Address = 16;

    private readonly Engine _engine = new();
    private readonly Module _module;
    private readonly Store _store;
    private readonly Linker _linker;

    public HostCallbackTests()
    {
        _module = Module.FromText(_engine, "callbacks", Wat);
        _store = new Store(_engine);
        _linker = new Linker(_engine);
    }

    public void Dispose()
    {
        _linker.Dispose();
        _store.Dispose();
        _module.Dispose();
        _engine.Dispose();
    }

    [Fact]
    public void ViewKeptFromOneGuardedCallback_ReadInTheNextOfTheSameCall_Throws()
    {
        GuestMemoryGuard guard = null!;
        GuardedView kept = default;
        GuardedStream? keptStream = null;
        byte seenInFirst = 0;
        StaleWasmViewException? fromView = null;
        StaleWasmViewException? fromStream = null;
        guard = Instantiate(
            first: () =>
            {
                kept = guard.GetView(Address, 1);
                keptStream = guard.OpenStream(Address, 1);
                seenInFirst = kept.Span[0];
            },
            second: () =>
            {
                fromView = Assert.Throws<StaleWasmViewException>(() => kept.Span[0]);
                fromStream = Assert.Throws<StaleWasmViewException>(() => keptStream!.ReadByte());
            },
            out var instance);

        guard.GetRequiredAction(instance, "run")();

        Assert.Equal(0x10, seenInFirst);
        Assert.Equal(0x77, guard.Memory.ReadByte(Address));
        Assert.All([fromView!, fromStream!], exception =>
        {
            Assert.Equal(StaleViewCause.HostCallbackReturned, exception.Cause);
            Assert.Equal("host.first", exception.InvalidatedBy);
            Assert.Contains("the host function 'host.first' returned to WebAssembly (guarded call #3) after it was obtained", exception.Message);
        });
    }

    [Fact]
    public void ViewTakenInAGuardedCallback_IsFreshForTheRestOfThatCallback()
    {
        GuestMemoryGuard guard = null!;
        var reads = new List<byte>();
        guard = Instantiate(
            first: () =>
            {
                var view = guard.GetView(Address, 1);
                reads.Add(view.Span[0]);
                reads.Add(view.ToArray()[0]);
            },
            second: () => reads.Add(guard.GetView(Address, 1).Span[0]),
            out var instance);

        guard.GetRequiredAction(instance, "run")();

        Assert.Equal([0x10, 0x10, 0x77], reads);
    }

    [Fact]
    public void ViewTakenBeforeAnUnguardedCall_IsStaleInAGuardedCallback()
    {
        GuestMemoryGuard guard = null!;
        GuardedView before = default;
        StaleWasmViewException? inFirst = null;
        guard = Instantiate(
            first: () => inFirst = Assert.Throws<StaleWasmViewException>(() => before.Span.Length),
            second: () => { },
            out var instance);
        before = guard.GetView(Address, 1);

        instance.GetAction("run")!();

        Assert.NotNull(inFirst);
        Assert.Equal(StaleViewCause.HostCallbackEntered, inFirst.Cause);
        Assert.Equal("host.first", inFirst.InvalidatedBy);
        Assert.Contains("WebAssembly ran after it was obtained and called the host function 'host.first' (guarded call #1)", inFirst.Message);
    }

    [Fact]
    public void ViewKeptFromOneRawCallback_ReadInTheNext_IsNotDetected_UnlessTheCallbackNotifiesOnReturn()
    {
        // The documented limit: a callback defined without the guard returns to the guest unseen. NotifyGuestCall in
        // a finally at its end is the manual equivalent of the guard's DefineFunction.
        var guard = new GuestMemoryGuard();
        GuardedView kept = default;
        var notify = false;
        bool? staleInSecond = null;
        _linker.Define("host", "sum", Function.FromCallback(_store, (int a, int b) => a + b));
        _linker.Define("host", "pair", Function.FromCallback(_store, (int a) => (a, 2L * a)));
        _linker.Define("host", "first", Function.FromCallback(_store, () =>
        {
            try
            {
                kept = guard.GetView(Address, 1);
            }
            finally
            {
                if (notify)
                {
                    guard.NotifyGuestCall("host.first returned");
                }
            }
        }));
        _linker.Define("host", "second", Function.FromCallback(_store, () => { staleInSecond = kept.IsStale; }));
        var instance = _linker.Instantiate(_store, _module);
        guard.AttachMemory(instance.GetMemory("memory")!);
        var run = guard.GetRequiredAction(instance, "run");

        run();
        var withoutNotification = staleInSecond;
        notify = true;
        run();

        Assert.False(withoutNotification);
        Assert.True(staleInSecond);
    }

    [Fact]
    public void StaleViewReadInAGuardedCallback_ReachesTheGuardedCallerAsStaleWasmViewException()
    {
        GuestMemoryGuard guard = null!;
        GuardedView kept = default;
        guard = Instantiate(first: () => kept = guard.GetView(Address, 1), second: () => _ = kept.Span[0], out var instance);
        var run = guard.GetRequiredAction(instance, "run");

        var exception = Assert.Throws<StaleWasmViewException>(run);

        Assert.Equal(StaleViewCause.HostCallbackReturned, exception.Cause);
    }

    [Fact]
    public void GuardedCallbacksWithParametersAndSeveralResults_PassValuesThrough_AndCount()
    {
        GuestMemoryGuard guard = null!;
        guard = Instantiate(first: () => { }, second: () => { }, out var instance);
        var sumThenPair = guard.GetRequiredFunction<int, int, (int, long)>(instance, "sum_then_pair");

        Assert.Equal((5, 10L), sumThenPair(2, 3));
        // One guarded call, then two callbacks, each entered and returned from.
        Assert.Equal(5, guard.GuardedCallCount);
    }

    [Fact]
    public void DefineFunction_NullArguments_ThrowArgumentNull()
    {
        var guard = new GuestMemoryGuard(new Memory(_store, 1));

        Assert.Throws<ArgumentNullException>(() => guard.DefineFunction(null!, "host", "first", () => { }));
        Assert.Throws<ArgumentNullException>(() => guard.DefineFunction(_linker, null!, "first", () => { }));
        Assert.Throws<ArgumentNullException>(() => guard.DefineFunction(_linker, "host", null!, () => { }));
        Assert.Throws<ArgumentNullException>(() => guard.DefineFunction(_linker, "host", "first", (Action)null!));
    }

    /// <summary>
    /// The host functions defined through a guard created before the instance (the usual order with a linker), which
    /// then gets the instance's memory.
    /// </summary>
    private GuestMemoryGuard Instantiate(Action first, Action second, out Instance instance)
    {
        var guard = new GuestMemoryGuard();
        guard.DefineFunction(_linker, "host", "first", first);
        guard.DefineFunction(_linker, "host", "second", second);
        guard.DefineFunction(_linker, "host", "sum", (int a, int b) => a + b);
        guard.DefineFunction(_linker, "host", "pair", (int a) => (a, 2L * a));
        instance = _linker.Instantiate(_store, _module);
        guard.AttachMemory(instance.GetMemory("memory")!);
        return guard;
    }
}
