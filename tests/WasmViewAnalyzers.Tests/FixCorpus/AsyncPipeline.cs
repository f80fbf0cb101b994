// An async media pipeline: guest-produced chunks are written to network and archive streams
// asynchronously.
using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Pipeline;

static unsafe class Views
{
    public static ChunkMemory Chunk(Memory memory, int address, int length)
        => new ChunkMemory((byte*)memory.GetPointer() + address, length);
}

sealed unsafe class ChunkMemory : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public ChunkMemory(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

sealed class MediaPipeline
{
    private readonly Memory _memory;
    private readonly Func<int, int> _encodeChunk;
    private readonly Func<int> _chunkLength;

    public MediaPipeline(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _encodeChunk = instance.GetFunction<int, int>("encode_chunk")!;
        _chunkLength = instance.GetFunction<int>("chunk_length")!;
    }

    public async Task StreamAsync(Stream network, int chunks)
    {
        for (var i = 0; i < chunks; i++)
        {
            var address = _encodeChunk(i);
            var chunk = Views.Chunk(_memory, address, _chunkLength()).Memory;
            await network.WriteAsync(chunk);
            await network.FlushAsync();
            await network.WriteAsync(chunk.Slice(0, 4));
        }
    }

    public async Task ArchiveAsync(Stream destination, int chunks)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Optimal);
        for (var i = 0; i < chunks; i++)
        {
            var chunk = Views.Chunk(_memory, _encodeChunk(i), _chunkLength()).Memory;
            await gzip.WriteAsync(chunk);
        }
    }

    public async Task ArchiveWithoutWaitingAsync(Stream destination, int chunk)
    {
        var gzip = new GZipStream(destination, CompressionLevel.Optimal);
        var bytes = Views.Chunk(_memory, _encodeChunk(chunk), _chunkLength()).Memory;
        var pending = gzip.WriteAsync(bytes).AsTask();
        _encodeChunk(chunk + 1);
        await pending;
    }
}
