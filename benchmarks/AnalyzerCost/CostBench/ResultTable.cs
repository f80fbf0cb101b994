using System.Globalization;
using System.Text;

namespace CostBench;

/// <summary>Renders the measurements as Markdown tables: per corpus and configuration, then growth per doubling.</summary>
internal static class ResultTable
{
    public static string Render(IReadOnlyList<Measurement> measurements, BenchOptions options)
    {
        var text = new StringBuilder();
        var rounds = measurements.Select(m => m.Round).Distinct().Count();
        var loads = measurements.Select(m => m.LoadAverage).Where(l => !double.IsNaN(l)).ToList();
        text.Append(CultureInfo.InvariantCulture, $"Rounds: {rounds}; compiler: {(options.Compiler == "server" ? "warm compiler server" : "fresh compiler process (UseSharedCompilation=false)")}; ");
        text.Append(loads.Count == 0 ? "load average unknown. " : string.Create(CultureInfo.InvariantCulture, $"1-minute load average before the builds: min {loads.Min():F1}, median {Median(loads):F1}, max {loads.Max():F1} (on {Environment.ProcessorCount} cores). "));
        text.Append("Times are min / median over the rounds. *Analyzer* is the compiler's own timing (ReportAnalyzer) of WasmViewAnalyzers (wva) ");
        text.Append("or of the CA2000 analyzer (ca2000); *Csc* is the Csc task. *vs CA2000* divides the median WasmViewAnalyzers time by the ");
        text.Append("median CA2000 time on the same corpus in the same run; *share* is analyzer / Csc; *Csc added* is the Csc task against the build without analyzers (for sdk-wva: against sdk, the SDK's default analyzers without WasmViewAnalyzers); ");
        text.Append("*CPU* is the CPU time of the whole build (MSBuild and, with a fresh compiler process, the compiler), and *CPU added* the difference against the build without analyzers (median against median): ");
        text.Append("less disturbed by other load than the wall-clock times, but diluted by MSBuild's own CPU.\n\n");
        text.Append("| Corpus | Files | Config | Csc (s) | Build CPU (s) | Analyzer (s) | ms / file | vs CA2000 | Share of Csc | Csc added | CPU added | WVA001 |\n");
        text.Append("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");

        foreach (var group in measurements.GroupBy(m => m.Corpus.Name).OrderBy(g => Order(g.First().Corpus)))
        {
            var corpus = group.First().Corpus;

            var caAnalyzer = Median(group.Where(m => m.Config == "ca2000").Select(m => m.Report.Ca2000Seconds));
            foreach (var config in BuildBenchmark.Configs)
            {
                var runs = group.Where(m => m.Config == config).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var csc = runs.Select(m => m.Report.CscSeconds).ToList();
                var analyzer = runs.Select(Analyzer).ToList();
                var medianAnalyzer = Median(analyzer);
                var medianCsc = Median(csc);
                var baseline = BuildBenchmark.BaselineOf(config);
                var noneCsc = Median(group.Where(m => m.Config == baseline).Select(m => m.Report.CscSeconds));
                var noneCpu = Median(group.Where(m => m.Config == baseline).Select(m => m.CpuSeconds));
                var cpu = runs.Select(m => m.CpuSeconds).ToList();
                var medianCpu = Median(cpu);
                text.Append(CultureInfo.InvariantCulture, $"| {corpus.Name} | {corpus.SourceFiles} | {config} | {csc.Min():F2} / {medianCsc:F2} | {cpu.Min():F1} / {medianCpu:F1} | ");
                if (config is "none" or "sdk")
                {
                    text.Append("- | - | - | - | - | - | - |\n");
                    continue;
                }

                text.Append(CultureInfo.InvariantCulture, $"{analyzer.Min():F3} / {medianAnalyzer:F3} | {1000 * medianAnalyzer / corpus.SourceFiles:F2} | ");
                text.Append(config == "wva" && caAnalyzer > 0 ? string.Create(CultureInfo.InvariantCulture, $"{medianAnalyzer / caAnalyzer:F2}×") : "-");
                text.Append(CultureInfo.InvariantCulture, $" | {100 * medianAnalyzer / medianCsc:F1}% | ");
                text.Append(double.IsNaN(noneCsc) ? "-" : Signed(100 * ((medianCsc / noneCsc) - 1), "0.0") + "%");
                text.Append(" | ");
                // With the compiler server the compiler's CPU is not the build's: there is nothing to compare.
                text.Append(double.IsNaN(noneCpu) || double.IsNaN(medianCpu) || options.Compiler == "server"
                    ? "-"
                    : Signed(medianCpu - noneCpu, "0.0") + " s (" + Signed(100 * ((medianCpu / noneCpu) - 1), "0") + "%)");
                text.Append(CultureInfo.InvariantCulture, $" | {(config is "wva" or "sdk-wva" ? runs[0].Report.Wva001.ToString(CultureInfo.InvariantCulture) : "-")} |\n");
            }
        }

        var growth = Growth(measurements, options);
        if (growth.Length > 0)
        {
            text.Append("\nGrowth per doubling of the corpus ((t2/t1)^(1/log2(n2/n1)); 2.0 is linear), of the median analyzer time and of the median CPU added:\n\n");
            text.Append(growth);
        }

        return text.ToString();
    }

    private static string Growth(IReadOnlyList<Measurement> measurements, BenchOptions options)
    {
        var text = new StringBuilder();
        var families = measurements.Where(m => m.Corpus.IsHostFamily).GroupBy(m => m.Corpus.Kind);
        foreach (var family in families)
        {
            var sizes = family.Select(m => m.Corpus.Files).Distinct().Order().ToList();
            if (sizes.Count < 2)
            {
                continue;
            }

            foreach (var config in new[] { "wva", "ca2000" })
            {
                var time = new List<string>();
                var cpu = new List<string>();
                for (var i = 1; i < sizes.Count; i++)
                {
                    var exponent = 1 / Math.Log2((double)sizes[i] / sizes[i - 1]);
                    var t1 = Median(family.Where(m => m.Config == config && m.Corpus.Files == sizes[i - 1]).Select(m => Analyzer(m)));
                    var t2 = Median(family.Where(m => m.Config == config && m.Corpus.Files == sizes[i]).Select(m => Analyzer(m)));
                    time.Add(string.Create(CultureInfo.InvariantCulture, $"{sizes[i - 1]}→{sizes[i]}: {Math.Pow(t2 / t1, exponent):F2}×"));
                    var c1 = CpuAdded(family, config, sizes[i - 1]);
                    var c2 = CpuAdded(family, config, sizes[i]);
                    cpu.Add(c1 > 0 && c2 > 0 && options.Compiler != "server" ? string.Create(CultureInfo.InvariantCulture, $"{sizes[i - 1]}→{sizes[i]}: {Math.Pow(c2 / c1, exponent):F2}×") : "-");
                }

                text.Append(CultureInfo.InvariantCulture, $"- {CorpusGenerator.Name(family.Key, 0).Replace("-0", string.Empty, StringComparison.Ordinal)}, {config}: analyzer time {string.Join(", ", time)}; CPU added {string.Join(", ", cpu)}\n");
            }
        }

        return text.ToString();
    }

    /// <summary>Reads the measurements.tsv of a run back, to render its table again (CostBench table FILE).</summary>
    public static List<Measurement> ReadRaw(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split('\t').Select((name, index) => (name, index)).ToDictionary(c => c.name, c => c.index, StringComparer.Ordinal);
        double Number(string[] fields, string column)
            => header.TryGetValue(column, out var index) ? double.Parse(fields[index], CultureInfo.InvariantCulture) : double.NaN;

        var corpora = new Dictionary<string, Corpus>(StringComparer.Ordinal);
        var result = new List<Measurement>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var fields = line.Split('\t');
            var name = fields[header["corpus"]];
            if (!corpora.TryGetValue(name, out var corpus))
            {
                var (kind, files) = Enum.GetValues<CorpusKind>()
                    .SelectMany(k => new[] { (k, int.TryParse(name[(name.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture, out var n) ? n : CorpusGenerator.ChainDepth) })
                    .First(c => CorpusGenerator.Name(c.k, c.Item2) == name);
                corpora[name] = corpus = new Corpus(kind, files, string.Empty, int.Parse(fields[header["files"]], CultureInfo.InvariantCulture));
            }

            var report = new BuildReport(
                Number(fields, "csc_s"),
                Number(fields, "wva_s"),
                Number(fields, "ca2000_s"),
                Number(fields, "all_analyzers_s"),
                (int)Number(fields, "wva001"),
                (int)Number(fields, "ca2000_warnings"));
            result.Add(new Measurement(corpus, fields[header["config"]], (int)Number(fields, "round"), Number(fields, "wall_s"), Number(fields, "cpu_s"), Number(fields, "load"), report));
        }

        return result;
    }

    private static string Signed(double value, string format)
        => (value < 0 ? "-" : "+") + Math.Abs(value).ToString(format, CultureInfo.InvariantCulture);

    private static double CpuAdded(IEnumerable<Measurement> family, string config, int files)
        => Median(family.Where(m => m.Config == config && m.Corpus.Files == files).Select(m => m.CpuSeconds))
           - Median(family.Where(m => m.Config == "none" && m.Corpus.Files == files).Select(m => m.CpuSeconds));

    private static double Analyzer(Measurement m) => m.Config == "ca2000" ? m.Report.Ca2000Seconds : m.Report.WasmViewSeconds;

    private static int Order(Corpus corpus) => ((int)corpus.Kind * 100_000) + corpus.Files;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
