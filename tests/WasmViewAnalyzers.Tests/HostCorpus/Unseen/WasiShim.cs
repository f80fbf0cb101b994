// A WASI-preview1 shim implemented in C# (fd_write/fd_read/path_open/random_get over iovecs), the shape of the
// hand-rolled stdio shims of Extism-like plugin hosts and of wasmtime-dotnet's WASI tests, with Caller in every callback.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Wasmtime;

namespace Corpus.Unseen.WasiShim;

[StructLayout(LayoutKind.Sequential)]
public struct IoVec
{
    public int Buf;
    public int Len;
}

public sealed class ShimSession
{
    public nint LastIovecs;
    public int LastIovecsOffset;
    public int OpenCount;
}

public static class Errno
{
    public const int Success = 0;
    public const int BadF = 8;
    public const int Fault = 21;
    public const int NoEnt = 44;
}

public sealed unsafe class WasiPreview1Shim
{
    private readonly Dictionary<int, Stream> _fds = new Dictionary<int, Stream>();
    private readonly Queue<(nint Address, int Length)> _stdoutBacklog = new Queue<(nint Address, int Length)>();
    private readonly List<byte[]> _stderrLines = new List<byte[]>();
    private readonly string _root;
    private Action? _pendingStderr;
    private int _nextFd = 3;

    public WasiPreview1Shim(string root, Stream stdout, Stream stderr)
    {
        _root = root;
        _fds[1] = stdout;
        _fds[2] = stderr;
    }

    public bool BufferStdout { get; set; }

    public void Define(Linker linker)
    {
        linker.DefineFunction("wasi_snapshot_preview1", "fd_write",
            (Caller caller, int fd, int iovs, int iovsLen, int nwritten) => FdWrite(caller, fd, iovs, iovsLen, nwritten));
        linker.DefineFunction("wasi_snapshot_preview1", "fd_read",
            (Caller caller, int fd, int iovs, int iovsLen, int nread) => FdRead(caller, fd, iovs, iovsLen, nread));
        linker.DefineFunction("wasi_snapshot_preview1", "path_open",
            (Caller caller, int pathPtr, int pathLen, int fdOut) => PathOpen(caller, pathPtr, pathLen, fdOut));
        linker.DefineFunction("wasi_snapshot_preview1", "random_get",
            (Caller caller, int buf, int len) => RandomGet(caller, buf, len));
        linker.DefineFunction("wasi_snapshot_preview1", "fd_pwrite",
            (Caller caller, int fd, int iovs, int iovsLen, int nwritten) => FdWriteTraced(caller, fd, iovs, iovsLen, nwritten));
    }

    private int FdWrite(Caller caller, int fd, int iovs, int iovsLen, int nwrittenPtr)
    {
        if (!_fds.TryGetValue(fd, out var target))
        {
            return Errno.BadF;
        }

        if (!caller.TryGetMemorySpan<IoVec>("memory", iovs, iovsLen, out var vecs))
        {
            return Errno.Fault;
        }

        var memory = caller.GetMemory("memory")!;
        int total = 0;
        foreach (var vec in vecs)
        {
            if (fd == 1 && BufferStdout)
            {
                // The backlog is drained after the guest returns: by then later writes reuse these bytes.
                _stdoutBacklog.Enqueue((memory.GetPointer() + vec.Buf, vec.Len)); // expect: WVA002
            }
            else if (fd == 2)
            {
                // A copy per line: kept beyond the callback, safely.
                _stderrLines.Add(memory.GetSpan(vec.Buf, vec.Len).ToArray());
            }
            else
            {
                // Written while the callback runs: the stream reads the view at once.
                target.Write(memory.GetSpan(vec.Buf, vec.Len));
            }

            total += vec.Len;
        }

        memory.WriteInt32(nwrittenPtr, total);
        ((ShimSession)caller.GetData()!).LastIovecsOffset = iovs;
        return Errno.Success;
    }

    // fd_pwrite doubles as the traced write: the guest's tracing hook runs after each vector.
    private int FdWriteTraced(Caller caller, int fd, int iovs, int iovsLen, int nwrittenPtr)
    {
        if (!caller.TryGetMemorySpan<IoVec>("memory", iovs, iovsLen, out var vecs))
        {
            return Errno.Fault;
        }

        var hook = caller.GetFunction("__trace_write");
        var memory = caller.GetMemory("memory")!;
        int total = 0;
        // The next turn reads 'vecs' again, after the hook of the previous turn ran in the guest.
        foreach (var vec in vecs) // expect: WVA001
        {
            _fds[fd].Write(memory.GetSpan(vec.Buf, vec.Len));
            total += vec.Len;
            hook?.Invoke(fd, vec.Len);
        }

        memory.WriteInt32(nwrittenPtr, total);
        ((ShimSession)caller.GetData()!).LastIovecs = memory.GetPointer() + iovs; // expect: WVA002
        return Errno.Success;
    }

    private int FdRead(Caller caller, int fd, int iovs, int iovsLen, int nreadPtr)
    {
        if (!_fds.TryGetValue(fd, out var source))
        {
            return Errno.BadF;
        }

        if (!caller.TryGetMemorySpan<IoVec>("memory", iovs, iovsLen, out var vecs))
        {
            return Errno.Fault;
        }

        if (fd == 0)
        {
            // Interactive stdin: let the guest's event loop drain its ready queue before blocking.
            caller.GetFunction("__poll_ready")?.Invoke();
        }

        int read = 0;
        // Length only: not a read of guest memory.
        for (int i = 0; i < vecs.Length; i++)
        {
            IoVec vec = vecs[i]; // expect: WVA001
            caller.TryGetMemorySpan<byte>("memory", vec.Buf, vec.Len, out var destination);
            int n = source.Read(destination);
            read += n;
            if (n < vec.Len)
            {
                break;
            }
        }

        caller.GetMemory("memory")!.WriteInt32(nreadPtr, read);
        return Errno.Success;
    }

    private int PathOpen(Caller caller, int pathPtr, int pathLen, int fdOutPtr)
    {
        if (!caller.TryGetMemorySpan<byte>("memory", pathPtr, pathLen, out var pathBytes)
            || !caller.TryGetMemorySpan<int>("memory", fdOutPtr, 1, out var fdOut))
        {
            return Errno.Fault;
        }

        // Decoded before the guest's hook runs: a copy.
        string relative = Encoding.UTF8.GetString(pathBytes);
        string full = Path.Combine(_root, relative.TrimStart('/'));
        if (!File.Exists(full))
        {
            return Errno.NoEnt;
        }

        int fd = _nextFd++;
        _fds[fd] = File.OpenRead(full);
        ((ShimSession)caller.GetData()!).OpenCount++;
        caller.GetFunction("__on_path_open")?.Invoke(fd);
        fdOut[0] = fd; // expect: WVA001
        return Errno.Success;
    }

    private static int RandomGet(Caller caller, int buf, int len)
    {
        if (!caller.TryGetMemorySpan<byte>("memory", buf, len, out var target))
        {
            return Errno.Fault;
        }

        // Filled in place while nothing else runs in the guest.
        RandomNumberGenerator.Fill(target);
        return Errno.Success;
    }

    public void QueueStderrFlush(Caller caller, int buf, int len)
    {
        nint line = caller.GetMemory("memory")!.GetPointer() + buf;
        var stderr = _fds[2];
        // Runs at the next flush, long after this callback returned to the guest.
        _pendingStderr = () => stderr.Write(new ReadOnlySpan<byte>((void*)line, len)); // expect: WVA002
    }

    public void NoteEnviron(Caller caller, int environ)
    {
        if (caller.GetData() is ShimSession session)
        {
            // The session object outlives the callback: it now holds a raw pointer into guest memory.
            session.LastIovecs = caller.GetMemory("memory")!.GetPointer() + environ; // expect: WVA002
            session.LastIovecsOffset = environ;
        }
    }

    public void NoteEnvironOffset(Caller caller, int environ)
    {
        if (caller.GetData() is ShimSession session)
        {
            session.LastIovecsOffset = environ;
            session.OpenCount += caller.GetMemory("memory")!.ReadInt32(environ) > 0 ? 1 : 0;
        }
    }

    public void QueueStderrFlushCopy(Caller caller, int buf, int len)
    {
        byte[] line = caller.GetMemory("memory")!.GetSpan(buf, len).ToArray();
        var stderr = _fds[2];
        _pendingStderr = () => stderr.Write(line);
    }

    public void Flush()
    {
        // The backlog is a field filled by another method: the escape was reported where it was filled.
        while (_stdoutBacklog.Count > 0)
        {
            var (address, length) = _stdoutBacklog.Dequeue();
            _fds[1].Write(new ReadOnlySpan<byte>((void*)address, length));
        }

        foreach (var line in _stderrLines)
        {
            _fds[2].Write(line);
        }

        _stderrLines.Clear();
        _pendingStderr?.Invoke();
        _pendingStderr = null;
    }
}
