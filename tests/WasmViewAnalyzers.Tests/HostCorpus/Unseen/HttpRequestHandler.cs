// A plain-class HTTP handler hosting a wagi/Spin-like guest component with a Store per request: the request head and
// body are copied into guest memory, the guest's response head is parsed in place through a ref, untyped Function exports.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Unseen.HttpRequestHandler;

[StructLayout(LayoutKind.Sequential)]
public struct ResponseHead
{
    public int Status;
    public int HeaderCount;
    public int HeadersPtr;
    public int BodyPtr;
    public int BodyLen;
}

[StructLayout(LayoutKind.Sequential)]
public struct HeaderEntry
{
    public int NamePtr;
    public int NameLen;
    public int ValuePtr;
    public int ValueLen;
}

public sealed record HttpRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

public sealed record HttpResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body);

public sealed partial class WasmHttpHandler
{
    private readonly Engine _engine;
    private readonly Module _module;

    public WasmHttpHandler(Engine engine, Module module)
    {
        _engine = engine;
        _module = module;
    }

    private sealed class RequestScope : IDisposable
    {
        public RequestScope(Engine engine, Module module)
        {
            Store = new Store(engine);
            Linker = new Linker(engine);
            Linker.DefineWasi();
            Store.SetWasiConfiguration(new WasiConfiguration());
            Instance = Linker.Instantiate(Store, module);
            Memory = Instance.GetMemory("memory")!;
            Alloc = Instance.GetFunction("alloc")!;
            HandleRequest = Instance.GetFunction("handle_request")!;
            HeaderAt = Instance.GetFunction<int, int, int>("header_at")!;
        }

        public Store Store { get; }

        public Linker Linker { get; }

        public Instance Instance { get; }

        public Memory Memory { get; }

        public Function Alloc { get; }

        public Function HandleRequest { get; }

        public Func<int, int, int> HeaderAt { get; }

        public void Dispose()
        {
            Linker.Dispose();
            Store.Dispose();
        }
    }

    private static int Upload(RequestScope scope, byte[] bytes)
    {
        int address = (int)scope.Alloc.Invoke(bytes.Length)!;
        bytes.CopyTo(scope.Memory.GetSpan(address, bytes.Length));
        return address;
    }

    private static byte[] EncodeHead(HttpRequest request)
    {
        var builder = new StringBuilder();
        builder.Append(request.Method).Append(' ').Append(request.Path).Append('\n');
        foreach (var (name, value) in request.Headers)
        {
            builder.Append(name).Append(": ").Append(value).Append('\n');
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }
}

public sealed partial class WasmHttpHandler
{
    private static ref ResponseHead Head(Memory memory, int address) =>
        ref MemoryMarshal.AsRef<ResponseHead>(memory.GetSpan(address, Unsafe.SizeOf<ResponseHead>()));

    // Runs header_at in the guest once per header: a helper that calls the guest, two levels below Handle.
    private static List<KeyValuePair<string, string>> ReadHeaders(RequestScope scope, int count)
    {
        var headers = new List<KeyValuePair<string, string>>(count);
        for (int i = 0; i < count; i++)
        {
            headers.Add(ReadHeader(scope, i));
        }

        return headers;
    }

    private static KeyValuePair<string, string> ReadHeader(RequestScope scope, int index)
    {
        int entryAddress = scope.HeaderAt(index, 0);
        HeaderEntry entry = scope.Memory.Read<HeaderEntry>(entryAddress);
        return new KeyValuePair<string, string>(
            scope.Memory.ReadString(entry.NamePtr, entry.NameLen, Encoding.UTF8),
            scope.Memory.ReadString(entry.ValuePtr, entry.ValueLen, Encoding.UTF8));
    }

    private static int HeaderBytes(in ResponseHead head) => head.HeaderCount * Unsafe.SizeOf<HeaderEntry>();

    public HttpResponse Handle(HttpRequest request)
    {
        using var scope = new RequestScope(_engine, _module);
        int headAddress = Upload(scope, EncodeHead(request));
        int bodyAddress = Upload(scope, request.Body);
        int responseAddress = (int)scope.HandleRequest.Invoke(headAddress, bodyAddress, request.Body.Length)!;
        ref ResponseHead head = ref Head(scope.Memory, responseAddress);
        Span<byte> body = scope.Memory.GetSpan(head.BodyPtr, head.BodyLen);
        List<KeyValuePair<string, string>> headers = ReadHeaders(scope, head.HeaderCount);
        int status = head.Status; // expect: WVA001
        byte[] content = body.ToArray(); // expect: WVA001
        return new HttpResponse(status, headers, content);
    }

    public HttpResponse HandleCopied(HttpRequest request)
    {
        using var scope = new RequestScope(_engine, _module);
        int headAddress = Upload(scope, EncodeHead(request));
        int bodyAddress = Upload(scope, request.Body);
        int responseAddress = (int)scope.HandleRequest.Invoke(headAddress, bodyAddress, request.Body.Length)!;
        // A copy of the head, and of the body, before header_at runs.
        ResponseHead head = scope.Memory.Read<ResponseHead>(responseAddress);
        byte[] content = scope.Memory.GetSpan(head.BodyPtr, head.BodyLen).ToArray();
        List<KeyValuePair<string, string>> headers = ReadHeaders(scope, head.HeaderCount);
        return new HttpResponse(head.Status, headers, content);
    }

    public int HeadSize(HttpRequest request)
    {
        using var scope = new RequestScope(_engine, _module);
        int responseAddress = (int)scope.HandleRequest.Invoke(Upload(scope, EncodeHead(request)), 0, 0)!;
        ref ResponseHead head = ref Head(scope.Memory, responseAddress);
        int count = head.HeaderCount;
        List<KeyValuePair<string, string>> headers = ReadHeaders(scope, count);
        // Passed by 'in': HeaderBytes reads the stale head.
        return HeaderBytes(in head) + headers.Count; // expect: WVA001
    }

    public async Task<int> HandleStreamingAsync(HttpRequest request, Stream requestBody, Stream responseBody, CancellationToken ct)
    {
        using var scope = new RequestScope(_engine, _module);
        const int Chunk = 8192;
        int inbound = (int)scope.Alloc.Invoke(Chunk)!;
        Memory<byte> window = Window(scope.Memory, inbound, Chunk);
        // Nothing runs in the guest between obtaining the window and this first read.
        int read = await requestBody.ReadAsync(window, ct);
        int responseAddress = (int)scope.HandleRequest.Invoke(Upload(scope, EncodeHead(request)), inbound, read)!;
        read = await requestBody.ReadAsync(window, ct); // expect: WVA001
        ResponseHead head = scope.Memory.Read<ResponseHead>(responseAddress);
        await responseBody.WriteAsync(scope.Memory.GetSpan(head.BodyPtr, head.BodyLen).ToArray(), ct);
        return head.Status;
    }

    public async Task<int> HandleStreamingFreshAsync(HttpRequest request, Stream requestBody, Stream responseBody, CancellationToken ct)
    {
        using var scope = new RequestScope(_engine, _module);
        const int Chunk = 8192;
        int inbound = (int)scope.Alloc.Invoke(Chunk)!;
        byte[] staging = new byte[Chunk];
        int read = await requestBody.ReadAsync(staging, ct);
        // Staged in host memory across the await, copied into the guest right before the call.
        staging.AsSpan(0, read).CopyTo(scope.Memory.GetSpan(inbound, read));
        int responseAddress = (int)scope.HandleRequest.Invoke(Upload(scope, EncodeHead(request)), inbound, read)!;
        ResponseHead head = scope.Memory.Read<ResponseHead>(responseAddress);
        await responseBody.WriteAsync(scope.Memory.GetSpan(head.BodyPtr, head.BodyLen).ToArray(), ct);
        return head.Status;
    }

    private static unsafe Memory<byte> Window(Memory memory, int address, int length) =>
        new GuestWindow((byte*)memory.GetPointer() + address, length).Memory;

    private sealed unsafe class GuestWindow : System.Buffers.MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public GuestWindow(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new Span<byte>(_start, _length);

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new System.Buffers.MemoryHandle(_start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
