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
        var referencesFile = Path.Combine(corpus, "references.txt");
        if (!File.Exists(referencesFile))
        {
            throw new ArgumentException($"{referencesFile} is missing: build the corpus once first (dotnet build in {corpus})");
        }

        var references = File.ReadAllLines(referencesFile).Where(l => l.Length > 0).Select(p => MetadataReference.CreateFromFile(p)).ToList();
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = Directory.GetFiles(corpus, "*.cs")
            .Order(StringComparer.Ordinal)
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), parseOptions, path))
            .ToList();
        var analyzers = Load(which, repository);
        if (prebind)
        {
            // Listed first: its compilation-start action binds every body before any method is analyzed.
            analyzers = analyzers.Insert(0, new PrebindAnalyzer());
        }

        Console.WriteLine($"{corpus}: {trees.Count} files; analyzers: {string.Join(", ", analyzers.Select(a => a.GetType().Name))}");

        for (var i = 0; i < repeat; i++)
        {
            var compilation = CSharpCompilation.Create(
                "Cost",
                trees,
                references,
                new CSharpCompilationOptions(
                    OutputKind.DynamicallyLinkedLibrary,
                    optimizationLevel: OptimizationLevel.Release,
                    allowUnsafe: true,
                    nullableContextOptions: NullableContextOptions.Enable,
                    specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic> { ["CA2000"] = ReportDiagnostic.Warn }));
            var withAnalyzers = compilation.WithAnalyzers(
                analyzers,
                new CompilationWithAnalyzersOptions(
                    new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                    onAnalyzerException: null,
                    concurrentAnalysis: false,
                    logAnalyzerExecutionTime: true,
                    reportSuppressedDiagnostics: false));
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var result = withAnalyzers.GetAnalysisResultAsync(CancellationToken.None).GetAwaiter().GetResult();
            watch.Stop();
            process.Refresh();
            cpu = process.TotalProcessorTime - cpu;
            var diagnostics = result.GetAllDiagnostics();
            var counts = string.Join(", ", diagnostics.GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count()}"));
            var times = string.Join(", ", result.AnalyzerTelemetryInfo.Select(t => $"{t.Key.GetType().Name} {t.Value.ExecutionTime.TotalSeconds:F3} s"));
            Console.WriteLine($"run {i + 1}: wall {watch.Elapsed.TotalSeconds:F3} s, process CPU {cpu.TotalSeconds:F3} s; {times}; {counts}");
        }

        return 0;
    }

    private static ImmutableArray<DiagnosticAnalyzer> Load(string which, string repository)
    {
        var builder = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
        if (which is "wva" or "both")
        {
            // WVA_ANALYZER_DLL: another build of the analyzer (a copy of an earlier one), for A/B runs in one process each.
            var path = Environment.GetEnvironmentVariable("WVA_ANALYZER_DLL") is { Length: > 0 } other
                ? other
                : Path.Combine(repository, "src", "WasmViewAnalyzers", "bin", "Release", "netstandard2.0", "WasmViewAnalyzers.dll");
            builder.AddRange(FromAssembly(path, _ => true));
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
