using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Summarizes the methods of the compilation bottom-up over the call graph: before the first
/// summary of a method is computed, everything it calls (transitively) is summarized first, callees
/// before callers. The on-demand recursion of <see cref="SummaryVisit"/> then stays one level deep
/// outside of recursive components, so a chain of thousands of helpers costs its length, not a
/// stack as deep as the chain, and is never cut off.
/// </summary>
internal sealed class CallGraphSummaries
{
    private readonly WasmViewSemantics _semantics;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> _callees = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _prepared = new(SymbolEqualityComparer.Default);

    public CallGraphSummaries(WasmViewSemantics semantics)
    {
        _semantics = semantics;
    }

    /// <summary>Summarizes every method reachable from <paramref name="root"/>, callees first (iteratively: no recursion).</summary>
    public void Prepare(IMethodSymbol root, CancellationToken cancellationToken)
    {
        if (_prepared.ContainsKey(root))
        {
            return;
        }

        var onPath = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { root };
        var stack = new Stack<(IMethodSymbol Method, ImmutableArray<IMethodSymbol> Callees, int Next)>();
        stack.Push((root, GetCallees(root, cancellationToken), 0));
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (method, callees, next) = stack.Pop();
            if (next < callees.Length)
            {
                stack.Push((method, callees, next + 1));
                var callee = callees[next];
                if (!_prepared.ContainsKey(callee) && onPath.Add(callee))
                {
                    stack.Push((callee, GetCallees(callee, cancellationToken), 0));
                }

                continue;
            }

            // Every callee is summarized, or is on the current path (a recursive component, which
            // the summary solver iterates to its fixed point).
            _semantics.SummarizeMethod(method, cancellationToken);
            _prepared.TryAdd(method, true);
        }
    }

    /// <summary>The methods of the compilation that <paramref name="method"/>'s body may run or hand out: calls, constructors, accessors, method groups, overrides and implementations.</summary>
    public ImmutableArray<IMethodSymbol> GetCallees(IMethodSymbol method, CancellationToken cancellationToken)
        => _callees.GetOrAdd(method, m => ComputeCallees(m, cancellationToken));

    private ImmutableArray<IMethodSymbol> ComputeCallees(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var callees = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var body = _semantics.Bodies.GetBody(method, cancellationToken);
        if (body is not null)
        {
            foreach (var operation in body.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IInvocationOperation invocation:
                        Add(invocation.TargetMethod);
                        break;
                    case IObjectCreationOperation { Constructor: { } constructor }:
                        Add(constructor);
                        break;
                    case IPropertyReferenceOperation property:
                        Add(property.Property.GetMethod);
                        Add(property.Property.SetMethod);
                        break;
                    case IMethodReferenceOperation reference:
                        Add(reference.Method);
                        break;
                }
            }
        }

        if (method.IsAbstract || method.IsVirtual || method.ContainingType?.TypeKind == TypeKind.Interface)
        {
            foreach (var implementation in _semantics.FindImplementations(method))
            {
                Add(implementation);
            }
        }

        callees.Remove(method);
        return callees.ToImmutableArray();

        void Add(IMethodSymbol? callee)
        {
            if (callee is not null && _semantics.IsSourceMethod(callee, out var normalized))
            {
                callees.Add(normalized);
            }
        }
    }
}
