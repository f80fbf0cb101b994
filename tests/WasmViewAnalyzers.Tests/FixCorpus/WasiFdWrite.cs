// A minimal WASI-like host: fd_write reads iovecs from guest memory; a tracing hook calls back
// into the guest while it runs.
using System;
using System.IO;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Wasi;

[StructLayout(LayoutKind.Sequential)]
struct IoVec
{
    public int Buffer;
    public int Length;
}

sealed class WasiHost
{
    private readonly Stream _stdout;

    public WasiHost(Stream stdout)
    {
        _stdout = stdout;
    }

    public void Define(Linker linker)
    {
        linker.DefineFunction("wasi", "fd_write", (Caller caller, int fd, int iovs, int count, int written) =>
        {
            var memory = caller.GetMemory("memory")!;
            var vectors = memory.GetSpan<IoVec>(iovs, count);
            var total = 0;
            for (var i = 0; i < vectors.Length; i++)
            {
                var vector = vectors[i];
                var bytes = memory.GetSpan(vector.Buffer, vector.Length);
                caller.GetFunction("trace_write")?.Invoke(fd, vector.Length);
                _stdout.Write(bytes);
                total += vector.Length;
            }

            memory.WriteInt32(written, total);
            return 0;
        });

        linker.DefineFunction("wasi", "random_get", (Caller caller, int buffer, int length) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", buffer, length, out var destination))
            {
                return 1;
            }

            caller.GetFunction("trace_random")?.Invoke(length);
            Random.Shared.NextBytes(destination);
            return 0;
        });

        linker.DefineFunction("wasi", "clock_get", (Caller caller, int id, int result) =>
        {
            var memory = caller.GetMemory("memory")!;
            ref var time = ref MemoryMarshal.AsRef<long>(memory.GetSpan(result, 8));
            caller.GetFunction("trace_clock")?.Invoke(id);
            time = DateTime.UtcNow.Ticks;
            return 0;
        });
    }
}
