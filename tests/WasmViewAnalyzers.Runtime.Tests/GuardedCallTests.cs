using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

public sealed class GuardedCallTests : IDisposable
{
    private readonly GuestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void GetFunction_PassesArgumentsAndReturnsTheGuestResult()
    {
        var answer = _host.Guard.GetFunction<int>(_host.Instance, "answer")!;
        var add = _host.Guard.GetFunction<int, int, int>(_host.Instance, "add")!;
        var sum8 = _host.Guard.GetFunction<int, int, int, int, int, int, int, int, int>(_host.Instance, "sum8")!;

        Assert.Equal(42, answer());
        Assert.Equal(-1, add(2, -3));
        Assert.Equal(36, sum8(1, 2, 3, 4, 5, 6, 7, 8));
        Assert.Equal(3, _host.Guard.GuardedCallCount);
    }

    [Fact]
    public void GetAction_WithEightParameters_RunsTheGuestAndInvalidatesViews()
    {
        var storeSum8 = _host.Guard.GetAction<int, int, int, int, int, int, int, int>(_host.Instance, "store_sum8")!;
        var view = _host.Guard.GetView(0, 4);

        storeSum8(1, 1, 1, 1, 1, 1, 1, 10);

        Assert.Equal(17, _host.Memory.ReadInt32(0));
        Assert.Equal("store_sum8", Assert.Throws<StaleWasmViewException>(() => view.Span.Length).InvalidatedBy);
    }

    [Fact]
    public void GetFunctionAndGetAction_ForAMissingExportOrAnotherSignature_ReturnNull()
    {
        Assert.Null(_host.Guard.GetFunction<int>(_host.Instance, "missing"));
        Assert.Null(_host.Guard.GetFunction<long, long>(_host.Instance, "add"));
        Assert.Null(_host.Guard.GetAction<int>(_host.Instance, "nop"));
        Assert.Null(_host.Guard.GetAction(_host.Instance, "missing"));
    }

    [Fact]
    public void Wrap_OfNull_ReturnsNull()
    {
        Assert.Null(_host.Guard.Wrap((Func<int>?)null, "f"));
        Assert.Null(_host.Guard.Wrap((Action<int>?)null, "f"));
        Assert.Null(_host.Guard.Wrap((Function?)null, "f"));
    }

    [Fact]
    public void NullArguments_ThrowArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => new GuestMemoryGuard(null!));
        Assert.Throws<ArgumentNullException>(() => _host.Guard.GetFunction<int>(null!, "answer"));
        Assert.Throws<ArgumentNullException>(() => _host.Guard.GetAction(_host.Instance, null!));
        Assert.Throws<ArgumentNullException>(() => _host.Guard.Wrap(_host.Instance.GetAction("nop"), null!));
        Assert.Throws<ArgumentNullException>(() => _host.Guard.Wrap(_host.RawFunction("nop"), null!));
        Assert.Throws<ArgumentNullException>(() => _host.Guard.NotifyGuestCall(null!));
        Assert.Throws<ArgumentNullException>(() => ((Memory)null!).LeaseCopy(0, 1));
    }

    [Fact]
    public void GuardedCallCount_CountsCallsGrowsAndNotifications()
    {
        var nop = _host.Guard.GetAction(_host.Instance, "nop")!;
        var answer = _host.Guard.Wrap(_host.RawFunction("answer"), "answer");

        nop();
        answer.Invoke();
        _host.Guard.Grow(1);
        _host.Guard.NotifyGuestCall("other");

        Assert.Equal(4, _host.Guard.GuardedCallCount);
        Assert.Same(_host.Memory, _host.Guard.Memory);
    }

    [Fact]
    public void GetFunctionAndGetAction_WithSixteenParameters_PassEveryArgument()
    {
        var sum16 = _host.Guard.GetRequiredFunction<int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int>(_host.Instance, "sum16");
        var view = _host.Guard.GetView(0, 4);

        Assert.Equal(136, sum16(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16));
        Assert.Null(_host.Guard.GetAction<int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int>(_host.Instance, "sum16"));
        Assert.Equal("sum16", Assert.Throws<StaleWasmViewException>(() => view.Span.Length).InvalidatedBy);
    }

    [Fact]
    public void GetRequiredFunctionAndAction_ReturnGuardedDelegates()
    {
        var add = _host.Guard.GetRequiredFunction<int, int, int>(_host.Instance, "add");
        var nop = _host.Guard.GetRequiredAction(_host.Instance, "nop");
        var view = _host.Guard.GetView(0, 4);

        Assert.Equal(5, add(2, 3));
        nop();

        Assert.Equal(2, _host.Guard.GuardedCallCount);
        Assert.Equal("add", Assert.Throws<StaleWasmViewException>(() => view.Span.Length).InvalidatedBy);
    }

    [Fact]
    public void GetRequiredFunction_ForAMissingExport_NamesIt()
    {
        var exception = Assert.Throws<ArgumentException>(() => _host.Guard.GetRequiredFunction<int, int>(_host.Instance, "missing"));

        Assert.Equal("name", exception.ParamName);
        Assert.StartsWith("The instance exports no function named 'missing' (wanted one callable as Func<int, int>).", exception.Message);
    }

    [Fact]
    public void GetRequiredFunctionAndAction_ForAnotherSignature_NameTheExportItsTypeAndTheExpectedOne()
    {
        var function = Assert.Throws<ArgumentException>(() => _host.Guard.GetRequiredFunction<long, long, (int, long)>(_host.Instance, "add"));
        var action = Assert.Throws<ArgumentException>(() => _host.Guard.GetRequiredAction<int>(_host.Instance, "nop"));
        var memory = Assert.Throws<ArgumentException>(() => _host.Guard.GetRequiredAction(_host.Instance, "memory"));

        Assert.StartsWith("The export 'add' is a function (Int32, Int32) -> (Int32), which cannot be called as Func<long, long, (int, long)>.", function.Message);
        Assert.StartsWith("The export 'nop' is a function () -> (), which cannot be called as Action<int>.", action.Message);
        Assert.StartsWith("The instance exports no function named 'memory' (wanted one callable as Action).", memory.Message);
    }

    [Fact]
    public void GuardWithoutMemory_RefusesViewsAndGrows_UntilAMemoryIsAttached_Once()
    {
        var guard = new GuestMemoryGuard();

        Assert.Throws<InvalidOperationException>(() => guard.GetView(0, 1));
        Assert.Throws<InvalidOperationException>(() => guard.Grow(1));
        Assert.Throws<InvalidOperationException>(() => guard.Memory);
        guard.AttachMemory(_host.Memory);

        Assert.Same(_host.Memory, guard.Memory);
        Assert.Equal(GuestHost.Greeting[..5], System.Text.Encoding.ASCII.GetString(guard.GetView(GuestHost.GreetingAddress, 5).Span));
        Assert.Throws<InvalidOperationException>(() => guard.AttachMemory(_host.Memory));
        Assert.Throws<ArgumentNullException>(() => new GuestMemoryGuard().AttachMemory(null!));
    }
}
