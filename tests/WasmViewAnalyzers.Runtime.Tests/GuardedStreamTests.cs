using System.Text;

namespace WasmViewAnalyzers.Runtime.Tests;

public sealed class GuardedStreamTests : IDisposable
{
    private readonly GuestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void OpenStream_ReadsTheGuestBytes()
    {
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, GuestHost.Greeting.Length);
        using var reader = new StreamReader(stream, Encoding.ASCII);

        Assert.Equal(GuestHost.Greeting, reader.ReadToEnd());
    }

    [Fact]
    public void Stream_IsReadOnlyAndSeekable()
    {
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, GuestHost.Greeting.Length);

        Assert.True(stream.CanRead);
        Assert.True(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Equal(GuestHost.Greeting.Length, stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
    }

    [Fact]
    public void Seek_MovesWhereReadsStart()
    {
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, GuestHost.Greeting.Length);
        var buffer = new byte[5];

        stream.Seek(7, SeekOrigin.Begin);
        stream.ReadExactly(buffer);
        var afterBegin = Encoding.ASCII.GetString(buffer);
        stream.Seek(-6, SeekOrigin.End);
        stream.ReadExactly(buffer);
        var afterEnd = Encoding.ASCII.GetString(buffer);
        stream.Position = 0;
        stream.Seek(2, SeekOrigin.Current);
        var third = stream.ReadByte();

        Assert.Equal("guest", afterBegin);
        Assert.Equal("memor", afterEnd);
        Assert.Equal('l', third);
        Assert.Equal(3, stream.Position);
    }

    [Fact]
    public void Read_AtOrPastTheEnd_ReturnsNothing()
    {
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, 5);

        stream.Seek(100, SeekOrigin.Begin);

        Assert.Equal(0, stream.Read(new byte[4], 0, 4));
        Assert.Equal(-1, stream.ReadByte());
        Assert.Throws<IOException>(() => stream.Seek(-1, SeekOrigin.Begin));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Position = -1);
    }

    [Fact]
    public void StreamFromOpenStream_AfterGuardedCall_ThrowsOnRead()
    {
        var nop = _host.Guard.GetAction(_host.Instance, "nop")!;
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, 5);
        Assert.Equal('h', stream.ReadByte());

        nop();

        var exception = Assert.Throws<StaleWasmViewException>(() => stream.ReadByte());
        Assert.Equal(nameof(StreamFromOpenStream_AfterGuardedCall_ThrowsOnRead), exception.AcquiredInMember);
        Assert.Equal("nop", exception.InvalidatedBy);
        Assert.Throws<StaleWasmViewException>(() => stream.Read(new byte[2], 0, 2));
    }

    [Fact]
    public void StreamFromAsStream_SeekThenReadAfterGuardedGrow_Throws()
    {
        using var stream = _host.Guard.GetView(GuestHost.GreetingAddress, 5).AsStream();

        _host.Guard.Grow(1);
        stream.Seek(1, SeekOrigin.Begin);

        Assert.Throws<StaleWasmViewException>(() => stream.Read(new byte[2]));
        Assert.Equal(StaleViewCause.Grow, Assert.Throws<StaleWasmViewException>(() => stream.ReadByte()).Cause);
    }

    [Fact]
    public async Task ReadAsync_OnStaleStream_FaultsWithStaleWasmViewException()
    {
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, 5);
        var buffer = new byte[5];
        Assert.Equal(5, await stream.ReadAsync(buffer.AsMemory()));

        _host.Guard.NotifyGuestCall("guest ran");
        stream.Position = 0;

        await Assert.ThrowsAsync<StaleWasmViewException>(async () => Assert.Equal(0, await stream.ReadAsync(buffer.AsMemory())));
        await Assert.ThrowsAsync<StaleWasmViewException>(() => stream.ReadAsync(buffer, 0, 5));
    }

    [Fact]
    public void BeginRead_CompletesSynchronouslyOnTheCallingThread()
    {
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, 5);
        var buffer = new byte[8];
        int? callbackThread = null;
        IAsyncResult? seenByCallback = null;

        var result = stream.BeginRead(buffer, 1, 7, asyncResult =>
        {
            callbackThread = Environment.CurrentManagedThreadId;
            seenByCallback = asyncResult;
        }, "state");

        Assert.True(result.CompletedSynchronously);
        Assert.True(result.IsCompleted);
        Assert.Equal("state", result.AsyncState);
        Assert.Equal(Environment.CurrentManagedThreadId, callbackThread);
        Assert.Same(result, seenByCallback);
        Assert.Equal(5, stream.EndRead(result));
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 1, 5));
        Assert.Equal(5, stream.Position);
    }

    [Fact]
    public void BeginRead_OnStaleStream_CompletesAndEndReadThrowsStaleWasmViewException()
    {
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, 5);
        _host.Guard.NotifyGuestCall("guest ran");
        var callbackRan = false;

        var result = stream.BeginRead(new byte[5], 0, 5, _ => callbackRan = true, null);

        Assert.True(result.CompletedSynchronously);
        Assert.True(callbackRan);
        var exception = Assert.Throws<StaleWasmViewException>(() => stream.EndRead(result));
        Assert.Equal("guest ran", exception.InvalidatedBy);
    }

    [Fact]
    public void BeginRead_WithBadArguments_ThrowsAtOnce()
    {
        using var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, 5);

        Assert.Throws<ArgumentNullException>(() => stream.BeginRead(null!, 0, 1, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.BeginRead(new byte[2], 1, 2, null, null));
        Assert.Throws<NotSupportedException>(() => stream.BeginWrite(new byte[1], 0, 1, null, null));
    }

    [Fact]
    public void DisposedStream_ThrowsObjectDisposed()
    {
        var stream = _host.Guard.OpenStream(GuestHost.GreetingAddress, 5);

        stream.Dispose();

        Assert.False(stream.CanRead);
        Assert.Throws<ObjectDisposedException>(() => stream.ReadByte());
        Assert.Throws<ObjectDisposedException>(() => stream.Length);
    }
}
