using System.Collections.Immutable;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Xunit.Abstractions;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// Measures the code fixes on a corpus of host code written apart from the fixer tests
/// (<c>FixCorpus/*.cs</c>, embedded): for every diagnostic of every rule, whether a fix is offered,
/// and for every offered fix whether its result compiles (no new errors) and removes that
/// diagnostic. Prints the coverage per rule; fails on any offered fix that breaks the build or leaves
/// its diagnostic, and on Fix All (solution scope) per fix that breaks the build.
/// </summary>
public sealed partial class FixCoverageTests
{
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

    [Fact]
    public async Task Corpus_EveryOfferedFixCompilesAndRemovesItsDiagnostic()
    {
        using var workspace = new AdhocWorkspace();
        var document = CorpusProject(workspace).Documents.First();
        var solution = document.Project.Solution;
        var project = document.Project;
        var compilation = (await project.GetCompilationAsync())!;
        Assert.True(Errors(compilation).Count == 0, string.Join("\n", Errors(compilation)));

        var diagnostics = CompilationAnalysis.Analyze(compilation);
        var failures = new List<string>();
        var offered = new Dictionary<string, (int Findings, int Fixed)>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceTree!.FilePath).ThenBy(d => d.Location.SourceSpan.Start))
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
                _output.WriteLine($"  no fix: {Describe(diagnostic)}");
            }

            foreach (var action in actions)
            {
                // A fix edits the document of its diagnostic: that document is checked, in the whole compilation.
                var changed = (await ApplyAsync(action, solution)).GetDocument(doc.Id)!;
                var changedModel = (await changed.GetSemanticModelAsync())!;
                var originalModel = compilation.GetSemanticModel(diagnostic.Location.SourceTree!);
                var newErrors = Errors(changedModel).Except(Errors(originalModel)).ToList();
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

        foreach (var (id, (findings, fixedCount)) in offered.OrderBy(p => p.Key))
        {
            _output.WriteLine($"{id}: a fix offered for {fixedCount} of {findings} findings ({100.0 * fixedCount / findings:0}%)");
        }

        failures.AddRange(await FixAllFailuresAsync(solution, compilation, diagnostics));
        foreach (var failure in failures)
        {
            _output.WriteLine("FAIL " + failure);
        }

        Assert.Empty(failures);
    }

    /// <summary>Fix All in solution scope, per fixer and equivalence key: the result compiles.</summary>
    private async Task<List<string>> FixAllFailuresAsync(Solution solution, Compilation compilation, ImmutableArray<Diagnostic> diagnostics)
    {
        var failures = new List<string>();
        var provider = new CorpusDiagnostics(diagnostics);
        foreach (var fixer in Fixers)
        {
            var keys = new HashSet<string>();
            foreach (var diagnostic in diagnostics.Where(d => fixer.FixableDiagnosticIds.Contains(d.Id)))
            {
                var doc = solution.GetDocument(diagnostic.Location.SourceTree)!;
                await fixer.RegisterCodeFixesAsync(new CodeFixContext(doc, diagnostic, (action, _) => keys.Add(action.EquivalenceKey!), CancellationToken.None));
            }

            foreach (var key in keys)
            {
                var first = solution.Projects.First().Documents.First();
                var context = new FixAllContext(first, fixer, FixAllScope.Solution, key, fixer.FixableDiagnosticIds, provider, CancellationToken.None);
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
                _output.WriteLine($"Fix All '{key}': {before} -> {after} findings of {string.Join("/", fixer.FixableDiagnosticIds)}");
                if (newErrors.Count > 0)
                {
                    failures.Add($"Fix All '{key}' does not compile: {string.Join("; ", newErrors)}");
                }
            }
        }

        return failures;
    }

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

    private static Project CorpusProject(AdhocWorkspace workspace)
    {
        var project = workspace.AddProject("Corpus", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable))
            .WithParseOptions(new CSharpParseOptions(LanguageVersion.CSharp12))
            .WithMetadataReferences(References);
        var assembly = typeof(FixCoverageTests).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.Contains(".FixCorpus.", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            project = project.AddDocument(name[(name.IndexOf(".FixCorpus.", StringComparison.Ordinal) + ".FixCorpus.".Length)..], reader.ReadToEnd(), filePath: name).Project;
        }

        return project;
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
            Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax c => ".ctor",
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
