// An audio effect host (a VST/LV2-like DSP plugin compiled to wasm): interleaved float blocks processed in place in
// guest memory, meters and presets read through streams and readers, takes recorded into compressed archives.
using System;
using System.Buffers;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Unseen.AudioDspHost;

public sealed class DspHost
{
    private readonly object _gate = new();
    private readonly Memory _memory;
    private readonly Func<int, int, int> _process;
    private readonly Func<int, int> _alloc;
    private readonly Action<int, float> _setParameter;
    private readonly Func<int> _meterAddress;
    private readonly Func<int> _presetAddress;
    private readonly int _block;
    private readonly int _frames;
    private StreamReader? _presetReader;

    public DspHost(Instance instance, int frames)
    {
        _memory = instance.GetMemory("memory")!;
        _process = instance.GetFunction<int, int, int>("process")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _setParameter = instance.GetAction<int, float>("set_parameter")!;
        _meterAddress = instance.GetFunction<int>("meter_address")!;
        _presetAddress = instance.GetFunction<int>("preset_address")!;
        _frames = frames;
        _block = _alloc(frames * 2 * sizeof(float));
    }

    private Span<float> Block() => MemoryMarshal.Cast<byte, float>(_memory.GetSpan(_block, _frames * 2 * sizeof(float)));

    private unsafe UnmanagedMemoryStream OpenBlock() =>
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _block, _frames * 2 * sizeof(float));

    private unsafe UnmanagedMemoryStream OpenMeter(int address) =>
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, 64);

    public float ProcessAndMeasure(ReadOnlySpan<float> input)
    {
        Span<float> samples = Block();
        input.CopyTo(samples);
        _process(_block, _frames);
        float peak = 0;
        foreach (float sample in samples) // expect: WVA001
        {
            peak = Math.Max(peak, Math.Abs(sample));
        }

        return peak;
    }

    public float ProcessAndMeasureFresh(ReadOnlySpan<float> input, Span<float> output)
    {
        input.CopyTo(Block());
        _process(_block, _frames);
        Span<float> samples = Block();
        samples.CopyTo(output);
        float peak = 0;
        foreach (float sample in samples)
        {
            peak = Math.Max(peak, Math.Abs(sample));
        }

        return peak;
    }

    public float Automate(int parameter, float value)
    {
        ref float first = ref MemoryMarshal.GetReference(Block());
        float before = Unsafe.Add(ref first, 2);
        _setParameter(parameter, value);
        _process(_block, _frames);
        return Unsafe.Add(ref first, 2) - before; // expect: WVA001
    }

    public float Smooth(int frames)
    {
        // Small blocks are smoothed on the stack; large ones in place in guest memory.
        Span<float> scratch = frames <= 64 ? stackalloc float[frames] : Block().Slice(0, frames);
        scratch[0] = 0;
        _process(_block, frames);
        return scratch[0]; // expect: WVA001
    }

    public float SmoothOnStack(int frames)
    {
        Span<float> scratch = stackalloc float[Math.Min(frames, 64)];
        Block().Slice(0, scratch.Length).CopyTo(scratch);
        _process(_block, frames);
        return scratch[0];
    }

    public int SafeProcess(int statusAddress)
    {
        Span<byte> status = _memory.GetSpan(statusAddress, 4);
        status[0] = 0;
        try
        {
            return _process(_block, _frames);
        }
        catch (WasmtimeException) when (status[0] == 0) // expect: WVA001
        {
            return -1;
        }
    }

    public unsafe float ProcessPinned()
    {
        fixed (float* samples = Block())
        {
            samples[0] = 1f;
            _process(_block, _frames);
            return samples[1]; // expect: WVA001
        }
    }

    public string ReadPresetHeader()
    {
        using var reader = new BinaryReader(OpenPreset(), Encoding.UTF8);
        int version = reader.ReadInt32();
        int count = reader.ReadInt32();
        _setParameter(0, version);
        string name = reader.ReadString(); // expect: WVA001
        return $"{name} v{version} ({count})";
    }

    public string ReadPresetHeaderFirst()
    {
        using var reader = new BinaryReader(OpenPreset(), Encoding.UTF8);
        int version = reader.ReadInt32();
        int count = reader.ReadInt32();
        string name = reader.ReadString();
        _setParameter(0, version);
        return $"{name} v{version} ({count})";
    }

    // Asks the guest where the preset is, then builds the stream: fresh when it is returned.
    private unsafe UnmanagedMemoryStream OpenPreset()
    {
        int address = _presetAddress();
        return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, 4096);
    }

    public void LoadPresetLazily()
    {
        _presetReader = new StreamReader(OpenPreset(), Encoding.UTF8); // expect: WVA002
    }

    public string? NextPresetLine() => _presetReader?.ReadLine();

    public int Total(int meterAddress)
    {
        Span<int> meter = MemoryMarshal.Cast<byte, int>(_memory.GetSpan(meterAddress, 16));
        int before = checked(meter[0] + meter[1]);
        int attempts = 0;
    retry:
        lock (_gate)
        {
            if (_process(_block, _frames) < 0 && ++attempts < 3)
            {
                goto retry;
            }
        }

        return checked(meter[0] + meter[1]) - before; // expect: WVA001
    }

    public float PeekSequence(int address)
    {
        ReadOnlyMemory<byte> meter = OpenMeterMemory(address);
        var sequence = new ReadOnlySequence<byte>(meter);
        _process(_block, _frames);
        return BitConverter.ToSingle(sequence.FirstSpan); // expect: WVA001
    }

    private unsafe ReadOnlyMemory<byte> OpenMeterMemory(int address) => new MeterMemory((byte*)_memory.GetPointer() + address).Memory;

    public async Task RecordTakeAsync(Stream destination)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        for (int i = 0; i < 4; i++)
        {
            _process(_block, _frames);
            var block = OpenBlock();
            // Started, not awaited, before the next block is processed over the same bytes.
            Task copy = block.CopyToAsync(gzip); // expect: WVA003
            _process(_block, _frames);
            await copy;
        }
    }

    public async Task RecordTakeAwaitedAsync(Stream destination)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        for (int i = 0; i < 4; i++)
        {
            _process(_block, _frames);
            byte[] block = MemoryMarshal.AsBytes(Block()).ToArray();
            await gzip.WriteAsync(block);
        }
    }

    public void ExportTake(string path)
    {
        using var file = File.Create(path);
        using var tar = new TarWriter(file);
        _process(_block, _frames);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "take-1.raw") { DataStream = OpenBlock() }); // expect: WVA003
        _process(_block, _frames);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "take-2.raw") { DataStream = new MemoryStream(MemoryMarshal.AsBytes(Block()).ToArray()) });
    }

    public void ExportMeters(string path)
    {
        using var zip = new Ionic.Zip.ZipFile();
        int address = _meterAddress();
        var meter = OpenMeter(address);
        zip.AddEntry("meter.bin", (string name) => meter, (string name, Stream stream) => stream.Dispose()); // expect: WVA003
        byte[] snapshot = _memory.GetSpan(address, 64).ToArray();
        zip.AddEntry("meter-copy.bin", (string name) => new MemoryStream(snapshot), (string name, Stream stream) => stream.Dispose());
        zip.Save(path);
    }

    public unsafe float PinnedMeter(int address)
    {
        ReadOnlyMemory<byte> meter = OpenMeterMemory(address);
        using MemoryHandle handle = meter.Pin();
        float level = *(float*)handle.Pointer;
        _process(_block, _frames);
        return *(float*)handle.Pointer - level; // expect: WVA001
    }

    private sealed unsafe class MeterMemory : MemoryManager<byte>
    {
        private readonly byte* _start;

        public MeterMemory(byte* start)
        {
            _start = start;
        }

        public override Span<byte> GetSpan() => new Span<byte>(_start, 64);

        public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
