// Text renderer: a wasm text shaper (harfbuzz-like) shapes runs into glyph ids and advances; the host rasterizes them.
// Shape from hosts that read guest result headers with patterns and log through a guest-side logger.
using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Dev.TextRendererHost;

// Appends each piece of an interpolated message into the guest's log ring through its export.
[InterpolatedStringHandler]
public ref struct GuestLogHandler
{
    private readonly GuestLog _log;

    public GuestLogHandler(int literalLength, int formattedCount, GuestLog log)
    {
        _log = log;
    }

    public void AppendLiteral(string text) => _log.Append(text);

    public void AppendFormatted<T>(T value) => _log.Append(value?.ToString() ?? "");
}

public sealed class GuestLog
{
    private readonly Memory _memory;
    private readonly Func<int, int> _reserve;     // reserves bytes in the guest's log ring
    private readonly Action<int> _commit;

    public GuestLog(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _reserve = instance.GetFunction<int, int>("log_reserve")!;
        _commit = instance.GetAction<int>("log_commit")!;
    }

    public void Append(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var address = _reserve(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        _commit(bytes.Length);
    }

    public void Write([InterpolatedStringHandlerArgument("")] ref GuestLogHandler message)
    {
    }
}

public sealed class TextShaper
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int> _shape;     // (text, length, font) -> address of the shaped run
    private readonly Func<int, int> _glyphName;
    private readonly GuestLog _log;

    public TextShaper(Instance instance, GuestLog log)
    {
        _memory = instance.GetMemory("memory")!;
        _shape = instance.GetFunction<int, int, int, int>("shape")!;
        _glyphName = instance.GetFunction<int, int>("glyph_name")!;
        _log = log;
    }

    // A run: an 8-byte header ('G', 'R', version, flags, count:int32) then count glyph ids and count advances.
    public int ShapeRun(int textAddress, int textLength, int font, Span<uint> glyphs, Span<int> advances)
    {
        var run = _shape(textAddress, textLength, font);
        var header = _memory.GetSpan(run, 8);
        if (header is not [(byte)'G', (byte)'R', ..])        // a list pattern reads the bytes: fresh here
        {
            throw new InvalidOperationException("not a shaped run");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        var ids = _memory.GetSpan<uint>(run + 8, count);
        var widths = MemoryMarshal.Cast<uint, int>(_memory.GetSpan<uint>(run + 8 + count * 4, count));
        _log.Write($"shaped {count} glyphs");             // the handler appends through the guest's exports
        ids.CopyTo(glyphs); // expect: WVA001
        widths.CopyTo(advances); // expect: WVA001
        return count;
    }

    public int ShapeRunLoggedLast(int textAddress, int textLength, int font, Span<uint> glyphs, Span<int> advances)
    {
        var run = _shape(textAddress, textLength, font);
        var count = _memory.ReadInt32(run + 4);
        _memory.GetSpan<uint>(run + 8, count).CopyTo(glyphs);
        MemoryMarshal.Cast<uint, int>(_memory.GetSpan<uint>(run + 8 + count * 4, count)).CopyTo(advances);
        _log.Write($"shaped {count} glyphs");             // after every read
        return count;
    }

    public string Describe(int run)
    {
        var header = _memory.GetSpan(run, 8);
        var name = _glyphName(0);
        return header switch // expect: WVA001
        {
            [(byte)'G', (byte)'R', 1, ..] => "v1 run",
            [(byte)'G', (byte)'R', ..] => "run",
            _ => $"unknown ({name})",
        };
    }

    public string DescribeBeforeName(int run)
    {
        var header = _memory.GetSpan(run, 8);
        var kind = header switch
        {
            [(byte)'G', (byte)'R', 1, ..] => "v1 run",
            [(byte)'G', (byte)'R', ..] => "run",
            _ => "unknown",
        };
        var name = _glyphName(0);
        var complete = header is { Length: >= 8 };           // tests the length only
        var nonEmpty = header is [_, ..];                    // a length test as a list pattern: reads nothing
        return $"{kind} {name} {complete} {nonEmpty}";
    }

    public uint FirstGlyphOrRetry(int textAddress, int textLength, int font)
    {
        var attempts = 0;
        var ids = _memory.GetSpan<uint>(_shape(textAddress, textLength, font) + 8, 1);
        uint first;
    retry:
        first = ids[0]; // expect: WVA001
        if (first == 0 && attempts++ < 2)
        {
            _shape(textAddress, textLength, font + 1);        // fallback font: reshapes in the guest
            goto retry;
        }

        return first;
    }

    public uint FirstGlyphWithFallback(int textAddress, int textLength, int font)
    {
        var first = _memory.ReadInt32(_shape(textAddress, textLength, font) + 8);
        for (var attempt = 1; first == 0 && attempt <= 2; attempt++)
        {
            first = _memory.ReadInt32(_shape(textAddress, textLength, font + attempt) + 8);   // read again after each call
        }

        return (uint)first;
    }

    public int ShapeOrExplain(int textAddress, int textLength, int font)
    {
        var previousRun = _memory.GetSpan(_shape(textAddress, 0, font), 8);
        try
        {
            return _shape(textAddress, textLength, font);
        }
        catch (WasmtimeException) when (previousRun[3] == 0xFF) // expect: WVA001
        {
            return -1;
        }
    }

    public int TotalAdvance(int run)
    {
        var count = _memory.ReadInt32(run + 4);
        var advances = MemoryMarshal.Cast<byte, int>(_memory.GetSpan(run + 8 + count * 4, count * 4));
        var total = 0;
        var missing = 0;
        for (var i = 0; i < advances.Length; i++)
        {
            total += advances[i];
            if (advances[i] == 0)
            {
                missing++;
            }
        }

        for (var m = 0; m < missing; m++)
        {
            total += _glyphName(m) & 0xF;                   // calls only after the last read
        }

        return checked(total + advances.Length);            // Length only, even after the calls
    }

    public int TotalAdvanceStale(int run)
    {
        var count = _memory.ReadInt32(run + 4);
        var advances = MemoryMarshal.Cast<byte, int>(_memory.GetSpan(run + 8 + count * 4, count * 4));
        var total = 0;
        for (var i = 0; i < advances.Length; i++)
        {
            if (advances[i] == 0) // expect: WVA001
            {
                total += _glyphName(i) & 0xF;
                continue;
            }

            total += advances[i]; // expect: WVA001
        }

        return total;
    }

    public string GlyphReport(int run)
    {
        var ids = _memory.GetSpan<uint>(run + 8, 4);
        var text = $"{ids[0]} {ids[1]} {ids[^1]}";        // read at once, into a string
        _glyphName((int)ids[0]);
        return text + $" (of {ids.Length})";                 // Length only
    }

    public string GlyphReportStale(int run)
    {
        var ids = _memory.GetSpan<uint>(run + 8, 4);
        var name = _glyphName(0);
        return $"{name}: {ids[0]}..{ids[^1]}"; // expect: WVA001
    }
}
