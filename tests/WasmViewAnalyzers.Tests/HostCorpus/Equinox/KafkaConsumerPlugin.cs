using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Equinox.KafkaConsumerPlugin;

public sealed record ConsumerRecord(string Topic, int Partition, long Offset, byte[] Key, byte[] Value);

public readonly record struct TransformedRecord(long Offset, nint Payload, int Length);

internal sealed unsafe class GuestRegion(byte* start, int length) : MemoryManager<byte>
{
    public static GuestRegion Over(Memory memory, int address, int length) => new((byte*)memory.GetPointer() + address, length);

    public override Span<byte> GetSpan() => new(start, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

/// <summary>A stream-processing consumer whose per-record transform is a wasm plugin (SMT-style).</summary>
public sealed class TransformPluginConsumer(Instance instance, ChannelWriter<ReadOnlyMemory<byte>> downstream)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _malloc = instance.GetFunction<int, int>("malloc")!;
    private readonly Func<int, int, long, int> _transform = instance.GetFunction<int, int, long, int>("transform")!;
    private readonly Func<int> _outputLength = instance.GetFunction<int>("output_length")!;
    private readonly Action<int> _free = instance.GetAction<int>("free")!;
    private readonly Channel<TransformedRecord> _pendingCommits = Channel.CreateUnbounded<TransformedRecord>();
    private long _committed;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ReadOnlyMemory<byte>> _latestByTopic = new();

    public event EventHandler? Transformed;

    public long Committed => Interlocked.Read(ref _committed);

    private int Stage(ConsumerRecord record)
    {
        var address = _malloc(record.Value.Length);
        record.Value.CopyTo(_memory.GetSpan(address, record.Value.Length));
        return address;
    }

    public async Task ConsumeAsync(IAsyncEnumerable<ConsumerRecord> records, CancellationToken cancellationToken)
    {
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            var input = Stage(record);
            var output = _transform(input, record.Value.Length, record.Offset);
            var length = _outputLength();
            var region = GuestRegion.Over(_memory, output, length);

            await downstream.WriteAsync(region.Memory, cancellationToken); // expect: WVA002
            _free(input);
        }
    }

    public async Task ConsumeCopiedAsync(IAsyncEnumerable<ConsumerRecord> records, CancellationToken cancellationToken)
    {
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            var input = Stage(record);
            var output = _transform(input, record.Value.Length, record.Offset);
            var bytes = _memory.GetSpan(output, _outputLength()).ToArray();
            _free(input);
            await downstream.WriteAsync(bytes, cancellationToken);
        }
    }

    public async Task<int> ForwardWithHeaderAsync(ConsumerRecord record, Stream sink, CancellationToken cancellationToken)
    {
        var input = Stage(record);
        var output = _transform(input, record.Value.Length, record.Offset);
        var length = _outputLength();
        var payload = GuestRegion.Over(_memory, output, length).Memory;

        await sink.WriteAsync(Encoding.ASCII.GetBytes($"{record.Topic}:{record.Partition}\n"), cancellationToken);
        await sink.WriteAsync(payload, cancellationToken); // expect: WVA001
        return payload.Length;
    }

    public async Task StageCommitAsync(ConsumerRecord record)
    {
        var input = Stage(record);
        var output = _transform(input, record.Value.Length, record.Offset);
        var pointer = _memory.GetPointer() + output;
        var length = _outputLength();

        // lead: WVA001 added: the pointer is already stale (after _outputLength) when it is kept: the page's "one use,
        // two diagnostics".
        await _pendingCommits.Writer.WriteAsync(new TransformedRecord(record.Offset, pointer, length)); // expect: WVA001, WVA002
    }

    public async IAsyncEnumerable<string> DescribeAsync(IAsyncEnumerable<ConsumerRecord> records, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            var input = Stage(record);
            var output = _transform(input, record.Value.Length, record.Offset);
            var length = _outputLength();
            var text = Encoding.UTF8.GetString(_memory.GetSpan(output, length));
            _free(input);
            yield return text;
        }
    }

    private static unsafe byte ReadByteAt(nint address) => *(byte*)address;

    public async Task<long> ChecksumAsync(ConsumerRecord record)
    {
        var input = Stage(record);
        var output = _transform(input, record.Value.Length, record.Offset);
        var at = _memory.GetPointer() + output;
        var first = ReadByteAt(at);
        await Task.Yield();
        long sum = first;
        var length = _outputLength();
        for (var i = 1; i < length; i++)
        {
            sum += ReadByteAt(at + i); // expect: WVA001
        }

        Interlocked.Exchange(ref _committed, record.Offset);
        return sum;
    }

    public void Observe(ConsumerRecord record)
    {
        var input = Stage(record);
        var output = _transform(input, record.Value.Length, record.Offset);
        var length = _outputLength();
        var region = GuestRegion.Over(_memory, output, length);
        Transformed += (_, _) => Console.WriteLine(region.Memory.Span[0]); // expect: WVA002
        _latestByTopic.AddOrUpdate(record.Topic, region.Memory, (_, _) => region.Memory); // expect: WVA002
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> OutputsAsync(IAsyncEnumerable<ConsumerRecord> records)
    {
        await foreach (var record in records)
        {
            var input = Stage(record);
            var output = _transform(input, record.Value.Length, record.Offset);
            var length = _outputLength();
            yield return GuestRegion.Over(_memory, output, length).Memory;
        }
    }

    public async Task<int> CountNonEmptyAsync(IAsyncEnumerable<ConsumerRecord> records)
    {
        var count = 0;
        await foreach (var output in OutputsAsync(records))
        {
            _free(0);
            if (!output.IsEmpty && output.Span[0] != 0) // expect: WVA001
            {
                count++;
            }
        }

        return count;
    }
}
