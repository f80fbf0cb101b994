// ETL tool that runs sandboxed user-defined functions in wasm over record batches, with channels and async streams between stages.
// Shape inspired by Extism-style plugin calls (input/output buffers per call) and System.Threading.Channels pipelines.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Late.EtlUdfRunner;

public readonly record struct UdfOutput(nint Address, int Length);

public abstract class UdfBackend
{
    public abstract Span<byte> Output(int length);
    public abstract int Apply(int inputPtr, int inputLength);
    public abstract int Stage(ReadOnlySpan<byte> input);
}

public sealed class WasmtimeUdfBackend : UdfBackend
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _apply;
    private readonly Func<int, int> _alloc;

    public WasmtimeUdfBackend(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _apply = instance.GetFunction<int, int, int>("udf_apply")!;
        _alloc = instance.GetFunction<int, int>("udf_alloc")!;
    }

    public Memory Memory => _memory;

    public override Span<byte> Output(int length) => _memory.GetSpan(0x40000, length);

    public override int Apply(int inputPtr, int inputLength) => _apply(inputPtr, inputLength);

    public override int Stage(ReadOnlySpan<byte> input)
    {
        int ptr = _alloc(input.Length);
        input.CopyTo(_memory.GetSpan(ptr, input.Length));
        return ptr;
    }
}

public sealed class UdfStage
{
    private readonly WasmtimeUdfBackend _backend;
    private readonly Channel<ReadOnlyMemory<byte>> _results = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
    private readonly Channel<UdfOutput> _rawResults = Channel.CreateBounded<UdfOutput>(16);
    private readonly List<Func<long>> _deferredChecks = new();

    public UdfStage(WasmtimeUdfBackend backend) => _backend = backend;

    public ChannelReader<ReadOnlyMemory<byte>> Results => _results.Reader;

    private int Run(byte[] record) => _backend.Apply(_backend.Stage(record), record.Length);

    public void Process(byte[] record)
    {
        int length = Run(record);
        _results.Writer.TryWrite(_backend.Output(length).ToArray()); // a copy goes into the channel
    }

    public async ValueTask ProcessRawAsync(byte[] record)
    {
        int length = Run(record);
        var output = new UdfOutput(_backend.Memory.GetPointer() + 0x40000, length);
        await _rawResults.Writer.WriteAsync(output); // expect: WVA002
    }

    public async Task<long> SumAsync(IAsyncEnumerable<byte[]> records)
    {
        long sum = 0;
        await foreach (var record in records)
        {
            int length = Run(record);
            sum += Total(_backend.Output(length)); // the output is read in full before the next await
        }

        return sum;
    }

    private static long Total(ReadOnlySpan<byte> bytes)
    {
        long total = 0;
        foreach (var b in bytes)
            total += b;
        return total;
    }

    public async Task<int> FirstByteAfterFlushAsync(byte[] record, Stream sink)
    {
        int length = Run(record);
        var output = new UdfOutput(_backend.Memory.GetPointer() + 0x40000, length);
        await sink.FlushAsync();
        return ReadFirst(output); // expect: WVA001
    }

    private static unsafe int ReadFirst(UdfOutput output) => output.Length == 0 ? -1 : *(byte*)output.Address;

    private static int Width(UdfOutput output) => output.Length;

    public async Task<int> WidthAfterFlushAsync(byte[] record, Stream sink)
    {
        int length = Run(record);
        var output = new UdfOutput(_backend.Memory.GetPointer() + 0x40000, length);
        await sink.FlushAsync();
        return Width(output); // Width reads only the length
    }

    public void ScheduleChecksum(byte[] record)
    {
        int length = Run(record);
        nint address = _backend.Memory.GetPointer() + 0x40000;
        Task.Run(() => Checksum(address, length)); // expect: WVA002
    }

    public long ChecksumNow(byte[] record)
    {
        int length = Run(record);
        nint address = _backend.Memory.GetPointer() + 0x40000;
        Func<long> check = () => Checksum(address, length);
        return check(); // the lambda runs at once, before any other guest call
    }

    public void DeferChecksum(byte[] record)
    {
        int length = Run(record);
        nint address = _backend.Memory.GetPointer() + 0x40000;
        Func<long> check = () => Checksum(address, length);
        _deferredChecks.Add(check); // expect: WVA002
    }

    private static unsafe long Checksum(nint address, int length)
    {
        long sum = 0;
        foreach (var b in new ReadOnlySpan<byte>((void*)address, length))
            sum += b;
        return sum;
    }

    public List<UdfOutput> RunBatch(IReadOnlyList<byte[]> batch)
    {
        var outputs = new List<UdfOutput>();
        foreach (var record in batch)
        {
            int length = Run(record);
            outputs.Add(new UdfOutput(_backend.Memory.GetPointer() + 0x40000, length)); // expect: WVA002
        }

        // Lead's correction after the blind measurement: the list holds pointers obtained before the
        // next turn's guest call; the WVA001 page counts returning such a collection as a use of
        // them ('return pending;'), as the Unseen set's writer marked the same shape.
        return outputs; // expect: WVA001
    }

    public long[] ChecksumBatch(IReadOnlyList<byte[]> batch)
    {
        var outputs = new List<UdfOutput>();
        foreach (var record in batch)
        {
            int length = Run(record);
            outputs.Add(new UdfOutput(_backend.Memory.GetPointer() + 0x40000, length)); // expect: WVA002
        }

        // Every UDF call reused the same output buffer: all but the last entry are stale here.
        return outputs.Select(o => Checksum(o.Address, o.Length)).ToArray(); // expect: WVA001
    }

    public int[] LengthsOfBatch(IReadOnlyList<byte[]> batch)
    {
        var lengths = new List<int>();
        foreach (var record in batch)
            lengths.Add(Run(record));
        return lengths.ToArray();
    }

    public void ProcessInParallel(IEnumerable<byte[]> records, CancellationToken token)
    {
        foreach (var record in records)
        {
            int length = Run(record);
            var output = _backend.Output(length);
            var copy = MemoryMarshal.Cast<byte, int>(output).ToArray();
            token.Register(() => Console.WriteLine(copy.Length)); // captures a copy
        }
    }
}
