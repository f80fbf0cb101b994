// Speech/audio feature extractor: a wasm DSP module computes MFCC frames from PCM the host streams in; frames are read as floats.
// Shape inspired by audio plugins compiled to wasm (ring buffer of input, feature frames cast from bytes, progress events).
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Late.AudioFeatureExtractor;

public interface IDspBackend
{
    Span<float> Frame(int index);
    int Push(ReadOnlySpan<short> pcm);
    event EventHandler<int>? FrameReady;
}

public sealed class WasmDsp : IDspBackend
{
    private const int FrameBase = 0x80000;
    private const int Coefficients = 13;
    private readonly Memory _memory;
    private readonly Func<int, int, int> _push;
    private readonly Func<int, int> _reserve;

    public WasmDsp(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _push = instance.GetFunction<int, int, int>("dsp_push")!;
        _reserve = instance.GetFunction<int, int>("dsp_reserve")!;
    }

    public event EventHandler<int>? FrameReady;

    public Span<float> Frame(int index) =>
        MemoryMarshal.Cast<byte, float>(_memory.GetSpan(FrameBase + index * Coefficients * 4, Coefficients * 4));

    public int Push(ReadOnlySpan<short> pcm)
    {
        int ptr = _reserve(pcm.Length * 2);
        MemoryMarshal.AsBytes(pcm).CopyTo(_memory.GetSpan(ptr, pcm.Length * 2));
        int frames = _push(ptr, pcm.Length);
        for (int i = 0; i < frames; i++)
            FrameReady?.Invoke(this, i);
        return frames;
    }
}

public sealed class FeatureExtractor
{
    private readonly IDspBackend _dsp;
    private readonly List<float[]> _features = new();

    public FeatureExtractor(IDspBackend dsp) => _dsp = dsp;

    public float Energy(ReadOnlySpan<short> chunk)
    {
        var frame = _dsp.Frame(0);
        _dsp.Push(chunk);
        return frame[0]; // expect: WVA001
    }

    public float EnergyAfterPush(ReadOnlySpan<short> chunk)
    {
        _dsp.Push(chunk);
        return _dsp.Frame(0)[0];
    }

    public float[] Collect(IEnumerable<short[]> chunks)
    {
        var last = _dsp.Frame(0);
        foreach (var chunk in chunks)
        {
            float previous = last[1]; // last was obtained again after the previous iteration's Push: fresh
            int frames = _dsp.Push(chunk);
            last = _dsp.Frame(frames - 1);
            _features.Add(last.ToArray());
            _ = previous;
        }

        return _features.Count > 0 ? _features[^1] : Array.Empty<float>();
    }

    public void CollectLagging(IEnumerable<short[]> chunks)
    {
        var last = _dsp.Frame(0);
        foreach (var chunk in chunks)
        {
            int frames = _dsp.Push(chunk);
            _features.Add(last.ToArray()); // expect: WVA001
            last = _dsp.Frame(frames - 1);
        }
    }

    public float[] Delta(ReadOnlySpan<short> chunk)
    {
        var before = _dsp.Frame(0).ToArray();
        _dsp.Push(chunk);
        var after = _dsp.Frame(0);
        var delta = new float[before.Length];
        for (int i = 0; i < delta.Length; i++)
            delta[i] = after[i] - before[i];
        return delta;
    }

    public float[] DeltaStale(ReadOnlySpan<short> chunk)
    {
        var before = _dsp.Frame(0);
        var copy = before.ToArray();
        _dsp.Push(chunk);
        var delta = new float[copy.Length];
        for (int i = 0; i < delta.Length; i++)
            delta[i] = before[i] - copy[i]; // expect: WVA001
        return delta;
    }

    public int Voiced(ReadOnlySpan<short> chunk)
    {
        var frame = _dsp.Frame(0);
        int count = frame.Length;
        _dsp.Push(chunk);
        return frame is [> 0.5f, ..] ? count : 0; // expect: WVA001
    }

    public int Coefficients(ReadOnlySpan<short> chunk)
    {
        var frame = _dsp.Frame(0);
        _dsp.Push(chunk);
        return frame is { Length: > 12 } ? 13 : frame.Length; // only the length is tested
    }

    public float Peak(ReadOnlySpan<short> chunk)
    {
        var frame = _dsp.Frame(0);
        var tail = frame[^4..];
        _dsp.Push(chunk);
        return MathF.Max(tail[0], tail[^1]); // expect: WVA001
    }

    public void Listen(ReadOnlySpan<short> chunk)
    {
        _dsp.FrameReady += (sender, index) => _features.Add(_dsp.Frame(index).ToArray()); // copies as each frame is announced
        _dsp.Push(chunk);
    }
}
