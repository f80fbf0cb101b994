// Shipping-label renderer: a wasm module lays out a 4x6 label (address blocks, routing barcode) into a 1-bpp raster.
// Shape: "typed handle" wrappers over guest objects with operators and indexers (Extism-like PDK handles, DotNetIsolator's GuestObject).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Wasmtime;

namespace Corpus.Autumn.ShippingLabelRenderer;

public sealed class LabelModule
{
    public Memory Memory { get; }
    public Func<int, int> Alloc { get; }
    public Func<int, int, int> DrawText { get; }   // (label, textHandle) -> new cursor
    public Func<int, int, int> Concat { get; }     // (labelA, labelB) -> composed label
    public Func<int, int> RasterOf { get; }        // label -> raster address
    public Func<int, int> LineAt { get; }          // line index -> line address (lazily laid out)
    public LabelModule(Instance i)
    {
        Memory = i.GetMemory("memory")!;
        Alloc = i.GetFunction<int, int>("alloc")!;
        DrawText = i.GetFunction<int, int, int>("draw_text")!;
        Concat = i.GetFunction<int, int, int>("concat")!;
        RasterOf = i.GetFunction<int, int>("raster_of")!;
        LineAt = i.GetFunction<int, int>("line_at")!;
    }
}

// A handle to a label object in the guest. '+' composes two labels in the guest.
public readonly record struct Label(LabelModule Module, int Handle)
{
    public static Label operator +(Label a, Label b) => new(a.Module, a.Module.Concat(a.Handle, b.Handle));
    public Span<byte> Raster(int bytes) => Module.Memory.GetSpan(Module.RasterOf(Handle), bytes);
}

// Lines of the label: the indexer lays the line out in the guest on first access.
public sealed class LabelLines
{
    private readonly LabelModule _m;
    public LabelLines(LabelModule m) => _m = m;
    public string this[int index]
    {
        get
        {
            var address = _m.LineAt(index);
            return _m.Memory.ReadString(address + 4, _m.Memory.ReadInt32(address), Encoding.UTF8);
        }
    }
    public int Count => 8;
}

public sealed record RasterRef(int Width, int Height, nint Pixels);

public sealed class LabelRenderer
{
    private const int RasterBytes = 812 * 1218 / 8;
    private readonly LabelModule _m;
    private readonly LabelLines _lines;
    private readonly List<RasterRef> _history = new();
    private RasterRef? _current;

    public LabelRenderer(LabelModule m)
    {
        _m = m;
        _lines = new LabelLines(m);
    }

    public byte[] Compose(Label shipFrom, Label shipTo)
    {
        var from = shipFrom.Raster(RasterBytes);
        var fromFirstRow = from[..102].ToArray();      // copied
        var composed = shipFrom + shipTo;              // user-defined operator: runs 'concat' in the guest
        var raster = composed.Raster(RasterBytes);     // obtained after the operator
        var result = raster.ToArray();
        fromFirstRow.CopyTo(result, 0);
        return result;
    }

    public byte[] ComposeStale(Label shipFrom, Label shipTo)
    {
        var from = shipFrom.Raster(RasterBytes);
        var composed = shipFrom + shipTo;
        var result = composed.Raster(RasterBytes).ToArray();
        from[..102].CopyTo(result); // expect: WVA001
        return result;
    }

    public string Describe(Label label)
    {
        var raster = label.Raster(RasterBytes);
        var inkFirstRow = raster[..102].ToArray().Count(b => b != 0); // counted at once
        var heading = _lines[0];                  // the indexer runs 'line_at' in the guest
        return $"{heading}: {inkFirstRow} dark bytes, {raster.Length} total"; // raster only by Length
    }

    public string DescribeStale(Label label)
    {
        var raster = label.Raster(RasterBytes);
        var heading = _lines[0];
        return $"{heading}: first byte {raster[0]:X2}"; // expect: WVA001
    }

    public bool IsBlankMargin(Label label)
    {
        var raster = label.Raster(RasterBytes);
        var blank = raster is [0, 0, 0, 0, ..];   // a list pattern reads elements, while fresh
        _m.DrawText(label.Handle, 0);
        return blank && raster is { Length: > 4 }; // a length-only pattern reads nothing
    }

    public bool HasBarcodeGuard(Label label, int textHandle)
    {
        var raster = label.Raster(RasterBytes);
        _m.DrawText(label.Handle, textHandle);
        return raster is [_, 0xFF, ..]; // expect: WVA001
    }

    public unsafe void Remember(Label label)
    {
        var offset = _m.RasterOf(label.Handle);
        var pixels = _m.Memory.GetPointer() + offset;
        var r = new RasterRef(812, 1218, pixels);
        _history.Add(r); // expect: WVA002
        _current = r with { Width = 812 }; // expect: WVA002
    }

    public void RememberOffsets(Label label)
    {
        var offset = _m.RasterOf(label.Handle);
        _history.Add(new RasterRef(812, 1218, offset)); // an offset stored in an nint field: not a pointer
    }

    public unsafe int InkOf(Label label)
    {
        var offset = _m.RasterOf(label.Handle);
        var pixels = _m.Memory.GetPointer() + offset;
        var local = new RasterRef(812, 1218, pixels);  // a record in a local, never leaves
        var ink = 0;
        for (var i = 0; i < 102; i++) ink += ((byte*)local.Pixels)[i];
        if (local is { Pixels: var p } && p != 0)
        {
            _m.DrawText(label.Handle, 0);
            ink += ((byte*)p)[0]; // expect: WVA001
        }
        return ink;
    }
}
