// An audio plug-in host: the host fills input buffers in guest memory, the plug-in processes them
// in place, and the host reads the output buffers back.
using System;
using Wasmtime;

namespace Corpus.Audio;

sealed class AudioHost
{
    private readonly Memory _memory;
    private readonly Action<int, int> _process;
    private readonly Func<int, int> _allocFrames;
    private readonly int _inputBuffer;
    private readonly int _outputBuffer;

    public AudioHost(Instance instance, int frames)
    {
        _memory = instance.GetMemory("memory")!;
        _process = instance.GetAction<int, int>("process")!;
        _allocFrames = instance.GetFunction<int, int>("alloc_frames")!;
        _inputBuffer = _allocFrames(frames);
        _outputBuffer = _allocFrames(frames);
    }

    public void Process(ReadOnlySpan<float> input, Span<float> output)
    {
        var guestInput = _memory.GetSpan<float>(_inputBuffer, input.Length);
        var guestOutput = _memory.GetSpan<float>(_outputBuffer, output.Length);
        input.CopyTo(guestInput);
        _process(_inputBuffer, input.Length);
        guestOutput.CopyTo(output);
    }

    public float Peak(int frames)
    {
        var samples = _memory.GetSpan<float>(_outputBuffer, frames);
        _process(_inputBuffer, frames);
        var peak = 0f;
        for (var i = 0; i < samples.Length; i++)
        {
            peak = Math.Max(peak, Math.Abs(samples[i]));
        }

        return peak;
    }

    public void Gain(int frames, float gain)
    {
        var samples = _memory.GetSpan<float>(_outputBuffer, frames);
        _process(_inputBuffer, frames);
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] *= gain;
        }
    }

    public float[] ProcessBlocks(int blocks, int frames)
    {
        var result = new float[blocks * frames];
        var output = _memory.GetSpan<float>(_outputBuffer, frames);
        for (var block = 0; block < blocks; block++)
        {
            _process(_inputBuffer, frames);
            output.CopyTo(result.AsSpan(block * frames));
        }

        return result;
    }

    public void Grow(int pages, Span<float> destination)
    {
        var samples = _memory.GetSpan<float>(_outputBuffer, destination.Length);
        _memory.Grow(pages);
        samples.CopyTo(destination);
    }
}
