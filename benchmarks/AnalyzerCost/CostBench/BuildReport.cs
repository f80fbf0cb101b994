using System.Globalization;
using System.Text.RegularExpressions;

namespace CostBench;

/// <summary>What one build reported: the compiler's own timing of each analyzer and of the Csc task.</summary>
internal sealed record BuildReport(
    double CscSeconds,
    double WasmViewSeconds,
    double Ca2000Seconds,
    double AllAnalyzersSeconds,
    int Wva001,
    int Ca2000Warnings)
{
    // "   1.234   56   WasmViewAnalyzers, Version=0.1.0.0, ..." (an assembly) and
    // "   1.234   56      Microsoft.NetCore.Analyzers.Runtime.DisposeObjectsBeforeLosingScope (CA2000)" (an analyzer).
    private static readonly Regex Row = new(@"^\s*(?:\d+>)?\s*(<?[0-9.]+)\s+<?\d+\s+(\S.*)$", RegexOptions.Compiled);
    private static readonly Regex Total = new(@"Total analyzer execution time: ([0-9.]+) seconds", RegexOptions.Compiled);
    private static readonly Regex CscTask = new(@"^\s*(\d+) ms\s+Csc\s+\d+ calls", RegexOptions.Compiled);
    private static readonly Regex Warning = new(@"([^\s\\/]+\.cs\(\d+,\d+\)): warning (WVA001|CA2000)", RegexOptions.Compiled);

    /// <summary>Reads a build log written with <c>-v:detailed -clp:PerformanceSummary -p:ReportAnalyzer=true</c>.</summary>
    public static BuildReport Parse(IEnumerable<string> lines)
    {
        double csc = double.NaN, wasmView = 0, ca2000 = 0, all = 0;
        var inAnalyzers = false;
        var wva = new HashSet<string>(StringComparer.Ordinal);
        var ca = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var total = Total.Match(line);
            if (total.Success)
            {
                all = Seconds(total.Groups[1].Value);
                inAnalyzers = true;
                continue;
            }

            if (line.Contains("Total generator execution time", StringComparison.Ordinal))
            {
                inAnalyzers = false;
                continue;
            }

            var task = CscTask.Match(line);
            if (task.Success)
            {
                csc = int.Parse(task.Groups[1].Value, CultureInfo.InvariantCulture) / 1000.0;
                continue;
            }

            var warning = Warning.Match(line);
            if (warning.Success)
            {
                (warning.Groups[2].Value == "WVA001" ? wva : ca).Add(warning.Groups[1].Value);
                continue;
            }

            if (!inAnalyzers)
            {
                continue;
            }

            var row = Row.Match(line);
            if (!row.Success)
            {
                continue;
            }

            var name = row.Groups[2].Value;
            if (name.StartsWith("WasmViewAnalyzers, Version=", StringComparison.Ordinal))
            {
                wasmView = Seconds(row.Groups[1].Value);
            }
            else if (name.EndsWith("(CA2000)", StringComparison.Ordinal))
            {
                ca2000 = Seconds(row.Groups[1].Value);
            }
        }

        return new BuildReport(csc, wasmView, ca2000, all, wva.Count, ca.Count);
    }

    private static double Seconds(string text)
        => text.StartsWith('<') ? 0 : double.Parse(text, CultureInfo.InvariantCulture);
}
