// A protobuf/flatbuffers codec in wasm whose encoded output the host reads through streams over guest memory.
// Shape: hosts wrapping guest output in UnmanagedMemoryStream and BinaryReader (DotNetIsolator/Extism output reading).
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Wasmtime;

namespace Corpus.Winter.ProtoCodec
{
    public abstract class CodecBackend
    {
        public abstract int Encode(int schema, int jsonPtr, int jsonLen);   // -> length, bytes at OutputAddress
        public abstract int OutputAddress { get; }
        public abstract Stream OpenOutput(int length);
        public abstract int Allocate(int size);
        public abstract Memory Memory { get; }
    }

    public sealed unsafe class WasmCodecBackend : CodecBackend
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int, int> _encode;
        private readonly Func<int> _outputAddress;
        private readonly Func<int, int> _alloc;

        public WasmCodecBackend(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _encode = instance.GetFunction<int, int, int, int>("encode")!;
            _outputAddress = instance.GetFunction<int>("output_address")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
        }

        public override Memory Memory => _memory;
        public override int Encode(int schema, int jsonPtr, int jsonLen) => _encode(schema, jsonPtr, jsonLen);
        public override int OutputAddress => _outputAddress();                  // a property that calls the guest
        public override int Allocate(int size) => _alloc(size);

        // Returns a stream over guest memory, typed as plain Stream. The address is asked for first, so the
        // base pointer is taken after the last guest call.
        public override Stream OpenOutput(int length)
        {
            var address = _outputAddress();
            return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        }
    }

    public sealed class MessageCodec
    {
        private readonly CodecBackend _backend;
        private BinaryReader? _pendingReader;
        private Stream? _lastOutput;
        private byte[]? _lastCopy;

        public MessageCodec(CodecBackend backend) => _backend = backend;

        private (int Ptr, int Len) Put(string json)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            var ptr = _backend.Allocate(bytes.Length);
            bytes.CopyTo(_backend.Memory.GetSpan(ptr, bytes.Length));
            return (ptr, bytes.Length);
        }

        public (uint Tag, ulong Value)[] Fields(int schema, string json)
        {
            var (ptr, len) = Put(json);
            var length = _backend.Encode(schema, ptr, len);
            using var output = _backend.OpenOutput(length);
            var reader = new BinaryReader(output);
            var tag = reader.ReadByte();                              // read while fresh
            var (ptr2, len2) = Put("{}");                             // Allocate calls the guest
            var value = reader.ReadByte();                            // expect: WVA001
            return new[] { ((uint)tag, (ulong)value), ((uint)ptr2, (ulong)len2) };
        }

        public byte[] Encode(int schema, string json)
        {
            var (ptr, len) = Put(json);
            var length = _backend.Encode(schema, ptr, len);
            using var output = _backend.OpenOutput(length);
            var copy = new byte[length];
            output.ReadExactly(copy);                                 // copied before any other guest call
            return copy;
        }

        public void EncodeForLater(int schema, string json)
        {
            var (ptr, len) = Put(json);
            var length = _backend.Encode(schema, ptr, len);
            var output = _backend.OpenOutput(length);
            _pendingReader = new BinaryReader(output);                // expect: WVA002
            _lastOutput ??= _backend.OpenOutput(length);              // expect: WVA002
            _lastCopy = _backend.Memory.GetSpan(_backend.OutputAddress, length).ToArray();   // a copy
        }

        public string Preview(int schema, string json)
        {
            var (ptr, len) = Put(json);
            var length = _backend.Encode(schema, ptr, len);
            // The address property is a guest call too, evaluated before GetSpan builds the view: fine.
            var view = _backend.Memory.GetSpan(_backend.OutputAddress, length);
            return Convert.ToHexString(view[..Math.Min(8, view.Length)]);
        }

        public int FirstFieldLength(int schema, string json)
        {
            var (ptr, len) = Put(json);
            var length = _backend.Encode(schema, ptr, len);
            var view = _backend.Memory.GetSpan(_backend.OutputAddress, length);
            var address = _backend.OutputAddress;                     // the getter calls output_address
            return view.Length > 2 ? view[1] + address : 0;          // expect: WVA001
        }

        public uint ReadFixed32(int schema, string json, int offset)
        {
            var (ptr, len) = Put(json);
            var length = _backend.Encode(schema, ptr, len);
            var output = _backend.OpenOutput(length);
            output.Position = offset;                                 // seeking reads nothing
            Span<byte> buf = stackalloc byte[4];
            Put("null");
            output.ReadExactly(buf);                                  // expect: WVA001
            return BinaryPrimitives.ReadUInt32LittleEndian(buf);
        }

        public string DecodeText(int schema, string json)
        {
            var (ptr, len) = Put(json);
            var length = _backend.Encode(schema, ptr, len);
            using var text = new StreamReader(_backend.OpenOutput(length), Encoding.UTF8);
            var header = text.ReadLine();
            _backend.Encode(schema, ptr, len);                        // re-encode (e.g. a retry)
            return header + text.ReadToEnd();                         // expect: WVA001
        }

        public List<byte[]> EncodeAll(int schema, IEnumerable<string> messages)
        {
            var encoded = new List<byte[]>();
            foreach (var m in messages)
            {
                var (ptr, len) = Put(m);
                var length = _backend.Encode(schema, ptr, len);
                using var output = _backend.OpenOutput(length);
                using var copy = new MemoryStream();
                output.CopyTo(copy);                                   // a MemoryStream: an ordinary sink
                encoded.Add(copy.ToArray());
            }
            return encoded;
        }
    }
}
