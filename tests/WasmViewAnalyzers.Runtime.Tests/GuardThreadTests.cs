using System.Runtime.CompilerServices;

namespace WasmViewAnalyzers.Runtime.Tests;

/// <summary>
/// A guard entered from a second thread while a first one is inside a guarded call throws, naming both threads. No
/// timing luck: the first thread's call blocks in a host callback until the second thread is done.
/// </summary>
public sealed class GuardThreadTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly GuestHost _host = new();
    private readonly ManualResetEventSlim _entered = new();
    private readonly ManualResetEventSlim _release = new();

    public void Dispose()
    {
        _release.Set();
        _host.Dispose();
        _entered.Dispose();
        _release.Dispose();
    }

    [Fact]
    public unsafe void EveryGuardedEntryFromAnotherThread_WhileAGuardedCallRuns_ThrowsNamingBothThreads()
    {
        // Taken before the other thread's call: the second thread must not reach Wasmtime itself while it runs.
        var raw = (nint)_host.Memory.GetPointer();
        var add = _host.Guard.GetRequiredFunction<int, int, int>(_host.Instance, "add");
        var untyped = _host.Guard.Wrap(_host.RawFunction("nop"), "nop");
        var viewBefore = _host.Guard.GetView(GuestHost.GreetingAddress, 5);
        using var streamBefore = _host.Guard.OpenStream(GuestHost.GreetingAddress, 5);
        var (caller, callerFailure) = StartBlockedCall("guest caller");

        var entries = new Dictionary<string, Action>
        {
            ["typed wrapper"] = () => add(1, 2),
            ["GuardedFunction.Invoke"] = () => untyped.Invoke(),
            ["GetView"] = () => _host.Guard.GetView(GuestHost.GreetingAddress, 5),
            ["OpenStream"] = () => _host.Guard.OpenStream(GuestHost.GreetingAddress, 5),
            ["Grow"] = () => _host.Guard.Grow(1),
            ["NotifyGuestCall"] = () => _host.Guard.NotifyGuestCall("elsewhere"),
            ["ThrowIfOutsideMemory"] = () => _host.Guard.ThrowIfOutsideMemory(new ReadOnlySpan<byte>((void*)raw, 1)),
            ["GuardedView.Span"] = () => _ = viewBefore.Span.Length,
            ["GuardedView.ToArray"] = () => viewBefore.ToArray(),
            ["GuardedStream.ReadByte"] = () => streamBefore.ReadByte(),
        };
        Dictionary<string, Exception?> failures = [];
        var staleFromThere = false;
        var second = new Thread(() =>
        {
            failures = entries.ToDictionary(entry => entry.Key, entry => (Exception?)Record.Exception(entry.Value));
            staleFromThere = viewBefore.IsStale;
        })
        { Name = "second thread" };
        second.Start();
        Assert.True(second.Join(Timeout));
        _release.Set();
        Assert.True(caller.Join(Timeout));

        Assert.Null(callerFailure.Value);
        Assert.True(staleFromThere);
        Assert.Equal(entries.Count, failures.Count);
        Assert.All(failures, failure =>
        {
            var exception = Assert.IsType<InvalidOperationException>(failure.Value);
            Assert.Contains($"thread {second.ManagedThreadId} ('second thread') used the guard", exception.Message);
            Assert.Contains($"while thread {caller.ManagedThreadId} ('guest caller') was inside the guarded call to 'callback_then_fill'", exception.Message);
        });
        Assert.Contains("(the guarded call to 'add')", failures["typed wrapper"]!.Message);
        Assert.Contains("(Grow)", failures["Grow"]!.Message);
        Assert.Contains($"(a GuardedView obtained in {nameof(EveryGuardedEntryFromAnotherThread_WhileAGuardedCallRuns_ThrowsNamingBothThreads)} at GuardThreadTests.cs:", failures["GuardedView.Span"]!.Message);
    }

    [Fact]
    public void AfterTheOtherThreadsCallReturned_TheGuardWorksOnThisThread()
    {
        var add = _host.Guard.GetRequiredFunction<int, int, int>(_host.Instance, "add");
        var (caller, callerFailure) = StartBlockedCall("guest caller");
        Assert.IsType<InvalidOperationException>(Record.Exception(() => add(1, 2)));
        Assert.IsType<InvalidOperationException>(Record.Exception(() => _host.Guard.GetView(0, 1)));

        _release.Set();
        Assert.True(caller.Join(Timeout));

        Assert.Null(callerFailure.Value);
        Assert.Equal(3, add(1, 2));
        Assert.Equal("xxxxx", System.Text.Encoding.ASCII.GetString(_host.Guard.GetView(GuestHost.GreetingAddress, 5).Span));
    }

    [Fact]
    public void GuardHandedToAnotherThreadBetweenCalls_IsFine()
    {
        var fill = _host.Guard.GetRequiredAction<int, int, int>(_host.Instance, "fill");
        GuardedView view = default;
        var worker = new Thread(() =>
        {
            fill(GuestHost.GreetingAddress, 5, 'w');
            view = _host.Guard.GetView(GuestHost.GreetingAddress, 5);
        });

        worker.Start();
        Assert.True(worker.Join(Timeout));

        Assert.Equal("wwwww", System.Text.Encoding.ASCII.GetString(view.Span));
        fill(GuestHost.GreetingAddress, 5, 'm');
        Assert.True(view.IsStale);
    }

    [Fact]
    public void NestedGuardedCallsOnTheCallingThread_AreNotConcurrentUse()
    {
        var add = _host.Guard.GetRequiredFunction<int, int, int>(_host.Instance, "add");
        var sumInCallback = 0;
        _host.OnCallback = () =>
        {
            var view = _host.Guard.GetView(GuestHost.GreetingAddress, 5);
            sumInCallback = add(view.Span[0], 1);
        };

        _host.Guard.GetRequiredAction<int, int, int>(_host.Instance, "callback_then_fill")(0, 1, 0);

        Assert.Equal('h' + 1, sumInCallback);
    }

    /// <summary>
    /// Starts a thread that calls the guarded export callback_then_fill, whose host callback signals and then blocks
    /// until <see cref="_release"/> is set; returns once the thread is inside the callback.
    /// </summary>
    private (Thread Thread, StrongBox<Exception?> Failure) StartBlockedCall(string name)
    {
        var call = _host.Guard.GetRequiredAction<int, int, int>(_host.Instance, "callback_then_fill");
        _host.OnCallback = () =>
        {
            _entered.Set();
            _release.Wait(Timeout);
        };
        var failure = new StrongBox<Exception?>();
        var thread = new Thread(() => failure.Value = Record.Exception(() => call(GuestHost.GreetingAddress, 5, 'x'))) { Name = name };
        thread.Start();
        Assert.True(_entered.Wait(Timeout));
        return (thread, failure);
    }
}
