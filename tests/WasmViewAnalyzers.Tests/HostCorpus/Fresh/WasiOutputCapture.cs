// WASI stdout/stderr capture: the host implements fd_write itself to tee a CLI tool's output into per-run logs.
// Shape from hosts that override wasi_snapshot_preview1.fd_write with Caller + iovec reads; classic C# style.
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using Wasmtime;

namespace Corpus.Fresh.WasiOutputCapture
{
    [StructLayout(LayoutKind.Sequential)]
    public struct Iovec
    {
        public int Buffer;
        public int Length;
    }

    public sealed class CapturedRun
    {
        public string Stdout = "";
        public string Stderr = "";
        public int ExitCode;
    }

    public sealed unsafe class OutputCapture
    {
        private readonly MemoryStream _stdout = new MemoryStream();
        private readonly MemoryStream _stderr = new MemoryStream();
        private readonly Channel<ReadOnlyMemory<byte>> _lines = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
        private readonly Channel<ReadOnlyMemory<byte>> _rawLines = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
        private StreamReader? _pendingReader;
        private Func<int, int>? _onOutput;

        public void Define(Linker linker)
        {
            linker.DefineFunction("wasi_snapshot_preview1", "fd_write", (Caller caller, int fd, int iovs, int iovsLength, int writtenPointer) =>
            {
                Memory memory = caller.GetMemory("memory")!;
                Span<Iovec> vectors = MemoryMarshal.Cast<byte, Iovec>(memory.GetSpan(iovs, iovsLength * 8));
                MemoryStream target = fd == 2 ? _stderr : _stdout;
                int written = 0;
                for (int i = 0; i < vectors.Length; i++)
                {
                    Iovec vector = vectors[i]; // a copy of the struct: plain ints from here on
                    target.Write(memory.GetSpan(vector.Buffer, vector.Length)); // MemoryStream copies at once
                    written += vector.Length;
                }
                memory.WriteInt32(writtenPointer, written);
                return 0;
            });

            linker.DefineFunction("host", "fd_write_hooked", (Caller caller, int fd, int iovs, int iovsLength, int writtenPointer) =>
            {
                Memory memory = caller.GetMemory("memory")!;
                Span<Iovec> vectors = MemoryMarshal.Cast<byte, Iovec>(memory.GetSpan(iovs, iovsLength * 8));
                Function hook = caller.GetFunction("__on_output")!;
                int written = 0;
                for (int i = 0; i < vectors.Length; i++)
                {
                    Iovec vector = vectors[i]; // expect: WVA001
                    ReadOnlySpan<byte> chunk = memory.GetSpan(vector.Buffer, vector.Length);
                    _stdout.Write(chunk);
                    hook.Invoke(fd, vector.Length); // the guest hook may reuse the iovec array
                    written += vector.Length;
                }
                memory.WriteInt32(writtenPointer, written);
                return 0;
            });

            linker.DefineFunction("host", "fd_write_first", (Caller caller, int iovs, int writtenPointer) =>
            {
                Memory memory = caller.GetMemory("memory")!;
                ref Iovec first = ref MemoryMarshal.AsRef<Iovec>(memory.GetSpan(iovs, 8));
                int length = first.Length; // read through the ref while fresh
                Function flush = caller.GetFunction("__flush_stdio")!;
                flush.Invoke();
                _stdout.Write(memory.GetSpan(first.Buffer, length)); // expect: WVA001
                memory.WriteInt32(writtenPointer, length);
                return 0;
            });
        }

        public void Attach(Instance instance)
        {
            _onOutput = instance.GetFunction<int, int>("on_output");
        }

        public void PublishLine(Memory memory, int address, int length)
        {
            byte* start = (byte*)memory.GetPointer() + address;
            ReadOnlyMemory<byte> line = new PinnedLine(start, length).Memory;
            _rawLines.Writer.TryWrite(line); // expect: WVA002
            _lines.Writer.TryWrite(memory.GetSpan(address, length).ToArray()); // a copy goes into the channel
        }

        public string ReadFirstLine(Memory memory, int address, int length)
        {
            StreamReader reader = new StreamReader(new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length), Encoding.UTF8);
            string? header = reader.ReadLine(); // fresh
            if (_onOutput != null)
            {
                _onOutput(length);
            }
            string? second = reader.ReadLine(); // expect: WVA001
            return header + "\n" + second;
        }

        public void KeepReader(Memory memory, int address, int length)
        {
            UnmanagedMemoryStream stream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            _pendingReader = new StreamReader(stream); // expect: WVA002
        }

        public string DrainReaderAtOnce(Memory memory, int address, int length)
        {
            using (UnmanagedMemoryStream stream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length))
            using (StreamReader reader = new StreamReader(stream))
            {
                return reader.ReadToEnd(); // read to the end before any guest call
            }
        }

        public CapturedRun Run(Linker linker, Store store, Module module)
        {
            CapturedRun run = new CapturedRun();
            Instance instance = linker.Instantiate(store, module);
            Action start = instance.GetAction("_start")!;
            try
            {
                start();
            }
            catch (WasmtimeException e)
            {
                run.ExitCode = e.Message.Contains("exit") ? 1 : 2;
            }
            run.Stdout = Encoding.UTF8.GetString(_stdout.ToArray());
            run.Stderr = Encoding.UTF8.GetString(_stderr.ToArray());
            return run;
        }

        public void ArchiveRing(Memory memory, int ringAddress, int ringLength, Stream destination)
        {
            using (TarWriter tar = new TarWriter(destination, TarEntryFormat.Ustar, true))
            {
                UstarTarEntry raw = new UstarTarEntry(TarEntryType.RegularFile, "ring.bin");
                raw.DataStream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + ringAddress, ringLength); // expect: WVA003
                tar.WriteEntry(raw);
                UstarTarEntry text = new UstarTarEntry(TarEntryType.RegularFile, "stdout.log");
                text.DataStream = new MemoryStream(_stdout.ToArray()); // the host's copy
                tar.WriteEntry(text);
            }
        }

        private sealed class PinnedLine : System.Buffers.MemoryManager<byte>
        {
            private readonly byte* _pointer;
            private readonly int _length;

            public PinnedLine(byte* pointer, int length)
            {
                _pointer = pointer;
                _length = length;
            }

            public override Span<byte> GetSpan() { return new Span<byte>(_pointer, _length); }
            public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) { return new System.Buffers.MemoryHandle(_pointer + elementIndex); }
            public override void Unpin() { }
            protected override void Dispose(bool disposing) { }
        }
    }
}
