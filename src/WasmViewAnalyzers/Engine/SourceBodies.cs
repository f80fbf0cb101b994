using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// Finds the operation tree and the control-flow graph of a method declared in the compilation
/// (ordinary methods, accessors, constructors, local functions and lambdas), for the
/// interprocedural summaries.
/// </summary>
internal sealed class SourceBodies
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<SyntaxNode, ControlFlowGraph?> _graphs = new();

    public SourceBodies(Compilation compilation)
    {
        _compilation = compilation;
    }

    /// <summary>The executable body of <paramref name="method"/>, or <see langword="null"/> when it has none in source.</summary>
    public IOperation? GetBody(IMethodSymbol method, CancellationToken cancellationToken)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var node = reference.GetSyntax(cancellationToken);
            if (!HasBody(node) || !_compilation.ContainsSyntaxTree(node.SyntaxTree))
            {
                continue;
            }

#pragma warning disable RS1030 // Interprocedural summaries need the bodies of callees declared in other trees.
            var model = _compilation.GetSemanticModel(node.SyntaxTree);
#pragma warning restore RS1030
            var operation = model.GetOperation(node, cancellationToken);
            switch (operation)
            {
                case ILocalFunctionOperation localFunction:
                    return (IOperation?)localFunction.Body ?? localFunction.IgnoredBody;
                case IAnonymousFunctionOperation lambda:
                    return lambda.Body;
                case null:
                    continue;
                default:
                    return operation;
            }
        }

        return null;
    }

    /// <summary>The control-flow graph of <paramref name="method"/>'s body, including local functions and lambdas.</summary>
    public ControlFlowGraph? GetGraph(IMethodSymbol method, CancellationToken cancellationToken)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var node = reference.GetSyntax(cancellationToken);
            if (!HasBody(node) || !_compilation.ContainsSyntaxTree(node.SyntaxTree))
            {
                continue;
            }

            var root = FindMemberBody(node);
            if (root is null)
            {
                continue;
            }

            var rootGraph = _graphs.GetOrAdd(root, r => CreateGraph(r, cancellationToken));
            if (rootGraph is null)
            {
                continue;
            }

            if (method.MethodKind is MethodKind.LocalFunction or MethodKind.AnonymousFunction)
            {
                var nested = FindNestedGraph(rootGraph, method, cancellationToken, depth: 0);
                if (nested is not null)
                {
                    return nested;
                }

                continue;
            }

            return rootGraph;
        }

        return null;
    }

    /// <summary>
    /// The graph of an operation block the driver hands to a rule: the one the summaries build for
    /// the same body when they got there first, else the driver's, kept for them. A method that is
    /// both analyzed and summarized (a helper that returns a view, one that takes a view
    /// parameter) then has one graph instead of two.
    /// </summary>
    public ControlFlowGraph? GetGraph(IOperation block, System.Func<IOperation, ControlFlowGraph?> driverGraph)
    {
        // The driver hands over the body block; its graph is that of the member body around it.
        var root = block;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        if (root.Kind is not (OperationKind.MethodBody or OperationKind.ConstructorBody)
            || FindMemberBody(root.Syntax) != root.Syntax)
        {
            return driverGraph(block);
        }

        return _graphs.GetOrAdd(root.Syntax, _ => driverGraph(block)) ?? driverGraph(block);
    }

    private ControlFlowGraph? CreateGraph(SyntaxNode root, CancellationToken cancellationToken)
    {
#pragma warning disable RS1030 // See GetBody.
        var model = _compilation.GetSemanticModel(root.SyntaxTree);
#pragma warning restore RS1030
        var operation = model.GetOperation(root, cancellationToken);
        return ViewFlowGraphs.TryCreate(operation, cancellationToken);
    }

    private static ControlFlowGraph? FindNestedGraph(ControlFlowGraph graph, IMethodSymbol target, CancellationToken cancellationToken, int depth)
    {
        if (depth > 16)
        {
            return null;
        }

        foreach (var localFunction in graph.LocalFunctions)
        {
            var localGraph = graph.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken);
            if (SymbolEqualityComparer.Default.Equals(localFunction, target))
            {
                return localGraph;
            }

            var found = FindNestedGraph(localGraph, target, cancellationToken, depth + 1);
            if (found is not null)
            {
                return found;
            }
        }

        foreach (var lambda in ViewFlowGraphs.AnonymousFunctions(graph))
        {
            var lambdaGraph = graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken);
            if (SymbolEqualityComparer.Default.Equals(lambda.Symbol, target))
            {
                return lambdaGraph;
            }

            var found = FindNestedGraph(lambdaGraph, target, cancellationToken, depth + 1);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    private static bool HasBody(SyntaxNode node) => node switch
    {
        BaseMethodDeclarationSyntax method => method.Body is not null || method.ExpressionBody is not null,
        AccessorDeclarationSyntax accessor => accessor.Body is not null || accessor.ExpressionBody is not null,
        LocalFunctionStatementSyntax localFunction => localFunction.Body is not null || localFunction.ExpressionBody is not null,
        AnonymousFunctionExpressionSyntax => true,
        ArrowExpressionClauseSyntax => true,
        _ => false,
    };

    /// <summary>
    /// The member-level node whose operation holds the whole body around <paramref name="node"/>
    /// (method, accessor, expression-bodied property, or the top-level statements), from which a
    /// control-flow graph can be built.
    /// </summary>
    public static SyntaxNode? FindMemberBody(SyntaxNode node)
    {
        for (var current = node; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case BaseMethodDeclarationSyntax:
                case AccessorDeclarationSyntax:
                    return current;
                case ArrowExpressionClauseSyntax arrow when arrow.Parent is PropertyDeclarationSyntax or IndexerDeclarationSyntax:
                    return current;
                case CompilationUnitSyntax:
                    // Top-level statements: the compilation unit is the body of the synthesized Main.
                    return current;
            }
        }

        return null;
    }
}

/// <summary>Helpers to build and walk control-flow graphs safely.</summary>
internal static class ViewFlowGraphs
{
    public static ControlFlowGraph? TryCreate(IOperation? root, CancellationToken cancellationToken)
    {
        if (root is null || root.Parent is not null)
        {
            return null;
        }

        return root switch
        {
            IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
            IConstructorBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
            IBlockOperation body => ControlFlowGraph.Create(body, cancellationToken),
            _ => null,
        };
    }

    public static IEnumerable<IFlowAnonymousFunctionOperation> AnonymousFunctions(ControlFlowGraph graph)
    {
        foreach (var block in graph.Blocks)
        {
            foreach (var operation in block.Operations)
            {
                foreach (var lambda in FindLambdas(operation))
                {
                    yield return lambda;
                }
            }

            if (block.BranchValue is not null)
            {
                foreach (var lambda in FindLambdas(block.BranchValue))
                {
                    yield return lambda;
                }
            }
        }
    }

    private static IEnumerable<IFlowAnonymousFunctionOperation> FindLambdas(IOperation operation)
    {
        if (operation is IFlowAnonymousFunctionOperation self)
        {
            yield return self;
            yield break;
        }

        foreach (var descendant in operation.Descendants())
        {
            if (descendant is IFlowAnonymousFunctionOperation lambda)
            {
                yield return lambda;
            }
        }
    }
}
