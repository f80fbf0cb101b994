using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace WasmViewAnalyzers.Tests.Verifiers;

/// <summary>
/// Verifies host code marked the way the host corpus is (<c>// expect: WVA001, WVA002</c> at the end
/// of each line a rule reports on, nothing on every other line), with every analyzer of the package
/// at once: one construct can be both a stale use and an escape, and its safe twin neither.
/// </summary>
internal static partial class MarkedHostCode
{
    private static readonly ImmutableArray<MetadataReference> References = Basic.Reference.Assemblies.Net100.References.All
        .Cast<MetadataReference>()
        .Append(TestProject.Wasmtime)
        .Append(TestProject.RuntimeLibrary)
        .Concat(TestProject.ArchiveLibraries)
        .ToImmutableArray();

    /// <summary>
    /// Compiles <paramref name="construct"/> inside the test host class (<see cref="HostCode"/>) and
    /// asserts that the rules report exactly its marked lines.
    /// </summary>
    public static void Verify(HostConstruct construct)
    {
        var source = HostCode.WithSafeMembers(construct.AsyncMembers, construct.Members) + "\n" + construct.Types;
        var compilation = CSharpCompilation.Create(
            "Construct",
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.CSharp13), path: "Construct.cs") },
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the construct does not compile:\n" + string.Join("\n", errors));

        var lines = source.Split('\n');
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            if (ExpectMarker().Match(lines[i]) is { Success: true } marker)
            {
                foreach (Match rule in RuleId().Matches(marker.Value))
                {
                    expected.Add(Describe(rule.Value, i, lines));
                }
            }
        }

        var reported = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var diagnostic in CompilationAnalysis.Analyze(compilation).Where(d => d.Id.StartsWith("WVA", StringComparison.Ordinal)))
        {
            reported.Add(Describe(diagnostic.Id, diagnostic.Location.GetLineSpan().StartLinePosition.Line, lines));
        }

        Assert.Equal(string.Join("\n", expected), string.Join("\n", reported));
    }

    private static string Describe(string rule, int line, string[] lines) => $"{rule} at line {line + 1}: {lines[line].Trim()}";

    [GeneratedRegex(@"// expect: WVA[0-9]{3}(\s*,\s*WVA[0-9]{3})*")]
    private static partial Regex ExpectMarker();

    [GeneratedRegex("WVA[0-9]{3}")]
    private static partial Regex RuleId();
}

/// <summary>
/// One C# construct of a category, written as members of the test host (its form firing, and its
/// safe twin beside it), with the types it needs and members that must be in a safe context (<c>async</c>).
/// </summary>
public sealed record HostConstruct(string Members, string Types = "", string AsyncMembers = "");
