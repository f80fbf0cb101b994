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
    /// without errors or remaining diagnostics.
    /// </summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, string equivalenceKey, bool withRuntimeLibrary = false, OutputKind outputKind = OutputKind.DynamicallyLinkedLibrary)
    {
        var test = new Test(withRuntimeLibrary)
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
    public static async Task<ImmutableArray<string>> GetOfferedFixesAsync(string source, bool withRuntimeLibrary = false)
    {
        using var workspace = new AdhocWorkspace();
        var references = Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(TestProject.Wasmtime);
        if (withRuntimeLibrary)
        {
            references = references.Append(TestProject.RuntimeLibrary);
        }

        var project = workspace.AddProject("Test", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable))
            .WithParseOptions(new CSharpParseOptions(LanguageVersion.CSharp12))
            .WithMetadataReferences(references);
        var document = project.AddDocument("Test.cs", source);
        var compilation = (await document.Project.GetCompilationAsync())!;
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        var fixer = new TCodeFix();
        var titles = ImmutableArray.CreateBuilder<string>();
        foreach (var diagnostic in diagnostics.Where(d => fixer.FixableDiagnosticIds.Contains(d.Id)))
        {
            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            await fixer.RegisterCodeFixesAsync(context);
            titles.AddRange(actions.Select(a => a.Title));
        }

        return titles.ToImmutable();
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test(bool withRuntimeLibrary = false, bool withArchiveLibraries = false)
        {
            TestProject.Configure(this, withRuntimeLibrary, withArchiveLibraries: withArchiveLibraries);
        }
    }
}
