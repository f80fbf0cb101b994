using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// The call graph of the methods declared in the compilation, discovered per method as it is
/// reached: what a body calls, and what a call through an interface or a virtual member may land in.
/// </summary>
internal sealed class SourceCallGraph
{
    private readonly WasmViewSemantics _semantics;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> _callees = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> _implementations = new(SymbolEqualityComparer.Default);
    private readonly Lazy<ImmutableArray<INamedTypeSymbol>> _sourceTypes;

    public SourceCallGraph(WasmViewSemantics semantics)
    {
        _semantics = semantics;
        _sourceTypes = new Lazy<ImmutableArray<INamedTypeSymbol>>(() => CollectSourceTypes(semantics.Compilation));
    }

    /// <summary>The methods of the compilation that <paramref name="method"/>'s body may run (<see cref="MethodsRun"/>) or hand out (method groups), and its overrides and implementations.</summary>
    public ImmutableArray<IMethodSymbol> GetCallees(IMethodSymbol method, CancellationToken cancellationToken)
        => _callees.TryGetValue(method, out var callees) ? callees : _callees.GetOrAdd(method, ComputeCallees(method, cancellationToken));

    /// <summary>The overrides and implementations of <paramref name="method"/> that the compilation declares.</summary>
    public ImmutableArray<IMethodSymbol> FindImplementations(IMethodSymbol method)
        => _implementations.TryGetValue(method, out var implementations) ? implementations : _implementations.GetOrAdd(method, ImmutableArray.CreateRange(EnumerateImplementations(method)));

    /// <summary>Whether a call of <paramref name="method"/> may land in an implementation declared elsewhere.</summary>
    public static bool IsDispatched(IMethodSymbol method)
        => method.IsAbstract || method.IsVirtual || method.ContainingType?.TypeKind == TypeKind.Interface;

    /// <summary>
    /// The overrides and implementations the compilation declares that a call of
    /// <paramref name="method"/> may run instead of its own body: none unless it is a dispatched
    /// member, or an override that is not sealed.
    /// </summary>
    public ImmutableArray<IMethodSymbol> FindImplementationsRunInstead(IMethodSymbol method)
        => IsDispatched(method) || (method.IsOverride && !method.IsSealed && method.ContainingType is { IsSealed: false })
            ? FindImplementations(method)
            : ImmutableArray<IMethodSymbol>.Empty;

    private ImmutableArray<IMethodSymbol> ComputeCallees(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var callees = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var body = _semantics.Bodies.GetBody(method, cancellationToken);
        if (body is not null)
        {
            foreach (var operation in body.DescendantsAndSelf())
            {
                if (operation is IMethodReferenceOperation reference)
                {
                    Add(reference.Method);
                    continue;
                }

                foreach (var callee in MethodsRun.By(operation))
                {
                    Add(callee);
                }
            }
        }

        if (IsDispatched(method))
        {
            foreach (var implementation in FindImplementations(method))
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

    private IEnumerable<IMethodSymbol> EnumerateImplementations(IMethodSymbol method)
    {
        foreach (var type in _sourceTypes.Value)
        {
            if (method.ContainingType?.TypeKind == TypeKind.Interface)
            {
                if (type.FindImplementationForInterfaceMember(method) is IMethodSymbol implementation
                    && !SymbolEqualityComparer.Default.Equals(implementation, method))
                {
                    yield return implementation;
                }

                continue;
            }

            foreach (var member in type.GetMembers(method.Name))
            {
                if (member is IMethodSymbol { IsOverride: true } candidate)
                {
                    for (var overridden = candidate.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
                    {
                        if (SymbolEqualityComparer.Default.Equals(overridden.OriginalDefinition, method))
                        {
                            yield return candidate;
                            break;
                        }
                    }
                }
            }
        }
    }

    private static ImmutableArray<INamedTypeSymbol> CollectSourceTypes(Compilation compilation)
    {
        var builder = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(compilation.Assembly.GlobalNamespace);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            foreach (var member in current.GetMembers())
            {
                if (member is INamespaceOrTypeSymbol child)
                {
                    stack.Push(child);
                }

                if (member is INamedTypeSymbol type)
                {
                    builder.Add(type);
                }
            }
        }

        return builder.ToImmutable();
    }
}
