using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CostBench;

/// <summary>One generated project and the configurations it is built in.</summary>
internal sealed record Corpus(CorpusKind Kind, int Files, string Directory, int SourceFiles)
{
    public string Name => CorpusGenerator.Name(Kind, Files);

    public bool IsHostFamily => Kind is CorpusKind.HostsPrivate or CorpusKind.HostsInternal;
}

/// <summary>One build: its wall time, the CPU time of the whole build (MSBuild and the compiler), and what the compiler reported.</summary>
internal sealed record Measurement(Corpus Corpus, string Config, int Round, double WallSeconds, double CpuSeconds, double LoadAverage, BuildReport Report);

/// <summary>
/// Builds every corpus in every configuration, round after round, interleaved (each round visits
/// the corpora and configurations in a different order, so that a burst of load from elsewhere on
/// the machine spreads over all of them instead of landing on one), and prints the table.
/// </summary>
internal sealed class BuildBenchmark
{
    public static readonly string[] Configs = ["none", "wva", "ca2000", "sdk", "sdk-wva"];

    /// <summary>
    /// The configurations a corpus is built in. Code without views is also built the way a new
    /// project builds it (the SDK's default analyzers on) with and without WasmViewAnalyzers: there
    /// the analyzer driver runs anyway, so that pair shows what adding WasmViewAnalyzers costs
    /// (with --sdk-baseline, every corpus).
    /// </summary>
    public static string[] ConfigsOf(Corpus corpus, BenchOptions options)
        => options.SdkBaseline || corpus.Kind is CorpusKind.NoWasmtime or CorpusKind.Sparse ? Configs : ["none", "wva", "ca2000"];

    /// <summary>The configuration a build is compared with for "added": the same build without WasmViewAnalyzers or CA2000.</summary>
    public static string BaselineOf(string config) => config is "sdk-wva" or "sdk" ? "sdk" : "none";

    private readonly BenchOptions _options;
    private readonly string _repository;
    private readonly List<Measurement> _measurements = new();

    public BuildBenchmark(BenchOptions options, string repository)
    {
        _options = options;
        _repository = repository;
    }

    public int Run()
    {
        var work = Path.GetFullPath(_options.WorkDirectory);
        PrepareWorkDirectory(work);

        var analyzerProject = Path.Combine(AnalyzerSources(work), "src", "WasmViewAnalyzers", "WasmViewAnalyzers.csproj");
        Log($"building the analyzer (Release): {analyzerProject}");
        Dotnet(work, Path.Combine(work, "analyzer-build.log"), "build", analyzerProject, "-c", "Release", "-nologo", "-v:q");

        var corpora = new List<Corpus>();
        foreach (var (kind, files) in _options.Corpora())
        {
            var directory = Path.Combine(work, CorpusGenerator.Name(kind, files));
            var sources = CorpusGenerator.Write(kind, files, directory, analyzerProject);
            Dotnet(directory, Path.Combine(directory, "restore.log"), "restore", "-nologo", "-v:q");
            corpora.Add(new Corpus(kind, files, directory, sources));
            Log($"generated {CorpusGenerator.Name(kind, files)}: {sources} files");
        }

        // One unmeasured build of each corpus: checks that it compiles and warms the disk cache
        // (and, with --compiler server, the compiler server).
        foreach (var corpus in corpora)
        {
            Build(corpus, "none", round: 0);
        }

        for (var round = 1; round <= _options.Rounds; round++)
        {
            var order = Rotate(corpora, round);
            foreach (var corpus in order)
            {
                foreach (var config in Rotate(ConfigsOf(corpus, _options), round + corpus.Files))
                {
                    var measurement = Build(corpus, config, round);
                    _measurements.Add(measurement);
                    Log($"round {round}/{_options.Rounds} {corpus.Name,-22} {config,-6} csc {measurement.Report.CscSeconds,7:F2} s  " +
                        $"WVA {measurement.Report.WasmViewSeconds,7:F3} s  CA2000 {measurement.Report.Ca2000Seconds,7:F3} s");
                }
            }
        }

        var raw = Path.Combine(work, "measurements.tsv");
        WriteRaw(raw);
        var table = ResultTable.Render(_measurements, _options);
        var editorTable = MeasureEditorLatency(work, corpora, analyzerProject);
        if (editorTable is not null)
        {
            table += "\n" + editorTable;
        }

        Console.WriteLine();
        Console.WriteLine(table);
        File.WriteAllText(Path.Combine(work, "table.md"), table);
        Log($"raw measurements: {raw}{(editorTable is null ? string.Empty : " and editor.tsv beside it")}; table: {Path.Combine(work, "table.md")}");
        return 0;
    }

    /// <summary>
    /// The editor latency (<see cref="EditorLatency"/>) of the host corpora of the sizes asked for,
    /// with the analyzer these builds measured; <see langword="null"/> when none was built.
    /// </summary>
    private string? MeasureEditorLatency(string work, List<Corpus> corpora, string analyzerProject)
    {
        var edited = corpora.Where(c => c.IsHostFamily && _options.EditorFiles.Contains(c.Files)).ToList();
        if (edited.Count == 0)
        {
            return null;
        }

        var options = EditorOptions.ForBuild(_options, edited.Select(c => c.Files).Distinct());
        var analyzerDll = Path.Combine(Path.GetDirectoryName(analyzerProject)!, "bin", "Release", "netstandard2.0", "WasmViewAnalyzers.dll");
        var samples = EditorLatency.Measure(edited.Select(c => (c.Kind, c.Files, c.Directory)).ToList(), options, analyzerDll);
        EditorTable.WriteRaw(Path.Combine(work, "editor.tsv"), samples, options, analyzerDll);
        return EditorTable.Render(samples, options, analyzerDll);
    }

    /// <summary>Creates the directory the corpora are written to.</summary>
    public static void PrepareWorkDirectory(string work)
    {
        Directory.CreateDirectory(work);

        // The corpora live outside the repository, so that its Directory.Build.props (warnings as
        // errors, central package versions) does not apply; these empty files stop the search upward.
        File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />\n");
    }

    /// <summary>
    /// The repository itself, or with --analyzer-from REV a copy of the analyzer's sources at that
    /// revision (git archive), to measure an older engine with today's benchmark.
    /// </summary>
    private string AnalyzerSources(string work)
    {
        if (_options.AnalyzerFrom is not { } revision)
        {
            return _repository;
        }

        var directory = Path.Combine(work, "analyzer-" + string.Concat(revision.Select(c => char.IsLetterOrDigit(c) ? c : '-')));
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        Run("bash", _repository, "-c", $"git archive '{revision}' src/WasmViewAnalyzers Directory.Build.props Directory.Packages.props | tar -x -C '{directory}'");
        Log($"analyzer sources from {revision}: {directory}");
        return directory;
    }

    private Measurement Build(Corpus corpus, string config, int round)
    {
        // Deleting the intermediate assembly is the cheapest way to make CoreCompile run again
        // without cleaning (which would touch the referenced analyzer project).
        foreach (var stale in Directory.EnumerateFiles(Path.Combine(corpus.Directory, "obj"), "Cost.dll", SearchOption.AllDirectories))
        {
            File.Delete(stale);
        }

        var log = Path.Combine(corpus.Directory, $"build-{config}-{round}.log");
        var load = LoadAverage();
        var cpu = ChildrenCpuSeconds();
        var watch = Stopwatch.StartNew();
        Dotnet(
            corpus.Directory,
            log,
            "build",
            "--no-restore",
            "-c",
            "Release",
            "-nologo",
            "-v:detailed",
            "-clp:PerformanceSummary",
            "-nodeReuse:false",
            "-p:BuildProjectReferences=false",
            "-p:ReportAnalyzer=true",
            $"-p:CostConfig={config}",
            $"-p:UseSharedCompilation={(_options.Compiler == "server" ? "true" : "false")}");
        watch.Stop();
        cpu = ChildrenCpuSeconds() - cpu;
        var report = BuildReport.Parse(File.ReadLines(log));
        if (double.IsNaN(report.CscSeconds))
        {
            throw new InvalidOperationException($"no Csc timing in {log}");
        }

        if (!_options.KeepLogs && round > 0)
        {
            File.Delete(log);
        }

        return new Measurement(corpus, config, round, watch.Elapsed.TotalSeconds, cpu, load, report);
    }

    /// <summary>The 1-minute load average before a build (Linux), to say how busy the machine was.</summary>
    public static double LoadAverage()
        => File.Exists("/proc/loadavg")
            ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture)
            : double.NaN;

    /// <summary>
    /// The user and system CPU time of every child process this process has waited for, and
    /// theirs (Linux: /proc/self/stat cutime + cstime). Unlike wall time it does not grow when
    /// other work on the machine takes the cores, so "CPU added" survives a loaded machine better.
    /// </summary>
    private static double ChildrenCpuSeconds()
    {
        const string stat = "/proc/self/stat";
        if (!File.Exists(stat))
        {
            return double.NaN;
        }

        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');

        // Fields 16 and 17 of stat(5), counted from the state (field 3) here; in clock ticks of 1/100 s.
        return (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static List<T> Rotate<T>(IReadOnlyList<T> items, int by)
    {
        var result = new List<T>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            result.Add(items[(i + by) % items.Count]);
        }

        return result;
    }

    private void WriteRaw(string path)
    {
        var text = new StringBuilder("corpus\tfiles\tconfig\tround\tload\twall_s\tcpu_s\tcsc_s\twva_s\tca2000_s\tall_analyzers_s\twva001\tca2000_warnings\n");
        foreach (var m in _measurements)
        {
            var r = m.Report;
            text.Append(CultureInfo.InvariantCulture, $"{m.Corpus.Name}\t{m.Corpus.SourceFiles}\t{m.Config}\t{m.Round}\t{m.LoadAverage:F2}\t{m.WallSeconds:F3}\t{m.CpuSeconds:F2}\t{r.CscSeconds:F3}\t{r.WasmViewSeconds:F3}\t{r.Ca2000Seconds:F3}\t{r.AllAnalyzersSeconds:F3}\t{r.Wva001}\t{r.Ca2000Warnings}\n");
        }

        File.WriteAllText(path, text.ToString());
    }

    private static void Run(string program, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed");
        }
    }

    public static void Dotnet(string directory, string log, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Under dotnet-trace this process was started with a diagnostic port to connect to and wait on;
        // a child that inherited it would wait for a tracer that never comes.
        start.Environment.Remove("DOTNET_DiagnosticPorts");
        start.Environment.Remove("DOTNET_DefaultDiagnosticPortSuspend");

        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet");
        using (var writer = new StreamWriter(log))
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                writer.WriteLine(line);
            }

            writer.Write(stderr.Result);
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var tail = File.ReadLines(log).TakeLast(30);
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed in {directory}:\n{string.Join('\n', tail)}");
        }
    }

    private static void Log(string message)
        => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
