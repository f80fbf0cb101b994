// HTTP middleware filter host in the proxy-wasm style: the guest filter pulls headers and body chunks through host
// callbacks (proxy_get_buffer_bytes, proxy_log) and the host calls on_request_headers/on_request_body. Shape: proxy-wasm hosts, wasmtime-dotnet Caller tests.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Spring.ProxyFilterHost;

public sealed class FilterContext
{
    public nint LastBodyChunk;
    public int LastBodyLength;
    public string? RouteOverride;
    public int Status;
}

public enum FilterAction { Continue = 0, Pause = 1 }

public sealed unsafe class ProxyFilter : IDisposable
{
    private readonly Store _store;
    private readonly Instance _instance;
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int> _onRequestHeaders;
    private readonly Func<int, int, int, int> _onRequestBody;
    private readonly Dictionary<string, (int Offset, int Length)> _interned = new();
    private nint _headerBlock;
    private int _headerBlockLength;

    public ProxyFilter(Engine engine, Module module)
    {
        _store = new Store(engine, new FilterContext());
        var linker = new Linker(engine);
        linker.DefineFunction("env", "proxy_log", (Caller caller, int level, int ptr, int len) =>
        {
            // Safe: the message is copied into a string while the callback runs.
            var text = caller.GetMemory("memory")!.ReadString(ptr, len, Encoding.UTF8);
            Console.WriteLine($"[filter:{level}] {text}");
        });
        linker.DefineFunction("env", "proxy_set_route", (Caller caller, int ptr, int len) =>
        {
            if (caller.TryGetMemorySpan<byte>("memory", ptr, len, out var route))
            {
                ((FilterContext)caller.GetData()!).RouteOverride = Encoding.ASCII.GetString(route);
            }
        });
        linker.DefineFunction("env", "proxy_keep_body", (Caller caller, int ptr, int len) =>
        {
            var data = (FilterContext)caller.GetData()!;
            // The store's data object outlives the callback: the pointer is read after the guest returns.
            data.LastBodyChunk = caller.GetMemory("memory")!.GetPointer() + ptr; // expect: WVA002
            data.LastBodyLength = len;
        });
        linker.DefineFunction("env", "proxy_get_buffer_bytes", (Caller caller, int kind, int start, int max, int retPtrPtr) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", retPtrPtr, 8, out var ret))
            {
                return 1;
            }
            var body = ((FilterContext)caller.GetData()!).RouteOverride ?? string.Empty;
            var size = Math.Min(max, Encoding.UTF8.GetByteCount(body));
            var alloc = caller.GetFunction("proxy_on_memory_allocate")!;
            var address = (int)alloc.Invoke(size)!;
            // 'ret' was obtained before the guest allocator ran: it may have grown memory.
            BinaryPrimitives.WriteInt32LittleEndian(ret, address); // expect: WVA001
            if (caller.TryGetMemorySpan<byte>("memory", address, size, out var target))
            {
                // Safe: obtained after the allocation.
                Encoding.UTF8.GetBytes(body.AsSpan(0, Math.Min(body.Length, size)), target);
            }
            return 0;
        });

        _instance = linker.Instantiate(_store, module);
        _memory = _instance.GetMemory("memory")!;
        _malloc = _instance.GetFunction<int, int>("proxy_on_memory_allocate")!;
        _free = _instance.GetAction<int>("proxy_free")!;
        _onRequestHeaders = _instance.GetFunction<int, int, int>("proxy_on_request_headers")!;
        _onRequestBody = _instance.GetFunction<int, int, int, int>("proxy_on_request_body")!;
    }

    public FilterContext Context => (FilterContext)_store.GetData()!;

    private int Intern(string text)
    {
        if (_interned.TryGetValue(text, out var known))
        {
            return known.Offset;
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        var offset = _malloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(offset, bytes.Length));
        _interned[text] = (offset, bytes.Length);
        return offset;
    }

    public FilterAction OnHeaders(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var size = 4;
        foreach (var (k, v) in headers) size += 8 + Encoding.UTF8.GetByteCount(k) + Encoding.UTF8.GetByteCount(v) + 2;
        var block = _malloc(size);
        var map = _memory.GetSpan(block, size);
        BinaryPrimitives.WriteInt32LittleEndian(map, headers.Count);
        var cursor = 4 + headers.Count * 8;
        for (var i = 0; i < headers.Count; i++)
        {
            var k = Encoding.UTF8.GetBytes(headers[i].Key);
            var v = Encoding.UTF8.GetBytes(headers[i].Value);
            BinaryPrimitives.WriteInt32LittleEndian(map.Slice(4 + i * 8), k.Length);
            BinaryPrimitives.WriteInt32LittleEndian(map.Slice(8 + i * 8), v.Length);
            k.CopyTo(map.Slice(cursor)); cursor += k.Length + 1;
            v.CopyTo(map.Slice(cursor)); cursor += v.Length + 1;
        }
        // The header map block is kept for the body phase: a raw pointer in a private field.
        _headerBlock = _memory.GetPointer() + block; // expect: WVA002
        _headerBlockLength = size;

        var action = (FilterAction)_onRequestHeaders(block, headers.Count);
        // Safe: only the length of the stale map is read.
        Console.WriteLine($"header block of {map.Length} bytes, action {action}");
        if (action == FilterAction.Pause)
        {
            // The filter may rewrite header 0 in place; the map is read after on_request_headers ran.
            var firstKeyLength = BinaryPrimitives.ReadInt32LittleEndian(map.Slice(4)); // expect: WVA001
            Console.WriteLine($"paused; first key is {firstKeyLength} bytes");
        }
        return action;
    }

    public FilterAction OnBody(ReadOnlySpan<byte> chunk, bool endOfStream)
    {
        var routeOffset = Intern("/upstream");
        var address = _malloc(chunk.Length);
        var guestChunk = _memory.GetSpan(address, chunk.Length);
        chunk.CopyTo(guestChunk);
        var result = (FilterAction)_onRequestBody(address, chunk.Length, endOfStream ? 1 : 0);
        // Safe: obtained again after on_request_body, from the offset.
        guestChunk = _memory.GetSpan(address, chunk.Length);
        var changed = !guestChunk.SequenceEqual(chunk);
        _free(address);
        // Different object, different method: the field was written in OnHeaders and is not WVA001 here (WVA002 covers the store).
        var headerBytes = new ReadOnlySpan<byte>((void*)_headerBlock, _headerBlockLength).ToArray();
        Console.WriteLine($"body changed={changed}, headers={headerBytes.Length}, route at {routeOffset}");
        return result;
    }

    public byte[] TakeKeptBody()
    {
        var data = Context;
        if (data.LastBodyChunk == 0)
        {
            return Array.Empty<byte>();
        }
        // Another method reads what the callback kept: the escape is reported where it was stored.
        return new ReadOnlySpan<byte>((void*)data.LastBodyChunk, data.LastBodyLength).ToArray();
    }

    public void Dispose() => _store.Dispose();
}
