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
}
