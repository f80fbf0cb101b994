using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CostBench;

/// <summary>
/// A measuring aid for <c>analyze ... prebind</c>, never shipped: at compilation start it binds the
/// body of every member of the compilation through the driver's own semantic models, so that the
/// analyzers measured after it find every body bound. A per-method analyzer (CA2000) is handed
/// bodies the driver bound outside its time; an interprocedural one binds the callees it
/// summarizes inside its callbacks and is charged for it, more or less depending on which thread
/// got there first. With every body bound up front both are measured net of binding, and this
/// analyzer's own time is what that binding cost.
/// </summary>
internal sealed class PrebindAnalyzer : DiagnosticAnalyzer
{
    // The driver skips an analyzer whose diagnostics are all disabled; this one is never reported.
    private static readonly DiagnosticDescriptor Never = new("PREBIND", "Never reported", "Never reported", "Measurement", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var compilation = start.Compilation;
            foreach (var tree in compilation.SyntaxTrees)
            {
                var model = compilation.GetSemanticModel(tree);
                foreach (var node in tree.GetRoot(start.CancellationToken).DescendantNodes())
                {
                    if (node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or PropertyDeclarationSyntax { ExpressionBody: not null } or LocalFunctionStatementSyntax)
                    {
                        model.GetOperation(node, start.CancellationToken);
                    }
                }
            }
        });
    }
}
