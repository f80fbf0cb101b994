// WASI-style host: fd_write/fd_read implemented by the host to capture a plugin's stdout and feed it files.
// Shape from hand-written preview1 shims (iovec arrays read through Caller memory) and devnought/wasmtime-embed's host_print.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Dev.WasiStdoutCapture;

[StructLayout(LayoutKind.Sequential)]
internal struct Iovec
{
    public int Buf;
    public int Len;
}

public sealed class WasiState
{
    public nint LastIovecs { get; set; }       // raw pointer into the caller's memory
    public int LastIovecsAddress { get; set; } // the guest address
    public int Writes { get; set; }
}

public sealed unsafe class StdioShim
{
    private const int Errno_Success = 0;
    private const int Errno_BadF = 8;

    private readonly MemoryStream _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Dictionary<int, Stream> _files = new();
    private readonly List<Action> _flushers = new();
    private Func<int, int>? _echo;          // an export of a logging plugin, set once it is loaded
    private nint _pendingLine;
    private int _pendingLineLength;
    private string _pendingText = "";

    public void AttachLogger(Instance logger)
    {
        _echo = logger.GetFunction<int, int>("on_stdout");
    }

    public string CapturedStdout => Encoding.UTF8.GetString(_stdout.ToArray());

    public void Define(Linker linker)
    {
        linker.DefineFunction("wasi_snapshot_preview1", "fd_write", (Caller caller, int fd, int iovs, int iovsLen, int nwrittenPtr) =>
        {
            var memory = caller.GetMemory("memory")!;
            var vecs = MemoryMarshal.Cast<byte, Iovec>(memory.GetSpan(iovs, iovsLen * sizeof(Iovec)));
            var total = 0;
            foreach (var vec in vecs)
            {
                var bytes = memory.GetSpan(vec.Buf, vec.Len);
                if (fd == 1)
                {
                    _stdout.Write(bytes);                 // MemoryStream.Write copies while it runs
                }
                else
                {
                    _stderr.Append(Encoding.UTF8.GetString(bytes));
                }

                total += vec.Len;
            }

            memory.WriteInt32(nwrittenPtr, total);
            if (caller.GetData() is WasiState state)
            {
                state.Writes++;
                state.LastIovecsAddress = iovs;           // an int: fine
            }

            return Errno_Success;
        });

        linker.DefineFunction("wasi_snapshot_preview1", "fd_read", (Caller caller, int fd, int iovs, int iovsLen, int nreadPtr) =>
        {
            if (!_files.TryGetValue(fd, out var file))
            {
                return Errno_BadF;
            }

            var memory = caller.GetMemory("memory")!;
            var read = 0;
            for (var i = 0; i < iovsLen; i++)
            {
                var vec = memory.Read<Iovec>(iovs + i * sizeof(Iovec));   // a copy
                var target = memory.GetSpan(vec.Buf, vec.Len);
                read += file.Read(target);                 // the host writes into guest memory at once
            }

            memory.WriteInt32(nreadPtr, read);
            return Errno_Success;
        });
    }

    // Echoes every chunk to a logging plugin as it goes.
    public void DefineTee(Linker linker)
    {
        linker.DefineFunction("wasi_snapshot_preview1", "fd_write", (Caller caller, int fd, int iovs, int iovsLen, int nwrittenPtr) =>
        {
            var memory = caller.GetMemory("memory")!;
            var vecs = MemoryMarshal.Cast<byte, Iovec>(memory.GetSpan(iovs, iovsLen * sizeof(Iovec)));
            var total = 0;
            foreach (var vec in vecs) // expect: WVA001
            {
                _stdout.Write(memory.GetSpan(vec.Buf, vec.Len));
                total += _echo?.Invoke(vec.Len) ?? vec.Len;  // a call into the logging plugin (memories are not told apart)
            }

            memory.WriteInt32(nwrittenPtr, total);
            return Errno_Success;
        });
    }

    public void DefineTeeCopied(Linker linker)
    {
        linker.DefineFunction("wasi_snapshot_preview1", "fd_write", (Caller caller, int fd, int iovs, int iovsLen, int nwrittenPtr) =>
        {
            var memory = caller.GetMemory("memory")!;
            var vecs = MemoryMarshal.Cast<byte, Iovec>(memory.GetSpan(iovs, iovsLen * sizeof(Iovec))).ToArray();   // a copy
            var total = 0;
            foreach (var vec in vecs)
            {
                _stdout.Write(memory.GetSpan(vec.Buf, vec.Len));   // obtained after the previous echo
                total += _echo?.Invoke(vec.Len) ?? vec.Len;
            }

            memory.WriteInt32(nwrittenPtr, total);
            return Errno_Success;
        });
    }

    // Line-buffered console: an unfinished line waits for the next write.
    public void DefineLineBuffered(Linker linker)
    {
        linker.DefineFunction("env", "console_write", (Caller caller, int buf, int len) =>
        {
            var memory = caller.GetMemory("memory")!;
            var text = memory.GetSpan(buf, len);
            var newline = text.LastIndexOf((byte)'\n');
            if (newline < 0)
            {
                _pendingLine = memory.GetPointer() + buf; // expect: WVA002
                _pendingLineLength = len;
                return;
            }

            Console.Out.Write(Encoding.UTF8.GetString(text[..(newline + 1)]));
            _pendingText = Encoding.UTF8.GetString(text[(newline + 1)..]);   // the rest as a string: a copy
        });

        linker.DefineFunction("env", "console_watch", (Caller caller, int iovs) =>
        {
            var memory = caller.GetMemory("memory")!;
            if (caller.GetData() is WasiState state)
            {
                state.LastIovecs = memory.GetPointer() + iovs; // expect: WVA002
            }
        });
    }

    // A host import that returns a file's bytes: it asks the guest's allocator for the result buffer.
    public void DefineReadFile(Linker linker)
    {
        linker.DefineFunction("env", "host_read_file", (Caller caller, int pathPtr, int pathLen, int outPtrPtr) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", pathPtr, pathLen, out var path))
            {
                return -1;
            }

            var bytes = File.ReadAllBytes(Encoding.UTF8.GetString(path));   // decoded before the call below
            var realloc = caller.GetFunction("cabi_realloc")!;
            var result = (int)realloc.Invoke(0, 0, 1, bytes.Length)!;
            Console.WriteLine($"read {path.Length} path bytes");             // Length only
            Console.WriteLine("read " + Encoding.UTF8.GetString(path)); // expect: WVA001
            var memory = caller.GetMemory("memory")!;
            bytes.CopyTo(memory.GetSpan(result, bytes.Length));              // obtained after the call
            memory.WriteInt32(outPtrPtr, result);
            return bytes.Length;
        });
    }

    // Flushes are queued and run when the plugin exits; each keeps what it needs to write.
    public void DefineDeferredFlush(Linker linker)
    {
        linker.DefineFunction("env", "flush_later", (Caller caller, int buf, int len) =>
        {
            var memory = caller.GetMemory("memory")!;
            var start = (byte*)memory.GetPointer() + buf;
            _flushers.Add(() => Console.Out.Write(Encoding.UTF8.GetString(start, len))); // expect: WVA002
        });

        linker.DefineFunction("env", "flush_later_copied", (Caller caller, int buf, int len) =>
        {
            var text = caller.GetMemory("memory")!.ReadString(buf, len, Encoding.UTF8);   // a copy
            _flushers.Add(() => Console.Out.Write(text));
        });

        linker.DefineFunction("env", "flush_async", (Caller caller, int buf, int len) =>
        {
            var memory = caller.GetMemory("memory")!;
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + buf, len);
            Task.Run(() => stream.CopyTo(Console.OpenStandardOutput())); // expect: WVA002
        });

        linker.DefineFunction("env", "flush_now", (Caller caller, int buf, int len) =>
        {
            var memory = caller.GetMemory("memory")!;
            using var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + buf, len);
            stream.CopyTo(_stdout);                    // read while the callback runs
        });
    }

    public void RunFlushers()
    {
        foreach (var flush in _flushers)
        {
            flush();
        }

        _flushers.Clear();
        Console.Out.Write(_pendingText);
        Console.WriteLine(_pendingLineLength);
    }
}
