// ETL pipeline host: a row transformer compiled to wasm (CSV in, normalized records out) feeds channel stages, iterators and
// async streams. Shape from data-pipeline hosts that run user transforms in wasm between channel readers and writers.
using System;
using System.Buffers;
using System.IO.Compression;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Fresh.CsvEtlPipeline;

internal sealed unsafe class RecordMemory(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public sealed class RowTransformer(Instance instance)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("alloc")!;
    private readonly Func<int, int, int> _transform = instance.GetFunction<int, int, int>("transform_row")!;
    private readonly Func<int> _recordLength = instance.GetFunction<int>("record_length")!;

    // Runs the transform and returns a view of the record it produced (the next row reuses that buffer).
    public unsafe ReadOnlyMemory<byte> TransformOne(byte[] row)
    {
        int input = _alloc(row.Length);
        row.CopyTo(_memory.GetSpan(input, row.Length));
        int record = _transform(input, row.Length);
        int length = _recordLength();
        return new RecordMemory((byte*)_memory.GetPointer() + record, length).Memory;
    }

    public unsafe Stream OpenBatch(int address, int length) => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);

    public IEnumerable<ReadOnlyMemory<byte>> TransformRows(IEnumerable<byte[]> rows)
    {
        foreach (byte[] row in rows)
        {
            yield return TransformOne(row);
        }
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> TransformRowsAsync(ChannelReader<byte[]> rows, [EnumeratorCancellation] CancellationToken token = default)
    {
        await foreach (byte[] row in rows.ReadAllAsync(token))
        {
            yield return TransformOne(row);
        }
    }
}

public sealed class EtlPipeline(RowTransformer transformer)
{
    private readonly Channel<ReadOnlyMemory<byte>> _records = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
    private readonly Channel<byte[]> _copiedRecords = Channel.CreateUnbounded<byte[]>();

    public void WriteStreaming(IEnumerable<byte[]> rows, Stream sink)
    {
        foreach (ReadOnlyMemory<byte> record in transformer.TransformRows(rows))
        {
            sink.Write(record.Span); // written before the iterator runs the next transform
        }
    }

    public void WriteMaterialized(IEnumerable<byte[]> rows, Stream sink)
    {
        // ToList runs every transform first; the list is walked afterwards without running the guest again.
        List<ReadOnlyMemory<byte>> records = transformer.TransformRows(rows).ToList();
        foreach (ReadOnlyMemory<byte> record in records)
        {
            sink.Write(record.Span); // expect: WVA001
        }
    }

    public void WriteFirst(IEnumerable<byte[]> rows, Stream sink)
    {
        ReadOnlyMemory<byte> first = transformer.TransformRows(rows).First(); // one transform, then the view
        sink.Write(first.Span);
    }

    public void WriteMaterializedCopies(IEnumerable<byte[]> rows, Stream sink)
    {
        List<byte[]> records = transformer.TransformRows(rows).Select(r => r.ToArray()).ToList(); // copied as they come
        records.ForEach(record => sink.Write(record));
    }

    public async Task ProduceAsync(ChannelReader<byte[]> rows, CancellationToken token)
    {
        await foreach (ReadOnlyMemory<byte> record in transformer.TransformRowsAsync(rows, token))
        {
            byte[] copy = record.ToArray(); // copied before anything awaits
            await _records.Writer.WriteAsync(record, token); // expect: WVA002
            await _copiedRecords.Writer.WriteAsync(copy, token);
        }
        _records.Writer.Complete();
        _copiedRecords.Writer.Complete();
    }

    public async Task<int> BufferAsync(ChannelReader<byte[]> rows, Stream sink, CancellationToken token)
    {
        var buffered = new List<ReadOnlyMemory<byte>>();
        await foreach (ReadOnlyMemory<byte> record in transformer.TransformRowsAsync(rows, token).ConfigureAwait(false))
        {
            buffered.Add(record); // expect: WVA002
        }
        foreach (ReadOnlyMemory<byte> record in buffered)
        {
            await sink.WriteAsync(record, token); // expect: WVA001
        }
        return buffered.Count;
    }

    public async Task<long> DrainCopiesAsync(Stream sink, CancellationToken token)
    {
        long total = 0;
        await foreach (byte[] record in _copiedRecords.Reader.ReadAllAsync(token))
        {
            await sink.WriteAsync(record, token);
            total += record.Length;
        }
        return total;
    }

    public (int Count, int FirstId) ReadBatchHeader(int address, int length, byte[] nextRow)
    {
        using var reader = new BinaryReader(transformer.OpenBatch(address, length));
        int count = reader.ReadInt32(); // fresh
        transformer.TransformOne(nextRow); // the transform reuses the batch buffer
        int firstId = reader.ReadInt32(); // expect: WVA001
        return (count, firstId);
    }

    public (int Count, int FirstId) ReadBatchHeaderFirst(int address, int length, byte[] nextRow)
    {
        int count, firstId;
        using (var reader = new BinaryReader(transformer.OpenBatch(address, length)))
        {
            count = reader.ReadInt32();
            firstId = reader.ReadInt32();
        }
        transformer.TransformOne(nextRow);
        return (count, firstId);
    }

    public async Task ArchiveBatchAsync(int address, int length, byte[] nextRow, Stream destination)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        Stream batch = transformer.OpenBatch(address, length);
        Task copy = batch.CopyToAsync(gzip); // expect: WVA003
        transformer.TransformOne(nextRow); // runs while the copy may still be reading the batch
        await copy;
    }

    public async Task ArchiveBatchAwaitedAsync(int address, int length, byte[] nextRow, Stream destination)
    {
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        Stream batch = transformer.OpenBatch(address, length);
        await batch.CopyToAsync(gzip); // expect: WVA004
        transformer.TransformOne(nextRow);
    }
}
