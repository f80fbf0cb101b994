using System.Text;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// What the guard says when a view goes stale inside a guest call (staleness seen in a host callback, memory grown by
/// the guest), when a grow fails, and once the store is gone.
/// </summary>
public sealed class GuardTransitionTests : IDisposable
{
    private readonly GuestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void StaleViewReadInAHostCallback_ReachesTheCallerOfEveryGuardedWrapperAsStaleWasmViewException()
    {
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, 5);
        _host.OnCallback = () => _ = view.Span[0];
        var action = _host.Guard.GetAction<int, int, int>(_host.Instance, "callback_then_fill")!;
        var wrapped = _host.Guard.Wrap(_host.Instance.GetAction<int, int, int>("callback_then_fill"), "callback_then_fill")!;
        var untyped = _host.Guard.Wrap(_host.RawFunction("callback_then_fill"), "callback_then_fill");

        var fromGetAction = Assert.Throws<StaleWasmViewException>(() => action(0, 1, 1));
        var fromWrap = Assert.Throws<StaleWasmViewException>(() => wrapped(0, 1, 1));
        var fromInvoke = Assert.Throws<StaleWasmViewException>(() => untyped.Invoke(0, 1, 1));

        Assert.All([fromGetAction, fromWrap, fromInvoke], exception =>
        {
            Assert.Equal("callback_then_fill", exception.InvalidatedBy);
            // The original stack is kept: it starts where the view was read, in the host callback.
            var callbackFrames = exception.StackTrace![..exception.StackTrace!.IndexOf("--- End of stack trace from previous location ---", StringComparison.Ordinal)];
            Assert.Contains("ThrowHelper.ThrowStale", callbackFrames);
            Assert.Contains("Wasmtime.Function", callbackFrames);
        });
    }

    [Fact]
    public void OtherExceptionsOfAHostCallback_StillReachTheCallerAsWasmtimeDeliversThem()
    {
        _host.OnCallback = () => throw new InvalidDataException("bad input");
        var action = _host.Guard.GetAction<int, int, int>(_host.Instance, "callback_then_fill")!;

        var exception = Assert.ThrowsAny<WasmtimeException>(() => action(0, 1, 1));

        Assert.IsType<InvalidDataException>(exception.InnerException);
    }

    [Fact]
    public void MemoryGrownByTheGuestDuringAGuardedCall_AfterAViewWasTakenInACallback_IsBlamedOnThatCall()
    {
        var run = _host.Guard.GetAction<int>(_host.Instance, "callback_grow_callback")!;
        GuardedView inFirstCallback = default;
        StaleWasmViewException? inSecondCallback = null;
        var callbacks = 0;
        _host.OnCallback = () =>
        {
            if (callbacks++ == 0)
            {
                inFirstCallback = _host.Guard.GetView(GuestHost.GreetingAddress, 5);
            }
            else
            {
                inSecondCallback = Assert.Throws<StaleWasmViewException>(() => inFirstCallback.Span.Length);
            }
        };

        run(1);

        Assert.NotNull(inSecondCallback);
        Assert.Equal(StaleViewCause.GuestCallContinued, inSecondCallback.Cause);
        Assert.Equal("callback_grow_callback", inSecondCallback.InvalidatedBy);
        Assert.Equal(1, inSecondCallback.GuardedCallNumber);
        Assert.Contains("it was obtained during the call to 'callback_grow_callback' (guarded call #1), and WebAssembly kept running after it was obtained: the guest memory's ", inSecondCallback.Message);
        Assert.Contains("length changed from 65536 to 131072 bytes since then (the guest grew it", inSecondCallback.Message);
        Assert.DoesNotContain("did not go through the guard", inSecondCallback.Message);
    }

    [Fact]
    public void MemoryGrownByAnUnguardedCall_IsStillReportedAsBypassingTheGuard()
    {
        var view = _host.Guard.GetView(0, 4);

        _host.RawFunction("grow").Invoke(1);

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.UnguardedMemoryChange, exception.Cause);
        Assert.Contains("by a call that did not go through the guard", exception.Message);
    }

    [Fact]
    public void RefusedGrow_DidNotRun_AndInvalidatesNothing()
    {
        using var engine = new Engine();
        using var store = new Store(engine);
        var bounded = new Memory(store, minimum: 1, maximum: 1);
        var guard = new GuestMemoryGuard(bounded);
        var view = guard.GetView(0, 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => guard.Grow(-1));
        Assert.ThrowsAny<WasmtimeException>(() => guard.Grow(1));

        Assert.False(view.IsStale);
        Assert.Equal(4, view.Span.Length);
        Assert.Equal(0, guard.GuardedCallCount);
        Assert.Equal(GuestHost.PageSize, bounded.GetLength());
    }

    [Fact]
    public void AfterTheStoreIsDisposed_IsStaleIsTrue_AndEveryAccessThrowsObjectDisposed()
    {
        using var host = new GuestHost();
        var invalidated = host.Guard.GetView(GuestHost.GreetingAddress, 5);
        host.Guard.NotifyGuestCall("anything");
        var fresher = host.Guard.GetView(GuestHost.GreetingAddress, 5);
        Assert.Equal("hello", Encoding.ASCII.GetString(fresher.Span));

        host.Store.Dispose();

        Assert.True(fresher.IsStale);
        Assert.True(invalidated.IsStale);
        Assert.Throws<ObjectDisposedException>(() => fresher.Span.Length);
        var exception = Assert.Throws<ObjectDisposedException>(() => invalidated.ToArray());
        Assert.Contains($"obtained in {nameof(AfterTheStoreIsDisposed_IsStaleIsTrue_AndEveryAccessThrowsObjectDisposed)} at GuardTransitionTests.cs:", exception.Message);
        Assert.Contains("the store that owns its memory was disposed", exception.Message);
    }

    [Fact]
    public void Constructor_OverTheMemoryOfADisposedStore_Throws()
    {
        using var host = new GuestHost();
        host.Store.Dispose();

        var exception = Assert.Throws<ArgumentException>(() => new GuestMemoryGuard(host.Memory));

        Assert.Equal("memory", exception.ParamName);
        Assert.Contains("the store that owns it was disposed", exception.Message);
    }
}
