using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Ionic.Zlib;
using DnzZipFile = Ionic.Zip.ZipFile;
using Wasmtime;

namespace Corpus.Equinox.AudioFingerprinter;

public readonly record struct Landmark(int Frame, int FrequencyBin, uint Hash);

public sealed class FingerprintIndex
{
    private readonly Dictionary<uint, List<(string Track, int Frame)>> _postings = new();

    public void Add(string track, ReadOnlySpan<Landmark> landmarks)
    {
        foreach (var l in landmarks)
        {
            if (!_postings.TryGetValue(l.Hash, out var list)) _postings[l.Hash] = list = new();
            list.Add((track, l.Frame));
        }
    }

    public IEnumerable<(string Track, int Votes)> Match(ReadOnlySpan<Landmark> query)
    {
        var votes = new Dictionary<string, int>();
        foreach (var l in query)
        {
            if (!_postings.TryGetValue(l.Hash, out var list)) continue;
            foreach (var (track, _) in list) votes[track] = votes.GetValueOrDefault(track) + 1;
        }

        return votes.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value));
    }
}

/// <summary>Shazam-style landmark fingerprinting; STFT and peak picking run in a wasm DSP kernel.</summary>
public sealed class Fingerprinter
{
    private readonly Memory _memory;
    private readonly Func<int, int> _allocSamples;
    private readonly Func<int, int, int, int> _spectrogram;
    private readonly Func<int, int, int> _landmarks;
    private readonly Action<int> _setWindow;
    private readonly FingerprintIndex _index = new();
    private readonly List<nint> _recentPeaks = new();

    public Fingerprinter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _allocSamples = instance.GetFunction<int, int>("alloc_samples")!;
        _spectrogram = instance.GetFunction<int, int, int, int>("spectrogram")!;
        _landmarks = instance.GetFunction<int, int, int>("landmarks")!;
        _setWindow = instance.GetAction<int>("set_window")!;
    }

    private int UploadPcm(ReadOnlySpan<short> pcm)
    {
        var address = _allocSamples(pcm.Length);
        pcm.CopyTo(_memory.GetSpan<short>(address, pcm.Length));
        return address;
    }

    public int Index(string track, ReadOnlySpan<short> pcm, int sampleRate)
    {
        var samples = UploadPcm(pcm);
        var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
        var count = _landmarks(spectrum, 5);
        var landmarks = MemoryMarshal.Cast<byte, Landmark>(_memory.GetSpan(spectrum, count * 12));
        _index.Add(track, landmarks);
        return landmarks.Length;
    }

    public List<(string Track, int Votes)> Identify(ReadOnlySpan<short> clip, int sampleRate)
    {
        var samples = UploadPcm(clip);
        var spectrum = _spectrogram(samples, clip.Length, sampleRate);
        var peaks = _memory.GetSpan<float>(spectrum, 1024);
        var loudest = 0f;
        foreach (var p in peaks) loudest = MathF.Max(loudest, p);

        var count = _landmarks(spectrum, loudest > 0.5f ? 3 : 7);
        var landmarks = MemoryMarshal.Cast<byte, Landmark>(_memory.GetSpan(spectrum, count * 12));
        var ranked = _index.Match(landmarks).Take(5).ToList();
        if (ranked.Count == 0)
        {
            Console.WriteLine($"no match; spectrum head {peaks[0]:F3}"); // expect: WVA001
        }

        return ranked;
    }

    public unsafe float[] EnergyPerBand(ReadOnlySpan<short> pcm, int sampleRate, int[] windows)
    {
        var samples = UploadPcm(pcm);
        var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
        var bins = (float*)((byte*)_memory.GetPointer() + spectrum);
        var energies = new float[windows.Length];
        windows.ToList().ForEach(w => _setWindow(w));
        for (var i = 0; i < energies.Length; i++)
        {
            var magnitude = bins[i]; // expect: WVA001
            energies[i] = magnitude * magnitude;
        }

        return energies;
    }

    public Vector<float> FirstLanes(ReadOnlySpan<short> pcm, int sampleRate)
    {
        var samples = UploadPcm(pcm);
        var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
        var bins = _memory.GetSpan<float>(spectrum, Vector<float>.Count);
        var lanes = new Vector<float>(bins);
        _memory.Grow(2);
        return lanes;
    }

    public void RememberPeaks(ReadOnlySpan<short> pcm, int sampleRate)
    {
        var samples = UploadPcm(pcm);
        var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
        _recentPeaks.Add(_memory.GetPointer() + spectrum); // expect: WVA002
        _recentPeaks.Add(spectrum);
    }

    public async Task<int> IndexInBackgroundAsync(string track, short[] pcm, int sampleRate)
    {
        var samples = UploadPcm(pcm);
        var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
        var count = _landmarks(spectrum, 5);
        var pointer = _memory.GetPointer() + spectrum;
        await Task.Run(() => IndexAt(track, pointer, count)); // expect: WVA002
        return count;
    }

    private unsafe void IndexAt(string track, nint pointer, int count) => _index.Add(track, new ReadOnlySpan<Landmark>((void*)pointer, count));

    public void ExportSpectrogram(ReadOnlySpan<short> pcm, int sampleRate, int frames, Stream destination)
    {
        var samples = UploadPcm(pcm);
        var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
        var bytes = _memory.GetSpan(spectrum, frames * 1024 * sizeof(float));
        using var zlib = new ZlibStream(destination, CompressionMode.Compress, CompressionLevel.BestSpeed, leaveOpen: true);
        zlib.Write(bytes); // expect: WVA004
    }

    public void ExportAfterGrow(ReadOnlySpan<short> pcm, int sampleRate, int frames, Stream destination)
    {
        var samples = UploadPcm(pcm);
        var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
        var bytes = _memory.GetSpan(spectrum, frames * 4096);
        var header = new byte[] { (byte)'S', (byte)'P', 1, (byte)frames };
        _memory.Grow(1);
        destination.Write(header);
        destination.Write(bytes); // expect: WVA001
    }

    public unsafe int[] BinsAbove(ReadOnlySpan<short> pcm, int sampleRate, float threshold)
    {
        var samples = UploadPcm(pcm);
        var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
        var pointer = (float*)((byte*)_memory.GetPointer() + spectrum);
        var hot = new List<int>();
        for (var i = 0; i < 1024; i++)
        {
            if (pointer[i] > threshold) hot.Add(i);
        }

        _setWindow(hot.Count);
        return [.. hot];
    }

    public unsafe void ExportZip(IReadOnlyDictionary<string, short[]> tracks, int sampleRate, string path)
    {
        using var zip = new DnzZipFile();
        foreach (var (name, pcm) in tracks)
        {
            var samples = UploadPcm(pcm);
            var spectrum = _spectrogram(samples, pcm.Length, sampleRate);
            var count = _landmarks(spectrum, 5);
            zip.AddEntry(name + ".landmarks", new UnmanagedMemoryStream((byte*)_memory.GetPointer() + spectrum, count * 12)); // expect: WVA003
        }

        zip.Save(path);
    }
}
