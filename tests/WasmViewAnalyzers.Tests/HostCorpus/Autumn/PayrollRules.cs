// Payroll rules engine: country-specific withholding rules compiled to wasm behind a "rules backend" abstraction.
// Shape: hosts that hide Wasmtime behind an interface and an abstract base (DotNetIsolator's IsolatedRuntime/Instance split).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Autumn.PayrollRules;

[StructLayout(LayoutKind.Sequential)]
public struct PayslipLine
{
    public int Code;
    public long AmountCents;
    public int Flags;
}

public interface IRulesBackend
{
    int Evaluate(int employeeAddress);        // runs the rules in the guest
    Span<byte> Window(int address, int length); // a view of the backend's memory
    int Scratch { get; }
}

public abstract class RulesBackendBase : IRulesBackend
{
    public abstract int Evaluate(int employeeAddress);
    public abstract Span<byte> Window(int address, int length);
    public virtual int Scratch => 0x2000;

    // Judged by its body: it only reads Length.
    public static int LineCount(ReadOnlySpan<byte> lines) => lines.Length / 24;

    // Judged by its body: it reads the bytes.
    public static long Total(ReadOnlySpan<byte> lines)
    {
        long total = 0;
        foreach (var line in MemoryMarshal.Cast<byte, PayslipLine>(lines)) total += line.AmountCents;
        return total;
    }
}

public sealed class WasmtimeRulesBackend : RulesBackendBase
{
    private readonly Memory _memory;
    private readonly Func<int, int> _evaluate;

    public WasmtimeRulesBackend(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _evaluate = instance.GetFunction<int, int>("evaluate")!;
    }

    public override int Evaluate(int employeeAddress) => _evaluate(employeeAddress);
    public override Span<byte> Window(int address, int length) => _memory.GetSpan(address, length);
}

public sealed record EmployeeResult(string EmployeeId, int LinesAddress, int LineCount);

public sealed class PayrollRun
{
    private readonly IRulesBackend _backend;
    private readonly Dictionary<string, EmployeeResult> _results = new();
    private readonly Dictionary<string, long> _totals = new();

    public PayrollRun(IRulesBackend backend) => _backend = backend;

    private int Run(string employeeId)
    {
        var input = _backend.Window(_backend.Scratch, 64);
        input.Clear();
        System.Text.Encoding.ASCII.GetBytes(employeeId, input);
        return _backend.Evaluate(_backend.Scratch);
    }

    public long NetPay(string employeeId)
    {
        var resultAddress = Run(employeeId);
        var count = BitConverter.ToInt32(_backend.Window(resultAddress, 4));
        var lines = _backend.Window(resultAddress + 8, count * 24);
        var gross = RulesBackendBase.Total(lines); // fresh
        _backend.Evaluate(resultAddress);          // second pass: the rules engine applies year-to-date caps in place
        var n = RulesBackendBase.LineCount(lines);  // only the length: not a use
        return gross - RulesBackendBase.Total(lines) + n; // expect: WVA001
    }

    public void RunAll(IEnumerable<string> employees)
    {
        foreach (var id in employees)
        {
            var address = Run(id);
            var count = BitConverter.ToInt32(_backend.Window(address, 4));
            _results[id] = new EmployeeResult(id, address + 8, count); // offsets: numbers, not views
        }
        foreach (var (id, result) in _results)
        {
            // Obtained again from the offsets; the guest may still have overwritten them (its buffer is per call),
            // but that is a logic bug, not a stale view: the span itself is fresh.
            _totals[id] = RulesBackendBase.Total(_backend.Window(result.LinesAddress, result.LineCount * 24));
        }
    }

    public long TotalOf(string id)
    {
        if (_results.TryGetValue(id, out var result))
        {
            var view = _backend.Window(result.LinesAddress, result.LineCount * 24);
            return RulesBackendBase.Total(view);
        }
        return 0;
    }

    public unsafe Dictionary<string, int> FirstCodes(IReadOnlyList<string> employees)
    {
        var pending = new Dictionary<string, PayslipLine>();
        var refs = new List<(string EmployeeId, nint Line)>();
        foreach (var id in employees)
        {
            var address = Run(id);
            var first = MemoryMarshal.Read<PayslipLine>(_backend.Window(address + 8, 24)); // a struct copy
            pending[id] = first;
        }
        var codes = pending.ToDictionary(p => p.Key, p => p.Value.Code);
        foreach (var id in employees)
        {
            var address = Run(id);
            fixed (byte* line = _backend.Window(address + 8, 24))
            {
                refs.Add((id, (nint)line)); // expect: WVA002
            }
        }
        foreach (var slip in refs)
        {
            codes[slip.EmployeeId] += ((PayslipLine*)slip.Line)->Code; // expect: WVA001
        }
        return codes;
    }

    public long CapCheck(string employeeId, long cap)
    {
        var address = Run(employeeId);
        ref var line = ref MemoryMarshal.AsRef<PayslipLine>(_backend.Window(address + 8, 24));
        if (line.AmountCents > cap)
        {
            line.Flags |= 1;             // written for the guest to see: fresh
            _backend.Evaluate(address);  // the guest re-applies the rules with the flag
            return line.AmountCents;     // expect: WVA001
        }
        return line.AmountCents;         // this path ran no guest call since the ref was taken
    }
}
