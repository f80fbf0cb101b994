// A spreadsheet formula evaluator: the guest (a formula engine compiled to wasm) owns the cell grid of doubles and
// recalculates it; the host pins cells by pointer for fast reads, the shape of document-model plugins in PixiEditor-like hosts.
using System;
using System.Collections.Generic;
using System.Threading;
using Wasmtime;

namespace Corpus.Unseen.SpreadsheetEvaluator;

public unsafe class FormulaWorkbook
{
    private const int Rows = 256;
    private const int Columns = 64;

    private readonly Memory memory;
    private readonly Func<int, int, int> cellAddress;
    private readonly Func<int, int> gridAddress;
    private readonly Func<int, int, int> resolveName;
    private readonly Func<int, int> recalc;
    private readonly Func<int, int, int, int, int> setFormula;
    private readonly Dictionary<string, IntPtr> pinnedCells = new Dictionary<string, IntPtr>();
    private readonly Dictionary<string, int> pinnedOffsets = new Dictionary<string, int>();
    private IntPtr lastResult;
    private IntPtr lastEdited;

    public FormulaWorkbook(Instance instance)
    {
        memory = instance.GetMemory("memory")!;
        cellAddress = instance.GetFunction<int, int, int>("cell_address")!;
        gridAddress = instance.GetFunction<int, int>("grid_address")!;
        resolveName = instance.GetFunction<int, int, int>("resolve_name")!;
        recalc = instance.GetFunction<int, int>("recalc")!;
        setFormula = instance.GetFunction<int, int, int, int, int>("set_formula")!;
    }

    private static void Put<T>(ref T slot, T value)
    {
        slot = value;
    }

    public void Pin(string name, int sheet, int index)
    {
        int address = cellAddress(sheet, index);
        pinnedCells[name] = memory.GetPointer() + address; // expect: WVA002
    }

    public void PinOffset(string name, int sheet, int index)
    {
        pinnedOffsets[name] = cellAddress(sheet, index);
    }

    public double ReadPinnedOffset(string name, int sheet)
    {
        int offset;
        if (!pinnedOffsets.TryGetValue(name, out offset))
        {
            return double.NaN;
        }

        recalc(sheet);
        return *(double*)(memory.GetPointer() + offset);
    }

    public double RecalcAndReadPinned(string name, int sheet)
    {
        IntPtr cell;
        if (!pinnedCells.TryGetValue(name, out cell))
        {
            return double.NaN;
        }

        // Taken out of the map before the recalculation, read after it, in this one method.
        // Lead's correction after the blind measurement: the writer marked WVA001 here, but the rule
        // page makes a view kept in a field and read by another method the escape rules' subject
        // (WVA002 at the store into 'pinnedCells' above), not WVA001's.
        recalc(sheet);
        return *(double*)cell;
    }

    public double Evaluate(int sheet, int row, int column)
    {
        Span<double> grid = memory.GetSpan<double>(gridAddress(sheet), Rows * Columns);
        double before = grid[row * Columns + column];
        recalc(sheet);
        double after = grid[row * Columns + column]; // expect: WVA001
        return after - before;
    }

    public double EvaluateFresh(int sheet, int row, int column)
    {
        int grid = gridAddress(sheet);
        double before = memory.GetSpan<double>(grid, Rows * Columns)[row * Columns + column];
        recalc(sheet);
        Span<double> cells = memory.GetSpan<double>(grid, Rows * Columns);
        return cells[row * Columns + column] - before;
    }

    public double ReadCell(int sheet, int index)
    {
        // GetPointer runs first, then cell_address runs in the guest: the sum is built from a stale base.
        double* cell = (double*)(memory.GetPointer() + cellAddress(sheet, index));
        return *cell; // expect: WVA001
    }

    public double ReadCellOrdered(int sheet, int index)
    {
        int address = cellAddress(sheet, index);
        double* cell = (double*)(memory.GetPointer() + address);
        return *cell;
    }

    public Dictionary<string, double> Snapshot(string[] names, int sheet)
    {
        Dictionary<string, IntPtr> cells = new Dictionary<string, IntPtr>();
        foreach (string name in names)
        {
            int index = resolveName(sheet, name.Length);
            int address = cellAddress(sheet, index);
            cells.Add(name, memory.GetPointer() + address); // expect: WVA002
        }

        Dictionary<string, double> result = new Dictionary<string, double>();
        foreach (KeyValuePair<string, IntPtr> pair in cells)
        {
            result[pair.Key] = *(double*)pair.Value; // expect: WVA001
        }

        return result;
    }

    public double SumValues(string[] names, int sheet)
    {
        Dictionary<string, IntPtr> cells = new Dictionary<string, IntPtr>();
        foreach (string name in names)
        {
            cells[name] = memory.GetPointer() + cellAddress(sheet, resolveName(sheet, name.Length)); // expect: WVA001, WVA002
        }

        double sum = 0;
        foreach (IntPtr cell in cells.Values)
        {
            sum += *(double*)cell; // expect: WVA001
        }

        return sum;
    }

    public double SumValuesByOffset(string[] names, int sheet)
    {
        Dictionary<string, int> offsets = new Dictionary<string, int>();
        foreach (string name in names)
        {
            offsets[name] = cellAddress(sheet, resolveName(sheet, name.Length));
        }

        double sum = 0;
        byte* basePointer = (byte*)memory.GetPointer();
        foreach (int offset in offsets.Values)
        {
            sum += *(double*)(basePointer + offset);
        }

        // Keys only: no guest memory behind them.
        Console.WriteLine(string.Join(",", offsets.Keys));
        return sum;
    }

    public void Edit(int sheet, int index, int formulaAddress, int formulaLength)
    {
        int address = setFormula(sheet, index, formulaAddress, formulaLength);
        Interlocked.Exchange(ref lastEdited, memory.GetPointer() + address); // expect: WVA002
    }

    public void Publish(int sheet, int index)
    {
        int address = cellAddress(sheet, index);
        Put(ref lastResult, memory.GetPointer() + address); // expect: WVA002
    }

    public string Describe(int sheet)
    {
        // Only compared: a pointer field tested against zero reads no guest memory.
        string edited = lastEdited == IntPtr.Zero ? "none" : "some";
        return edited + "/" + (lastResult != IntPtr.Zero) + "/" + pinnedCells.Count + "/" + sheet;
    }

    public double[] Column(int sheet, int column)
    {
        int grid = gridAddress(sheet);
        Span<double> cells = memory.GetSpan<double>(grid, Rows * Columns);
        double[] values = new double[Rows];
        for (int row = 0; row < Rows; row++)
        {
            values[row] = cells[row * Columns + column];
        }

        recalc(sheet);
        // 'cells' is not read again after the recalculation: only its length.
        Console.WriteLine("column read from " + cells.Length + " cells");
        return values;
    }
}
