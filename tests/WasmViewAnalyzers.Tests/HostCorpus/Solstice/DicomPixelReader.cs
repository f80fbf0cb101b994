// DICOM medical-image reader: the guest parses a dataset and decodes frames; the host reads tags and pixels.
// Shape inspired by PixiEditor's WasmRuntime MemoryUtility (static span helpers) and wasmtime-dotnet's Caller examples.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Wasmtime;

namespace Corpus.Solstice.DicomPixelReader
{
    internal sealed unsafe class PixelMemory : MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public PixelMemory(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new Span<byte>(_start, _length);
        public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }

    internal static class DicomMemory
    {
        // Helper that returns a view (a view source for its callers).
        public static Span<byte> ValueOf(Memory memory, int elementAddress, int length)
            => memory.GetSpan(elementAddress + 8, length);

        // Only reads the length: not a use of a stale view handed to it.
        public static bool IsEven(scoped ReadOnlySpan<byte> value) => (value.Length & 1) == 0;
    }

    public sealed unsafe class DicomReader
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _tagOffset;
        private readonly Func<int, int> _decodeFrame;
        private readonly Func<int> _frameLength;
        private readonly Action _reset;
        private readonly Dictionary<int, string> _elements = new();

        private nint _lastFrame;
        private int _lastFrameOffset;
        private ReadOnlyMemory<byte>? _lut;
        private byte[]? _lutCopy;

        public DicomReader(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _tagOffset = instance.GetFunction<int, int, int>("tag_offset")!;
            _decodeFrame = instance.GetFunction<int, int>("decode_frame")!;
            _frameLength = instance.GetFunction<int>("frame_length")!;
            _reset = instance.GetAction("reset")!;
        }

        public string PatientAndStudy(int dataset)
        {
            var name = DicomMemory.ValueOf(_memory, _tagOffset(dataset, 0x00100010), 64);
            int nameLength = name.IndexOf((byte)0);
            var study = DicomMemory.ValueOf(_memory, _tagOffset(dataset, 0x0020000D), 64);
            var studyText = Encoding.ASCII.GetString(study[..study.IndexOf((byte)0)]);
            return Encoding.ASCII.GetString(name[..nameLength]) + "/" + studyText; // expect: WVA001
        }

        public string PatientAndStudySafe(int dataset)
        {
            var nameAddress = _tagOffset(dataset, 0x00100010) + 8;
            // ReadString copies; nothing of guest memory is held across the second call.
            var name = _memory.ReadString(nameAddress, 64, Encoding.ASCII).TrimEnd('\0');
            var study = DicomMemory.ValueOf(_memory, _tagOffset(dataset, 0x0020000D), 64);
            return name + "/" + Encoding.ASCII.GetString(study).TrimEnd('\0');
        }

        public bool HasEvenModality(int dataset)
        {
            var modality = DicomMemory.ValueOf(_memory, _tagOffset(dataset, 0x00080060), 16);
            _reset();
            // IsEven reads only the length: not a read of the stale bytes.
            return DicomMemory.IsEven(modality);
        }

        public List<ReadOnlyMemory<byte>> DecodeAllFrames(int dataset, int frames)
        {
            var decoded = new List<ReadOnlyMemory<byte>>();
            for (var i = 0; i < frames; i++)
            {
                var address = _decodeFrame(i);
                var length = _frameLength();
                var pixels = new PixelMemory((byte*)_memory.GetPointer() + address, length).Memory;
                decoded.Add(pixels); // expect: WVA002
            }

            // Every frame but the last was decoded over by a later _decodeFrame.
            return decoded; // expect: WVA001
        }

        public List<ReadOnlyMemory<byte>> DecodeAllFramesCopied(int frames)
        {
            var decoded = new List<ReadOnlyMemory<byte>>();
            for (var i = 0; i < frames; i++)
            {
                var address = _decodeFrame(i);
                var length = _frameLength();
                decoded.Add(_memory.GetSpan(address, length).ToArray());
            }

            return decoded;
        }

        public void WriteMontage(Stream sink, int frames)
        {
            var pending = new Queue<(int Index, nint Pixels, int Length)>();
            for (var i = 0; i < frames; i++)
            {
                var address = _decodeFrame(i);
                var length = _frameLength();
                pending.Enqueue((i, _memory.GetPointer() + address, length)); // expect: WVA002
            }

            while (pending.TryDequeue(out var frame))
            {
                sink.Write(new ReadOnlySpan<byte>((void*)frame.Pixels, frame.Length)); // expect: WVA001
            }
        }

        public void WriteMontageSafe(Stream sink, int frames)
        {
            // An array local holding addresses only: the pointer is rebuilt after every decode.
            var offsets = new int[frames];
            var lengths = new int[frames];
            for (var i = 0; i < frames; i++)
            {
                offsets[i] = _decodeFrame(i);
                lengths[i] = _frameLength();
                sink.Write(new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + offsets[i], lengths[i]));
            }
        }

        public void RememberFrame(int index)
        {
            var address = _decodeFrame(index);
            _lastFrame = _memory.GetPointer() + address; // expect: WVA002
            _lastFrameOffset = address;
        }

        public byte CornerPixel() => *(byte*)(_memory.GetPointer() + _lastFrameOffset);

        public void LoadLut(int dataset)
        {
            var lutAddress = _tagOffset(dataset, 0x00283006);
            _lut ??= new PixelMemory((byte*)_memory.GetPointer() + lutAddress + 8, 4096).Memory; // expect: WVA002
            _lutCopy ??= _memory.GetSpan(lutAddress + 8, 4096).ToArray();
        }

        public void DefineCallbacks(Linker linker)
        {
            linker.DefineFunction("dicom", "on_element", (Caller caller, int tag, int address, int length) =>
            {
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var value))
                {
                    _elements[tag] = Encoding.ASCII.GetString(value);
                }
            });

            linker.DefineFunction("dicom", "on_private", (Caller caller, int tag, int address, int length) =>
            {
                if (!caller.TryGetMemorySpan<byte>("memory", address, length, out var value))
                {
                    return;
                }

                var vrOf = caller.GetFunction("vr_of");
                var vr = (int)vrOf!.Invoke(tag)!;
                // The guest ran between TryGetMemorySpan and this read.
                _elements[tag] = vr + ":" + Encoding.ASCII.GetString(value); // expect: WVA001
            });

            linker.DefineFunction("dicom", "on_private_safe", (Caller caller, int tag, int address, int length) =>
            {
                var vr = (int)caller.GetFunction("vr_of")!.Invoke(tag)!;
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var value))
                {
                    _elements[tag] = vr + ":" + Encoding.ASCII.GetString(value);
                }
            });
        }

        public int FrameChecksum(int index)
        {
            var address = _decodeFrame(index);
            var pixels = _memory.GetSpan(address, _frameLength());
            var sum = 0;
            foreach (var b in pixels)
            {
                sum += b;
            }

            _reset();
            return sum + pixels.Length; // Length only: not a use
        }
    }
}
