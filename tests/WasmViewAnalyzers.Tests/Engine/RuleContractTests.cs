using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Diagnostic IDs, titles, messages and help links are the package's public contract: every rule
/// must be documented, tracked in the release files, and fixable where a fixer claims it.
/// </summary>
public sealed class RuleContractTests
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer).Assembly
        .GetTypes()
        .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type))
        .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
        .ToImmutableArray();

    private static readonly ImmutableArray<DiagnosticDescriptor> Descriptors = Analyzers.SelectMany(a => a.SupportedDiagnostics).ToImmutableArray();

    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var id in Descriptors.Select(d => d.Id).Distinct())
        {
            data.Add(id);
        }

        return data;
    }

    [Fact]
    public void EveryAnalyzerIsPublicSealedAndDeclaresCSharp()
    {
        Assert.NotEmpty(Analyzers);
        foreach (var analyzer in Analyzers)
        {
            var type = analyzer.GetType();
            Assert.True(type.IsPublic && type.IsSealed, $"{type.Name} should be public and sealed");
            var attribute = Assert.Single(type.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), inherit: false).Cast<DiagnosticAnalyzerAttribute>());
            Assert.Contains(LanguageNames.CSharp, attribute.Languages);
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void HelpLinkPointsAtTheRulePage_AndThePageExists(string id)
    {
        var descriptor = Descriptors.First(d => d.Id == id);
        Assert.EndsWith($"/docs/rules/{id}.md", descriptor.HelpLinkUri, StringComparison.Ordinal);

        var page = Path.Combine(RepositoryRoot(), "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"{page} is missing");
        var text = File.ReadAllText(page);
        Assert.Contains($"# {id}: {descriptor.Title}", text, StringComparison.Ordinal);
        Assert.Contains(descriptor.Category, text, StringComparison.Ordinal);
        Assert.Contains(descriptor.DefaultSeverity.ToString(), text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void ReleaseTrackingListsTheRule(string id)
    {
        var descriptor = Descriptors.First(d => d.Id == id);
        var releases = string.Join(
            "\n",
            File.ReadAllLines(Path.Combine(RepositoryRoot(), "src", "WasmViewAnalyzers", "AnalyzerReleases.Unshipped.md"))
                .Concat(File.ReadAllLines(Path.Combine(RepositoryRoot(), "src", "WasmViewAnalyzers", "AnalyzerReleases.Shipped.md"))));

        Assert.Contains($"{id} | {descriptor.Category} | {descriptor.DefaultSeverity}", releases, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void MessageNamesTheViewTheSourceAndTheCall(string id)
    {
        var descriptor = Descriptors.First(d => d.Id == id);
        var message = descriptor.MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(descriptor.IsEnabledByDefault);
        Assert.Contains("{0}", message, StringComparison.Ordinal);
        Assert.Contains("{1}", message, StringComparison.Ordinal);
        Assert.Contains("{2}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryFixerFixesOnlyKnownRules_AndSupportsFixAll()
    {
        var fixers = typeof(WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer).Assembly
            .GetTypes()
            .Where(type => !type.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(type))
            .Select(type => (CodeFixProvider)Activator.CreateInstance(type)!)
            .ToList();

        Assert.NotEmpty(fixers);
        foreach (var fixer in fixers)
        {
            Assert.All(fixer.FixableDiagnosticIds, id => Assert.Contains(id, Descriptors.Select(d => d.Id)));
            var fixAll = fixer.GetFixAllProvider();
            Assert.NotNull(fixAll);
            Assert.Contains(FixAllScope.Solution, fixAll!.GetSupportedFixAllScopes());
        }
    }

    private static string RepositoryRoot()
    {
        // The test assembly runs from tests/<project>/bin/..., inside the repository.
        var start = AppContext.BaseDirectory;
        for (var directory = start; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "WasmViewAnalyzers.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException("The repository root (WasmViewAnalyzers.sln) was not found above " + start);
    }
}
