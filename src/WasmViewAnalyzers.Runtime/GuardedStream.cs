using WasmViewAnalyzers.Runtime.Internals;

namespace WasmViewAnalyzers.Runtime;

/// <summary>
/// A read-only, seekable stream over a <see cref="GuardedView"/>: every read checks that the bytes are still fresh and
/// throws <see cref="StaleWasmViewException"/> otherwise. The guarded replacement for
/// <c>new UnmanagedMemoryStream(pointer + offset, length)</c> over guest memory.
/// </summary>
/// <remarks>
/// Obtain one from <see cref="GuardedView.AsStream"/> or <see cref="GuestMemoryGuard.OpenStream"/>. Asynchronous reads
/// (<c>ReadAsync</c>, <c>BeginRead</c>) complete synchronously on the calling thread, because the Wasmtime store behind
/// the view is single-threaded.
/// </remarks>
[RuntimeCheckedView]
public sealed class GuardedStream : Stream
{
    private readonly GuardedView _view;
    private long _position;
    private bool _disposed;

    internal GuardedStream(GuardedView view) => _view = view;

    /// <summary>The view this stream reads.</summary>
    public GuardedView View => _view;

    /// <inheritdoc/>
    public override bool CanRead => !_disposed;

    /// <inheritdoc/>
    public override bool CanSeek => !_disposed;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length
    {
        get
        {
            ThrowIfDisposed();
            return _view.Length;
        }
    }

    /// <inheritdoc/>
    public override long Position
    {
        get
        {
            ThrowIfDisposed();
            return _position;
        }

        set
        {
            ThrowIfDisposed();
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    /// <summary>Reads bytes after checking that the view is fresh.</summary>
    /// <param name="buffer">Receives the bytes.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> to start writing.</param>
    /// <param name="count">Most bytes to read.</param>
    /// <returns>Number of bytes read; 0 at the end of the view.</returns>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>Reads bytes after checking that the view is fresh.</summary>
    /// <param name="buffer">Receives the bytes.</param>
    /// <returns>Number of bytes read; 0 at the end of the view.</returns>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    public override int Read(Span<byte> buffer)
    {
        ThrowIfDisposed();
        var source = _view.Span;
        if (_position >= source.Length)
        {
            return 0;
        }

        var start = (int)_position;
        var count = Math.Min(buffer.Length, source.Length - start);
        source.Slice(start, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    /// <summary>Reads one byte after checking that the view is fresh.</summary>
    /// <returns>The byte, or -1 at the end of the view.</returns>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    public override int ReadByte()
    {
        ThrowIfDisposed();
        var source = _view.Span;
        if (_position >= source.Length)
        {
            return -1;
        }

        return source[(int)_position++];
    }

    /// <summary>Reads bytes synchronously after checking that the view is fresh.</summary>
    /// <param name="buffer">Receives the bytes.</param>
    /// <param name="cancellationToken">Checked before reading.</param>
    /// <returns>A completed task with the number of bytes read, or a faulted one (for example with <see cref="StaleWasmViewException"/>).</returns>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        try
        {
            return new ValueTask<int>(Read(buffer.Span));
        }
        catch (Exception exception)
        {
            return ValueTask.FromException<int>(exception);
        }
    }

    /// <summary>Reads bytes synchronously after checking that the view is fresh.</summary>
    /// <param name="buffer">Receives the bytes.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> to start writing.</param>
    /// <param name="count">Most bytes to read.</param>
    /// <param name="cancellationToken">Checked before reading.</param>
    /// <returns>A completed task with the number of bytes read, or a faulted one (for example with <see cref="StaleWasmViewException"/>).</returns>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// Reads bytes synchronously, on the calling thread, after checking that the view is fresh; <see cref="Stream"/>'s
    /// own <c>BeginRead</c> would run the read on a thread-pool thread, away from the thread that owns the store.
    /// </summary>
    /// <param name="buffer">Receives the bytes.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> to start writing.</param>
    /// <param name="count">Most bytes to read.</param>
    /// <param name="callback">Called on the calling thread before this method returns.</param>
    /// <param name="state">Returned as <see cref="IAsyncResult.AsyncState"/>.</param>
    /// <returns>
    /// A completed result (<see cref="IAsyncResult.CompletedSynchronously"/>); <see cref="EndRead"/> returns the number of
    /// bytes read or throws what the read threw (for example <see cref="StaleWasmViewException"/>).
    /// </returns>
    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state)
    {
        ValidateBufferArguments(buffer, offset, count);
        Task<int> read;
        try
        {
            read = Task.FromResult(Read(buffer.AsSpan(offset, count)));
        }
        catch (Exception exception)
        {
            read = Task.FromException<int>(exception);
        }

        return TaskToAsyncResult.Begin(read, callback, state);
    }

    /// <summary>Returns the number of bytes a <see cref="BeginRead"/> read, or throws what it threw.</summary>
    /// <param name="asyncResult">The result <see cref="BeginRead"/> returned.</param>
    /// <returns>Number of bytes read; 0 at the end of the view.</returns>
    /// <exception cref="StaleWasmViewException">A guest call or a grow happened since the view was obtained.</exception>
    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfDisposed();
        var start = origin switch
        {
            SeekOrigin.Begin => 0,
            SeekOrigin.Current => _position,
            SeekOrigin.End => _view.Length,
            _ => throw new ArgumentException($"Unknown seek origin {origin}.", nameof(origin)),
        };

        var position = start + offset;
        if (position < 0)
        {
            throw new IOException("An attempt was made to move the position before the beginning of the stream.");
        }

        _position = position;
        return position;
    }

    /// <summary>Does nothing: the stream is read-only.</summary>
    public override void Flush()
    {
    }

    /// <summary>Always throws: the stream is read-only.</summary>
    /// <param name="value">Ignored.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetLength(long value) => throw new NotSupportedException("A GuardedStream is read-only.");

    /// <summary>Always throws: the stream is read-only.</summary>
    /// <param name="buffer">Ignored.</param>
    /// <param name="offset">Ignored.</param>
    /// <param name="count">Ignored.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A GuardedStream is read-only.");

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowStreamDisposed();
        }
    }
}
