// Columnar (Parquet-like) page decoder: a wasm codec decodes RLE/dictionary pages into a scratch output buffer the
// host exposes as ReadOnlyMemory over guest memory. Shape: PixiEditor's WasmMemoryUtility helpers, DotNetIsolator's MemoryManager-free spans.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Spring.ColumnDecoder;

internal sealed unsafe class GuestPageMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public GuestPageMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_start, _length);
    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public sealed record ColumnChunk(string Name, int PageCount, long ValueCount);

public sealed class ColumnDecoder
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Func<int, int, int, int> _decodePage;
    private readonly Func<int> _outputPtr;
    private readonly Func<int> _outputLen;
    private readonly Action _reset;

    public ColumnDecoder(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _decodePage = instance.GetFunction<int, int, int, int>("decode_page")!;
        _outputPtr = instance.GetFunction<int>("output_ptr")!;
        _outputLen = instance.GetFunction<int>("output_len")!;
        _reset = instance.GetAction("reset")!;
    }

    private int Upload(byte[] page)
    {
        var address = _malloc(page.Length);
        page.CopyTo(_memory.GetSpan(address, page.Length));
        return address;
    }

    // A view source that calls the guest to learn where the output is, then builds the view last.
    private unsafe ReadOnlyMemory<byte> Output()
    {
        var at = _outputPtr();
        var length = _outputLen();
        return new GuestPageMemory((byte*)_memory.GetPointer() + at, length).Memory;
    }

    // Safe helper: copies before anything else runs.
    private byte[] OutputCopy() => _memory.GetSpan(_outputPtr(), _outputLen()).ToArray();

    private static uint Adler(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        foreach (var x in data) { a = (a + x) % 65521; b = (b + a) % 65521; }
        return (b << 16) | a;
    }

    public IEnumerable<ReadOnlyMemory<byte>> DecodePages(IReadOnlyList<byte[]> pages, int encoding)
    {
        foreach (var page in pages)
        {
            _reset();
            var input = Upload(page);
            _decodePage(input, page.Length, encoding);
            yield return Output();
        }
    }

    public uint ChecksumColumn(IReadOnlyList<byte[]> pages)
    {
        uint sum = 0;
        // Safe: each page is read before the next MoveNext runs the guest again.
        foreach (var decoded in DecodePages(pages, 1))
        {
            sum ^= Adler(decoded.Span);
        }
        return sum;
    }

    public void WriteColumn(IReadOnlyList<byte[]> pages, Stream sink)
    {
        // ToList runs every decode first: each element was obtained before the later pages' guest calls.
        var decoded = DecodePages(pages, 2).ToList();
        var lengths = decoded.Select(d => d.Length).ToList();
        sink.Write(BitConverter.GetBytes(lengths.Sum()));
        foreach (var page in decoded)
        {
            sink.Write(page.Span); // expect: WVA001
        }
        var firstBytes = decoded.Select(d => d.Span[0]).ToArray(); // expect: WVA001
        Console.WriteLine($"{firstBytes.Length} pages");
    }

    public List<byte[]> CopyColumn(IReadOnlyList<byte[]> pages)
        // Safe: Select copies each page as it is produced.
        => DecodePages(pages, 2).Select(d => d.ToArray()).ToList();

    public Dictionary<string, byte[]> DecodeRowGroup(IReadOnlyDictionary<string, byte[]> columnPages)
    {
        var views = new Dictionary<string, ReadOnlyMemory<byte>>();
        var copies = new Dictionary<string, byte[]>();
        foreach (var (name, page) in columnPages)
        {
            var input = Upload(page);
            _decodePage(input, page.Length, 0);
            // A local dictionary of views filled while the guest keeps decoding.
            views[name] = Output(); // expect: WVA002
            copies[name] = OutputCopy();
        }

        if (views.TryGetValue("id", out var ids))
        {
            Console.WriteLine($"id column adler {Adler(ids.Span)}"); // expect: WVA001
        }
        foreach (var pair in views)
        {
            // Safe: a KeyValuePair's key and the view's Length read no guest memory.
            Console.WriteLine($"{pair.Key}: {pair.Value.Length} bytes");
        }
        return copies;
    }

    public async Task<long> DecodeStreamAsync(ChannelReader<byte[]> pages, Stream sink)
    {
        long total = 0;
        await foreach (var page in pages.ReadAllAsync())
        {
            var input = Upload(page);
            _decodePage(input, page.Length, 3);
            var view = Output();
            var copy = view.ToArray();
            await sink.WriteAsync(copy);
            total += copy.Length;
            // The view was obtained before the await: other code may have entered the guest meanwhile.
            total += Adler(view.Span); // expect: WVA001
        }
        return total;
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> StreamPagesAsync(ChannelReader<byte[]> pages)
    {
        await foreach (var page in pages.ReadAllAsync())
        {
            var input = Upload(page);
            _decodePage(input, page.Length, 0);
            yield return Output();
        }
    }

    public async Task<List<ReadOnlyMemory<byte>>> CollectAsync(ChannelReader<byte[]> pages)
    {
        var kept = new List<ReadOnlyMemory<byte>>();
        var copies = new List<ReadOnlyMemory<byte>>();
        await foreach (var decoded in StreamPagesAsync(pages))
        {
            kept.Add(decoded); // expect: WVA002
            // Safe: a copy in a list.
            copies.Add(decoded.ToArray());
        }
        return copies;
    }

    public ColumnChunk Summarize(string name, IReadOnlyList<byte[]> pages)
    {
        var last = ReadOnlyMemory<byte>.Empty;
        long values = 0;
        foreach (var page in pages)
        {
            var input = Upload(page);
            values += _decodePage(input, page.Length, 1);
            last = Output();
        }
        // 'last' came from the final iteration, after the final decode: fresh here.
        Console.WriteLine($"last page adler {Adler(last.Span)}");
        return new ColumnChunk(name, pages.Count, values);
    }
}
