// Audio codec host: an Opus-like encoder and a resampler compiled to wasm; packets are compressed into podcast archives.
// Shape from media hosts that stage PCM through MemoryMarshal.Cast over guest memory and write packets straight to compressors.
using System;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.GZip;
using Wasmtime;

namespace Corpus.Fresh.AudioStreamCodec;

public sealed unsafe class AudioEncoder
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _encodeFrame;
    private readonly Func<int> _encodedLength;
    private readonly Func<int, int, int, int> _resample;
    private readonly int _pcmAddress;
    private readonly int _scratchAddress;
    private readonly object _gate = new();

    public AudioEncoder(Instance instance, int pcmAddress, int scratchAddress)
    {
        _memory = instance.GetMemory("memory")!;
        _encodeFrame = instance.GetFunction<int, int, int>("encode_frame")!;
        _encodedLength = instance.GetFunction<int>("encoded_length")!;
        _resample = instance.GetFunction<int, int, int, int>("resample")!;
        _pcmAddress = pcmAddress;
        _scratchAddress = scratchAddress;
    }

    private int Encode(ReadOnlySpan<short> pcm)
    {
        Span<short> input = MemoryMarshal.Cast<byte, short>(_memory.GetSpan(_pcmAddress, pcm.Length * 2));
        pcm.CopyTo(input); // written while fresh
        return _encodeFrame(_pcmAddress, pcm.Length);
    }

    public void EncodeToDeflate(Stream file, ReadOnlySpan<short> pcm)
    {
        int output = Encode(pcm);
        ReadOnlySpan<byte> packet = _memory.GetSpan(output, _encodedLength()); // arguments run before GetSpan: fresh
        using var deflate = new DeflateStream(file, CompressionLevel.Fastest, leaveOpen: true);
        deflate.Write(packet); // expect: WVA004
    }

    public void EncodeToSharpGzip(Stream file, ReadOnlySpan<short> first, ReadOnlySpan<short> second)
    {
        using var gzip = new GZipOutputStream(file) { IsStreamOwner = false };
        int output = Encode(first);
        ReadOnlySpan<byte> packet = _memory.GetSpan(output, _encodedLength());
        gzip.Write(packet); // expect: WVA004
        byte[] copy = packet.ToArray();
        int next = Encode(second);
        gzip.Write(copy); // the host's copy, after the next frame
        gzip.Write(_memory.GetSpan(next, _encodedLength()).ToArray());
    }

    public void EncodeToBzip(Stream file, ReadOnlySpan<short> first, ReadOnlySpan<short> second)
    {
        using var bzip = new BZip2OutputStream(file) { IsStreamOwner = false };
        int output = Encode(first);
        ReadOnlySpan<byte> packet = _memory.GetSpan(output, _encodedLength());
        Encode(second); // the encoder reuses its output buffer
        bzip.Write(packet); // expect: WVA001, WVA004
    }

    public void EncodeToIonic(Stream file, ReadOnlySpan<short> pcm)
    {
        using var zlib = new Ionic.Zlib.ZlibStream(file, Ionic.Zlib.CompressionMode.Compress, leaveOpen: true);
        int output = Encode(pcm);
        int length = _encodedLength();
        byte* start = (byte*)_memory.GetPointer() + output;
        using var packet = new UnmanagedMemoryStream(start, length);
        packet.CopyTo(zlib); // expect: WVA004
    }

    public void EncodeTo(Stream file, string format, ReadOnlySpan<short> pcm)
    {
        using Stream target = format switch
        {
            "zlib" => new ZLibStream(file, CompressionLevel.Optimal, leaveOpen: true),
            "br" => new BrotliStream(file, CompressionLevel.Optimal, leaveOpen: true),
            _ => file,
        };
        int output = Encode(pcm);
        ReadOnlySpan<byte> packet = _memory.GetSpan(output, _encodedLength());
        target.Write(packet); // expect: WVA004
    }

    public void WriteHeaderThenEncode(ReadOnlySpan<short> pcm, int sampleRate)
    {
        var header = new BinaryWriter(new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _scratchAddress, 16, 16, FileAccess.Write));
        header.Write(sampleRate); // fresh
        int output = Encode(pcm);
        header.Write(output); // expect: WVA001
        header.Write(_encodedLength()); // expect: WVA001
    }

    public void WriteHeaderFirst(ReadOnlySpan<short> pcm, int sampleRate)
    {
        using (var header = new BinaryWriter(new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _scratchAddress, 16, 16, FileAccess.Write)))
        {
            header.Write(sampleRate);
            header.Write(pcm.Length);
        } // the writer is done before the encoder runs
        Encode(pcm);
    }

    public byte LastPacketByte(ReadOnlySpan<short> pcm)
    {
        int output = Encode(pcm);
        // Element by element: the pointer is taken, then encoded_length runs the guest before 'address' is ever read.
        var (address, length) = (_memory.GetPointer() + output, _encodedLength());
        return ((byte*)address)[length - 1]; // expect: WVA001
    }

    public byte LastPacketByteLengthFirst(ReadOnlySpan<short> pcm)
    {
        int output = Encode(pcm);
        var (length, address) = (_encodedLength(), _memory.GetPointer() + output);
        return ((byte*)address)[length - 1];
    }

    public int Resample(ReadOnlySpan<short> pcm, int targetRate)
    {
        ReadOnlySpan<byte> frame = _memory.GetSpan(_pcmAddress, pcm.Length * 2);
        int produced = _resample(_pcmAddress, pcm.Length, targetRate);
        int tail = checked(frame[^1] + produced); // expect: WVA001
        return tail + frame.Length;
    }

    public int ResampleWithScratch(int samples, bool small)
    {
        Span<byte> scratch = small ? stackalloc byte[64] : _memory.GetSpan(_scratchAddress, 64);
        scratch.Fill(0);
        _resample(_pcmAddress, samples, 48000);
        return scratch[0]; // expect: WVA001
    }

    public int ResampleHostScratch(int samples)
    {
        Span<byte> scratch = stackalloc byte[64]; // host stack memory, never a view
        _memory.GetSpan(_scratchAddress, 64).CopyTo(scratch);
        _resample(_pcmAddress, samples, 48000);
        return scratch[0];
    }

    public int ResampleOrReport(int samples)
    {
        ReadOnlySpan<byte> status = _memory.GetSpan(_scratchAddress, 4);
        try
        {
            return _resample(_pcmAddress, samples, 44100);
        }
        catch (WasmtimeException) when (status[0] == 0xFF) // expect: WVA001
        {
            return -1;
        }
    }

    public int ResampleOrReportFresh(int samples)
    {
        try
        {
            return _resample(_pcmAddress, samples, 44100);
        }
        catch (WasmtimeException) when (_memory.ReadByte(_scratchAddress) == 0xFF) // read when the filter runs
        {
            return -1;
        }
    }

    public int LockedPeak(ReadOnlySpan<short> pcm)
    {
        lock (_gate)
        {
            nint? lastPacket = null;
            int output = Encode(pcm);
            lastPacket = _memory.GetPointer() + output;
            int peak = *(byte*)lastPacket.Value; // fresh
            Encode(pcm);
            if (lastPacket.HasValue) // HasValue reads the wrapper only
            {
                peak = Math.Max(peak, *(byte*)lastPacket.Value); // expect: WVA001
            }
            return peak;
        }
    }
}
