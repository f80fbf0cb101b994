using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CostBench;

/// <summary>
/// The <c>same-results</c> command: a change made for speed must not change what the analyzers
/// report. Runs two builds of WasmViewAnalyzers over the same corpora, in this process (each build
/// in its own load context, so that the two versions of the assembly live side by side), and
/// compares every diagnostic: id, place, message, additional locations and the properties a code
/// fix reads. Prints the differences and returns 1 if there are any.
/// </summary>
internal static class SameResults
{
    public static int Run(string beforeDll, string afterDll, IReadOnlyList<string> corpora)
    {
        var before = LoadAnalyzers(Path.GetFullPath(beforeDll), "before");
        var after = LoadAnalyzers(Path.GetFullPath(afterDll), "after");
        var differences = 0;
        foreach (var corpus in corpora.Select(Path.GetFullPath))
        {
            var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
            var trees = Directory.GetFiles(corpus, "*.cs")
                .Order(StringComparer.Ordinal)
                .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), parseOptions, path))
                .ToList();
            var expected = Describe(corpus, trees, before);
            var actual = Describe(corpus, trees, after);
            var missing = expected.Except(actual).ToList();
            var added = actual.Except(expected).ToList();
            Console.WriteLine($"{corpus}: {expected.Count} diagnostics before, {actual.Count} after; {missing.Count} only before, {added.Count} only after");
            foreach (var line in missing.Take(20))
            {
                Console.WriteLine("  - " + line);
            }

            foreach (var line in added.Take(20))
            {
                Console.WriteLine("  + " + line);
            }

            differences += missing.Count + added.Count + (expected.Count == actual.Count && missing.Count == 0 && !expected.SequenceEqual(actual) ? 1 : 0);
        }

        Console.WriteLine(differences == 0 ? "same results" : $"{differences} differences");
        return differences == 0 ? 0 : 1;
    }

    /// <summary>Every diagnostic of a fresh compilation of the corpus, one line each, in a stable order (duplicates kept).</summary>
    private static List<string> Describe(string corpus, IEnumerable<SyntaxTree> trees, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var compilation = InProcessHarness.CreateCompilation(corpus, trees);
        var result = compilation
            .WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(InProcessHarness.AnalyzerOptions, onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: false))
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None)
            .GetAwaiter()
            .GetResult();
        return result.Select(d => Line(corpus, d)).Order(StringComparer.Ordinal).ToList();
    }

    private static string Line(string corpus, Diagnostic diagnostic)
    {
        var text = new StringBuilder();
        text.Append(diagnostic.Id).Append(' ').Append(Place(corpus, diagnostic.Location)).Append(' ').Append(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var location in diagnostic.AdditionalLocations)
        {
            text.Append(" | also ").Append(Place(corpus, location));
        }

        foreach (var property in diagnostic.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(" | ").Append(property.Key).Append('=').Append(property.Value);
        }

        return text.ToString();
    }

    private static string Place(string corpus, Location location)
    {
        if (!location.IsInSource)
        {
            return location.Kind.ToString();
        }

        var span = location.GetLineSpan();
        return $"{Path.GetRelativePath(corpus, span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}-{span.EndLinePosition.Line + 1},{span.EndLinePosition.Character + 1})";
    }

    /// <summary>The analyzers of one build of WasmViewAnalyzers, loaded in a context of their own; Roslyn itself comes from this process.</summary>
    private static ImmutableArray<DiagnosticAnalyzer> LoadAnalyzers(string path, string name)
    {
        var context = new AssemblyLoadContext(name);
        var assembly = context.LoadFromAssemblyPath(path);
        return assembly.GetTypes()
            .Where(type => !type.IsAbstract
                           && typeof(DiagnosticAnalyzer).IsAssignableFrom(type)
                           && type.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp))
                           && type.GetConstructor(Type.EmptyTypes) is not null)
            .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
            .ToImmutableArray();
    }
}
