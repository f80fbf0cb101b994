// Spreadsheet/notebook kernel: a wasm formula engine recalculates cells; the host reads result strings and arrays out of guest memory.
// Shape inspired by notebook kernels that wrap exports in small value types (cell refs with conversions, indexers, events).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using Wasmtime;

namespace Corpus.Late.SpreadsheetKernel;

public sealed class FormulaEngine
{
    private readonly Func<int, int, double> _evalCell;
    private readonly Func<int, int> _recalc;
    private readonly Action<int> _release;

    public FormulaEngine(Instance instance)
    {
        Memory = instance.GetMemory("memory")!;
        _evalCell = instance.GetFunction<int, int, double>("eval_cell")!;
        _recalc = instance.GetFunction<int, int>("recalc")!;
        _release = instance.GetAction<int>("release_range")!;
    }

    public Memory Memory { get; }

    public event Action<int>? SheetChanged;

    public double Eval(int row, int col) => _evalCell(row, col);

    public int Recalc(int sheet)
    {
        int dirty = _recalc(sheet);
        SheetChanged?.Invoke(sheet);
        return dirty;
    }

    public void Release(int range) => _release(range);

    // Indexer whose getter evaluates the cell in the guest.
    public double this[int row, int col] => _evalCell(row, col);
}

public readonly struct CellRef
{
    public CellRef(FormulaEngine engine, int row, int col)
    {
        Engine = engine;
        Row = row;
        Col = col;
    }

    public FormulaEngine Engine { get; }
    public int Row { get; }
    public int Col { get; }

    // Converting a cell reference to its value evaluates it in the guest.
    public static implicit operator double(CellRef cell) => cell.Engine.Eval(cell.Row, cell.Col);

    public void Deconstruct(out int row, out double value)
    {
        row = Row;
        value = Engine.Eval(Row, Col);
    }
}

public sealed class ResultRange : IDisposable, IEnumerable<double>
{
    private readonly FormulaEngine _engine;
    private readonly int _range;
    private readonly int _address;
    private readonly int _count;

    public ResultRange(FormulaEngine engine, int range, int address, int count)
    {
        _engine = engine;
        _range = range;
        _address = address;
        _count = count;
    }

    public Span<double> Values => _engine.Memory.GetSpan<double>(_address, _count);

    public void Dispose() => _engine.Release(_range);

    public IEnumerator<double> GetEnumerator()
    {
        for (int i = 0; i < _count; i++)
            yield return _engine.Eval(_range, i);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class RecalcLog : IEnumerable<string>
{
    private readonly FormulaEngine _engine;
    private readonly List<string> _lines = new();

    public RecalcLog(FormulaEngine engine) => _engine = engine;

    public void Add(int sheet) => _lines.Add($"sheet {sheet}: {_engine.Recalc(sheet)} dirty");

    public IEnumerator<string> GetEnumerator() => _lines.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class NotebookKernel
{
    private readonly FormulaEngine _engine;
    private readonly Dictionary<string, int> _cellTextOffsets = new();

    public NotebookKernel(FormulaEngine engine)
    {
        _engine = engine;
        _engine.SheetChanged += sheet => _engine.Eval(sheet, 0); // a handler that re-enters the guest
    }

    private ReadOnlySpan<byte> CellText(int offset, int length) => _engine.Memory.GetSpan(offset, length);

    public string Label(int offset, int length, CellRef total)
    {
        var text = CellText(offset, length);
        double value = total; // the implicit conversion evaluates the cell in the guest
        return Encoding.UTF8.GetString(text) + value; // expect: WVA001
    }

    public string LabelFirst(int offset, int length, CellRef total)
    {
        var label = Encoding.UTF8.GetString(CellText(offset, length));
        double value = total;
        return label + value;
    }

    public string Row(int offset, int length, CellRef cell)
    {
        var text = CellText(offset, length);
        var (row, value) = cell; // Deconstruct evaluates the cell
        return $"{row}:{text[0]}={value}"; // expect: WVA001
    }

    public int RowNumber(int offset, int length, CellRef cell)
    {
        var text = CellText(offset, length);
        int width = text.Length;
        var (row, _) = cell;
        return row * width; // only the length was taken before the guest ran
    }

    public double Sum(ResultRange range)
    {
        var values = range.Values;
        double total = 0;
        foreach (var extra in range) // the enumerator evaluates each cell in the guest
            total += extra;
        return total + values[0]; // expect: WVA001
    }

    public double SumFirst(ResultRange range)
    {
        double total = 0;
        foreach (var v in range.Values)
            total += v;
        foreach (var extra in range)
            total += extra;
        return total;
    }

    public double ReadAndRelease(FormulaEngine engine, int range, int address, int count)
    {
        Span<double> values;
        using (var r = new ResultRange(engine, range, address, count))
        {
            values = r.Values;
        }

        return values[0]; // expect: WVA001
    }

    public double ReleaseAfterRead(FormulaEngine engine, int range, int address, int count)
    {
        using var r = new ResultRange(engine, range, address, count);
        return r.Values[0]; // read before the using declaration's Dispose runs
    }

    public double RecalcAndRead(int sheet, int address)
    {
        var values = _engine.Memory.GetSpan<double>(address, 4);
        _engine.Recalc(sheet); // runs the SheetChanged handlers too
        return values[3]; // expect: WVA001
    }

    public double IndexerAfterRead(int address)
    {
        var values = _engine.Memory.GetSpan<double>(address, 4);
        double cached = values[0];
        double live = _engine[1, 1]; // the indexer getter calls the guest
        return cached + live;
    }

    public double IndexerBeforeRead(int address)
    {
        var values = _engine.Memory.GetSpan<double>(address, 4);
        double live = _engine[1, 1];
        return live + values[1]; // expect: WVA001
    }

    public int LogThenRead(int offset, int length)
    {
        var text = CellText(offset, length);
        var log = new RecalcLog(_engine) { 1, 2 }; // the collection initializer's Add recalculates
        return text[0] + log.GetHashCode(); // expect: WVA001
    }

    public void RememberText(string key, int offset) => _cellTextOffsets[key] = offset; // an offset, not a view
}
