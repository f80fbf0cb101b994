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
