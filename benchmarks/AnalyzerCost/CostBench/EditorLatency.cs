using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CostBench;

/// <summary>One measured request: an edit of one document, then that document's diagnostics from one analyzer.</summary>
/// <param name="CompilerMs">The document's compiler diagnostics, computed first (the editor's own work, the same whichever analyzer follows).</param>
/// <param name="AnalyzerMs">From the compiler diagnostics to the analyzer's diagnostics of the document.</param>
/// <param name="RequestMs">The whole request: from the new compilation to the analyzer's diagnostics.</param>
/// <param name="CpuMs">The CPU time of the process during the request (every thread: the driver's, the GC's).</param>
/// <param name="AllocatedBytes">Bytes allocated in the process during the request.</param>
/// <param name="Diagnostics">The analyzer diagnostics returned for the document.</param>
/// <param name="LoadAverage">The machine's 1-minute load average before the request.</param>
internal sealed record EditorSample(
    string Corpus,
    CorpusKind Kind,
    int Files,
    string Analyzer,
    int Edit,
    string Document,
    string Change,
    double CompilerMs,
    double AnalyzerMs,
    double RequestMs,
    double CpuMs,
    long AllocatedBytes,
    int Diagnostics,
    double LoadAverage);

/// <summary>
/// The editor-latency mode (issue 14): what a user waits for after a keystroke. A host corpus is
/// loaded once; then, edit after edit, one line of one random file is changed the way typing
/// changes it, and that document's diagnostics are requested the way an editor requests them: a
/// new compilation with the one tree replaced (an incremental reparse of the edited text), the
/// document's compiler diagnostics first, then a new <see cref="CompilationWithAnalyzers"/> asked for
/// the document's analyzer diagnostics (<see cref="CompilationWithAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(SemanticModel, Microsoft.CodeAnalysis.Text.TextSpan?, CancellationToken)"/>).
/// WasmViewAnalyzers and CA2000 are asked on the same edits, each on its own chain of compilations
/// (so that neither finds the other's binding done), alternating which goes first.
/// </summary>
internal static class EditorLatency
{
    public const string Wva = "wva";
    public const string Ca2000 = "ca2000";

    /// <summary>The <c>editor</c> command: prepares the corpora if needed, measures them, prints the table.</summary>
    public static int Run(EditorOptions options, string repository)
    {
        var work = Path.GetFullPath(options.WorkDirectory);
        var analyzerDll = InProcessHarness.WasmViewAnalyzersDll(repository);
        if (Environment.GetEnvironmentVariable("WVA_ANALYZER_DLL") is not { Length: > 0 })
        {
            Log("building the analyzer (Release)");
            BuildBenchmark.Dotnet(repository, Path.Combine(Path.GetTempPath(), "wva-editor-analyzer-build.log"), "build", Path.Combine(repository, "src", "WasmViewAnalyzers", "WasmViewAnalyzers.csproj"), "-c", "Release", "-nologo", "-v:q");
        }

        var analyzerProject = Path.Combine(repository, "src", "WasmViewAnalyzers", "WasmViewAnalyzers.csproj");
        var corpora = new List<(CorpusKind Kind, int Files, string Directory)>();
        foreach (var (kind, files) in options.Corpora())
        {
            corpora.Add((kind, files, Prepare(work, kind, files, analyzerProject)));
        }

        var samples = Measure(corpora, options, analyzerDll);
        var table = EditorTable.Render(samples, options, analyzerDll);
        Console.WriteLine();
        Console.WriteLine(table);
        EditorTable.WriteRaw(Path.Combine(work, "editor.tsv"), samples, options, analyzerDll);
        File.WriteAllText(Path.Combine(work, "editor.md"), table);
        Log($"raw requests: {Path.Combine(work, "editor.tsv")}; table: {Path.Combine(work, "editor.md")}");
        return 0;
    }

    /// <summary>
    /// Writes the corpus (cheap, and keeps it in step with the generator) and, the first time, restores
    /// and builds it once without analyzers: the build writes the references the compilation needs.
    /// </summary>
    private static string Prepare(string work, CorpusKind kind, int files, string analyzerProject)
    {
        BuildBenchmark.PrepareWorkDirectory(work);
        var directory = Path.Combine(work, CorpusGenerator.Name(kind, files));
        CorpusGenerator.Write(kind, files, directory, analyzerProject);
        if (!File.Exists(Path.Combine(directory, "references.txt")))
        {
            Log($"restoring and building {CorpusGenerator.Name(kind, files)} once (for its references)");
            BuildBenchmark.Dotnet(directory, Path.Combine(directory, "restore.log"), "restore", "-nologo", "-v:q");
            BuildBenchmark.Dotnet(directory, Path.Combine(directory, "editor-build.log"), "build", "--no-restore", "-c", "Release", "-nologo", "-v:q", "-nodeReuse:false", "-p:CostConfig=none");
        }

        return directory;
    }

    /// <summary>Measures every corpus in turn (the analyzers are loaded once, as an editor loads them).</summary>
    public static List<EditorSample> Measure(IReadOnlyList<(CorpusKind Kind, int Files, string Directory)> corpora, EditorOptions options, string analyzerDll)
    {
        var analyzers = new Dictionary<string, ImmutableArray<DiagnosticAnalyzer>>(StringComparer.Ordinal)
        {
            [Wva] = InProcessHarness.Load(Wva, analyzerDll),
            [Ca2000] = InProcessHarness.Load(Ca2000, analyzerDll),
        };
        Log($"seed {options.Seed}; WasmViewAnalyzers from {analyzerDll}: {string.Join(", ", analyzers[Wva].Select(a => a.GetType().Name))}; CA2000: {string.Join(", ", analyzers[Ca2000].Select(a => a.GetType().Name))}");

        var samples = new List<EditorSample>();
        foreach (var (kind, files, directory) in corpora)
        {
            samples.AddRange(MeasureCorpus(kind, files, directory, analyzers, options));
        }

        return samples;
    }

    private static List<EditorSample> MeasureCorpus(CorpusKind kind, int files, string directory, Dictionary<string, ImmutableArray<DiagnosticAnalyzer>> analyzers, EditorOptions options)
    {
        var name = CorpusGenerator.Name(kind, files);
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = Directory.GetFiles(directory, "*.cs")
            .Order(StringComparer.Ordinal)
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), parseOptions, path))
            .ToList();
        var initial = InProcessHarness.CreateCompilation(directory, trees);

        // Each analyzer edits its own chain of compilations: a compilation binds lazily and keeps what
        // it bound, so sharing one would let the second analyzer find the first one's binding done.
        var chains = analyzers.ToDictionary(a => a.Key, _ => initial, StringComparer.Ordinal);
        var picker = new EditPicker(options.Seed);
        var samples = new List<EditorSample>();
        Log($"{name}: {trees.Count} files; {options.Warmup} warm-up edits, then {options.Edits}");
        for (var edit = 1 - options.Warmup; edit <= options.Edits; edit++)
        {
            var (document, change, description) = picker.Next(trees);
            var oldTree = trees[document];
            var newTree = oldTree.WithChangedText(oldTree.GetText().WithChanges(change));
            trees[document] = newTree;

            // Alternate which analyzer goes first, so that a drift in load or a collection the other one caused spreads over both.
            var order = edit % 2 == 0 ? new[] { Wva, Ca2000 } : new[] { Ca2000, Wva };
            foreach (var analyzer in order)
            {
                var compilation = chains[analyzer].ReplaceSyntaxTree(oldTree, newTree);
                chains[analyzer] = compilation;
                var sample = Request(compilation, newTree, analyzers[analyzer]);
                if (edit < 1)
                {
                    continue;
                }

                samples.Add(sample with
                {
                    Corpus = name,
                    Kind = kind,
                    Files = trees.Count,
                    Analyzer = analyzer,
                    Edit = edit,
                    Document = Path.GetFileName(newTree.FilePath),
                    Change = description,
                });
            }

            if (edit >= 1)
            {
                var wva = samples[^1].Analyzer == Wva ? samples[^1] : samples[^2];
                var ca = samples[^1].Analyzer == Ca2000 ? samples[^1] : samples[^2];
                Log(string.Create(CultureInfo.InvariantCulture, $"{name} edit {edit,2}/{options.Edits} {wva.Document,-14} {description,-28} WVA {wva.RequestMs,7:F0} ms (analyzer {wva.AnalyzerMs,7:F0})  CA2000 {ca.RequestMs,7:F0} ms (analyzer {ca.AnalyzerMs,7:F0})"));
            }
        }

        return samples;
    }

    /// <summary>One request on <paramref name="compilation"/>, which has just been made with <paramref name="tree"/> edited.</summary>
    private static EditorSample Request(Compilation compilation, SyntaxTree tree, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var failures = new List<string>();
        var options = new CompilationWithAnalyzersOptions(
            InProcessHarness.AnalyzerOptions,
            onAnalyzerException: (exception, analyzer, _) =>
            {
                lock (failures)
                {
                    failures.Add($"{analyzer.GetType().Name}: {exception}");
                }
            },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);

        var load = BuildBenchmark.LoadAverage();
        using var process = Process.GetCurrentProcess();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();

        var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
        var model = compilation.GetSemanticModel(tree);
        var compilerDiagnostics = model.GetDiagnostics(cancellationToken: CancellationToken.None);
        var compilerMs = watch.Elapsed.TotalMilliseconds;
        var diagnostics = withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, filterSpan: null, CancellationToken.None).GetAwaiter().GetResult();
        watch.Stop();

        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;

        if (compilerDiagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error) is { } error)
        {
            throw new InvalidOperationException($"the edit broke the code: {error}");
        }

        if (failures.Count > 0)
        {
            throw new InvalidOperationException($"an analyzer failed on {tree.FilePath}:\n{string.Join('\n', failures)}");
        }

        var requestMs = watch.Elapsed.TotalMilliseconds;
        return new EditorSample(string.Empty, default, 0, string.Empty, 0, string.Empty, string.Empty, compilerMs, requestMs - compilerMs, requestMs, cpuMs, allocated, diagnostics.Length, load);
    }

    private static void Log(string message)
        => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
