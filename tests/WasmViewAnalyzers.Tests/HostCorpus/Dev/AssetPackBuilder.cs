// Asset cooker: a wasm asset compiler cooks meshes and textures one by one; the host enumerates cooked blobs into a pack.
// Shape from hosts that expose guest results as IEnumerable/IAsyncEnumerable and wrap guest handles in IDisposable types.
using System;
using System.Buffers;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Dev.AssetPackBuilder;

internal sealed unsafe class CookedMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public CookedMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public readonly record struct AssetRecord(int Id, int Kind, int Size);

// Walks the guest's asset directory: every MoveNext asks the guest for the next record.
public sealed class GuestDirectory(Memory memory, Func<int, int> next) : IEnumerable<AssetRecord>
{
    public IEnumerator<AssetRecord> GetEnumerator()
    {
        var cursor = 0;
        while ((cursor = next(cursor)) != 0)
        {
            yield return memory.Read<AssetRecord>(cursor);   // a copy per record
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

// A texture handle: deconstructing it asks the guest for its dimensions.
public sealed class GuestTexture(int handle, Func<int, long> dimensions)
{
    public int Handle => handle;

    public void Deconstruct(out int width, out int height)
    {
        var packed = dimensions(handle);
        width = (int)(packed >> 32);
        height = (int)packed;
    }
}

// Pins a cooked asset in the guest; Dispose unpins it through the guest's export.
public readonly struct GuestPin(int id, Action<int> unpin) : IDisposable
{
    public int Id => id;

    public void Dispose() => unpin(id);
}

// Rents a host buffer; Dispose returns it to the pool, no guest code involved.
public readonly struct HostScratch(int size) : IDisposable
{
    public byte[] Buffer { get; } = ArrayPool<byte>.Shared.Rent(size);

    public void Dispose() => ArrayPool<byte>.Shared.Return(Buffer);
}

public sealed class AssetCooker
{
    private readonly Memory _memory;
    private readonly Func<int, int> _cook;          // asset id -> output address
    private readonly Func<int> _cookedLength;
    private readonly Func<int, int> _nextRecord;
    private readonly Func<int, long> _dimensions;
    private readonly Action<int> _unpin;

    public AssetCooker(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _cook = instance.GetFunction<int, int>("cook")!;
        _cookedLength = instance.GetFunction<int>("cooked_length")!;
        _nextRecord = instance.GetFunction<int, int>("next_record")!;
        _dimensions = instance.GetFunction<int, long>("texture_dimensions")!;
        _unpin = instance.GetAction<int>("unpin")!;
    }

    private unsafe ReadOnlyMemory<byte> CookedView(int address, int length) =>
        new CookedMemory((byte*)_memory.GetPointer() + address, length).Memory;

    // Yields views: whoever enumerates it holds guest memory that the next MoveNext overwrites.
    public IEnumerable<ReadOnlyMemory<byte>> CookAll(IEnumerable<int> assetIds)
    {
        foreach (var id in assetIds)
        {
            var address = _cook(id);
            var cooked = CookedView(address, _cookedLength());
            yield return cooked;
            Console.WriteLine($"cooked {id}: {cooked.Length} bytes");   // Length only after the yield
        }
    }

    public IEnumerable<ReadOnlyMemory<byte>> CookAllVerbose(IEnumerable<int> assetIds)
    {
        foreach (var id in assetIds)
        {
            var cooked = CookedView(_cook(id), _cookedLength());
            yield return cooked;
            Console.WriteLine($"cooked {id}, first byte {cooked.Span[0]}"); // expect: WVA001
        }
    }

    // Yields copies: safe to keep.
    public IEnumerable<byte[]> CookAllCopied(IEnumerable<int> assetIds)
    {
        foreach (var id in assetIds)
        {
            var address = _cook(id);
            yield return _memory.GetSpan(address, _cookedLength()).ToArray();
        }
    }

    public int CountDuplicates(IEnumerable<int> assetIds)
    {
        var duplicates = 0;
        ReadOnlyMemory<byte> previous = default;
        foreach (var blob in CookAll(assetIds))
        {
            if (!previous.IsEmpty && previous.Span.SequenceEqual(blob.Span)) // expect: WVA001
            {
                duplicates++;
            }

            previous = blob;
        }

        return duplicates;
    }

    public int CountDuplicatesCopied(IEnumerable<int> assetIds)
    {
        var duplicates = 0;
        byte[]? previous = null;
        foreach (var blob in CookAllCopied(assetIds))
        {
            if (previous is not null && previous.AsSpan().SequenceEqual(blob))
            {
                duplicates++;
            }

            previous = blob;
        }

        return duplicates;
    }

    public void WritePack(IEnumerable<int> assetIds, Stream pack)
    {
        foreach (var blob in CookAll(assetIds))
        {
            pack.Write(blob.Span);                  // each blob written before the next MoveNext
        }
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> CookAllAsync(IEnumerable<int> assetIds, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var id in assetIds)
        {
            await Task.Yield();
            var address = _cook(id);
            yield return CookedView(address, _cookedLength());
        }
    }

    public async Task<long> HashPackAsync(IEnumerable<int> assetIds, Stream pack)
    {
        long hash = 17;
        ReadOnlyMemory<byte> header = default;
        await foreach (var blob in CookAllAsync(assetIds))
        {
            if (header.IsEmpty)
            {
                header = blob[..Math.Min(16, blob.Length)];   // keeps a slice of the first blob
            }

            await pack.WriteAsync(blob);
            hash = hash * 31 + blob.Length;
        }

        hash ^= header.Span[0]; // expect: WVA001
        return hash;
    }

    public async Task<long> HashPackCopiedAsync(IEnumerable<int> assetIds, Stream pack)
    {
        long hash = 17;
        byte[]? header = null;
        await foreach (var blob in CookAllAsync(assetIds))
        {
            header ??= blob[..Math.Min(16, blob.Length)].ToArray();   // a copy
            await pack.WriteAsync(blob);
            hash = hash * 31 + blob.Length;
        }

        return header is null ? hash : hash ^ header[0];
    }

    public int SumKinds(int manifestAddress)
    {
        var manifest = _memory.GetSpan(manifestAddress, 64);
        var total = 0;
        foreach (var record in new GuestDirectory(_memory, _nextRecord))   // MoveNext calls next_record
        {
            total += record.Kind * manifest[record.Kind % 64]; // expect: WVA001
        }

        return total;
    }

    public int SumKindsCopied(int manifestAddress)
    {
        var manifest = _memory.GetSpan(manifestAddress, 64).ToArray();
        var total = 0;
        foreach (var record in new GuestDirectory(_memory, _nextRecord))
        {
            total += record.Kind * manifest[record.Kind % 64];
        }

        return total;
    }

    public int TexelCount(GuestTexture texture, int mipAddress)
    {
        var mip = _memory.GetSpan(mipAddress, 4);
        var (width, height) = texture;              // Deconstruct asks the guest
        return width * height * mip[0]; // expect: WVA001
    }

    public int TexelCountFirst(GuestTexture texture, int mipAddress)
    {
        var levels = _memory.GetSpan(mipAddress, 4)[0];   // a byte read out
        var (width, height) = texture;
        return width * height * levels;
    }

    public byte[] ExportPinned(int id, int address, int length)
    {
        ReadOnlySpan<byte> cooked;
        using (new GuestPin(id, _unpin))
        {
            cooked = _memory.GetSpan(address, length);
        }                                           // Dispose unpins through the guest

        return cooked.ToArray(); // expect: WVA001
    }

    public byte[] ExportScratch(int address, int length)
    {
        ReadOnlySpan<byte> cooked;
        using (var scratch = new HostScratch(length))
        {
            cooked = _memory.GetSpan(address, length);
            cooked.CopyTo(scratch.Buffer);
        }                                           // Dispose only returns a pooled array

        return cooked.ToArray();
    }

    public GuestTexture Texture(int handle) => new(handle, _dimensions);
}
