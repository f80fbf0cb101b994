using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CostBench;

/// <summary>
/// Runs the analyzers over a corpus in this process with <see cref="CompilationWithAnalyzers"/>
/// and prints the driver's execution time of each: the same measure as a build's ReportAnalyzer,
/// without MSBuild around it, so that a profiler (dotnet-trace) sees only the analysis.
/// </summary>
internal static class InProcessHarness
{
    public static int Run(string corpus, string which, int repeat, string repository, bool prebind = false)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = Directory.GetFiles(corpus, "*.cs")
            .Order(StringComparer.Ordinal)
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), parseOptions, path))
            .ToList();
        var analyzers = Load(which, WasmViewAnalyzersDll(repository));
        if (prebind)
        {
            // Listed first: its compilation-start action binds every body before any method is analyzed.
            analyzers = analyzers.Insert(0, new PrebindAnalyzer());
        }

        Console.WriteLine($"{corpus}: {trees.Count} files; analyzers: {string.Join(", ", analyzers.Select(a => a.GetType().Name))}");

        for (var i = 0; i < repeat; i++)
        {
            var compilation = CreateCompilation(corpus, trees);
            var withAnalyzers = compilation.WithAnalyzers(
                analyzers,
                new CompilationWithAnalyzersOptions(
                    AnalyzerOptions,
                    onAnalyzerException: null,
                    concurrentAnalysis: false,
                    logAnalyzerExecutionTime: true,
                    reportSuppressedDiagnostics: false));
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var paused = GC.GetTotalPauseDuration();
            var collections = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
            var watch = Stopwatch.StartNew();
            var result = withAnalyzers.GetAnalysisResultAsync(CancellationToken.None).GetAwaiter().GetResult();
            watch.Stop();
            process.Refresh();
            cpu = process.TotalProcessorTime - cpu;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            paused = GC.GetTotalPauseDuration() - paused;
            var diagnostics = result.GetAllDiagnostics();
            var counts = string.Join(", ", diagnostics.GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count()}"));
            var times = string.Join(", ", result.AnalyzerTelemetryInfo.Select(t => $"{t.Key.GetType().Name} {t.Value.ExecutionTime.TotalSeconds:F3} s"));
            Console.WriteLine($"run {i + 1}: wall {watch.Elapsed.TotalSeconds:F3} s, process CPU {cpu.TotalSeconds:F3} s, allocated {allocated / 1048576.0:F1} MB; {times}; {counts}");

            // A collection pauses whichever callback is running when it starts, and the driver charges
            // the pause to that analyzer: a run whose analyzers all take longer alike is read with this.
            Console.WriteLine($"run {i + 1} GC: paused {paused.TotalSeconds:F3} s; collections gen0 {GC.CollectionCount(0) - collections[0]}, gen1 {GC.CollectionCount(1) - collections[1]}, gen2 {GC.CollectionCount(2) - collections[2]}");
        }

        return 0;
    }

    /// <summary>
    /// The options the analyzers get: the corpora have no <c>.editorconfig</c>, so no
    /// WasmViewAnalyzers option is set and CA2000 runs with its defaults (its severity is set in the
    /// compilation options).
    /// </summary>
    public static AnalyzerOptions AnalyzerOptions { get; } = new(ImmutableArray<AdditionalText>.Empty);

    /// <summary>
    /// The analyzer build to measure: <c>WVA_ANALYZER_DLL</c> (another build of the analyzer, a copy
    /// of an earlier one, for A/B runs in one process each) or the repository's Release build.
    /// </summary>
    public static string WasmViewAnalyzersDll(string repository)
        => Environment.GetEnvironmentVariable("WVA_ANALYZER_DLL") is { Length: > 0 } other
            ? Path.GetFullPath(other)
            : Path.Combine(repository, "src", "WasmViewAnalyzers", "bin", "Release", "netstandard2.0", "WasmViewAnalyzers.dll");

    /// <summary>The compilation of a corpus as its project builds it, against the references its build wrote (references.txt).</summary>
    public static CSharpCompilation CreateCompilation(string corpus, IEnumerable<SyntaxTree> trees)
    {
        var referencesFile = Path.Combine(corpus, "references.txt");
        if (!File.Exists(referencesFile))
        {
            throw new ArgumentException($"{referencesFile} is missing: build the corpus once first (dotnet build in {corpus})");
        }

        var references = File.ReadAllLines(referencesFile).Where(l => l.Length > 0).Select(p => MetadataReference.CreateFromFile(p)).ToList();
        return CSharpCompilation.Create(
            "Cost",
            trees,
            references,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                allowUnsafe: true,
                nullableContextOptions: NullableContextOptions.Enable,
                specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic> { ["CA2000"] = ReportDiagnostic.Warn }));
    }

    /// <summary>The analyzers to run: <c>wva</c> (every WasmViewAnalyzers analyzer in <paramref name="wasmViewDll"/>), <c>ca2000</c> (the SDK's CA2000 analyzer) or <c>both</c>.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> Load(string which, string wasmViewDll)
    {
        var builder = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
        if (which is "wva" or "both")
        {
            builder.AddRange(FromAssembly(wasmViewDll, _ => true));
        }

        if (which is "ca2000" or "both")
        {
            var directory = typeof(InProcessHarness).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SdkAnalyzers").Value!;
            builder.AddRange(FromAssembly(Path.Combine(directory, "Microsoft.CodeAnalysis.NetAnalyzers.dll"), a => a.SupportedDiagnostics.Any(d => d.Id == "CA2000")));
            builder.AddRange(FromAssembly(Path.Combine(directory, "Microsoft.CodeAnalysis.CSharp.NetAnalyzers.dll"), a => a.SupportedDiagnostics.Any(d => d.Id == "CA2000")));
        }

        return builder.ToImmutable();
    }

    private static IEnumerable<DiagnosticAnalyzer> FromAssembly(string path, Func<DiagnosticAnalyzer, bool> keep)
    {
        var assembly = Assembly.LoadFrom(path);
        Type?[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException exception)
        {
            // The NetAnalyzers assemblies also hold code fixes, whose Workspaces dependency the compiler does not ship.
            types = exception.Types;
        }

        foreach (var type in types)
        {
            if (type is not null
                && !type.IsAbstract
                && typeof(DiagnosticAnalyzer).IsAssignableFrom(type)
                && type.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp))
                && type.GetConstructor(Type.EmptyTypes) is not null)
            {
                var analyzer = (DiagnosticAnalyzer)Activator.CreateInstance(type)!;
                if (keep(analyzer))
                {
                    yield return analyzer;
                }
            }
        }
    }
}
