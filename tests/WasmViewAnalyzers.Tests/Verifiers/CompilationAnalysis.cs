using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace WasmViewAnalyzers.Tests.Verifiers;

/// <summary>
/// Runs every analyzer of the package over whole compilations (many files, generated code), the
/// way the compiler does, for tests that look at more than one method: depth, order, concurrency.
/// </summary>
internal static class CompilationAnalysis
{
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer).Assembly
        .GetTypes()
        .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type))
        .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
        .ToImmutableArray();

    private static readonly ImmutableArray<MetadataReference> References = Basic.Reference.Assemblies.Net100.References.All
        .Cast<MetadataReference>()
        .Append(TestProject.Wasmtime)
        .Concat(TestProject.ArchiveLibraries)
        .ToImmutableArray();

    /// <summary>A library of <paramref name="sources"/>, each file named after its content (so that reordering keeps names).</summary>
    public static CSharpCompilation Compile(params string[] sources)
        => CSharpCompilation.Create(
            "Analyzed",
            sources.Select(source => CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.CSharp12), path: NameOf(source))),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    private static string NameOf(string source)
        => "File" + (uint)StringComparer.Ordinal.GetHashCode(source) + ".cs";

    /// <summary>The analyzers' diagnostics on <paramref name="compilation"/>; any analyzer exception fails the test.</summary>
    public static ImmutableArray<Diagnostic> Analyze(Compilation compilation, bool concurrent = true)
    {
        var (failures, diagnostics) = AnalyzeCollectingFailures(compilation, concurrent);
        Assert.Empty(failures);
        return diagnostics;
    }

    /// <summary>The analyzers' diagnostics on <paramref name="compilation"/>, and every exception an analyzer threw, as AD0001 would report it.</summary>
    public static (IReadOnlyList<string> Failures, ImmutableArray<Diagnostic> Diagnostics) AnalyzeCollectingFailures(Compilation compilation, bool concurrent)
    {
        var failures = new ConcurrentBag<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, analyzer, _) => failures.Add($"{analyzer.GetType().Name}: {exception}"),
            concurrentAnalysis: concurrent,
            logAnalyzerExecutionTime: false);
        var diagnostics = compilation.WithAnalyzers(Analyzers, options).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        foreach (var diagnostic in diagnostics.Where(d => d.Id == "AD0001"))
        {
            failures.Add(diagnostic.ToString());
        }

        return (failures.ToList(), diagnostics);
    }

    /// <summary>A stable text of each diagnostic (ID, file, line, column, message), sorted.</summary>
    public static string[] Describe(IEnumerable<Diagnostic> diagnostics)
        => diagnostics
            .Select(d =>
            {
                var span = d.Location.GetLineSpan();
                return $"{d.Id} {span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.GetMessage()}";
            })
            .OrderBy(text => text, StringComparer.Ordinal)
            .ToArray();
}
