// A probabilistic index (bloom filter + count-min sketch) in wasm, with the bit array in guest memory and snapshots
// compressed to disk (shape: wasmtime-dotnet memory examples, ImageBatch-style exporters with GZip/Brotli).
using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Summer.BloomFilterIndex;

public sealed unsafe class BitsManager : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    public BitsManager(byte* start, int length) { _start = start; _length = length; }
    public override Span<byte> GetSpan() => new(_start, _length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public sealed class BloomIndex
{
    private readonly Memory _memory;
    private readonly GuestMemoryGuard _guard;
    private readonly Func<int, int, int> _insert;
    private readonly Func<int, int, int> _guardedInsert;
    private readonly Func<int, int, int> _probe;
    private readonly int _bitsPtr;
    private readonly int _bitsBytes;

    public BloomIndex(Instance instance, int bitsPtr, int bitsBytes)
    {
        _memory = instance.GetMemory("memory")!;
        _guard = new GuestMemoryGuard(_memory);
        _insert = instance.GetFunction<int, int, int>("bloom_insert")!;
        _guardedInsert = _guard.GetRequiredFunction<int, int, int>(instance, "bloom_insert");
        _probe = instance.GetFunction<int, int, int>("bloom_probe")!;
        _bitsPtr = bitsPtr;
        _bitsBytes = bitsBytes;
    }

    private int Stage(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        bytes.CopyTo(_memory.GetSpan(0x100, bytes.Length));
        return bytes.Length;
    }

    private unsafe Memory<byte> BitsMemory() => new BitsManager((byte*)_memory.GetPointer() + _bitsPtr, _bitsBytes).Memory;

    private static int Words(ReadOnlySpan<ulong> bits) => bits.Length;      // length only

    public int PopulationAfterInsert(string key)
    {
        Span<ulong> bits = MemoryMarshal.Cast<byte, ulong>(_memory.GetSpan(_bitsPtr, _bitsBytes));
        var length = Stage(key);
        _insert(0x100, length);
        var population = 0;
        for (var i = 0; i < Words(bits); i++)                              // only Length: fine
        {
            population += System.Numerics.BitOperations.PopCount(bits[i]);   // expect: WVA001
        }
        return population;
    }

    public int PopulationFresh(string key)
    {
        var length = Stage(key);
        _insert(0x100, length);
        Span<ulong> bits = MemoryMarshal.Cast<byte, ulong>(_memory.GetSpan(_bitsPtr, _bitsBytes));
        var population = 0;
        foreach (var word in bits)
        {
            population += System.Numerics.BitOperations.PopCount(word);
        }
        return population;
    }

    public bool ProbeAfterResize(string key, bool resize)
    {
        var bits = _memory.GetSpan(_bitsPtr, _bitsBytes);
        if (resize)
        {
            _memory.Grow(2);                                                 // may move the whole memory
        }
        var length = Stage(key);
        return bits[_probe(0x100, length) / 8] != 0;                        // expect: WVA001
    }

    public void Snapshot(string path)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(_memory.GetSpan(_bitsPtr, _bitsBytes));                  // expect: WVA004
    }

    public void SnapshotCopy(string path)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(_memory.GetSpan(_bitsPtr, _bitsBytes).ToArray());        // the host's own copy
    }

    public void SnapshotRaw(string path)
    {
        using var file = File.Create(path);
        file.Write(_memory.GetSpan(_bitsPtr, _bitsBytes));                  // a plain file: a memcpy, not WVA004
    }

    public void SnapshotMaybeCompressed(Stream destination, bool compress)
    {
        Stream target = compress ? new BrotliStream(destination, CompressionLevel.Optimal, leaveOpen: true) : destination;
        try
        {
            target.Write(_memory.GetSpan(_bitsPtr, _bitsBytes));            // expect: WVA004
        }
        finally
        {
            if (compress) target.Dispose();
        }
    }

    public async Task SnapshotInBackgroundAsync(Stream destination, string nextKey)
    {
        await using var deflate = new DeflateStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        var bits = BitsMemory();
        var pending = deflate.WriteAsync(bits).AsTask();                    // expect: WVA003
        var length = Stage(nextKey);
        _insert(0x100, length);                                             // runs while the write may still read
        await pending;
    }

    public async Task SnapshotAwaitedAsync(Stream destination, string nextKey)
    {
        await using var deflate = new DeflateStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        var copy = _memory.GetSpan(_bitsPtr, _bitsBytes).ToArray();
        var pending = deflate.WriteAsync(copy).AsTask();                    // a copy may be written later
        var length = Stage(nextKey);
        _insert(0x100, length);
        await pending;
    }

    public int GuardedPopulation(string key)
    {
        var view = _guard.GetView(_bitsPtr, _bitsBytes);
        var length = Stage(key);
        _guardedInsert(0x100, length);
        if (view.IsStale)
        {
            view = _guard.GetView(_bitsPtr, _bitsBytes);                     // the library's own check, as documented
        }
        var population = 0;
        foreach (var b in view.Span)
        {
            population += System.Numerics.BitOperations.PopCount(b);
        }
        return population + view.Length;
    }
}
