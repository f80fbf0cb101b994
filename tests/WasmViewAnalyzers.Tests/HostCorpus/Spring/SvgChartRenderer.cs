// Chart/SVG renderer: a plotting kernel in wasm lays out series and emits SVG text into its output buffer; the host
// wraps it in a fluent API (operators, collection initializers, a guest-escaping interpolated string handler). Shape: Extism PDK-style output buffers.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using Wasmtime;

namespace Corpus.Spring.SvgChartRenderer;

public sealed class ChartGuest
{
    public Memory Memory { get; }
    private readonly Func<int, int> _malloc;
    private readonly Func<int, double, int> _push;
    private readonly Func<int, int> _newSeries;
    private readonly Func<int, int> _render;
    private readonly Func<int> _outputLen;
    private readonly Func<int, int> _nextSegment;
    private readonly Func<int, int, int> _escape;

    public ChartGuest(Instance instance)
    {
        Memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _push = instance.GetFunction<int, double, int>("series_push")!;
        _newSeries = instance.GetFunction<int, int>("series_new")!;
        _render = instance.GetFunction<int, int>("render_svg")!;
        _outputLen = instance.GetFunction<int>("output_len")!;
        _nextSegment = instance.GetFunction<int, int>("next_segment")!;
        _escape = instance.GetFunction<int, int, int>("escape_xml")!;
    }

    public int NewSeries(string name)
    {
        var at = _malloc(Encoding.UTF8.GetByteCount(name));
        Memory.WriteString(at, name, Encoding.UTF8);
        return _newSeries(at);
    }

    public void Push(int series, double value) => _push(series, value);
    public int NextSegment(int chart) => _nextSegment(chart);

    public ReadOnlySpan<byte> Render(int chart)
    {
        var at = _render(chart);
        return Memory.GetSpan(at, _outputLen());
    }

    // Runs the guest's XML escaper and copies the result out as a string.
    public string Escape(string text)
    {
        var at = _malloc(Encoding.UTF8.GetByteCount(text));
        Memory.WriteString(at, text, Encoding.UTF8);
        var outAt = _escape(at, Encoding.UTF8.GetByteCount(text));
        return Memory.ReadString(outAt, _outputLen(), Encoding.UTF8);
    }
}

// Collection initializers and '+' push points into the guest.
public sealed class Series : IEnumerable<double>
{
    private readonly ChartGuest _guest;
    private readonly List<double> _local = new();
    public int Handle { get; }

    public Series(ChartGuest guest, string name)
    {
        _guest = guest;
        Handle = guest.NewSeries(name);
    }

    public void Add(double value)
    {
        _guest.Push(Handle, value);
        _local.Add(value);
    }

    public static Series operator +(Series series, double value)
    {
        series.Add(value);
        return series;
    }

    // Safe operator: only the host-side list.
    public static bool operator >(Series series, double threshold) => series._local.Count > 0 && series._local[^1] > threshold;
    public static bool operator <(Series series, double threshold) => series._local.Count > 0 && series._local[^1] < threshold;

    public IEnumerator<double> GetEnumerator() => _local.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

// A path's segments are pulled one by one from the guest: foreach runs next_segment in MoveNext.
public readonly struct SegmentCursor(ChartGuest guest, int chart)
{
    public Enumerator GetEnumerator() => new(guest, chart);

    public struct Enumerator(ChartGuest guest, int chart)
    {
        public int Current { get; private set; }

        public bool MoveNext()
        {
            Current = guest.NextSegment(chart);
            return Current >= 0;
        }
    }
}

public sealed class SvgWriter(ChartGuest guest)
{
    public StringBuilder Builder { get; } = new();
    public ChartGuest Guest { get; } = guest;

    public void Element([InterpolatedStringHandlerArgument("")] ref EscapingHandler handler) => Builder.AppendLine();
}

[InterpolatedStringHandler]
public ref struct EscapingHandler
{
    private readonly StringBuilder _builder;
    private readonly ChartGuest _guest;

    public EscapingHandler(int literalLength, int formattedCount, SvgWriter writer)
    {
        _builder = writer.Builder;
        _guest = writer.Guest;
    }

    public void AppendLiteral(string literal) => _builder.Append(literal);

    // Strings are escaped by the guest: formatting a string hole is a guest call.
    public void AppendFormatted(string value) => _builder.Append(_guest.Escape(value));

    public void AppendFormatted<T>(T value) => _builder.Append(value);
}

public sealed class ChartRenderer(ChartGuest guest)
{
    public byte[] RenderLine(int chart, IReadOnlyList<double> values)
    {
        var previous = guest.Render(chart);
        var header = previous.Slice(0, Math.Min(5, previous.Length));
        var series = new Series(guest, "load") { values[0], values[1] };
        // The collection initializer's Add pushed points through the guest.
        var startsWithSvg = header.SequenceEqual("<svg "u8); // expect: WVA001
        series += values[^1];
        // Safe: '>' only reads the host-side list.
        var spike = series > 0.9;
        return startsWithSvg && !spike ? guest.Render(chart).ToArray() : Array.Empty<byte>();
    }

    public int CountSegments(int chart)
    {
        var svg = guest.Render(chart);
        var count = 0;
        foreach (var segment in new SegmentCursor(guest, chart))
        {
            count += segment;
        }
        // MoveNext of the cursor called next_segment on every turn.
        return count + svg[0]; // expect: WVA001
    }

    public int Tally(int chart, Series series)
    {
        var svg = guest.Render(chart);
        var sum = 0;
        // Safe: enumerating a Series walks only its host-side list.
        foreach (var v in series)
        {
            sum += (int)v;
        }
        return sum + svg.Length + svg[0];
    }

    public string Annotate(int chart, string title, int width)
    {
        var writer = new SvgWriter(guest);
        var svg = guest.Render(chart);
        // Safe: the only hole is an int, formatted by AppendFormatted<T>, which never calls the guest.
        writer.Element($"<rect width='{width}'/>");
        var first = svg[0];
        // A string hole: the handler escapes it through the guest.
        writer.Element($"<title>{title}</title>");
        writer.Builder.Append((char)svg[1]); // expect: WVA001
        return writer.Builder.ToString() + (char)first;
    }

    public void Save(int chart, Series series, Stream file)
    {
        var svg = guest.Render(chart);
        // Safe: the bytes are in the file before the next push.
        file.Write(svg);
        series += 1.0;
        // 'series += ...' ran the user-defined operator, which pushes into the guest.
        Console.WriteLine($"wrote {svg.Length} bytes, tail {svg[^1]}"); // expect: WVA001
    }
}
