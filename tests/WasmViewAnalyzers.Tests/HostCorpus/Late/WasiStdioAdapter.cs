// WASI component adapter: the host implements fd_write/fd_read for a guest's stdio by hand, buffering into channels and files.
// Shape inspired by wasmtime-dotnet's host-function tests (Caller.GetMemory, iovec arrays read with ReadInt32) and WASI shims.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Late.WasiStdioAdapter;

[StructLayout(LayoutKind.Sequential)]
public struct IoVec
{
    public int Buf;
    public int Len;
}

public sealed class StdioAdapter
{
    private readonly Channel<byte[]> _stdout = Channel.CreateUnbounded<byte[]>();
    private readonly Channel<ReadOnlyMemory<byte>> _stderr = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
    private readonly Stream _capture;
    private readonly GuestMemoryGuard _guard = new();
    private readonly List<GuardedView> _guardedLines = new();
    private Memory<byte> _lastLine;

    public StdioAdapter(Stream capture) => _capture = capture;

    public void Attach(Memory memory) => _guard.AttachMemory(memory);

    public void Define(Linker linker)
    {
        linker.DefineFunction("wasi_snapshot_preview1", "fd_write", (Caller caller, int fd, int iovs, int count, int nwritten) =>
        {
            var memory = caller.GetMemory("memory")!;
            int total = 0;
            for (int i = 0; i < count; i++)
            {
                int buf = memory.ReadInt32(iovs + i * 8);
                int len = memory.ReadInt32(iovs + i * 8 + 4);
                var data = memory.GetSpan(buf, len);
                if (fd == 1)
                    _stdout.Writer.TryWrite(data.ToArray());
                else
                    _capture.Write(data); // the capture file reads the bytes during the call
                total += len;
            }

            memory.WriteInt32(nwritten, total);
            return 0;
        });

        linker.DefineFunction("wasi_snapshot_preview1", "fd_pwrite", (Caller caller, int fd, int iovs, int count, long offset, int nwritten) =>
        {
            if (!caller.TryGetMemorySpan<IoVec>("memory", iovs, count, out var vecs))
                return 28;
            var memory = caller.GetMemory("memory")!;
            int total = 0;
            var flush = caller.GetFunction("__stdio_flush");
            // From the second iteration on, each element is copied out of a span the previous flush may have moved.
            foreach (var vec in vecs) // expect: WVA001
            {
                flush?.Invoke();
                total += vec.Len; // vec is a copy made before this flush
            }

            memory.WriteInt32(nwritten, total);
            return 0;
        });

        linker.DefineFunction("wasi_snapshot_preview1", "fd_pwrite_first", (Caller caller, int fd, int iovs, int count, long offset, int nwritten) =>
        {
            if (!caller.TryGetMemorySpan<IoVec>("memory", iovs, count, out var vecs))
                return 28;
            var memory = caller.GetMemory("memory")!;
            int total = 0;
            ref readonly var first = ref vecs[0];
            caller.GetFunction("__stdio_flush")?.Invoke();
            total += first.Len; // expect: WVA001
            memory.WriteInt32(nwritten, total);
            return 0;
        });

        linker.DefineFunction("wasi_snapshot_preview1", "fd_read", (Caller caller, int fd, int iovs, int count, int nread) =>
        {
            var memory = caller.GetMemory("memory")!;
            ref var vec = ref MemoryMarshal.AsRef<IoVec>(memory.GetSpan(iovs, 8));
            var grow = caller.GetFunction("__grow_heap")!;
            // The guest's allocator runs on the right of the write, after the location of vec.Len was fixed.
            vec.Len = (int)grow.Invoke(vec.Len)!; // expect: WVA001
            memory.WriteInt32(nread, 0);
            return 0;
        });

        linker.DefineFunction("wasi_snapshot_preview1", "fd_read_safe", (Caller caller, int fd, int iovs, int count, int nread) =>
        {
            var memory = caller.GetMemory("memory")!;
            int len = memory.ReadInt32(iovs + 4);
            int grown = (int)caller.GetFunction("__grow_heap")!.Invoke(len)!;
            MemoryMarshal.AsRef<IoVec>(memory.GetSpan(iovs, 8)).Len = grown;
            memory.WriteInt32(nread, 0);
            return 0;
        });

        linker.DefineFunction("wasi_snapshot_preview1", "fd_write_err", (Caller caller, int ptr, int len) =>
        {
            var memory = caller.GetMemory("memory")!;
            var line = _guard.GetView(ptr, len);
            _guardedLines.Add(line); // a guarded view checks its freshness when read
            _stderr.Writer.TryWrite(line.Memory); // the Memory<byte> of a guarded view re-checks too
        });
    }

    public unsafe void DefineUnguardedStderr(Linker linker)
    {
        linker.DefineFunction("wasi_snapshot_preview1", "fd_write_raw", (Caller caller, int ptr, int len) =>
        {
            var memory = caller.GetMemory("memory")!;
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + ptr, len);
            var reader = new StreamReader(stream);
            _capture.Write(memory.GetSpan(ptr, len));
            _pendingReaders.Enqueue(reader); // expect: WVA002
        });
    }

    private readonly Queue<TextReader> _pendingReaders = new();

    public void DrainGuardedLines(TextWriter writer)
    {
        foreach (var line in _guardedLines)
        {
            if (line.IsStale)
                continue;
            writer.WriteLine(System.Text.Encoding.UTF8.GetString(line.Span));
        }

        _guardedLines.Clear();
        _lastLine = default;
    }

    public int LastLineLength => _lastLine.Length;
}
