using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace WasmViewAnalyzers.Tests.Verifiers;

public static class CSharpCodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    /// <summary>
    /// Applies the fix with <paramref name="equivalenceKey"/> to every diagnostic marked up in
    /// <paramref name="source"/>, one at a time and through Fix All (document, project and
    /// solution scopes), and checks that both give <paramref name="fixedSource"/>, which must compile
    /// without errors or remaining diagnostics. <paramref name="withArchiveLibraries"/> compiles both
    /// states against the real DotNetZip and SharpZipLib assemblies.
    /// </summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, string equivalenceKey, bool withRuntimeLibrary = false, OutputKind outputKind = OutputKind.DynamicallyLinkedLibrary, bool withArchiveLibraries = false)
    {
        var test = new Test(withRuntimeLibrary, withArchiveLibraries)
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        test.TestState.OutputKind = outputKind;
        test.FixedState.OutputKind = outputKind;
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The titles of the fixes offered for each diagnostic of <paramref name="source"/>.</summary>
    public static async Task<ImmutableArray<string>> GetOfferedFixesAsync(string source, bool withRuntimeLibrary = false, bool withArchiveLibraries = false)
        => (await GetFixesPerDiagnosticAsync(source, withRuntimeLibrary, withArchiveLibraries, requireCompiling: false))
            .SelectMany(d => d.Fixes.Select(a => a.Title))
            .ToImmutableArray();

    /// <summary>
    /// Each diagnostic of <paramref name="source"/> the fixer declares fixable, with the fixes it
    /// offers for it. With <paramref name="requireCompiling"/>, the source must compile without
    /// errors first (a near miss that does not compile proves nothing). <paramref name="outputKind"/>
    /// makes it an application or a library; <paramref name="referencedByAnotherProject"/> adds a
    /// second project of the solution that references it.
    /// </summary>
    public static async Task<ImmutableArray<(Diagnostic Diagnostic, ImmutableArray<CodeAction> Fixes)>> GetFixesPerDiagnosticAsync(string source, bool withRuntimeLibrary = false, bool withArchiveLibraries = false, bool requireCompiling = true, OutputKind outputKind = OutputKind.DynamicallyLinkedLibrary, bool referencedByAnotherProject = false)
    {
        using var workspace = new AdhocWorkspace();
        var references = Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(TestProject.Wasmtime);
        if (withRuntimeLibrary)
        {
            references = references.Append(TestProject.RuntimeLibrary);
        }

        if (withArchiveLibraries)
        {
            references = references.Concat(TestProject.ArchiveLibraries);
        }

        var project = workspace.AddProject("Test", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(outputKind, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable))
            .WithParseOptions(new CSharpParseOptions(LanguageVersion.CSharp12))
            .WithMetadataReferences(references);
        if (referencedByAnotherProject)
        {
            var tests = project.Solution.AddProject("Tests", "Tests", LanguageNames.CSharp).AddProjectReference(new ProjectReference(project.Id));
            project = tests.Solution.GetProject(project.Id)!;
        }

        var document = project.AddDocument("Test.cs", source);
        var compilation = (await document.Project.GetCompilationAsync())!;
        if (requireCompiling && compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList() is { Count: > 0 } errors)
        {
            throw new InvalidOperationException("The source does not compile: " + string.Join("; ", errors));
        }

        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        var fixer = new TCodeFix();
        var result = ImmutableArray.CreateBuilder<(Diagnostic, ImmutableArray<CodeAction>)>();
        foreach (var diagnostic in diagnostics.Where(d => fixer.FixableDiagnosticIds.Contains(d.Id)).OrderBy(d => d.Location.SourceSpan.Start))
        {
            var actions = ImmutableArray.CreateBuilder<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            await fixer.RegisterCodeFixesAsync(context);
            result.Add((diagnostic, actions.ToImmutable()));
        }

        return result.ToImmutable();
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test(bool withRuntimeLibrary = false, bool withArchiveLibraries = false)
        {
            TestProject.Configure(this, withRuntimeLibrary, withArchiveLibraries: withArchiveLibraries);
        }
    }
}
