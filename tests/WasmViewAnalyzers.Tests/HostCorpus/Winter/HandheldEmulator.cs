// A handheld-console emulator whose CPU/PPU core is a wasm module stepped one frame at a time; the host
// presents the framebuffer, mixes audio and keeps rewind snapshots. Shape: libretro-style cores ported to wasm.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Winter.HandheldEmulator
{
    [StructLayout(LayoutKind.Sequential)]
    public struct CpuRegisters
    {
        public ushort PC;
        public ushort SP;
        public byte A, F, B, C;
        public int Cycles;
    }

    public interface IFrameSink
    {
        void Present(ReadOnlySpan<byte> rgba, int width, int height);
    }

    public sealed unsafe class EmulatorCore : IDisposable
    {
        private const int Width = 160, Height = 144;
        private readonly Store _store;
        private readonly Memory _memory;
        private readonly Func<int, int> _stepFrame;      // returns the framebuffer address
        private readonly Func<int> _audioBuffer;
        private readonly Func<int> _audioFrames;
        private readonly Func<int> _registers;
        private readonly Action<int> _setJoypad;
        private readonly Action _reset;

        private byte* _lastFrame;                          // kept to redraw on window resize
        private int _lastFrameAddress;                     // the safe alternative, used by Redraw
        private readonly Stack<(nint Start, int Length)> _rewind = new();
        private readonly List<byte[]> _snapshots = new();
        private readonly List<nint> _dirtyTiles = new();

        public EmulatorCore(Engine engine, Module module)
        {
            _store = new Store(engine);
            var instance = new Instance(_store, module);
            _memory = instance.GetMemory("memory")!;
            _stepFrame = instance.GetFunction<int, int>("step_frame")!;
            _audioBuffer = instance.GetFunction<int>("audio_buffer")!;
            _audioFrames = instance.GetFunction<int>("audio_frames")!;
            _registers = instance.GetFunction<int>("registers")!;
            _setJoypad = instance.GetAction<int>("set_joypad")!;
            _reset = instance.GetAction("reset")!;
        }

        // Helper that returns a view: its callers are analysed.
        private Span<byte> Framebuffer(int address) => _memory.GetSpan(address, Width * Height * 4);

        private ref CpuRegisters Registers() =>
            ref MemoryMarshal.AsRef<CpuRegisters>(_memory.GetSpan(_registers(), Marshal.SizeOf<CpuRegisters>()));

        public void RunFrame(int buttons, IFrameSink sink)
        {
            _setJoypad(buttons);
            var frame = Framebuffer(_stepFrame(buttons));
            sink.Present(frame, Width, Height);              // used before any other guest call: fine
            var samples = MemoryMarshal.Cast<byte, short>(_memory.GetSpan(_audioBuffer(), 4096));
            var count = _audioFrames();
            Mix(samples[..(count * 2)]);                     // expect: WVA001
            sink.Present(frame, Width, Height);              // expect: WVA001
        }

        public void RunFrameFixed(int buttons, IFrameSink sink)
        {
            var address = _stepFrame(buttons);
            var audioAddress = _audioBuffer();
            var count = _audioFrames();
            // All guest calls first, then the views: nothing runs between obtaining and reading them.
            var samples = MemoryMarshal.Cast<byte, short>(_memory.GetSpan(audioAddress, 4096));
            Mix(samples[..(count * 2)]);
            sink.Present(Framebuffer(address), Width, Height);
        }

        public void RunFrameKeepingPointer(int buttons)
        {
            var address = _stepFrame(buttons);
            _lastFrame = (byte*)_memory.GetPointer() + address;   // expect: WVA002
            _lastFrameAddress = address;                           // an offset is plain data
        }

        public void Redraw(IFrameSink sink)
        {
            // Obtains the pointer again from the kept offset.
            sink.Present(new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + _lastFrameAddress, Width * Height * 4), Width, Height);
        }

        public int StepAndTrace(int buttons)
        {
            ref CpuRegisters regs = ref Registers();
            var pcBefore = regs.PC;
            _stepFrame(buttons);
            // The ref still points at the old block; registers() may return another address after a step.
            return regs.PC - pcBefore;                        // expect: WVA001
        }

        public int StepAndTraceFixed(int buttons)
        {
            CpuRegisters before = Registers();                 // a copy, not a ref
            _stepFrame(buttons);
            ref CpuRegisters after = ref Registers();
            return after.PC - before.PC;
        }

        public void PatchCycles(int buttons)
        {
            ref CpuRegisters regs = ref Registers();
            // C# fixes the target location before evaluating the right-hand side, which runs the guest.
            regs.Cycles = _stepFrame(buttons);                // expect: WVA001
        }

        public void SaveRewindPoint()
        {
            var address = _stepFrame(0);
            var frame = _memory.GetSpan(address, Width * Height * 4);
            _snapshots.Add(frame.ToArray());                   // a copy: fine
            _rewind.Push(((nint)_memory.GetPointer() + address, Width * Height * 4)); // expect: WVA002
        }

        public void Rewind(IFrameSink sink)
        {
            if (_rewind.Count == 0) return;
            var (start, length) = _rewind.Pop();
            _reset();
            // Lead's correction: the rule page makes a view kept in a field (here a stack filled by SaveRewindPoint) and read
            // by another method WVA002's subject, reported at the store; the writer had marked this read WVA001.
            sink.Present(new ReadOnlySpan<byte>((void*)start, length), Width, Height);
        }

        public byte[] CaptureThumbnail(int buttons)
        {
            var frame = Framebuffer(_stepFrame(buttons));
            var thumb = new byte[(Width / 4) * (Height / 4)];
            for (int i = 0; i < thumb.Length; i++)
            {
                thumb[i] = frame[(i * 16) % frame.Length];    // copy loop, no guest call inside
            }
            _reset();
            return thumb;                                     // the copy, not the frame
        }

        public int FrameBytes(int buttons)
        {
            var frame = Framebuffer(_stepFrame(buttons));
            _reset();
            return frame.Length;                              // only Length: not a use
        }

        // Two helpers deep, the argument ends up in a list that outlives the call.
        private void MarkDirty(nint tile) => Track(tile);
        private void Track(nint tile) => _dirtyTiles.Add(tile);

        // Reads its argument while it runs and keeps nothing.
        private static int Luma(byte* pixels, int count)
        {
            var sum = 0;
            for (int i = 0; i < count; i += 4) sum += pixels[i];
            return sum;
        }

        public int ScanTiles(int buttons)
        {
            var address = _stepFrame(buttons);
            var basePtr = (byte*)_memory.GetPointer() + address;
            var luma = Luma(basePtr, 64);
            MarkDirty((nint)(basePtr + 64));                  // expect: WVA002
            MarkDirty(0);                                     // a plain number
            return luma;
        }

        private static void Mix(ReadOnlySpan<short> stereo)
        {
            long sum = 0;
            foreach (var s in stereo) sum += s;
            _ = sum;
        }

        public void Dispose() => _store.Dispose();
    }
}
