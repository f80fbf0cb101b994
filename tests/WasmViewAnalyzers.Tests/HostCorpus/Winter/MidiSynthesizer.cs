// A MIDI synthesizer (FluidSynth/TinySoundFont-like) in wasm rendering audio blocks into a pool of guest buffers
// for an output device thread. Shape: audio hosts with guest-side buffer pools (rent/return) and device callbacks.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Wasmtime;

namespace Corpus.Winter.MidiSynthesizer
{
    public readonly record struct MidiEvent(int Tick, byte Status, byte Data1, byte Data2);

    public sealed class BlockInfo
    {
        public int Frames { get; set; }
        public nint Samples { get; set; }
        public float[]? Copy { get; set; }
    }

    public sealed class RenderReport
    {
        public BlockInfo Block { get; } = new();
        public string Note { get; init; } = "";
    }

    public sealed record Voice(int Channel, int Key, nint State);

    public struct DeviceBlock
    {
        public nint Samples;
        public int Frames;
    }

    // A class over a rendered block: Frames is plain data, First reads guest memory.
    public sealed unsafe class BlockHandle
    {
        private readonly float* _samples;
        public BlockHandle(float* samples, int frames) { _samples = samples; Frames = frames; }
        public int Frames { get; }
        public float First => _samples[0];
    }

    public sealed unsafe class GuestBufferPool
    {
        private readonly Memory _memory;
        private readonly Func<int, int> _malloc;
        private readonly Stack<int> _free = new();
        public GuestBufferPool(Memory memory, Func<int, int> malloc) { _memory = memory; _malloc = malloc; }

        // Rent may call malloc (a guest call) and returns an offset.
        public int Rent(int bytes) => _free.Count > 0 ? _free.Pop() : _malloc(bytes);
        public void Return(int offset) => _free.Push(offset);
        public Span<float> View(int offset, int frames) => _memory.GetSpan<float>(offset, frames * 2);
    }

    public sealed unsafe class Synth
    {
        private readonly Memory _memory;
        private readonly Action<int, int, int> _noteOn;
        private readonly Action<int, int> _noteOff;
        private readonly Action<int, int> _render;             // (bufferOffset, frames)
        private readonly Func<int, int, int> _voiceState;      // (channel, key) -> state offset
        private readonly GuestBufferPool _pool;
        private nint _deviceBlock;                               // read by the device thread
        private RenderReport? _lastReport;
        private readonly List<Voice> _voices = new();
        private readonly Queue<float[]> _ready = new();
        private DeviceBlock _pendingBlock;
        private Action? _flushers;

        public Synth(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _noteOn = instance.GetAction<int, int, int>("note_on")!;
            _noteOff = instance.GetAction<int, int>("note_off")!;
            _render = instance.GetAction<int, int>("render")!;
            _voiceState = instance.GetFunction<int, int, int>("voice_state")!;
            _pool = new GuestBufferPool(_memory, instance.GetFunction<int, int>("malloc")!);
        }

        private void Dispatch(MidiEvent e)
        {
            switch (e.Status & 0xF0)
            {
                case 0x90: _noteOn(e.Status & 0x0F, e.Data1, e.Data2); break;
                case 0x80: _noteOff(e.Status & 0x0F, e.Data1); break;
            }
        }

        public float RenderBlock(IEnumerable<MidiEvent> events, int frames)
        {
            var offset = _pool.Rent(frames * 8);
            var block = _pool.View(offset, frames);
            block.Clear();                                       // the guest mixes into a cleared buffer
            foreach (var e in events) Dispatch(e);
            _render(offset, frames);
            var peak = 0f;
            foreach (var s in block) peak = Math.Max(peak, Math.Abs(s));   // expect: WVA001
            _pool.Return(offset);
            return peak;
        }

        public float RenderBlockFixed(IEnumerable<MidiEvent> events, int frames)
        {
            var offset = _pool.Rent(frames * 8);
            _pool.View(offset, frames).Clear();
            foreach (var e in events) Dispatch(e);
            _render(offset, frames);
            var peak = 0f;
            foreach (var s in _pool.View(offset, frames)) peak = Math.Max(peak, Math.Abs(s));   // obtained after render
            _pool.Return(offset);
            return peak;
        }

        public void PublishToDevice(int frames)
        {
            var offset = _pool.Rent(frames * 8);
            _render(offset, frames);
            var samples = (nint)((byte*)_memory.GetPointer() + offset);
            Volatile.Write(ref _deviceBlock, samples);           // expect: WVA002
            _ready.Enqueue(_pool.View(offset, frames).ToArray()); // a copy for the fallback path
        }

        public void Stage(int frames)
        {
            var offset = _pool.Rent(frames * 8);
            _render(offset, frames);
            var p = (float*)((byte*)_memory.GetPointer() + offset);
            var staged = new DeviceBlock { Samples = (nint)p, Frames = frames };   // a struct local: carried
            if (staged.Frames > 0)
                _pendingBlock = staged;                          // expect: WVA002
            var level = p[0];
            _flushers += () => Console.WriteLine(level);         // captures a float copy
            _flushers += () => Console.WriteLine(p[1]);          // expect: WVA002
        }

        public float HandleInfo(int frames)
        {
            var offset = _pool.Rent(frames * 8);
            _render(offset, frames);
            var handle = new BlockHandle((float*)((byte*)_memory.GetPointer() + offset), frames);
            var first = handle.First;                            // fresh
            _render(offset, frames);
            var n = handle.Frames;                               // judged by its body: an int, not a use
            return first + n + handle.First;                     // expect: WVA001
        }

        public void Report(int frames)
        {
            var offset = _pool.Rent(frames * 8);
            _render(offset, frames);
            var p = (nint)((byte*)_memory.GetPointer() + offset);
            var local = new RenderReport { Block = { Frames = frames, Samples = p }, Note = "ok" };
            Console.WriteLine(local.Block.Frames);               // the object stays local: not an escape
            _lastReport = new RenderReport { Block = { Frames = frames, Samples = p } };   // expect: WVA002
            var copied = new RenderReport { Block = { Frames = frames, Copy = _pool.View(offset, frames).ToArray() } };
            _lastReport = copied;                                // holds a copy only
        }

        public void TrackVoice(int channel, int key)
        {
            var state = _voiceState(channel, key);
            _voices.Add(new Voice(channel, key, (nint)((byte*)_memory.GetPointer() + state)));   // expect: WVA002
        }

        public int ActiveVoices() => _voices.Count(v => v.Channel >= 0);   // reads no pointer

        public float Envelope(int channel, int key, IEnumerable<MidiEvent> more)
        {
            var stateOffset = _voiceState(channel, key);
            var state = (float*)((byte*)_memory.GetPointer() + stateOffset);
            var summary = new { Channel = channel, Level = (nint)state };
            foreach (var e in more) Dispatch(e);
            return *(float*)summary.Level;                             // expect: WVA001
        }

        public float EnvelopeFixed(int channel, int key, IEnumerable<MidiEvent> more)
        {
            var stateOffset = _voiceState(channel, key);
            var level = *(float*)((byte*)_memory.GetPointer() + stateOffset);   // read now
            foreach (var e in more) Dispatch(e);
            return level;
        }

        public float[] Drain()
        {
            var all = new List<float>();
            while (_ready.TryDequeue(out var block)) all.AddRange(block);   // copies
            return all.ToArray();
        }

        public float[] RenderToArray(int frames)
        {
            var offset = _pool.Rent(frames * 8);
            _render(offset, frames);
            var view = _pool.View(offset, frames);
            var copy = new float[view.Length];
            for (int i = 0; i < view.Length; i++) copy[i] = view[i];      // copy loop, no guest call
            _pool.Return(offset);
            _render(offset, frames);
            return copy;
        }
    }
}
