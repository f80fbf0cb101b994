using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// Two guards over one memory share their state: a call or grow through either makes the views of both stale, named as
/// what it was. Guards over different memories stay independent.
/// </summary>
public sealed class SharedGuardTests : IDisposable
{
    private readonly GuestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void SecondGuardOverTheSameMemory_ItsViewsGoStaleOnACallThroughTheFirst()
    {
        var second = new GuestMemoryGuard(_host.Memory);
        var fill = _host.Guard.GetRequiredAction<int, int, int>(_host.Instance, "fill");
        var view = second.GetView(GuestHost.GreetingAddress, 5);

        fill(GuestHost.GreetingAddress, 5, 'x');

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.GuestCall, exception.Cause);
        Assert.Equal("fill", exception.InvalidatedBy);
        Assert.Equal(_host.Guard.GuardedCallCount, second.GuardedCallCount);
    }

    [Fact]
    public void SecondGuardOverTheSameMemory_AGrowThroughItIsNamedToTheFirstGuardsViews()
    {
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, 5);
        var second = new GuestMemoryGuard(_host.Instance.GetMemory("memory")!);

        second.Grow(1);

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.Grow, exception.Cause);
        Assert.Equal("Grow", exception.InvalidatedBy);
        Assert.Contains($"in {nameof(SecondGuardOverTheSameMemory_AGrowThroughItIsNamedToTheFirstGuardsViews)} at SharedGuardTests.cs:", exception.Message);
    }

    [Fact]
    public void GuardAttachedLaterToAGuardedMemory_SharesItsState()
    {
        var later = new GuestMemoryGuard();
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, 5);

        later.AttachMemory(_host.Memory);
        later.NotifyGuestCall("the later guard's call");

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal("the later guard's call", exception.InvalidatedBy);
        Assert.Same(_host.Memory, later.Memory);
    }

    [Fact]
    public void GuardMadeFromCallerGetMemoryInAHostFunction_SharesTheStateOfTheGuardOverTheExport()
    {
        // What sharing rests on: Wasmtime hands out one Memory object per memory of a store, whichever way it is asked.
        using var engine = new Engine();
        using var module = Module.FromText(engine, "caller", """
            (module
              (import "host" "peek" (func $peek))
              (memory (export "memory") 1)
              (func (export "run") (call $peek)))
            """);
        using var store = new Store(engine);
        using var linker = new Linker(engine);
        Memory? callerMemory = null;
        linker.DefineFunction("host", "peek", (Caller caller) =>
        {
            callerMemory = caller.GetMemory("memory");
            new GuestMemoryGuard(callerMemory!).NotifyGuestCall("seen from the caller");
        });
        var instance = linker.Instantiate(store, module);
        var guard = new GuestMemoryGuard(instance.GetMemory("memory")!);
        var view = guard.GetView(0, 4);

        instance.GetAction("run")!();

        Assert.Same(instance.GetMemory("memory"), callerMemory);
        Assert.Same(callerMemory, instance.GetMemories().Single(export => export.Name == "memory").Memory);
        Assert.Equal("seen from the caller", Assert.Throws<StaleWasmViewException>(() => view.Span.Length).InvalidatedBy);
    }

    [Fact]
    public void GuardsOverTwoMemoriesOfOneInstance_StayIndependent()
    {
        using var engine = new Engine(new Config().WithMultiMemory(true));
        using var module = Module.FromText(engine, "two", """(module (memory (export "a") 1) (memory (export "b") 1) (func (export "nop")))""");
        using var store = new Store(engine);
        var instance = new Instance(store, module);
        var guardA = new GuestMemoryGuard(instance.GetMemory("a")!);
        var guardB = new GuestMemoryGuard(instance.GetMemory("b")!);
        var viewB = guardB.GetView(0, 4);

        guardA.GetRequiredAction(instance, "nop")();
        guardA.Grow(1);

        Assert.False(viewB.IsStale);
        Assert.Equal(0, guardB.GuardedCallCount);
    }

    [Fact]
    public void GuardsOverTheSameModuleInTwoStores_StayIndependent()
    {
        using var other = new GuestHost();
        var view = other.Guard.GetView(0, 4);

        _host.Guard.Grow(1);
        _host.Guard.NotifyGuestCall("a call in the first store");

        Assert.False(view.IsStale);
    }
}
