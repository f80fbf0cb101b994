// Document converter (markdown/ODT to PDF compiled to wasm) served per request from a pool of guest buffers.
// Shape inspired by hosts that keep a pool of guest allocations (Rent/Return over malloc/free) and a cache of rendered outputs.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Wasmtime;

namespace Corpus.Late.DocumentConverterPool;

public readonly struct GuestBuffer
{
    public GuestBuffer(int offset, int capacity)
    {
        Offset = offset;
        Capacity = capacity;
    }

    public int Offset { get; }
    public int Capacity { get; }
}

public sealed class GuestBufferPool
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Stack<GuestBuffer> _free = new();

    public GuestBufferPool(Memory memory, Func<int, int> malloc)
    {
        _memory = memory;
        _malloc = malloc;
    }

    public GuestBuffer Rent(int size)
    {
        while (_free.TryPop(out var buffer))
        {
            if (buffer.Capacity >= size)
                return buffer;
        }

        return new GuestBuffer(_malloc(size), size);
    }

    public void Return(GuestBuffer buffer) => _free.Push(buffer);

    public Span<byte> Bytes(GuestBuffer buffer) => _memory.GetSpan(buffer.Offset, buffer.Capacity);
}

public sealed class ConverterService
{
    private readonly Memory _memory;
    private readonly GuestBufferPool _pool;
    private readonly Func<int, int, int> _convert;
    private readonly Dictionary<string, Memory<byte>> _copies = new();
    private readonly Dictionary<string, GuestBuffer> _rendered = new();
    private readonly Dictionary<string, UnmanagedMemoryStream> _streams = new();

    public ConverterService(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _pool = new GuestBufferPool(_memory, instance.GetFunction<int, int>("malloc")!);
        _convert = instance.GetFunction<int, int, int>("convert_document")!;
    }

    private Func<int, int, int> Converter => _convert;

    private int Stage(string source, out GuestBuffer buffer)
    {
        int length = Encoding.UTF8.GetByteCount(source);
        buffer = _pool.Rent(length);
        _memory.WriteString(buffer.Offset, source, Encoding.UTF8);
        return length;
    }

    public byte[] Convert(string source)
    {
        int length = Stage(source, out var input);
        var output = _pool.Rent(64 * 1024);
        var pdf = _pool.Bytes(output);
        int written = Converter(input.Offset, length);
        _pool.Return(input);
        return pdf[..written].ToArray(); // expect: WVA001
    }

    public byte[] ConvertThenView(string source)
    {
        int length = Stage(source, out var input);
        var output = _pool.Rent(64 * 1024);
        int written = Converter(input.Offset, length);
        var pdf = _pool.Bytes(output)[..written].ToArray();
        _pool.Return(input);
        _pool.Return(output);
        return pdf;
    }

    public string Title(string source)
    {
        int length = Stage(source, out var input);
        var head = _pool.Bytes(input)[..Math.Min(length, 80)];
        var scratch = _pool.Rent(256); // Rent may call the guest's malloc, which may grow memory
        _pool.Return(scratch);
        return Encoding.UTF8.GetString(head); // expect: WVA001
    }

    public string TitleFirst(string source)
    {
        int length = Stage(source, out var input);
        string title = Encoding.UTF8.GetString(_pool.Bytes(input)[..Math.Min(length, 80)]);
        _pool.Return(_pool.Rent(256));
        return title;
    }

    public void Cache(string key, string source)
    {
        int length = Stage(source, out var input);
        var output = _pool.Rent(64 * 1024);
        int written = Converter(input.Offset, length);
        _copies[key] = _pool.Bytes(output)[..written].ToArray();
        _rendered[key] = output; // the pool's handle: an offset and a capacity, no view
    }

    public void WriteTo(string key, Stream destination)
    {
        if (_copies.TryGetValue(key, out var copy))
            destination.Write(copy.Span);
        else if (_rendered.TryGetValue(key, out var buffer))
            destination.Write(_pool.Bytes(buffer)); // obtained through the pool now
    }

    public int ConvertAll(IReadOnlyList<string> sources, Stream destination)
    {
        var outputs = new List<(string Name, GuestBuffer Buffer, int Length)>();
        foreach (var source in sources)
        {
            int length = Stage(source, out var input);
            var output = _pool.Rent(64 * 1024);
            outputs.Add((source, output, Converter(input.Offset, length)));
        }

        foreach (var (_, buffer, written) in outputs)
            destination.Write(_pool.Bytes(buffer)[..written]); // offsets kept, views obtained when written
        return outputs.Count;
    }

    public unsafe void CacheStream(string key, string source)
    {
        int length = Stage(source, out var input);
        var output = _pool.Rent(64 * 1024);
        int written = Converter(input.Offset, length);
        var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + output.Offset, written);
        _streams.Add(key, stream); // expect: WVA002
    }

    public unsafe int ConvertAllPointers(IReadOnlyList<string> sources, Stream destination)
    {
        var pending = new List<(nint Address, int Length)>();
        foreach (var source in sources)
        {
            int length = Stage(source, out var input);
            var output = _pool.Rent(64 * 1024);
            int written = Converter(input.Offset, length);
            pending.Add((_memory.GetPointer() + output.Offset, written)); // expect: WVA002
        }

        // Each later conversion (and the Rent before it) ran after the earlier outputs' pointers were taken.
        foreach (var (address, size) in pending)
            destination.Write(new ReadOnlySpan<byte>((void*)address, size)); // expect: WVA001
        return pending.Count;
    }

    public int ConvertAllViews(IReadOnlyList<string> sources, Stream destination)
    {
        var pending = new Queue<ReadOnlyMemory<byte>>();
        foreach (var source in sources)
        {
            int length = Stage(source, out var input);
            var output = _pool.Rent(64 * 1024);
            int written = Converter(input.Offset, length);
            pending.Enqueue(_pool.Bytes(output)[..written].ToArray());
        }

        int count = pending.Count;
        while (pending.TryDequeue(out var pdf))
            destination.Write(pdf.Span);
        return count;
    }
}
