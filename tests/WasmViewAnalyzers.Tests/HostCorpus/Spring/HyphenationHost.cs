// Typesetting/hyphenation library host: Liang-pattern hyphenation and line breaking compiled to wasm; the host asks for
// break points per word and justifies lines. Shape: PixiEditor's MemoryUtility helpers (GetSpan + Encoding), wasmtime-dotnet's ReadString/WriteString.
using System;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Spring.HyphenationHost;

public sealed class Hyphenator
{
    private readonly object _sync = new();
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int, int> _hyphenate;
    private readonly Func<int, int> _loadPatterns;
    private readonly Func<int, int, int> _breakLine;
    private readonly Func<int> _grow;
    private readonly Dictionary<string, nint> _patternTables = new();
    private readonly Dictionary<string, int> _patternOffsets = new();

    public Hyphenator(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _hyphenate = instance.GetFunction<int, int, int, int>("hyphenate")!;
        _loadPatterns = instance.GetFunction<int, int>("load_patterns")!;
        _breakLine = instance.GetFunction<int, int, int>("break_line")!;
        _grow = instance.GetFunction<int>("grow_scratch")!;
    }

    private static bool Fits(ReadOnlySpan<byte> points, int max) => points.Length <= max;

    private int Stage(string text)
    {
        var at = _alloc(Encoding.UTF8.GetByteCount(text) + 1);
        _memory.WriteString(at, text + "\0", Encoding.UTF8);
        return at;
    }

    public void LoadLanguage(string language, string patterns)
    {
        var at = Stage(patterns);
        var table = _loadPatterns(at);
        _patternTables[language] = _memory.GetPointer() + table; // expect: WVA002
        _patternOffsets[language] = table;
    }

    public string Hyphenate(string word, char hyphen = '\u00AD')
    {
        var at = Stage(word);
        var outAt = _alloc(word.Length + 1);
        var count = _hyphenate(at, word.Length, outAt);
        var points = _memory.GetSpan(outAt, word.Length + 1);
        // Safe: only the length is checked.
        if (!Fits(points, 256))
        {
            return word;
        }
        var builder = new StringBuilder(word.Length + count);
        for (var i = 0; i < word.Length; i++)
        {
            builder.Append(word[i]);
            if ((points[i + 1] & 1) == 1)
            {
                builder.Append(hyphen);
            }
        }
        return builder.ToString();
    }

    public int[] BreakPoints(string word)
    {
        var at = Stage(word);
        var outAt = _alloc(64);
        var attempts = 0;
    retry:
        _hyphenate(at, word.Length, outAt);
        // Safe: obtained again after every call, at the label the goto returns to.
        var points = _memory.GetSpan(outAt, 64);
        if (points[0] == 0xFF && attempts++ < 3)
        {
            _grow();
            goto retry;
        }
        var result = new List<int>();
        for (var i = 1; i < word.Length; i++)
        {
            if ((points[i] & 1) == 1) result.Add(i);
        }
        return result.ToArray();
    }

    public int Scratch(string word, bool small)
    {
        var at = Stage(word);
        var outAt = _alloc(64);
        Span<byte> scratch = small ? stackalloc byte[64] : _memory.GetSpan(outAt, 64);
        scratch.Clear();
        _hyphenate(at, word.Length, outAt);
        // On the path where 'scratch' is guest memory it was obtained before hyphenate.
        return scratch[0]; // expect: WVA001
    }

    public unsafe int Justify(string line, int width)
    {
        var at = Stage(line);
        var outAt = _alloc(line.Length + 1);
        var breaks = (byte*)_memory.GetPointer() + outAt;
        int CountBreaks()
        {
            var n = 0;
            for (var i = 0; i <= line.Length; i++) if (breaks[i] != 0) n++;
            return n;
        }
        // Safe: the local function runs before the guest call.
        var before = CountBreaks();
        var fitted = _breakLine(at, width);
        // The local function reads the captured span after break_line ran.
        var after = CountBreaks(); // expect: WVA001
        return fitted + after - before;
    }

    public unsafe int FirstMarks(string a, string b)
    {
        var atA = Stage(a);
        var atB = Stage(b);
        var outA = _alloc(a.Length + 1);
        var outB = _alloc(b.Length + 1);
        _hyphenate(atA, a.Length, outA);
        nint[] marks = [(nint)_memory.GetPointer() + outA, (nint)_memory.GetPointer() + outB];
        var firstOfA = *(byte*)marks[0];
        _hyphenate(atB, b.Length, outB);
        // An array in a local is followed as a local: no escape, but its elements are stale after hyphenate.
        return firstOfA + *(byte*)marks[1]; // expect: WVA001
    }

    public string HyphenateLocked(string word)
    {
        lock (_sync)
        {
            var at = Stage(word);
            var outAt = _alloc(word.Length + 1);
            var points = _memory.GetSpan(outAt, word.Length + 1);
            points.Clear();
            var count = _hyphenate(at, word.Length, outAt);
            // Safe: ReadString copies from the offset after the call.
            var pattern = _memory.ReadString(outAt, word.Length + 1, Encoding.Latin1);
            // The span cleared before hyphenate is read after it.
            return count > 0 && points[1] != 0 ? pattern : word; // expect: WVA001
        }
    }

    public unsafe byte TableByte(string language, int index)
    {
        // Safe: the offset is turned into a pointer where it is read.
        var offset = _patternOffsets[language];
        return *((byte*)_memory.GetPointer() + offset + index);
    }
}
