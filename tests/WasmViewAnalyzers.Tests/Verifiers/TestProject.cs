using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace WasmViewAnalyzers.Tests.Verifiers;

/// <summary>
/// How test code is compiled: against the offline .NET reference assemblies, the real Wasmtime
/// assembly and, when a test asks for it, the real runtime companion library. Nothing is
/// downloaded at test time.
/// </summary>
internal static class TestProject
{
    /// <summary>No reference-assembly package: the references below are complete.</summary>
    private static readonly ReferenceAssemblies NoPackages = new("net10.0");

    public static readonly MetadataReference Wasmtime =
        MetadataReference.CreateFromFile(typeof(global::Wasmtime.Memory).Assembly.Location);

    public static readonly MetadataReference RuntimeLibrary =
        MetadataReference.CreateFromFile(typeof(global::WasmViewAnalyzers.GuestCallAttribute).Assembly.Location);

    public static void Configure(AnalyzerTest<DefaultVerifier> test, bool withRuntimeLibrary, bool withWasmtime = true)
    {
        test.ReferenceAssemblies = NoPackages;
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        if (withWasmtime)
        {
            test.TestState.AdditionalReferences.Add(Wasmtime);
        }

        if (withRuntimeLibrary)
        {
            test.TestState.AdditionalReferences.Add(RuntimeLibrary);
        }

        test.SolutionTransforms.Add((solution, projectId) =>
        {
            var project = solution.GetProject(projectId)!;
            var compilationOptions = ((CSharpCompilationOptions)project.CompilationOptions!)
                .WithAllowUnsafe(true)
                .WithNullableContextOptions(NullableContextOptions.Enable);
            var parseOptions = ((CSharpParseOptions)project.ParseOptions!).WithLanguageVersion(LanguageVersion.CSharp12);
            return solution
                .WithProjectCompilationOptions(projectId, compilationOptions)
                .WithProjectParseOptions(projectId, parseOptions);
        });
    }
}
