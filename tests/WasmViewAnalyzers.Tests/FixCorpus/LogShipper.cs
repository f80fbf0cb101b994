// A log shipper: a WebAssembly filter formats log records into guest memory; the host batches them
// and ships them on a background task.
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Logging;

sealed unsafe class GuestMemoryManager : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public GuestMemoryManager(byte* pointer, int length)
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

sealed unsafe class LogShipper
{
    private readonly Memory _memory;
    private readonly Func<int, int> _format;
    private readonly Func<int> _formattedLength;
    private readonly ConcurrentQueue<ReadOnlyMemory<byte>> _batch = new();
    private readonly Channel<ReadOnlyMemory<byte>> _outbox = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
    private readonly List<Memory<byte>> _retry = new();

    public LogShipper(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _format = instance.GetFunction<int, int>("format")!;
        _formattedLength = instance.GetFunction<int>("formatted_length")!;
    }

    public void Format(int record)
    {
        var address = _format(record);
        var length = _formattedLength();
        var line = new GuestMemoryManager((byte*)_memory.GetPointer() + address, length).Memory;
        _batch.Enqueue(line);
    }

    public void FormatToOutbox(int record)
    {
        var address = _format(record);
        var manager = new GuestMemoryManager((byte*)_memory.GetPointer() + address, _formattedLength());
        _outbox.Writer.TryWrite(manager.Memory);
    }

    public void KeepForRetry(int address, int length)
    {
        _retry.Add(new GuestMemoryManager((byte*)_memory.GetPointer() + address, length).Memory);
    }

    public void ShipInBackground(Socket socket, int record)
    {
        var address = _format(record);
        var line = new GuestMemoryManager((byte*)_memory.GetPointer() + address, _formattedLength()).Memory;
        Task.Run(() => socket.Send(line.Span));
    }

    public void ShipStream(Stream sink, int record)
    {
        var address = _format(record);
        var length = _formattedLength();
        var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        Task.Run(() => stream.CopyTo(sink));
    }

    public void Flush(Stream sink)
    {
        while (_batch.TryDequeue(out var line))
        {
            sink.Write(line.Span);
        }
    }
}
