// Serverless function runner: HTTP-like requests dispatched to wasm handlers, responses streamed back through channels
// and async streams. Shape from Spin/Fermyon-style runners (request in guest memory, response offset+length out).
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Fresh.ServerlessRunner;

public sealed class FunctionRequest
{
    public string Id { get; init; } = "";
    public string Function { get; init; } = "";
    public byte[] Body { get; init; } = [];
}

public sealed class FunctionResponse
{
    public int Status { get; set; }
    public Stream Body { get; } = new MemoryStream();
}

public interface IResponseArchive
{
    void Store(string id, ReadOnlySpan<byte> body);
}

public sealed class Metrics
{
    public void Record(int bytes) => Interlocked.Add(ref _bytes, bytes);
    private long _bytes;
}

internal sealed unsafe class ResponseMemory(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public sealed class FunctionInvoker(Instance instance)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("cabi_alloc")!;
    private readonly Func<int> _responseLength = instance.GetFunction<int>("response_length")!;
    private readonly Func<int, int> _nextChunk = instance.GetFunction<int, int>("next_chunk")!;

    // Runs the handler and returns a view of its response: valid until the next call into this instance.
    public unsafe ReadOnlyMemory<byte> InvokeRaw(string function, byte[] body)
    {
        int request = _alloc(body.Length);
        body.CopyTo(_memory.GetSpan(request, body.Length));
        int response = instance.GetFunction<int, int, int>(function)!(request, body.Length);
        int length = _responseLength();
        return new ResponseMemory((byte*)_memory.GetPointer() + response, length).Memory;
    }

    public unsafe ReadOnlyMemory<byte> NextChunk(int stream, out bool done)
    {
        int chunk = _nextChunk(stream);
        done = chunk == 0;
        int length = done ? 0 : _responseLength();
        return new ResponseMemory((byte*)_memory.GetPointer() + chunk, length).Memory;
    }
}

public sealed class FunctionRunner(FunctionInvoker invoker, IResponseArchive archive, Metrics metrics)
{
    private readonly Channel<(string RequestId, ReadOnlyMemory<byte> Body)> _responses =
        Channel.CreateBounded<(string, ReadOnlyMemory<byte>)>(64);
    private readonly Channel<(string RequestId, byte[] Body)> _copiedResponses =
        Channel.CreateBounded<(string, byte[])>(64);
    private readonly Stream _auditLog = Stream.Null;

    public async Task HandleAsync(FunctionRequest request, FunctionResponse response)
    {
        ReadOnlyMemory<byte> body = invoker.InvokeRaw(request.Function, request.Body);
        response.Status = 200;
        await response.Body.WriteAsync(body); // read in full before the await completes
        await _auditLog.FlushAsync(); // other requests may run the guest meanwhile
        Console.WriteLine($"{request.Id}: first byte {body.Span[0]}"); // expect: WVA001
    }

    public async Task HandleCopiedAsync(FunctionRequest request, FunctionResponse response)
    {
        byte[] body = invoker.InvokeRaw(request.Function, request.Body).ToArray();
        await response.Body.WriteAsync(body);
        await _auditLog.FlushAsync();
        Console.WriteLine($"{request.Id}: first byte {body[0]}");
    }

    public async Task EnqueueAsync(FunctionRequest request)
    {
        ReadOnlyMemory<byte> body = invoker.InvokeRaw(request.Function, request.Body);
        await _responses.Writer.WriteAsync((request.Id, body)); // expect: WVA002
    }

    public async Task EnqueueCopyAsync(FunctionRequest request)
    {
        ReadOnlyMemory<byte> body = invoker.InvokeRaw(request.Function, request.Body);
        await _copiedResponses.Writer.WriteAsync((request.Id, body.ToArray()));
    }

    public void HandleFireAndForget(FunctionRequest request, CancellationToken token)
    {
        ReadOnlyMemory<byte> body = invoker.InvokeRaw(request.Function, request.Body);
        int length = body.Length;
        _ = Task.Run(() => metrics.Record(length)); // captures an int
        _ = Task.Run(() => archive.Store(request.Id, body.Span)); // expect: WVA002
        token.Register(() => Console.WriteLine(Encoding.UTF8.GetString(body.Span))); // expect: WVA002
        archive.Store(request.Id, body.Span); // the archive reads it during the call, while fresh
    }

    public void HandleBatch(IReadOnlyList<FunctionRequest> requests, Stream sink)
    {
        var outputs = new List<ReadOnlyMemory<byte>>();
        foreach (FunctionRequest request in requests)
        {
            outputs.Add(invoker.InvokeRaw(request.Function, request.Body)); // expect: WVA002
        }
        foreach (ReadOnlyMemory<byte> output in outputs)
        {
            sink.Write(output.Span); // expect: WVA001
        }
    }

    public void HandleBatchStreaming(IReadOnlyList<FunctionRequest> requests, Stream sink)
    {
        ReadOnlyMemory<byte> current = default; // one local reused across turns, assigned before each read
        foreach (FunctionRequest request in requests)
        {
            current = invoker.InvokeRaw(request.Function, request.Body);
            sink.Write(current.Span); // written before the next request runs
        }
    }

    public int TotalLength(IReadOnlyList<FunctionRequest> requests)
    {
        // Each Select lambda runs the guest and reads only the length of what it got: no guest bytes are read.
        return requests.Select(r => invoker.InvokeRaw(r.Function, r.Body).Length).Sum();
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> StreamChunksAsync(int stream, [EnumeratorCancellation] CancellationToken token = default)
    {
        while (!token.IsCancellationRequested)
        {
            ReadOnlyMemory<byte> chunk = invoker.NextChunk(stream, out bool done);
            if (done)
            {
                yield break;
            }
            yield return chunk; // a view for whoever enumerates, fresh at each MoveNext
            await Task.Yield();
        }
    }

    public async Task RelayAsync(int stream, Stream socket)
    {
        await foreach (ReadOnlyMemory<byte> chunk in StreamChunksAsync(stream))
        {
            await socket.WriteAsync(chunk); // used before the next MoveNext
        }
    }

    public async Task RelayWithTrailerAsync(int stream, Stream socket)
    {
        ReadOnlyMemory<byte> first = default;
        await foreach (ReadOnlyMemory<byte> chunk in StreamChunksAsync(stream))
        {
            if (first.IsEmpty)
            {
                first = chunk;
            }
            await socket.WriteAsync(chunk);
        }
        await socket.WriteAsync(first); // expect: WVA001
    }
}
