using System.Globalization;
using System.Text;

namespace CostBench;

/// <summary>Renders the editor-latency requests (<see cref="EditorLatency"/>) as a Markdown table with the issue-14 targets' verdicts.</summary>
internal static class EditorTable
{
    /// <summary>Target: WasmViewAnalyzers' mean request latency at most this many times CA2000's, on the largest projects.</summary>
    public const double RatioTarget = 1.5;

    /// <summary>Target: WasmViewAnalyzers' mean request latency grows at most this much from the smallest projects to the largest (200 to 800 files).</summary>
    public const double GrowthTarget = 1.3;

    public static string Render(IReadOnlyList<EditorSample> samples, EditorOptions options, string analyzerDll)
        => Render(samples, $"`editor {options.Describe()}`; WasmViewAnalyzers from `{analyzerDll}`");

    private static string Render(IReadOnlyList<EditorSample> samples, string run)
    {
        var text = new StringBuilder();
        var loads = samples.Select(s => s.LoadAverage).Where(l => !double.IsNaN(l)).ToList();
        text.Append(CultureInfo.InvariantCulture, $"Editor latency ({run}; ");
        text.Append(loads.Count == 0 ? "load average unknown). " : string.Create(CultureInfo.InvariantCulture, $"1-minute load average before the requests: min {loads.Min():F1}, median {Median(loads):F1}, max {loads.Max():F1} on {Environment.ProcessorCount} cores). "));
        text.Append("Each request: one line of one random file edited, a new compilation with that tree replaced, the document's compiler ");
        text.Append("diagnostics (*compiler*), then a new CompilationWithAnalyzers asked for the document's analyzer diagnostics ");
        text.Append("(*analyzer*: GetAnalyzerSemanticDiagnosticsAsync); *request* is both. WasmViewAnalyzers (wva) and CA2000 are asked ");
        text.Append("on the same edits, each on its own chain of compilations. Times in ms: mean / median / p90 / max over the edits; ");
        text.Append("*CPU* and *allocated* are the process's, median per request; *vs CA2000* divides the mean request (and the mean analyzer step) by CA2000's.\n\n");
        text.Append("| Corpus | Files | Analyzer | Request (ms) | Compiler (ms) | Analyzer (ms) | CPU (ms) | Allocated (MB) | Diagnostics | vs CA2000 |\n");
        text.Append("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");

        var corpora = samples.GroupBy(s => (s.Kind, s.Files)).OrderBy(g => g.Key.Files).ThenBy(g => g.Key.Kind).ToList();
        foreach (var corpus in corpora)
        {
            var ca = corpus.Where(s => s.Analyzer == EditorLatency.Ca2000).ToList();
            foreach (var analyzer in new[] { EditorLatency.Wva, EditorLatency.Ca2000 })
            {
                var runs = corpus.Where(s => s.Analyzer == analyzer).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var request = runs.Select(s => s.RequestMs).ToList();
                var analyzerStep = runs.Select(s => s.AnalyzerMs).ToList();
                text.Append(CultureInfo.InvariantCulture, $"| {runs[0].Corpus} | {corpus.Key.Files} | {analyzer} | {Spread(request)} | {Spread(runs.Select(s => s.CompilerMs).ToList())} | {Spread(analyzerStep)} | ");
                text.Append(CultureInfo.InvariantCulture, $"{Median(runs.Select(s => s.CpuMs)):F0} | {Median(runs.Select(s => s.AllocatedBytes / 1e6)):F1} | {Median(runs.Select(s => (double)s.Diagnostics)):F0} | ");
                text.Append(analyzer == EditorLatency.Wva && ca.Count > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{request.Average() / ca.Average(s => s.RequestMs):F2}× ({analyzerStep.Average() / ca.Average(s => s.AnalyzerMs):F2}×)")
                    : "-");
                text.Append(" |\n");
            }
        }

        text.Append("\nTargets (issue 14), by mean request latency; in parentheses the analyzer step alone, and the process's CPU time and allocations, ");
        text.Append("which a loaded machine disturbs much less than the wall clock:\n\n");
        text.Append(Verdicts(samples));
        return text.ToString();
    }

    private static string Verdicts(IReadOnlyList<EditorSample> samples)
    {
        var text = new StringBuilder();
        var sizes = samples.Select(s => s.Files).Distinct().Order().ToList();
        if (sizes.Count == 0)
        {
            return "- nothing measured\n";
        }

        foreach (var family in samples.Select(s => s.Kind).Distinct().Order())
        {
            var name = EditorOptions.FamilyName(family);
            double Mean(int files, string analyzer, Func<EditorSample, double> value)
                => samples.Where(s => s.Kind == family && s.Files == files && s.Analyzer == analyzer).Select(value).DefaultIfEmpty(double.NaN).Average();

            var largest = sizes[^1];
            var wva = Mean(largest, EditorLatency.Wva, s => s.RequestMs);
            var ca = Mean(largest, EditorLatency.Ca2000, s => s.RequestMs);
            var ratio = wva / ca;
            var stepRatio = Mean(largest, EditorLatency.Wva, s => s.AnalyzerMs) / Mean(largest, EditorLatency.Ca2000, s => s.AnalyzerMs);
            var cpuRatio = Mean(largest, EditorLatency.Wva, s => s.CpuMs) / Mean(largest, EditorLatency.Ca2000, s => s.CpuMs);
            text.Append(CultureInfo.InvariantCulture, $"- {name}, {largest} files: mean latency ≤ {RatioTarget}× CA2000's: WVA {wva:F0} ms, CA2000 {ca:F0} ms, {ratio:F2}× ({stepRatio:F2}×; process CPU {cpuRatio:F2}×): **{Verdict(ratio <= RatioTarget, ratio)}**\n");

            if (sizes.Count > 1)
            {
                var smallest = sizes[0];
                var growth = wva / Mean(smallest, EditorLatency.Wva, s => s.RequestMs);
                var stepGrowth = Mean(largest, EditorLatency.Wva, s => s.AnalyzerMs) / Mean(smallest, EditorLatency.Wva, s => s.AnalyzerMs);
                var caGrowth = ca / Mean(smallest, EditorLatency.Ca2000, s => s.RequestMs);
                var cpuGrowth = Mean(largest, EditorLatency.Wva, s => s.CpuMs) / Mean(smallest, EditorLatency.Wva, s => s.CpuMs);
                var allocationGrowth = Mean(largest, EditorLatency.Wva, s => s.AllocatedBytes) / Mean(smallest, EditorLatency.Wva, s => s.AllocatedBytes);
                text.Append(CultureInfo.InvariantCulture, $"- {name}, {smallest} → {largest} files: mean latency grows ≤ {GrowthTarget}×: WVA {Mean(smallest, EditorLatency.Wva, s => s.RequestMs):F0} → {wva:F0} ms, {growth:F2}× ({stepGrowth:F2}×; process CPU {cpuGrowth:F2}×, allocated {allocationGrowth:F2}×; CA2000 {caGrowth:F2}×): **{Verdict(growth <= GrowthTarget, growth)}**\n");
            }
        }

        return text.ToString();
    }

    private static string Verdict(bool met, double value) => double.IsNaN(value) ? "not measured" : met ? "met" : "not met";

    private static string Spread(List<double> values)
    {
        var sorted = values.Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{sorted.Average():F0} / {Median(sorted):F0} / {Percentile(sorted, 0.9):F0} / {sorted[^1]:F0}");
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p)
        => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // ------------------------------------------------------------------ raw requests

    private const string RunPrefix = "# run: ";

    /// <summary>Writes every request, one a line, after a line saying how the run was made (for <c>table</c>).</summary>
    public static void WriteRaw(string path, IReadOnlyList<EditorSample> samples, EditorOptions options, string analyzerDll)
    {
        var text = new StringBuilder(RunPrefix).Append(CultureInfo.InvariantCulture, $"`editor {options.Describe()}`; WasmViewAnalyzers from `{analyzerDll}`\n");
        text.Append("corpus\tkind\tfiles\tanalyzer\tedit\tdocument\tchange\tcompiler_ms\tanalyzer_ms\trequest_ms\tcpu_ms\tallocated_bytes\tdiagnostics\tload\n");
        foreach (var s in samples)
        {
            text.Append(CultureInfo.InvariantCulture, $"{s.Corpus}\t{s.Kind}\t{s.Files}\t{s.Analyzer}\t{s.Edit}\t{s.Document}\t{s.Change}\t{s.CompilerMs:F2}\t{s.AnalyzerMs:F2}\t{s.RequestMs:F2}\t{s.CpuMs:F0}\t{s.AllocatedBytes}\t{s.Diagnostics}\t{s.LoadAverage:F2}\n");
        }

        File.WriteAllText(path, text.ToString());
    }

    /// <summary>The table of an earlier run, from its editor.tsv.</summary>
    public static string RenderRaw(string path)
    {
        var lines = File.ReadAllLines(path);
        var run = lines[0].StartsWith(RunPrefix, StringComparison.Ordinal) ? lines[0][RunPrefix.Length..] : "an earlier run";
        var samples = new List<EditorSample>();
        foreach (var line in lines.SkipWhile(l => !l.StartsWith("corpus\t", StringComparison.Ordinal)).Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split('\t');
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            samples.Add(new EditorSample(f[0], Enum.Parse<CorpusKind>(f[1]), int.Parse(f[2], CultureInfo.InvariantCulture), f[3], int.Parse(f[4], CultureInfo.InvariantCulture), f[5], f[6], D(7), D(8), D(9), D(10), long.Parse(f[11], CultureInfo.InvariantCulture), int.Parse(f[12], CultureInfo.InvariantCulture), D(13)));
        }

        return Render(samples, run);
    }
}
