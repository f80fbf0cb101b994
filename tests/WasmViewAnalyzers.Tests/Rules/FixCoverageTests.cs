using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Xunit.Abstractions;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// Measures the code fixes on host code written apart from the fixer tests: the fix corpus
/// (<c>FixCorpus/*.cs</c>, by the fixers' authors) and every set of the host corpus
/// (<c>HostCorpus/&lt;set&gt;/*.cs</c>, by someone who never read the fixers). For every diagnostic
/// of every rule: whether a fix is offered, and for every offered fix whether its result compiles
/// (no new errors) and removes that diagnostic. Then Fix All in solution scope, per equivalence key
/// and with no key (as <c>dotnet format</c> asks when the first finding has no fix), must compile.
/// Prints the coverage per rule and each fix as the lines it changes (for the reader who checks
/// that it keeps the code's meaning); fails on any fix that breaks the build or leaves its diagnostic.
/// </summary>
public sealed partial class FixCoverageTests
{
    private const string FixCorpus = "FixCorpus";

    private static readonly ImmutableArray<MetadataReference> References = Basic.Reference.Assemblies.Net100.References.All
        .Cast<MetadataReference>()
        .Append(TestProject.Wasmtime)
        .Concat(TestProject.ArchiveLibraries)
        .ToImmutableArray();

    private static readonly CodeFixProvider[] Fixers = { new StaleViewAfterGuestCallFixer(), new CopyViewBeforeHandoverFixer() };

    private readonly ITestOutputHelper _output;

    public FixCoverageTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public static TheoryData<string> Sets()
    {
        var data = new TheoryData<string> { FixCorpus };
        foreach (var set in HostCorpusFiles().Select(file => file.Set).Distinct(StringComparer.Ordinal).OrderBy(s => s, StringComparer.Ordinal))
        {
            data.Add("HostCorpus/" + set);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Corpus_EveryOfferedFixCompilesAndRemovesItsDiagnostic(string set)
    {
        using var workspace = new AdhocWorkspace();
        var project = CorpusProject(workspace, set);
        var solution = project.Solution;
        var compilation = (await project.GetCompilationAsync())!;
        Assert.True(Errors(compilation).Count == 0, string.Join("\n", Errors(compilation)));

        var diagnostics = CompilationAnalysis.Analyze(compilation).Where(d => d.Id.StartsWith("WVA", StringComparison.Ordinal) && d.Location.IsInSource).ToImmutableArray();
        var failures = new List<string>();
        var offered = new Dictionary<string, (int Findings, int Fixed)>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start))
        {
            var doc = solution.GetDocument(diagnostic.Location.SourceTree)!;
            var actions = new List<CodeAction>();
            foreach (var fixer in Fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                await fixer.RegisterCodeFixesAsync(new CodeFixContext(doc, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
            }

            offered.TryGetValue(diagnostic.Id, out var counts);
            offered[diagnostic.Id] = (counts.Findings + 1, counts.Fixed + (actions.Count > 0 ? 1 : 0));
            if (actions.Count == 0)
            {
                _output.WriteLine($"no fix: {Describe(diagnostic)}");
                continue;
            }

            _output.WriteLine($"{Describe(diagnostic)}");
            foreach (var action in actions)
            {
                // A fix may edit other documents than its diagnostic's (a helper made to return a copy and
                // its callers): every document it changes is printed and checked, in the whole compilation.
                var changedSolution = await ApplyAsync(action, solution);
                var changed = changedSolution.GetDocument(doc.Id)!;
                _output.WriteLine($"  fix '{action.Title}' [{action.EquivalenceKey}]");
                var newErrors = new List<string>();
                foreach (var (before, after) in ChangedDocuments(solution, changedSolution, doc.Id))
                {
                    if (after.Id != doc.Id)
                    {
                        _output.WriteLine($"    in {after.Name}:");
                    }

                    foreach (var line in await ChangedLinesAsync(before, after))
                    {
                        _output.WriteLine("    " + line);
                    }

                    var afterModel = (await after.GetSemanticModelAsync())!;
                    var beforeModel = compilation.GetSemanticModel((await before.GetSyntaxTreeAsync())!);
                    newErrors.AddRange(Errors(afterModel).Except(Errors(beforeModel)));
                }

                var changedModel = (await changed.GetSemanticModelAsync())!;
                if (newErrors.Count > 0)
                {
                    failures.Add($"'{action.Title}' does not compile for {Describe(diagnostic)}: {string.Join("; ", newErrors)}");
                    continue;
                }

                var remaining = await changedModel.Compilation.WithAnalyzers(CompilationAnalysis.Analyzers).GetAnalyzerSemanticDiagnosticsAsync(changedModel, null, CancellationToken.None);
                var key = Key(diagnostic);
                if (remaining.Count(d => Key(d) == key) >= diagnostics.Count(d => Key(d) == key))
                {
                    failures.Add($"'{action.Title}' leaves {Describe(diagnostic)}");
                }
            }
        }

        foreach (var (id, (findings, fixedCount)) in offered.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            _output.WriteLine($"{set} {id}: a fix offered for {fixedCount} of {findings} findings ({100.0 * fixedCount / findings:0}%)");
        }

        failures.AddRange(await FixAllFailuresAsync(solution, compilation, diagnostics));
        foreach (var failure in failures)
        {
            _output.WriteLine("FAIL " + failure);
        }

        Assert.Empty(failures);
    }

    /// <summary>
    /// Fix All in solution scope, per fixer, for each equivalence key offered and with no key (what
    /// <c>dotnet format</c> asks when its first finding has no fix): the result compiles.
    /// </summary>
    private async Task<List<string>> FixAllFailuresAsync(Solution solution, Compilation compilation, ImmutableArray<Diagnostic> diagnostics)
    {
        var failures = new List<string>();
        var provider = new CorpusDiagnostics(diagnostics);
        foreach (var fixer in Fixers)
        {
            var keys = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var diagnostic in diagnostics.Where(d => fixer.FixableDiagnosticIds.Contains(d.Id)))
            {
                var doc = solution.GetDocument(diagnostic.Location.SourceTree)!;
                await fixer.RegisterCodeFixesAsync(new CodeFixContext(doc, diagnostic, (action, _) => keys.Add(action.EquivalenceKey!), CancellationToken.None));
            }

            foreach (var key in keys.Cast<string?>().Append(null))
            {
                var first = solution.Projects.First().Documents.First();
                var context = new FixAllContext(first, fixer, FixAllScope.Solution, key!, fixer.FixableDiagnosticIds, provider, CancellationToken.None);
                var action = await fixer.GetFixAllProvider()!.GetFixAsync(context);
                if (action is null)
                {
                    continue;
                }

                var changed = await ApplyAsync(action, solution);
                var changedCompilation = (await changed.Projects.First().GetCompilationAsync())!;
                var newErrors = Errors(changedCompilation).Except(Errors(compilation)).ToList();
                var before = diagnostics.Count(d => fixer.FixableDiagnosticIds.Contains(d.Id));
                var after = CompilationAnalysis.Analyze(changedCompilation).Count(d => fixer.FixableDiagnosticIds.Contains(d.Id));
                _output.WriteLine($"Fix All '{key ?? "(no key)"}': {before} -> {after} findings of {string.Join("/", fixer.FixableDiagnosticIds)}");
                if (newErrors.Count > 0)
                {
                    failures.Add($"Fix All '{key ?? "(no key)"}' does not compile: {string.Join("; ", newErrors)}");
                }
            }
        }

        return failures;
    }

    /// <summary>The documents a fix changed, the diagnostic's own first, then the others by name.</summary>
    private static IEnumerable<(Document Before, Document After)> ChangedDocuments(Solution before, Solution after, DocumentId own)
        => after.GetChanges(before).GetProjectChanges()
            .SelectMany(change => change.GetChangedDocuments(onlyGetDocumentsWithTextChanges: true))
            .Append(own)
            .Distinct()
            .Select(id => (Before: before.GetDocument(id)!, After: after.GetDocument(id)!))
            .OrderBy(pair => pair.After.Id == own ? 0 : 1)
            .ThenBy(pair => pair.After.Name, StringComparer.Ordinal);

    private static async Task<Solution> ApplyAsync(CodeAction action, Solution solution)
    {
        foreach (var operation in await action.GetOperationsAsync(CancellationToken.None))
        {
            if (operation is ApplyChangesOperation apply)
            {
                return apply.ChangedSolution;
            }
        }

        return solution;
    }

    /// <summary>
    /// The lines a fix removes (<c>-</c>) and adds (<c>+</c>), hunk by hunk, from a line diff of the two
    /// texts (longest common subsequence): unlike the workspace's text changes, whose extent depends on
    /// whether the trees were parsed, the same edit always prints the same lines.
    /// </summary>
    private static async Task<List<string>> ChangedLinesAsync(Document before, Document after)
    {
        var oldLines = (await before.GetTextAsync()).Lines.Select(line => line.ToString().Trim()).ToArray();
        var newLines = (await after.GetTextAsync()).Lines.Select(line => line.ToString().Trim()).ToArray();
        var prefix = 0;
        while (prefix < oldLines.Length && prefix < newLines.Length && oldLines[prefix] == newLines[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < oldLines.Length - prefix && suffix < newLines.Length - prefix
            && oldLines[oldLines.Length - 1 - suffix] == newLines[newLines.Length - 1 - suffix])
        {
            suffix++;
        }

        var oldMiddle = oldLines.Skip(prefix).Take(oldLines.Length - prefix - suffix).ToArray();
        var newMiddle = newLines.Skip(prefix).Take(newLines.Length - prefix - suffix).ToArray();

        // common[i, j]: the length of the longest common subsequence of oldMiddle[i..] and newMiddle[j..].
        var common = new int[oldMiddle.Length + 1, newMiddle.Length + 1];
        for (var i = oldMiddle.Length - 1; i >= 0; i--)
        {
            for (var j = newMiddle.Length - 1; j >= 0; j--)
            {
                common[i, j] = oldMiddle[i] == newMiddle[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var lines = new List<string>();
        int o = 0, n = 0;
        while (o < oldMiddle.Length || n < newMiddle.Length)
        {
            if (o < oldMiddle.Length && n < newMiddle.Length && oldMiddle[o] == newMiddle[n])
            {
                o++;
                n++;
            }
            else if (n == newMiddle.Length || (o < oldMiddle.Length && common[o + 1, n] >= common[o, n + 1]))
            {
                lines.Add("- " + oldMiddle[o++]);
            }
            else
            {
                lines.Add("+ " + newMiddle[n++]);
            }
        }

        return lines;
    }

    private static Project CorpusProject(AdhocWorkspace workspace, string set)
    {
        var isHostCorpus = set != FixCorpus;
        var project = workspace.AddProject("Corpus", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable))
            .WithParseOptions(new CSharpParseOptions(isHostCorpus ? LanguageVersion.CSharp13 : LanguageVersion.CSharp12))
            .WithMetadataReferences(isHostCorpus ? References.Append(TestProject.RuntimeLibrary) : References);
        var files = isHostCorpus
            ? HostCorpusFiles().Where(file => "HostCorpus/" + file.Set == set).Select(file => (file.Name, file.Text))
            : FixCorpusFiles();
        foreach (var (name, text) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            project = project.AddDocument(name, text, filePath: name).Project;
        }

        return project;
    }

    private static IEnumerable<(string Name, string Text)> FixCorpusFiles()
    {
        const string Folder = ".FixCorpus.";
        var assembly = typeof(FixCoverageTests).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.Contains(Folder, StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            yield return (resource[(resource.IndexOf(Folder, StringComparison.Ordinal) + Folder.Length)..], reader.ReadToEnd());
        }
    }

    private static IEnumerable<(string Set, string Name, string Text)> HostCorpusFiles()
    {
        const string Folder = ".HostCorpus.";
        var assembly = typeof(FixCoverageTests).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.Contains(Folder, StringComparison.Ordinal) && n.EndsWith(".cs", StringComparison.Ordinal)))
        {
            // WasmViewAnalyzers.Tests.HostCorpus.<Set>.<File>.cs
            var relative = resource[(resource.IndexOf(Folder, StringComparison.Ordinal) + Folder.Length)..];
            var set = relative[..relative.IndexOf('.')];
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            yield return (set, relative[(set.Length + 1)..], reader.ReadToEnd());
        }
    }

    private static List<string> Errors(Compilation compilation)
        => Errors(compilation.GetDiagnostics());

    private static List<string> Errors(SemanticModel model)
        => Errors(model.GetDiagnostics());

    private static List<string> Errors(IEnumerable<Diagnostic> diagnostics)
        => diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => $"{d.Id} {Path.GetFileName(d.Location.SourceTree?.FilePath)}({d.Location.GetLineSpan().StartLinePosition.Line + 1}): {d.GetMessage()}").ToList();

    /// <summary>
    /// A diagnostic as a fix must remove it, independent of positions that edits shift: its rule, its
    /// file, its member and its message (without line numbers).
    /// </summary>
    private static string Key(Diagnostic diagnostic)
    {
        var tree = diagnostic.Location.SourceTree!;
        var node = tree.GetRoot().FindNode(diagnostic.Location.SourceSpan);
        var member = node.AncestorsAndSelf().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax>().FirstOrDefault();
        var memberName = member switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax m => m.Identifier.ValueText,
            Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax => ".ctor",
            Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax p => p.Identifier.ValueText,
            _ => member?.Kind().ToString() ?? "",
        };
        return $"{diagnostic.Id}|{tree.FilePath}|{memberName}|{LineNumber().Replace(diagnostic.GetMessage(), "line #")}";
    }

    private static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        return $"{diagnostic.Id} {Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1}): {diagnostic.GetMessage()}";
    }

    [GeneratedRegex("line [0-9]+")]
    private static partial Regex LineNumber();

    private sealed class CorpusDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        public CorpusDiagnostics(ImmutableArray<Diagnostic> diagnostics)
        {
            _diagnostics = diagnostics;
        }

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return _diagnostics.Where(d => d.Location.SourceTree?.FilePath == tree?.FilePath);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult(Enumerable.Empty<Diagnostic>());
    }
}
