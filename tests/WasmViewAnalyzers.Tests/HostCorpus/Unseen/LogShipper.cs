// A log shipper batching records: a guest transform (a VRL/Fluent-Bit-style filter compiled to wasm) reformats each
// record into its output buffer; the host batches records through Channel<T> and ships gzip'd batches over a stream.
using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Unseen.LogShipper;

public readonly record struct LogBatch(int Count, ReadOnlyMemory<byte> Body);

internal sealed unsafe class RecordMemory(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed class LogShipper(Instance instance, Stream sink)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("alloc")!;
    private readonly Func<int, int, int> _transform = instance.GetFunction<int, int, int>("transform")!;
    private readonly Func<int> _outputLength = instance.GetFunction<int>("output_length")!;
    private readonly Channel<ReadOnlyMemory<byte>> _views = Channel.CreateBounded<ReadOnlyMemory<byte>>(1024);
    private readonly Channel<byte[]> _copies = Channel.CreateUnbounded<byte[]>();
    private LogBatch _lastBatch;
    private Timer? _retry;

    private unsafe ReadOnlyMemory<byte> OutputView(int address, int length) =>
        new RecordMemory((byte*)_memory.GetPointer() + address, length).Memory;

    private int Transform(string line)
    {
        int length = Encoding.UTF8.GetByteCount(line);
        int input = _alloc(length);
        Encoding.UTF8.GetBytes(line, _memory.GetSpan(input, length));
        return _transform(input, length);
    }

    public bool Accept(string line)
    {
        int output = Transform(line);
        return _views.Writer.TryWrite(OutputView(output, _outputLength())); // expect: WVA002
    }

    public bool AcceptCopy(string line)
    {
        int output = Transform(line);
        return _copies.Writer.TryWrite(_memory.GetSpan(output, _outputLength()).ToArray());
    }

    public async ValueTask AcceptAsync(string line, CancellationToken ct)
    {
        int output = Transform(line);
        await _views.Writer.WriteAsync(OutputView(output, _outputLength()), ct); // expect: WVA002
    }

    public async Task ShipNowAsync(string line, CancellationToken ct)
    {
        int output = Transform(line);
        ReadOnlyMemory<byte> formatted = OutputView(output, _outputLength());
        await using (var gzip = new GZipStream(sink, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(formatted, ct); // expect: WVA004
        }
    }

    public async Task ShipPairAsync(string first, string second, CancellationToken ct)
    {
        await using var gzip = new GZipStream(sink, CompressionLevel.Fastest, leaveOpen: true);
        ReadOnlyMemory<byte> formatted = OutputView(Transform(first), _outputLength());
        // The write runs in the background while the next record is transformed in the guest.
        ValueTask write = gzip.WriteAsync(formatted, ct); // expect: WVA003
        int next = Transform(second);
        await write;
        await gzip.WriteAsync(_memory.GetSpan(next, _outputLength()).ToArray(), ct);
    }

    public async Task ShipPairAwaitedAsync(string first, string second, CancellationToken ct)
    {
        await using var gzip = new GZipStream(sink, CompressionLevel.Fastest, leaveOpen: true);
        ReadOnlyMemory<byte> formatted = OutputView(Transform(first), _outputLength());
        ValueTask write = gzip.WriteAsync(formatted, ct); // expect: WVA004
        // Awaited before the guest runs again: an ordinary direct write into the compressor.
        await write;
        int next = Transform(second);
        await gzip.WriteAsync(_memory.GetSpan(next, _outputLength()).ToArray(), ct);
    }

    public async Task ForwardAsync(string line, CancellationToken ct)
    {
        ReadOnlyMemory<byte> record = OutputView(Transform(line), _outputLength());
        await sink.FlushAsync(ct);
        await sink.WriteAsync(record, ct); // expect: WVA001
    }

    public async Task ForwardCopiedAsync(string line, CancellationToken ct)
    {
        ReadOnlyMemory<byte> record = OutputView(Transform(line), _outputLength()).ToArray();
        await sink.FlushAsync(ct);
        await sink.WriteAsync(record, ct);
    }

    public async Task ForwardPrefetchedAsync(string line, string next, CancellationToken ct)
    {
        Task<ReadOnlyMemory<byte>> formatted = Task.FromResult(OutputView(Transform(line), _outputLength()));
        int following = Transform(next);
        ReadOnlyMemory<byte> record = await formatted;
        // The task carried a view taken before the next record was transformed.
        await sink.WriteAsync(record, ct); // expect: WVA001
        await sink.WriteAsync(_memory.GetSpan(following, _outputLength()).ToArray(), ct);
    }

    public void EchoInBackground(string line)
    {
        ReadOnlyMemory<byte> record = OutputView(Transform(line), _outputLength());
        ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(Encoding.UTF8.GetString(record.Span))); // expect: WVA002
    }

    public void EchoNow(string line)
    {
        ReadOnlyMemory<byte> record = OutputView(Transform(line), _outputLength());
        string text = Encoding.UTF8.GetString(record.Span);
        ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(text));
    }

    public void RetryLater(string line)
    {
        ReadOnlyMemory<byte> record = OutputView(Transform(line), _outputLength());
        _retry = new Timer(_ => sink.Write(record.Span), null, 1000, Timeout.Infinite); // expect: WVA002
    }

    public void Batch(string[] lines)
    {
        var body = new ArrayBufferWriter<byte>();
        foreach (string line in lines)
        {
            int output = Transform(line);
            body.Write(_memory.GetSpan(output, _outputLength()));
        }

        ReadOnlyMemory<byte> last = OutputView(Transform("-- end --"), _outputLength());
        var local = new LogBatch(lines.Length, last);
        // A batch built here and read here: the view never leaves the method.
        sink.Write(local.Body.Span);
        _lastBatch = new LogBatch(lines.Length, body.WrittenMemory);
    }

    public void BatchKeepingView(string line)
    {
        ReadOnlyMemory<byte> only = OutputView(Transform(line), _outputLength());
        var batch = new LogBatch(1, only);
        _lastBatch = batch; // expect: WVA002
    }

    public int LastBatchCount => _lastBatch.Count;

    public async Task DrainAsync(Stream network, CancellationToken ct)
    {
        // Records read out of a field channel filled by other methods: their escape is the finding.
        while (_views.Reader.TryRead(out ReadOnlyMemory<byte> record))
        {
            await network.WriteAsync(record, ct);
        }

        while (_copies.Reader.TryRead(out byte[]? copy))
        {
            await network.WriteAsync(copy, ct);
        }
    }
}
