// A text-search service whose regex engine runs in the guest (a Rust regex crate compiled to wasm): matches are
// streamed out of an iterator as views over the guest's haystack copy, the shape of grep-like plugins in editor hosts.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Unseen.RegexSearchService;

[StructLayout(LayoutKind.Sequential)]
public struct MatchRecord
{
    public int Start;
    public int Length;
}

internal sealed unsafe class HaystackMemory(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new Span<byte>(start, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed class GuestRegex
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _compile;
    private readonly Func<int, int, int, int> _searchStart;
    private readonly Func<int, int> _nextMatch;
    private readonly Func<int, int> _groupCount;
    private readonly Action<int> _reset;
    private List<ReadOnlyMemory<byte>> _lastMatches = new List<ReadOnlyMemory<byte>>();
    private string[] _lastTexts = Array.Empty<string>();

    public GuestRegex(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _compile = instance.GetFunction<int, int, int>("regex_compile")!;
        _searchStart = instance.GetFunction<int, int, int, int>("regex_search_start")!;
        _nextMatch = instance.GetFunction<int, int>("regex_next_match")!;
        _groupCount = instance.GetFunction<int, int>("regex_group_count")!;
        _reset = instance.GetAction<int>("regex_reset")!;
    }

    private int Upload(string text, out int length)
    {
        length = Encoding.UTF8.GetByteCount(text);
        int address = _alloc(length);
        Encoding.UTF8.GetBytes(text, _memory.GetSpan(address, length));
        return address;
    }

    public int Compile(string pattern)
    {
        int address = Upload(pattern, out int length);
        return _compile(address, length);
    }

    private unsafe ReadOnlyMemory<byte> Slice(int address, int length) =>
        new HaystackMemory((byte*)_memory.GetPointer() + address, length).Memory;

    // An iterator of views: each match is fresh when MoveNext hands it out, and MoveNext runs the guest.
    public IEnumerable<ReadOnlyMemory<byte>> Matches(int regex, string text)
    {
        int haystack = Upload(text, out int length);
        _searchStart(regex, haystack, length);
        int record;
        while ((record = _nextMatch(regex)) != 0)
        {
            MatchRecord match = _memory.Read<MatchRecord>(record);
            yield return Slice(haystack + match.Start, match.Length);
        }
    }

    public List<string> Grep(int regex, string text)
    {
        var hits = new List<string>();
        foreach (ReadOnlyMemory<byte> match in Matches(regex, text))
        {
            // Decoded before the loop asks the guest for the next match.
            hits.Add(Encoding.UTF8.GetString(match.Span));
        }

        return hits;
    }

    public List<string> GrepWithGroups(int regex, string text)
    {
        var hits = new List<string>();
        foreach (ReadOnlyMemory<byte> match in Matches(regex, text))
        {
            int groups = _groupCount(regex);
            hits.Add($"{groups}:{Encoding.UTF8.GetString(match.Span)}"); // expect: WVA001
        }

        return hits;
    }

    public string[] GrepAll(int regex, string text)
    {
        // ToList runs the whole iterator: each regex_next_match after the first may have reused earlier matches.
        List<ReadOnlyMemory<byte>> all = Matches(regex, text).ToList();
        var result = new string[all.Count];
        for (int i = 0; i < all.Count; i++)
        {
            result[i] = Encoding.UTF8.GetString(all[i].Span); // expect: WVA001
        }

        return result;
    }

    private List<ReadOnlyMemory<byte>> Captures(int regex, string text)
    {
        int haystack = Upload(text, out int length);
        int count = _searchStart(regex, haystack, length);
        int records = _nextMatch(regex);
        var captures = new List<ReadOnlyMemory<byte>>(count);
        for (int i = 0; i < count; i++)
        {
            MatchRecord match = _memory.Read<MatchRecord>(records + i * Unsafe.SizeOf<MatchRecord>());
            // A local list filled without a guest call in between, then returned: the caller owns the risk.
            captures.Add(Slice(haystack + match.Start, match.Length)); // expect: WVA002
        }

        return captures;
    }

    public string[] CaptureTexts(int regex, string text)
    {
        List<ReadOnlyMemory<byte>> captures = Captures(regex, text);
        int totalBytes = captures.Sum(c => c.Length);
        _reset(regex);
        // Length only, after the reset: reads no guest memory.
        Console.WriteLine($"{captures.Count} captures, {totalBytes} bytes, {captures.Sum(c => c.Length)} after reset");
        return captures.Select(c => Encoding.UTF8.GetString(c.Span)).ToArray(); // expect: WVA001
    }

    public string[] CaptureTextsBeforeReset(int regex, string text)
    {
        List<ReadOnlyMemory<byte>> captures = Captures(regex, text);
        string[] texts = captures.Select(c => Encoding.UTF8.GetString(c.Span)).ToArray();
        _reset(regex);
        _lastTexts = texts;
        return texts;
    }

    public void RememberCaptures(int regex, string text)
    {
        List<ReadOnlyMemory<byte>> captures = Captures(regex, text);
        _lastMatches = captures; // expect: WVA002
    }

    public Task IndexInBackground(int regex, string text, Action<string> index)
    {
        ReadOnlyMemory<byte> first = Captures(regex, text).FirstOrDefault();
        return Task.Run(() => index(Encoding.UTF8.GetString(first.Span))); // expect: WVA002
    }

    public Task IndexCopyInBackground(int regex, string text, Action<string> index)
    {
        byte[] first = Captures(regex, text).FirstOrDefault().ToArray();
        return Task.Run(() => index(Encoding.UTF8.GetString(first)));
    }

    public int Remembered => _lastMatches.Count + _lastTexts.Length;

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> GrepLinesAsync(int regex, TextReader reader, [EnumeratorCancellation] CancellationToken ct = default)
    {
        string? line;
        while ((line = await reader.ReadLineAsync(ct)) != null)
        {
            int haystack = Upload(line, out int length);
            if (_searchStart(regex, haystack, length) > 0)
            {
                yield return Slice(haystack, length);
            }
        }
    }
}

public sealed class GrepEndpoint(GuestRegex engine)
{
    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes("> ");
    private static readonly byte[] NewLine = Encoding.ASCII.GetBytes("\n");

    public async Task StreamAsync(int regex, TextReader reader, Stream output, CancellationToken ct)
    {
        await foreach (ReadOnlyMemory<byte> line in engine.GrepLinesAsync(regex, reader, ct))
        {
            await output.WriteAsync(Prefix, ct);
            await output.WriteAsync(line, ct); // expect: WVA001
            await output.WriteAsync(NewLine, ct);
        }
    }

    public async Task StreamCopiedAsync(int regex, TextReader reader, Stream output, CancellationToken ct)
    {
        await foreach (ReadOnlyMemory<byte> line in engine.GrepLinesAsync(regex, reader, ct))
        {
            byte[] copy = line.ToArray();
            await output.WriteAsync(Prefix, ct);
            await output.WriteAsync(copy, ct);
            await output.WriteAsync(NewLine, ct);
        }
    }

    public async Task StreamFirstAsync(int regex, TextReader reader, Stream output, CancellationToken ct)
    {
        await foreach (ReadOnlyMemory<byte> line in engine.GrepLinesAsync(regex, reader, ct))
        {
            // Written first, before any await of the body: the view is fresh from MoveNextAsync.
            await output.WriteAsync(line, ct);
            await output.WriteAsync(NewLine, ct);
        }
    }
}
