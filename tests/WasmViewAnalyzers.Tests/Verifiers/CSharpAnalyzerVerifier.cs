using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace WasmViewAnalyzers.Tests.Verifiers;

public static class CSharpAnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpAnalyzerVerifier<TAnalyzer, DefaultVerifier>.Diagnostic(id);

    /// <summary>Verifies the diagnostics marked up in <paramref name="source"/> (<c>{|WVA001:view|}</c>) and no others.</summary>
    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
        => VerifyAnalyzerAsync(source, withRuntimeLibrary: false, OutputKind.DynamicallyLinkedLibrary, expected);

    public static Task VerifyAnalyzerAsync(string source, bool withRuntimeLibrary, OutputKind outputKind, params DiagnosticResult[] expected)
    {
        var test = new Test(withRuntimeLibrary) { TestCode = source };
        test.TestState.OutputKind = outputKind;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    public sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test(bool withRuntimeLibrary = false, bool withWasmtime = true, bool withArchiveLibraries = false)
        {
            TestProject.Configure(this, withRuntimeLibrary, withWasmtime, withArchiveLibraries);
        }
    }
}
