using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace WasmViewAnalyzers.Tests.Verifiers;

/// <summary>
/// How test code is compiled: against the offline .NET reference assemblies, the real Wasmtime
/// assembly and, when a test asks for them, the real runtime companion library and the real
/// DotNetZip and SharpZipLib assemblies. Nothing is
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

    /// <summary>The real DotNetZip and SharpZipLib assemblies, for the archive rules (WVA003, WVA004).</summary>
    public static readonly ImmutableArray<MetadataReference> ArchiveLibraries = ImmutableArray.Create<MetadataReference>(
        MetadataReference.CreateFromFile(typeof(global::Ionic.Zip.ZipFile).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(global::ICSharpCode.SharpZipLib.Zip.ZipFile).Assembly.Location));

    public static void Configure(AnalyzerTest<DefaultVerifier> test, bool withRuntimeLibrary, bool withWasmtime = true, bool withArchiveLibraries = false)
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

        if (withArchiveLibraries)
        {
            test.TestState.AdditionalReferences.AddRange(ArchiveLibraries);
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
