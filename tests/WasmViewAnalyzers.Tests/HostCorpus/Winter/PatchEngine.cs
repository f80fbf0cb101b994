// A binary diff/patch engine (bsdiff/xdelta-like) in wasm; the host computes deltas between file versions and
// writes them compressed into a patch bundle. Shape: delta tools that stream guest output into GZip/Brotli.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Winter.PatchEngine
{
    public sealed class DeltaEncoder : IAsyncDisposable
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int, int, int> _diff;  // (oldPtr, oldLen, newPtr, newLen) -> delta length
        private readonly Func<int> _deltaAddress;
        private readonly Func<int, int> _alloc;
        private readonly Action _resetArena;
        private readonly Stream _bundle;                        // a compressor, assigned in the constructor

        public DeltaEncoder(Instance instance, Stream destination, bool brotli)
        {
            _memory = instance.GetMemory("memory")!;
            _diff = instance.GetFunction<int, int, int, int, int>("diff")!;
            _deltaAddress = instance.GetFunction<int>("delta_address")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
            _resetArena = instance.GetAction("reset_arena")!;
            _bundle = brotli
                ? new BrotliStream(destination, CompressionLevel.Optimal, leaveOpen: true)
                : new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true);
        }

        private int Upload(byte[] data)
        {
            var address = _alloc(data.Length);
            data.CopyTo(_memory.GetSpan(address, data.Length));
            return address;
        }

        private ReadOnlySpan<byte> Delta(int length) => _memory.GetSpan(_deltaAddress(), length);

        // A helper that returns a view: a MemoryManager over the guest pointer.
        private unsafe GuestBytes DeltaMemory(int address, int length) =>
            new GuestBytes((byte*)_memory.GetPointer() + address, length);

        public void AppendDelta(byte[] oldVersion, byte[] newVersion)
        {
            var oldPtr = Upload(oldVersion);
            var newPtr = Upload(newVersion);
            var length = _diff(oldPtr, oldVersion.Length, newPtr, newVersion.Length);
            var delta = Delta(length);
            _bundle.Write(BitConverter.GetBytes(length));          // the host's own bytes
            _bundle.Write(delta);                                  // expect: WVA004
            _resetArena();
        }

        public void AppendDeltaCopied(byte[] oldVersion, byte[] newVersion)
        {
            var oldPtr = Upload(oldVersion);
            var newPtr = Upload(newVersion);
            var length = _diff(oldPtr, oldVersion.Length, newPtr, newVersion.Length);
            var delta = Delta(length).ToArray();
            _resetArena();
            _bundle.Write(delta);                                   // a copy, after the reset: fine
        }

        public async Task AppendManyAsync(IReadOnlyList<(byte[] Old, byte[] New)> pairs)
        {
            foreach (var (oldVersion, newVersion) in pairs)
            {
                var length = _diff(Upload(oldVersion), oldVersion.Length, Upload(newVersion), newVersion.Length);
                var manager = DeltaMemory(_deltaAddress(), length);
                var pending = _bundle.WriteAsync(manager.Memory);       // expect: WVA003
                _resetArena();
                await pending;
            }
        }

        public async Task AppendAwaitedAsync(byte[] oldVersion, byte[] newVersion)
        {
            var length = _diff(Upload(oldVersion), oldVersion.Length, Upload(newVersion), newVersion.Length);
            var copy = Delta(length).ToArray();
            await _bundle.WriteAsync(copy);                          // a copy, awaited
            _resetArena();
        }

        public unsafe void WriteRawPatch(string path, byte[] oldVersion, byte[] newVersion, bool compress)
        {
            using var file = File.Create(path);
            Stream target = compress ? new DeflateStream(file, CompressionLevel.Fastest) : file;
            var length = _diff(Upload(oldVersion), oldVersion.Length, Upload(newVersion), newVersion.Length);
            // Operands run left to right: the base pointer is taken before delta_address() runs.
            using var delta = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _deltaAddress(), length);
            delta.CopyTo(target);                                   // expect: WVA001, WVA004
            target.Dispose();
        }

        public unsafe void WritePlainPatch(string path, byte[] oldVersion, byte[] newVersion)
        {
            using var file = File.Create(path);
            var length = _diff(Upload(oldVersion), oldVersion.Length, Upload(newVersion), newVersion.Length);
            var address = _deltaAddress();
            using var delta = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
            delta.CopyTo(file);                                     // a file, not a compressor
        }

        public int StaleChecksum(byte[] a, byte[] b)
        {
            var length = _diff(Upload(a), a.Length, Upload(b), b.Length);
            var delta = Delta(length);
            var sum = 0;
            foreach (var x in delta) sum += x;
            Upload(b);                                              // malloc may grow memory
            return sum + (delta.Length > 0 ? delta[0] : 0);          // expect: WVA001
        }

        public ValueTask DisposeAsync() => _bundle.DisposeAsync();
    }

    internal sealed unsafe class GuestBytes : System.Buffers.MemoryManager<byte>
    {
        private readonly byte* _pointer;
        private readonly int _length;
        public GuestBytes(byte* pointer, int length) { _pointer = pointer; _length = length; }
        public override Span<byte> GetSpan() => new Span<byte>(_pointer, _length);
        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
