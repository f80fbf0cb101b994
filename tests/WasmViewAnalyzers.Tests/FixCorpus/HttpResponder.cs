// An HTTP edge function host: a WebAssembly handler builds responses; the host writes them to the
// client, sometimes after the next request has already started.
using System;
using System.Buffers;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Http;

sealed unsafe class BodyMemory : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public BodyMemory(byte* pointer, int length)
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

sealed unsafe class EdgeHost
{
    private readonly Memory _memory;
    private readonly Func<int, int> _handle;
    private readonly Func<int> _bodyLength;
    private readonly Func<int> _statusCode;

    public EdgeHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _handle = instance.GetFunction<int, int>("handle")!;
        _bodyLength = instance.GetFunction<int>("body_length")!;
        _statusCode = instance.GetFunction<int>("status_code")!;
    }

    public ReadOnlyMemory<byte> LastBody { get; private set; }

    public string Handle(int request)
    {
        var address = _handle(request);
        var body = _memory.GetSpan(address, _bodyLength());
        var status = _statusCode();
        return $"{status} {Encoding.UTF8.GetString(body)}";
    }

    public void Remember(int request)
    {
        var address = _handle(request);
        LastBody = new BodyMemory((byte*)_memory.GetPointer() + address, _bodyLength()).Memory;
    }

    public Stream Open(int request)
    {
        var address = _handle(request);
        return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _bodyLength());
    }

    public void Headers(int request, Action<string> sink)
    {
        var address = _handle(request);
        var header = (byte*)_memory.GetPointer() + address;
        var length = _bodyLength();
        sink(Encoding.ASCII.GetString(header, Math.Min(length, 16)));
    }
}
