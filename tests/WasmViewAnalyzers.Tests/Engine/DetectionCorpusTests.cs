using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using WasmViewAnalyzers.Tests.Verifiers;
using Xunit.Abstractions;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Measures detection on host code written apart from the engine (<c>HostCorpus/&lt;set&gt;/*.cs</c>,
/// embedded; see <c>HostCorpus/README.md</c>): every line marked <c>// expect: WVAnnn</c> must get that
/// diagnostic, and no other line any. Prints recall and precision per rule with every miss and false
/// alarm, and fails below <see cref="Required"/> for any rule, on a corpus that does not compile, or on
/// an analyzer exception.
/// </summary>
public sealed partial class DetectionCorpusTests
{
    /// <summary>The recall and precision every rule must reach on every set.</summary>
    private const double Required = 0.97;

    private static readonly ImmutableArray<MetadataReference> References = Basic.Reference.Assemblies.Net100.References.All
        .Cast<MetadataReference>()
        .Append(TestProject.Wasmtime)
        .Append(TestProject.RuntimeLibrary)
        .Concat(TestProject.ArchiveLibraries)
        .ToImmutableArray();

    private readonly ITestOutputHelper _output;

    public DetectionCorpusTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public static TheoryData<string> Sets()
    {
        var data = new TheoryData<string>();
        foreach (var set in CorpusFiles().Select(file => file.Set).Distinct(StringComparer.Ordinal).OrderBy(s => s, StringComparer.Ordinal))
        {
            data.Add(set);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Corpus_ReportsExactlyTheMarkedLines(string set)
    {
        var files = CorpusFiles().Where(file => file.Set == set).ToList();
        Assert.NotEmpty(files);
        var compilation = CSharpCompilation.Create(
            "HostCorpus." + set,
            files.Select(file => CSharpSyntaxTree.ParseText(file.Text, new CSharpParseOptions(LanguageVersion.CSharp13), path: file.Name)),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(Describe).ToList();
        Assert.True(errors.Count == 0, "the corpus does not compile:\n" + string.Join("\n", errors));

        var expected = files.SelectMany(Expectations).ToHashSet();
        var reported = CompilationAnalysis.Analyze(compilation)
            .Where(d => d.Id.StartsWith("WVA", StringComparison.Ordinal))
            .Select(d => new Finding(Path.GetFileName(d.Location.SourceTree!.FilePath), d.Location.GetLineSpan().StartLinePosition.Line + 1, d.Id))
            .ToHashSet();

        var shortfalls = new List<string>();
        foreach (var rule in expected.Concat(reported).Select(f => f.Rule).Distinct().OrderBy(r => r, StringComparer.Ordinal))
        {
            var want = expected.Where(f => f.Rule == rule).ToHashSet();
            var got = reported.Where(f => f.Rule == rule).ToHashSet();
            var found = want.Intersect(got).Count();
            var recall = want.Count == 0 ? 1.0 : (double)found / want.Count;
            var precision = got.Count == 0 ? 1.0 : (double)found / got.Count;
            _output.WriteLine($"{set} {rule}: {want.Count} expected, {got.Count} reported, recall {recall:0.00}, precision {precision:0.00}");
            foreach (var miss in want.Except(got).OrderBy(f => f.ToString(), StringComparer.Ordinal))
            {
                _output.WriteLine($"  missed      {miss}");
            }

            foreach (var alarm in got.Except(want).OrderBy(f => f.ToString(), StringComparer.Ordinal))
            {
                _output.WriteLine($"  false alarm {alarm}");
            }

            if (recall < Required || precision < Required)
            {
                shortfalls.Add($"{rule}: recall {recall:0.00}, precision {precision:0.00}");
            }
        }

        Assert.True(shortfalls.Count == 0, $"{set} is below {Required:0.00}: {string.Join("; ", shortfalls)} (the test output lists each miss and false alarm)");
    }

    private static IEnumerable<Finding> Expectations(CorpusFile file)
    {
        var lines = file.Text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var marker = ExpectMarker().Match(lines[i]);
            if (!marker.Success)
            {
                continue;
            }

            foreach (Match rule in RuleId().Matches(marker.Value))
            {
                yield return new Finding(file.Name, i + 1, rule.Value);
            }
        }
    }

    private static IEnumerable<CorpusFile> CorpusFiles()
    {
        const string Folder = ".HostCorpus.";
        var assembly = typeof(DetectionCorpusTests).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.Contains(Folder, StringComparison.Ordinal) && n.EndsWith(".cs", StringComparison.Ordinal)))
        {
            // WasmViewAnalyzers.Tests.HostCorpus.<Set>.<File>.cs
            var relative = resource[(resource.IndexOf(Folder, StringComparison.Ordinal) + Folder.Length)..];
            var set = relative[..relative.IndexOf('.')];
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            yield return new CorpusFile(set, relative[(set.Length + 1)..], reader.ReadToEnd());
        }
    }

    private static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        return $"{diagnostic.Id} {span.Path}({span.StartLinePosition.Line + 1}): {diagnostic.GetMessage()}";
    }

    [GeneratedRegex(@"// expect: WVA[0-9]{3}(\s*,\s*WVA[0-9]{3})*")]
    private static partial Regex ExpectMarker();

    [GeneratedRegex("WVA[0-9]{3}")]
    private static partial Regex RuleId();

    private sealed record CorpusFile(string Set, string Name, string Text);

    private sealed record Finding(string File, int Line, string Rule)
    {
        public override string ToString() => $"{Rule} {File}({Line})";
    }
}
