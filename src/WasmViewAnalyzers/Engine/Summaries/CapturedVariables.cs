using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>Captured variables: what a local function or lambda reads of its enclosing method when it runs.</summary>
internal sealed class CapturedVariables
{
    private readonly WasmViewSemantics _semantics;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableHashSet<ISymbol>> _capturedReads = new(SymbolEqualityComparer.Default);

    public CapturedVariables(WasmViewSemantics semantics)
    {
        _semantics = semantics;
    }

    /// <summary>
    /// The variables of enclosing methods that a local function or lambda reads: calling it reads
    /// whatever views they hold at the call (pointers, streams and collections of views can be
    /// captured; spans cannot).
    /// </summary>
    public ImmutableHashSet<ISymbol> GetCapturedReads(IMethodSymbol function, CancellationToken cancellationToken)
    {
        if (function.MethodKind is not (MethodKind.LocalFunction or MethodKind.AnonymousFunction))
        {
            return ImmutableHashSet<ISymbol>.Empty;
        }

        return _capturedReads.GetOrAdd(function, f =>
        {
            var body = _semantics.Bodies.GetBody(f, cancellationToken);
            if (body is null)
            {
                return ImmutableHashSet<ISymbol>.Empty;
            }

            var builder = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var operation in body.DescendantsAndSelf())
            {
                var symbol = operation switch
                {
                    ILocalReferenceOperation { IsDeclaration: false } local => (ISymbol)local.Local,
                    IParameterReferenceOperation parameter => parameter.Parameter,
                    _ => null,
                };

                if (symbol is not null && !IsDeclaredWithin(symbol, f))
                {
                    builder.Add(symbol);
                }
            }

            return builder.ToImmutable();
        });
    }

    /// <summary>The local function or lambda that a call runs: <c>Flush()</c>, or <c>flush()</c> where <c>flush</c> was assigned a lambda.</summary>
    public IEnumerable<IMethodSymbol> GetCalledNestedFunctions(IInvocationOperation invocation, CancellationToken cancellationToken)
    {
        if (invocation.TargetMethod.MethodKind == MethodKind.LocalFunction)
        {
            yield return invocation.TargetMethod.OriginalDefinition;
            yield break;
        }

        if (invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke
            && invocation.Instance?.WalkDownConversions() is ILocalReferenceOperation { Local: { } local }
            && local.Type.TypeKind == TypeKind.Delegate)
        {
            foreach (var assigned in _semantics.GuestDelegates.FindAssignedValues(local, _semantics.NewSolver(cancellationToken)))
            {
                var target = assigned.WalkDownConversions() is IDelegateCreationOperation creation ? creation.Target : assigned.WalkDownConversions();
                switch (target)
                {
                    case IAnonymousFunctionOperation lambda:
                        yield return lambda.Symbol;
                        break;
                    case IMethodReferenceOperation { Method.MethodKind: MethodKind.LocalFunction } reference:
                        yield return reference.Method.OriginalDefinition;
                        break;
                }
            }
        }
    }

    private static bool IsDeclaredWithin(ISymbol symbol, IMethodSymbol function)
    {
        for (var container = symbol.ContainingSymbol; container is not null; container = container.ContainingSymbol)
        {
            if (SymbolEqualityComparer.Default.Equals(container, function))
            {
                return true;
            }

            if (container is INamedTypeSymbol)
            {
                return false;
            }
        }

        return false;
    }
}
