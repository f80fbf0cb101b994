using System.Runtime.CompilerServices;
using System.Text;
using Wasmtime;

namespace WasmViewAnalyzers.Runtime.Tests;

public sealed class GuardedViewTests : IDisposable
{
    private readonly GuestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void FreshView_ReadsTheSameBytesAsMemoryGetSpan()
    {
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, GuestHost.Greeting.Length);

        var raw = _host.Memory.GetSpan(GuestHost.GreetingAddress, GuestHost.Greeting.Length);
        Assert.Equal(GuestHost.Greeting, Encoding.ASCII.GetString(view.Span));
        Assert.True(Unsafe.AreSame(ref raw[0], ref view.Span[0]));
        Assert.Equal(raw.Length, view.Span.Length);
        Assert.Equal(GuestHost.GreetingAddress, view.Address);
        Assert.Equal(GuestHost.Greeting.Length, view.Length);
        Assert.False(view.IsStale);
    }

    [Fact]
    public void FreshView_EveryAccessPathReadsTheGuestBytes()
    {
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, GuestHost.Greeting.Length);
        var expected = Encoding.ASCII.GetBytes(GuestHost.Greeting);

        var copied = new byte[expected.Length + 3];
        view.CopyTo(copied);
        using var lease = view.LeaseCopy();
        using var stream = view.AsStream();
        var streamed = new byte[expected.Length];
        stream.ReadExactly(streamed);

        Assert.Equal(expected, view.ToArray());
        Assert.Equal(expected, view.Memory.ToArray());
        Assert.Equal(expected, copied[..expected.Length]);
        Assert.Equal(expected, lease.Span.ToArray());
        Assert.Equal(expected, streamed);
        view.ThrowIfStale();
    }

    [Fact]
    public void FreshView_IsALiveAliasOfGuestMemory()
    {
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, 5);

        _host.Memory.WriteByte(GuestHost.GreetingAddress, (byte)'J');

        Assert.Equal("Jello", Encoding.ASCII.GetString(view.Span));
    }

    [Fact]
    public void ViewObtainedAfterGuardedCall_IsFresh()
    {
        var fill = _host.Guard.GetAction<int, int, int>(_host.Instance, "fill")!;
        var before = _host.Guard.GetView(GuestHost.GreetingAddress, 5);

        fill(GuestHost.GreetingAddress, 5, 'x');
        var after = _host.Guard.GetView(GuestHost.GreetingAddress, 5);

        Assert.True(before.IsStale);
        Assert.False(after.IsStale);
        Assert.Equal("xxxxx", Encoding.ASCII.GetString(after.Span));
    }

    [Fact]
    public void View_AfterCallThroughGetFunctionWrapper_IsStale()
    {
        var add = _host.Guard.GetFunction<int, int, int>(_host.Instance, "add")!;
        var view = _host.Guard.GetView(0, 4);

        Assert.Equal(5, add(2, 3));

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.GuestCall, exception.Cause);
        Assert.Equal("add", exception.InvalidatedBy);
    }

    [Fact]
    public void View_AfterCallThroughGetActionWrapper_IsStale()
    {
        var nop = _host.Guard.GetAction(_host.Instance, "nop")!;
        var view = _host.Guard.GetView(0, 4);

        nop();

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal("nop", exception.InvalidatedBy);
    }

    [Fact]
    public void View_AfterCallThroughWrappedInstanceDelegates_IsStale()
    {
        var answer = _host.Guard.Wrap(_host.Instance.GetFunction<int>("answer"), "answer")!;
        var nop = _host.Guard.Wrap(_host.Instance.GetAction("nop"), "nop")!;
        var first = _host.Guard.GetView(0, 4);

        Assert.Equal(42, answer());
        var second = _host.Guard.GetView(0, 4);
        nop();

        Assert.Equal("answer", Assert.Throws<StaleWasmViewException>(() => first.ToArray()).InvalidatedBy);
        Assert.Equal("nop", Assert.Throws<StaleWasmViewException>(() => second.ToArray()).InvalidatedBy);
    }

    [Fact]
    public void View_AfterEachGuardedFunctionInvokeOverload_IsStale()
    {
        var add = _host.Guard.Wrap(_host.RawFunction("add"), "add");
        var answer = _host.Guard.Wrap(_host.RawFunction("answer"), "answer");

        var beforeNoArguments = _host.Guard.GetView(0, 4);
        Assert.Equal(42, answer.Invoke());
        var beforeArray = _host.Guard.GetView(0, 4);
        Assert.Equal(7, add.Invoke(3, 4));
        var beforeSpan = _host.Guard.GetView(0, 4);
        Assert.Equal(9, add.Invoke((ReadOnlySpan<ValueBox>)[4, 5]));

        Assert.Equal(1, Assert.Throws<StaleWasmViewException>(() => beforeNoArguments.Span.Length).GuardedCallNumber);
        Assert.Equal(2, Assert.Throws<StaleWasmViewException>(() => beforeArray.Span.Length).GuardedCallNumber);
        Assert.Equal(3, Assert.Throws<StaleWasmViewException>(() => beforeSpan.Span.Length).GuardedCallNumber);
        Assert.Equal("add", add.Name);
        Assert.Same(_host.RawFunction("add"), add.Function);
    }

    [Fact]
    public void View_AfterGuardedCallThatTraps_IsStale()
    {
        var trap = _host.Guard.GetAction(_host.Instance, "trap")!;
        var view = _host.Guard.GetView(0, 4);

        Assert.Throws<TrapException>(() => trap());

        Assert.Equal("trap", Assert.Throws<StaleWasmViewException>(() => view.Span.Length).InvalidatedBy);
    }

    [Fact]
    public void View_AfterGuardedGrow_IsStale()
    {
        var view = _host.Guard.GetView(0, 4);

        Assert.Equal(1, _host.Guard.Grow(1));

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.Grow, exception.Cause);
        Assert.Equal(2 * GuestHost.PageSize, _host.Memory.GetLength());
    }

    [Fact]
    public void View_AfterNotifyGuestCall_IsStale()
    {
        var view = _host.Guard.GetView(0, 4);

        _host.Guard.NotifyGuestCall("run through the linker");

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.NotifiedGuestCall, exception.Cause);
        Assert.Contains("the guest call 'run through the linker' reported through NotifyGuestCall (guarded call #1)", exception.Message);
    }

    [Fact]
    public void View_AfterUnguardedInvokeThatGrowsUnderStress_IsStaleAndNamesTheMove()
    {
        using var host = new GuestHost(stress: true);
        var view = host.Guard.GetView(GuestHost.GreetingAddress, 5);
        var baseBefore = host.Memory.GetPointer();

        host.RawFunction("grow").Invoke(1);

        var baseAfter = host.Memory.GetPointer();
        Assert.NotEqual(baseBefore, baseAfter);
        Assert.True(view.IsStale);
        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.UnguardedMemoryChange, exception.Cause);
        Assert.Null(exception.InvalidatedBy);
        Assert.Null(exception.GuardedCallNumber);
        Assert.Equal(baseBefore, exception.PreviousBaseAddress);
        Assert.Equal(baseAfter, exception.CurrentBaseAddress);
        Assert.Equal(GuestHost.PageSize, exception.PreviousMemoryLength);
        Assert.Equal(2 * GuestHost.PageSize, exception.CurrentMemoryLength);
        Assert.Contains($"base address moved from 0x{(ulong)baseBefore:X} to 0x{(ulong)baseAfter:X} and its length changed from 65536 to 131072 bytes", exception.Message);
        Assert.Contains("by a call that did not go through the guard", exception.Message);
    }

    [Fact]
    public void View_AfterUnguardedInvokeThatGrowsInPlace_IsStaleBecauseTheLengthChanged()
    {
        var view = _host.Guard.GetView(0, 4);
        var baseBefore = _host.Memory.GetPointer();

        _host.RawFunction("grow").Invoke(1);

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.UnguardedMemoryChange, exception.Cause);
        Assert.Contains("length changed from 65536 to 131072 bytes", exception.Message);
        if (_host.Memory.GetPointer() == baseBefore)
        {
            Assert.DoesNotContain("base address moved", exception.Message);
        }
    }

    [Fact]
    public void View_AfterUnguardedCallThatNeitherGrowsNorMoves_IsNotDetected()
    {
        // The documented limit: a call the guard never hears of and that leaves memory in place cannot be seen.
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, 5);

        _host.RawFunction("fill").Invoke(GuestHost.GreetingAddress, 5, (int)'z');

        Assert.False(view.IsStale);
        Assert.Equal("zzzzz", Encoding.ASCII.GetString(view.Span));
    }

    [Fact]
    public void StaleView_EveryAccessPathThrows()
    {
        var view = _host.Guard.GetView(GuestHost.GreetingAddress, 5);
        var memoryTakenBefore = view.Memory;
        var streamOpenedBefore = view.AsStream();

        _host.Guard.NotifyGuestCall("anything");

        Assert.True(view.IsStale);
        Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Throws<StaleWasmViewException>(() => view.Memory);
        Assert.Throws<StaleWasmViewException>(() => memoryTakenBefore.Span.Length);
        Assert.Throws<StaleWasmViewException>(() => memoryTakenBefore.Pin());
        Assert.Throws<StaleWasmViewException>(() => memoryTakenBefore.Slice(1).ToArray());
        Assert.Throws<StaleWasmViewException>(() => view.CopyTo(new byte[5]));
        Assert.Throws<StaleWasmViewException>(() => view.ToArray());
        Assert.Throws<StaleWasmViewException>(() => view.LeaseCopy());
        Assert.Throws<StaleWasmViewException>(() => view.AsStream());
        Assert.Throws<StaleWasmViewException>(() => streamOpenedBefore.Read(new byte[5]));
        Assert.Throws<StaleWasmViewException>(view.ThrowIfStale);
    }

    [Fact]
    public void MemoryTakenFromFreshView_PinsTheGuestBytes()
    {
        var memory = _host.Guard.GetView(GuestHost.GreetingAddress, 5).Memory;

        using var handle = memory.Slice(1).Pin();

        unsafe
        {
            Assert.Equal((nint)(_host.Memory.GetPointer() + GuestHost.GreetingAddress + 1), (nint)handle.Pointer);
        }
    }

    [Fact]
    public void StaleMessage_NamesWhereTheViewWasObtainedAndTheCallThatInvalidatedIt()
    {
        var fill = _host.Guard.GetAction<int, int, int>(_host.Instance, "fill")!;
        var (view, line) = (_host.Guard.GetView(GuestHost.GreetingAddress, 5), Source.Line());

        fill(GuestHost.GreetingAddress, 5, 0);

        var exception = Assert.Throws<StaleWasmViewException>(() => view.ToArray());
        Assert.Equal(
            $"The guest memory view obtained in {nameof(StaleMessage_NamesWhereTheViewWasObtainedAndTheCallThatInvalidatedIt)} at GuardedViewTests.cs:{line} " +
            "(5 bytes at guest address 0x10) is stale: the call to 'fill' (guarded call #1) ran after it was obtained, " +
            "so the guest may have overwritten or moved those bytes. " +
            "Copy the view (ToArray() or LeaseCopy()) before calling into WebAssembly, or obtain it again after the call.",
            exception.Message);
        Assert.Equal(nameof(StaleMessage_NamesWhereTheViewWasObtainedAndTheCallThatInvalidatedIt), exception.AcquiredInMember);
        Assert.Equal("GuardedViewTests.cs", Path.GetFileName(exception.AcquiredInFile));
        Assert.Equal(line, exception.AcquiredAtLine);
        Assert.Equal("fill", exception.InvalidatedBy);
        Assert.Equal(1, exception.GuardedCallNumber);
        Assert.IsAssignableFrom<InvalidOperationException>(exception);
    }

    [Fact]
    public void StaleMessage_NamesTheFirstInvalidationNotTheLatest()
    {
        var fill = _host.Guard.GetAction<int, int, int>(_host.Instance, "fill")!;
        var nop = _host.Guard.GetAction(_host.Instance, "nop")!;
        nop();
        var view = _host.Guard.GetView(0, 4);

        fill(0, 4, 1);
        nop();
        _host.Guard.GetView(0, 4);
        nop();

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal("fill", exception.InvalidatedBy);
        Assert.Equal(2, exception.GuardedCallNumber);
        Assert.Contains("the call to 'fill' (guarded call #2)", exception.Message);
    }

    [Fact]
    public void StaleMessage_ForGuardedGrow_NamesWhereGrowWasCalled()
    {
        var view = _host.Guard.GetView(0, 4);

        var (_, growLine) = (_host.Guard.Grow(2), Source.Line());

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Contains(
            $"Grow(2 pages) in {nameof(StaleMessage_ForGuardedGrow_NamesWhereGrowWasCalled)} at GuardedViewTests.cs:{growLine} (guarded call #1) ran after it was obtained, so guest memory may have moved.",
            exception.Message);
        Assert.Equal("Grow", exception.InvalidatedBy);
    }

    [Fact]
    public void StaleMessage_ForGuardedCallThatAlsoMovedMemory_NamesTheCallAndTheMove()
    {
        using var host = new GuestHost(stress: true);
        var grow = host.Guard.GetFunction<int, int>(host.Instance, "grow")!;
        var view = host.Guard.GetView(0, 4);
        var baseBefore = host.Memory.GetPointer();

        grow(1);

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.GuestCall, exception.Cause);
        Assert.Contains("the call to 'grow' (guarded call #1) ran after it was obtained", exception.Message);
        Assert.Contains($"Since then the memory's base address moved from 0x{(ulong)baseBefore:X} to 0x{(ulong)host.Memory.GetPointer():X}", exception.Message);
    }

    [Fact]
    public void StaleMessage_ForAViewQueuedOverAsManyInvalidationsAsTheHistoryHolds_StillNamesTheFirst()
    {
        var fill = _host.Guard.GetAction<int, int, int>(_host.Instance, "fill")!;
        var nop = _host.Guard.GetAction(_host.Instance, "nop")!;
        var queued = new List<GuardedView> { _host.Guard.GetView(0, 4) };

        fill(0, 4, 1);
        for (var i = 1; i < GuestMemoryGuard.HistoryLength; i++)
        {
            queued.Add(_host.Guard.GetView(0, 4));
            nop();
        }

        Assert.Equal(GuestMemoryGuard.HistoryLength, queued.Count);
        var first = Assert.Throws<StaleWasmViewException>(() => queued[0].Span.Length);
        Assert.Equal("fill", first.InvalidatedBy);
        Assert.Equal(1, first.GuardedCallNumber);
        Assert.All(queued.Skip(1), view => Assert.Equal("nop", Assert.Throws<StaleWasmViewException>(() => view.Span.Length).InvalidatedBy));
    }

    [Fact]
    public void StaleMessage_WhenTheFirstInvalidationIsOlderThanTheHistory_SaysSoAndNamesTheLatest()
    {
        var nop = _host.Guard.GetAction(_host.Instance, "nop")!;
        var add = _host.Guard.GetFunction<int, int, int>(_host.Instance, "add")!;
        var view = _host.Guard.GetView(0, 4);

        for (var i = 0; i < GuestMemoryGuard.HistoryLength + 2; i++)
        {
            nop();
            _host.Guard.GetView(0, 4);
        }

        add(1, 2);

        var exception = Assert.Throws<StaleWasmViewException>(() => view.Span.Length);
        Assert.Equal(StaleViewCause.OlderThanHistory, exception.Cause);
        Assert.Null(exception.InvalidatedBy);
        Assert.Null(exception.GuardedCallNumber);
        Assert.Contains("at least 131 guarded calls ran after it was obtained; the first is older than the last 128 the guard remembers, the latest was the call to 'add' (guarded call #131)", exception.Message);
    }

    [Fact]
    public void ViewObtainedInHostCallbackDuringGuardedCall_IsFreshInsideAndStaleAfterTheGuestResumes()
    {
        var run = _host.Guard.GetAction<int, int, int>(_host.Instance, "callback_then_fill")!;
        GuardedView inner = default;
        string? readInside = null;
        _host.OnCallback = () =>
        {
            inner = _host.Guard.GetView(GuestHost.GreetingAddress, 5);
            readInside = Encoding.ASCII.GetString(inner.Span);
        };

        run(GuestHost.GreetingAddress, 5, 'q');

        Assert.Equal("hello", readInside);
        var exception = Assert.Throws<StaleWasmViewException>(() => inner.Span.Length);
        Assert.Equal(StaleViewCause.GuestCallContinued, exception.Cause);
        Assert.Contains("it was obtained during the call to 'callback_then_fill' (guarded call #1), and WebAssembly kept running after it was obtained", exception.Message);
    }

    [Fact]
    public void DefaultView_IsEmptyAndNeverStale()
    {
        GuardedView view = default;

        Assert.False(view.IsStale);
        Assert.Equal(0, view.Span.Length);
        Assert.Empty(view.ToArray());
        Assert.True(view.Memory.IsEmpty);
        Assert.Equal(-1, view.AsStream().ReadByte());
    }

    [Theory]
    [InlineData(-1, 1, "address")]
    [InlineData(long.MinValue, 0, "address")]
    [InlineData(0, -1, "length")]
    [InlineData(GuestHost.PageSize + 1, 0, "address")]
    [InlineData(long.MaxValue, 1, "address")]
    [InlineData(GuestHost.PageSize - 4, 5, "length")]
    [InlineData(0, GuestHost.PageSize + 1, "length")]
    public void GetView_OutOfRange_ThrowsArgumentOutOfRange(long address, int length, string parameter)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => _host.Guard.GetView(address, length));
        Assert.Equal(parameter, exception.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => _host.Guard.OpenStream(address, length));
        Assert.Throws<ArgumentOutOfRangeException>(() => _host.Memory.LeaseCopy(address, length));
    }

    [Fact]
    public void GetView_RangePastTheEnd_SaysHowLongMemoryIs()
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => _host.Guard.GetView(GuestHost.PageSize - 4, 8));

        Assert.Contains("8 bytes at guest address 0xFFFC do not fit in guest memory, which is currently 65536 bytes (0x10000) long.", exception.Message);
    }

    [Fact]
    public void GetView_RangeEndingExactlyAtTheEnd_IsAllowed()
    {
        var whole = _host.Guard.GetView(0, GuestHost.PageSize);
        var emptyAtEnd = _host.Guard.GetView(GuestHost.PageSize, 0);

        Assert.Equal(GuestHost.PageSize, whole.Span.Length);
        Assert.Equal(0, emptyAtEnd.Span.Length);
    }
}
