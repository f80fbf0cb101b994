// Log ingestion that streams guest-decoded records to consumers as IEnumerable / IAsyncEnumerable, like hosts that expose a
// guest parser (a next_record export) as a stream of records; the iterators are view sources for whoever enumerates them.
using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.HeldOut.AsyncStreamIngest;

internal sealed unsafe class RecordMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    private RecordMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public static ReadOnlyMemory<byte> Over(Memory memory, int address, int length)
        => new RecordMemory((byte*)memory.GetPointer() + address, length).Memory;

    public override Span<byte> GetSpan() => new Span<byte>(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed class RecordStream
{
    private readonly Memory _memory;
    private readonly Func<int> _next;
    private readonly Func<int> _recordLength;
    private readonly Func<int> _header;

    public RecordStream(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _next = instance.GetFunction<int>("next_record") ?? throw new InvalidOperationException("next_record");
        _recordLength = instance.GetFunction<int>("record_length") ?? throw new InvalidOperationException("record_length");
        _header = instance.GetFunction<int>("header") ?? throw new InvalidOperationException("header");
    }

    // Yields views: each element is fresh until the consumer asks for the next one (next_record runs then).
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadViewsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var address = _next();
            if (address == 0)
            {
                yield break;
            }

            yield return RecordMemory.Over(_memory, address, _recordLength());
            await Task.Yield();
        }
    }

    public IEnumerable<ReadOnlyMemory<byte>> ReadViews()
    {
        for (var address = _next(); address != 0; address = _next())
        {
            yield return RecordMemory.Over(_memory, address, _recordLength());
        }
    }

    public IEnumerable<byte[]> ReadCopies()
    {
        for (var address = _next(); address != 0; address = _next())
        {
            yield return RecordMemory.Over(_memory, address, _recordLength()).ToArray();
        }
    }

    public IEnumerable<int> HeaderFields()
    {
        var header = RecordMemory.Over(_memory, _header(), 8);
        yield return header.Length;                         // Length only
        // The consumer may call the guest between the two yields.
        yield return BinaryPrimitives.ReadInt32LittleEndian(header.Span); // expect: WVA001
    }

    public IEnumerable<int> HeaderFieldsCopied()
    {
        var header = RecordMemory.Over(_memory, _header(), 8).ToArray();
        yield return header.Length;
        yield return BinaryPrimitives.ReadInt32LittleEndian(header);
    }

    public IEnumerable<int> HeaderFieldsReacquired()
    {
        var address = _header();
        yield return 8;
        var header = RecordMemory.Over(_memory, address, 8);   // obtained after the yield
        yield return BinaryPrimitives.ReadInt32LittleEndian(header.Span);
    }
}

public static class IngestConsumers
{
    public static async Task<long> CountErrorsAsync(RecordStream stream, Stream audit)
    {
        long errors = 0;
        await foreach (var record in stream.ReadViewsAsync())
        {
            await audit.WriteAsync(BitConverter.GetBytes(errors));
            if (record.Span[0] == (byte)'E') errors++; // expect: WVA001
        }

        return errors;
    }

    public static async Task<long> CountErrorsInOrderAsync(RecordStream stream, Stream audit)
    {
        long errors = 0;
        await foreach (var record in stream.ReadViewsAsync())
        {
            var isError = !record.IsEmpty && record.Span[0] == (byte)'E';   // read before the await
            await audit.WriteAsync(BitConverter.GetBytes(errors));
            if (isError)
            {
                errors++;
            }
        }

        return errors;
    }

    public static int FirstLevel(RecordStream stream)
    {
        // ToList runs the iterator to the end: next_record ran after every element but the last was yielded.
        var all = stream.ReadViews().ToList();
        return all.Count == 0 ? -1 : all[0].Span[0]; // expect: WVA001
    }

    public static int FirstLevelStreaming(RecordStream stream)
    {
        // Each element is read by the selector before the iterator moves on.
        var levels = stream.ReadViews().Select(r => r.IsEmpty ? -1 : (int)r.Span[0]).ToList();
        return levels.Count == 0 ? -1 : levels[0];
    }

    public static int FirstLevelCopied(RecordStream stream)
    {
        var all = stream.ReadCopies().ToList();
        return all.Count == 0 ? -1 : all[0][0];
    }

    public static long TotalBytes(RecordStream stream)
    {
        long total = 0;
        ReadOnlyMemory<byte> previous = default;
        foreach (var record in stream.ReadViews())
        {
            total += record.Length + previous.Length;       // lengths only
            previous = record;
        }

        return total;
    }

    public static int CompareWithPrevious(RecordStream stream)
    {
        var changes = 0;
        ReadOnlyMemory<byte> previous = default;
        foreach (var record in stream.ReadViews())
        {
            if (!previous.IsEmpty && !previous.Span.SequenceEqual(record.Span)) changes++; // expect: WVA001
            previous = record;
        }

        return changes;
    }
}
