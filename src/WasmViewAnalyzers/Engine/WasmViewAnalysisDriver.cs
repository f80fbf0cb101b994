using System;
using Microsoft.CodeAnalysis.Diagnostics;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// The plumbing every rule shares: once per compilation (nothing at all when Wasmtime is not
/// referenced) it subscribes the rule to the methods of the compilation and hands it the facts of
/// each, from the one <see cref="CompilationViewAnalysis"/> that all rules read.
/// </summary>
internal static class WasmViewAnalysisDriver
{
    /// <summary>
    /// Generated code is not analyzed (no <see cref="GeneratedCodeAnalysisFlags.Analyze"/>): the
    /// driver skips every member of a generated file or of a <c>[GeneratedCode]</c> type before it
    /// reaches a rule. Every diagnostic is reported inside the member being analyzed, so it is never
    /// in generated code, and <see cref="GeneratedCodeAnalysisFlags.ReportDiagnostics"/> tells the
    /// driver not to check that again per diagnostic: that check scans the whole file for a
    /// <c>GeneratedCode</c> attribute the first time a file gets a diagnostic (about a sixth of the rules'
    /// sampled time on host code with a few warnings per file, see benchmarks/AnalyzerCost/LAB-NOTES.md).
    /// </summary>
    public const GeneratedCodeAnalysisFlags GeneratedCodeAnalysis = GeneratedCodeAnalysisFlags.ReportDiagnostics;

    public static void Register(AnalysisContext context, Action<OperationBlockAnalysisContext, MethodViewFacts> report)
    {
        context.RegisterCompilationStartAction(compilationContext =>
        {
            var analysis = CompilationViewAnalysis.For(compilationContext.Compilation, compilationContext.Options);
            if (analysis.Semantics is null)
            {
                return;
            }

            compilationContext.RegisterOperationBlockAction(blockContext =>
            {
                var facts = analysis.GetFacts(blockContext);
                if (!ReferenceEquals(facts, MethodViewFacts.Empty))
                {
                    report(blockContext, facts);
                }
            });
        });
    }
}
