using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// The plumbing every rule shares: sets up the engine once per compilation (nothing at all when
/// Wasmtime is not referenced), runs the flow analysis over each method body, its local
/// functions and lambdas, and hands the facts to the rule.
/// </summary>
internal static class WasmViewAnalysisDriver
{
#if DEBUG
    private const bool ThrowOnFailure = true;
#else
    private const bool ThrowOnFailure = false;
#endif

    /// <summary>Runs the engine for a rule, which turns the stale uses found in each graph into diagnostics.</summary>
    public static void Register(AnalysisContext context, System.Action<OperationBlockAnalysisContext, ImmutableArray<StaleViewUse>> reportStaleUses)
    {
        context.RegisterCompilationStartAction(compilationContext =>
        {
            var semantics = WasmViewSemantics.TryCreate(compilationContext.Compilation);
            if (semantics is null)
            {
                return;
            }

            compilationContext.RegisterOperationBlockAction(blockContext =>
            {
                try
                {
                    AnalyzeBlock(semantics, blockContext, reportStaleUses);
                }
                catch (System.Exception exception) when (exception is not System.OperationCanceledException && !ThrowOnFailure)
                {
                    // A failure of ours must never break a user's build with AD0001: this method goes
                    // unanalyzed instead. Debug builds (our tests) let it surface.
                }
            });
        });
    }

    private static void AnalyzeBlock(
        WasmViewSemantics semantics,
        OperationBlockAnalysisContext context,
        System.Action<OperationBlockAnalysisContext, ImmutableArray<StaleViewUse>> reportStaleUses)
    {
        // A method's body and its expression body, parameter defaults and initializers are separate
        // blocks; each executable one has its own control-flow graph.
        foreach (var block in context.OperationBlocks)
        {
            if (!MayContainViews(semantics, block, context))
            {
                continue;
            }

            ControlFlowGraph? graph;
            try
            {
                graph = context.GetControlFlowGraph(block);
            }
            catch (System.ArgumentException)
            {
                // Operation blocks that are not executable code (attribute arguments, parameter
                // defaults in some shapes) have no control-flow graph.
                continue;
            }

            foreach (var nested in WithNestedGraphs(graph, context))
            {
                reportStaleUses(context, ViewFlowAnalysis.FindStaleUses(semantics, nested, context.CancellationToken));
            }
        }
    }

    /// <summary>
    /// A cheap pre-check: a body that obtains no view (directly, through a helper of the
    /// compilation, or through an <c>out</c> argument) cannot read a stale one.
    /// </summary>
    private static bool MayContainViews(WasmViewSemantics semantics, IOperation block, OperationBlockAnalysisContext context)
    {
        foreach (var operation in block.DescendantsAndSelf())
        {
            if (semantics.TryGetAcquisition(operation, visit: null, context.CancellationToken) is not null)
            {
                return true;
            }

            if (operation is IInvocationOperation invocation)
            {
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter?.RefKind is RefKind.Out or RefKind.Ref
                        && semantics.TryGetOutAcquisition(invocation, argument, visit: null, context.CancellationToken) is not null)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static IEnumerable<ControlFlowGraph> WithNestedGraphs(ControlFlowGraph root, OperationBlockAnalysisContext context)
    {
        var pending = new Stack<ControlFlowGraph>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var graph = pending.Pop();
            yield return graph;
            foreach (var localFunction in graph.LocalFunctions)
            {
                pending.Push(graph.GetLocalFunctionControlFlowGraph(localFunction, context.CancellationToken));
            }

            foreach (var lambda in ViewFlowGraphs.AnonymousFunctions(graph))
            {
                pending.Push(graph.GetAnonymousFunctionControlFlowGraph(lambda, context.CancellationToken));
            }
        }
    }
}
