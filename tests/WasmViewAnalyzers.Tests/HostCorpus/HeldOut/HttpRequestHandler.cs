// HTTP-style request handler (plain classes, no ASP.NET) over a guest that exports alloc/free/handle_request; shaped after
// Spin/Extism-like HTTP plugin hosts: the request is copied into a guest buffer, the guest owns the response block and body.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.HeldOut.HttpRequestHandler;

public sealed class HttpRequest
{
    public string Method { get; init; } = "GET";
    public string Path { get; init; } = "/";
    public byte[] Body { get; init; } = Array.Empty<byte>();
}

public sealed class HttpResponse
{
    public int Status { get; set; }
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    public byte[] Body { get; set; } = Array.Empty<byte>();
    public int CookieCount { get; set; }
}

// Per-request context handed to middleware after the guest produced the response.
public sealed class ResponseContext
{
    public nint BodyPointer { get; set; }
    public int BodyOffset { get; set; }
    public int BodyLength { get; set; }
}

public sealed class GuestHttpHandler
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int> _handle;
    private readonly Func<int> _lastStatus;
    private readonly Func<int, int> _headerEntry;
    private readonly Action<int, int> _trace;

    // Keep-alive bookkeeping for conditional requests.
    private int _lastBodyOffset;
    private int _lastBodyLength;
    private nint _lastBodyAddress;

    public GuestHttpHandler(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("no memory export");
        _alloc = instance.GetFunction<int, int>("alloc") ?? throw new InvalidOperationException("alloc");
        _free = instance.GetAction<int>("free") ?? throw new InvalidOperationException("free");
        _handle = instance.GetFunction<int, int, int>("handle_request") ?? throw new InvalidOperationException("handle_request");
        _lastStatus = instance.GetFunction<int>("last_status") ?? throw new InvalidOperationException("last_status");
        _headerEntry = instance.GetFunction<int, int>("header_entry") ?? throw new InvalidOperationException("header_entry");
        _trace = instance.GetAction<int, int>("trace") ?? throw new InvalidOperationException("trace");
    }

    // The guest keeps the status of the last request: every read of this property is a call into it.
    public int LastStatus => _lastStatus();

    // Header i of the last response as "name: value"; the guest decodes it on demand.
    public string this[int index]
    {
        get
        {
            var entry = _headerEntry(index);
            var nameLength = _memory.ReadInt32(entry);
            var valueLength = _memory.ReadInt32(entry + 4);
            var name = _memory.ReadString(entry + 8, nameLength, Encoding.ASCII);
            var value = _memory.ReadString(entry + 8 + nameLength, valueLength, Encoding.UTF8);
            return name + ": " + value;
        }
    }

    public HttpResponse Handle(HttpRequest request)
    {
        var requestLength = EncodedLength(request);
        var requestAddress = _alloc(requestLength);
        var requestView = _memory.GetSpan(requestAddress, requestLength);
        Encode(request, requestView);

        var block = _handle(requestAddress, requestLength);
        _free(requestAddress);
        // Not a use: only the length of the (now stale) request view is read.
        _trace(block, requestView.Length);

        var header = _memory.GetSpan(block, 16);
        var headerCount = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(4, 4));
        var bodyAddress = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(8, 4));
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(12, 4));

        var response = new HttpResponse();
        var body = _memory.GetSpan(bodyAddress, bodyLength);
        response.Status = LastStatus;                       // the property getter calls the guest
        response.Body = body.ToArray(); // expect: WVA001

        for (var i = 0; i < headerCount; i++)
        {
            var line = this[i];                             // the indexer calls the guest too
            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                response.Headers[line[..colon]] = line[(colon + 2)..];
            }
        }

        // Safe: the cookie block is obtained again after the indexer calls, then read at once.
        var cookies = _memory.GetSpan(bodyAddress, Math.Min(bodyLength, 256));
        response.CookieCount = CountSeparators(cookies);

        _lastBodyOffset = bodyAddress;                      // plain offsets, not views
        _lastBodyLength = bodyLength;
        return response;
    }

    // Safe twin of Handle: the body is copied before the status getter runs the guest.
    public HttpResponse HandleCopied(HttpRequest request)
    {
        var requestLength = EncodedLength(request);
        var requestAddress = _alloc(requestLength);
        Encode(request, _memory.GetSpan(requestAddress, requestLength));
        var block = _handle(requestAddress, requestLength);

        var bodyAddress = _memory.ReadInt32(block + 8);
        var bodyLength = _memory.ReadInt32(block + 12);
        var body = _memory.GetSpan(bodyAddress, bodyLength).ToArray();
        _free(requestAddress);
        return new HttpResponse { Status = LastStatus, Body = body };
    }

    public bool NotModified(HttpRequest request, ReadOnlySpan<byte> etag)
    {
        var tagAddress = _alloc(etag.Length);
        var tagView = _memory.GetSpan(tagAddress, etag.Length);
        var requestLength = EncodedLength(request);
        var requestAddress = _alloc(requestLength);         // a second allocation may grow and move memory
        etag.CopyTo(tagView); // expect: WVA001
        Encode(request, _memory.GetSpan(requestAddress, requestLength));
        _handle(requestAddress, requestLength);
        return LastStatus == 304;
    }

    // Safe twin: both buffers are allocated before either view is obtained.
    public bool NotModifiedFixed(HttpRequest request, ReadOnlySpan<byte> etag)
    {
        var requestLength = EncodedLength(request);
        var tagAddress = _alloc(etag.Length);
        var requestAddress = _alloc(requestLength);
        etag.CopyTo(_memory.GetSpan(tagAddress, etag.Length));
        var requestView = _memory.GetSpan(requestAddress, requestLength);
        Encode(request, requestView);
        _handle(requestAddress, requestLength);
        return LastStatus == 304;
    }

    public int Cookies(int blockAddress, int blockLength)
    {
        // The helper traces through the guest first and only then walks the bytes it was given.
        return CountCookies(_memory.GetSpan(blockAddress, blockLength)); // expect: WVA001
    }

    public int CookiesSafe(int blockAddress, int blockLength)
    {
        var block = _memory.GetSpan(blockAddress, blockLength);
        var fingerprint = Fingerprint(block);               // reads first, then calls the guest: fine
        _trace(blockAddress, fingerprint);
        // Not a use: this helper touches only the length of the stale view.
        return EstimateCookies(block);
    }

    public unsafe void RememberBody(int bodyAddress, int bodyLength)
    {
        _lastBodyAddress = (nint)((byte*)_memory.GetPointer() + bodyAddress); // expect: WVA002
        _lastBodyLength = bodyLength;
    }

    public unsafe void Attach(ResponseContext context, int bodyAddress, int bodyLength)
    {
        context.BodyPointer = (nint)((byte*)_memory.GetPointer() + bodyAddress); // expect: WVA002
        context.BodyLength = bodyLength;
    }

    public void AttachOffset(ResponseContext context, int bodyAddress, int bodyLength)
    {
        context.BodyOffset = bodyAddress;
        context.BodyLength = bodyLength;
    }

    public (string Header, byte[] Body) FirstHeaderWithBody(int bodyAddress, int bodyLength)
    {
        var body = _memory.GetSpan(bodyAddress, bodyLength);
        var first = this[0];                                // the indexer's getter calls the guest
        return (first, body.ToArray()); // expect: WVA001
    }

    public (string Header, byte[] Body) FirstHeaderThenBody(int bodyAddress, int bodyLength)
    {
        var first = this[0];
        var body = _memory.GetSpan(bodyAddress, bodyLength);
        return (first, body.ToArray());
    }

    public void RememberBodyOffset(int bodyAddress, int bodyLength)
    {
        _lastBodyOffset = bodyAddress;                      // the guest offset survives calls and grows
        _lastBodyLength = bodyLength;
    }

    public byte[] LastBody() => _memory.GetSpan(_lastBodyOffset, _lastBodyLength).ToArray();

    public bool HasRememberedPointer => _lastBodyAddress != 0;

    // Reads its argument after a guest call of its own: reported at the caller's call, not here (the
    // parameter is not a view inside this method).
    private int CountCookies(ReadOnlySpan<byte> headerBlock)
    {
        _trace(0, headerBlock.Length);
        var count = 0;
        foreach (var b in headerBlock)
        {
            if (b == (byte)';')
            {
                count++;
            }
        }

        return count + 1;
    }

    private int EstimateCookies(ReadOnlySpan<byte> headerBlock)
    {
        _trace(1, headerBlock.Length);
        return headerBlock.Length / 24;
    }

    private int Fingerprint(ReadOnlySpan<byte> block)
    {
        var hash = 17;
        foreach (var b in block)
        {
            hash = hash * 31 + b;
        }

        _trace(2, hash);
        return hash;
    }

    private static int CountSeparators(ReadOnlySpan<byte> bytes)
    {
        var n = 0;
        foreach (var b in bytes)
        {
            if (b == (byte)';')
            {
                n++;
            }
        }

        return n;
    }

    private static int EncodedLength(HttpRequest request)
        => 8 + Encoding.UTF8.GetByteCount(request.Method) + Encoding.UTF8.GetByteCount(request.Path) + request.Body.Length;

    private static void Encode(HttpRequest request, Span<byte> destination)
    {
        var methodLength = Encoding.UTF8.GetBytes(request.Method, destination[8..]);
        var pathLength = Encoding.UTF8.GetBytes(request.Path, destination[(8 + methodLength)..]);
        BinaryPrimitives.WriteInt32LittleEndian(destination, methodLength);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], pathLength);
        request.Body.CopyTo(destination[(8 + methodLength + pathLength)..]);
    }
}
