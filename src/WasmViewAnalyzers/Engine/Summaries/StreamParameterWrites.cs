using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Which of a method's parameters it writes into which of its <c>Stream</c> parameters: a helper
/// <c>static void WriteAll(Stream target, ReadOnlySpan&lt;byte&gt; data) =&gt; target.Write(data);</c>
/// writes <c>data</c> into <c>target</c>, so a call <c>WriteAll(gzip, view)</c> writes a view into a
/// compressor as <c>gzip.Write(view)</c> would (WVA004, at the call). Found in the body: a
/// <c>Write</c>/<c>WriteAsync</c> of a stream parameter given the other parameter (or a slice or
/// <c>.Span</c> of it), a <c>CopyTo</c>/<c>CopyToAsync</c> from one stream parameter into another,
/// and a call of another such helper of the compilation passing both on. A parameter the body
/// assigns is left out (it may no longer hold what the caller passed).
/// </summary>
internal sealed class StreamParameterWrites
{
    private readonly WasmViewSemantics _semantics;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<(int Data, int Stream)>> _writes = new(SymbolEqualityComparer.Default);

    public StreamParameterWrites(WasmViewSemantics semantics)
    {
        _semantics = semantics;
    }

    /// <summary>The (data parameter, stream parameter) ordinals the method writes one into the other, in source methods.</summary>
    public ImmutableArray<(int Data, int Stream)> GetWrites(IMethodSymbol method, CancellationToken cancellationToken)
        => Compute(method, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), cancellationToken);

    private ImmutableArray<(int Data, int Stream)> Compute(IMethodSymbol method, HashSet<IMethodSymbol> visiting, CancellationToken cancellationToken)
    {
        method = method.OriginalDefinition;
        if (_writes.TryGetValue(method, out var known))
        {
            return known;
        }

        if (!visiting.Add(method))
        {
            // A cycle of helpers: what it writes is found through its other paths.
            return ImmutableArray<(int, int)>.Empty;
        }

        var result = Find(method, visiting, cancellationToken);
        visiting.Remove(method);
        return _writes.GetOrAdd(method, result);
    }

    private ImmutableArray<(int Data, int Stream)> Find(IMethodSymbol method, HashSet<IMethodSymbol> visiting, CancellationToken cancellationToken)
    {
        if (!HasStreamParameter(method) || _semantics.Bodies.GetBody(method, cancellationToken) is not { } body)
        {
            return ImmutableArray<(int, int)>.Empty;
        }

        var assigned = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
        foreach (var operation in body.DescendantsAndSelf())
        {
            if (operation is IAssignmentOperation { Target: IParameterReferenceOperation target })
            {
                assigned.Add(target.Parameter);
            }
        }

        var archives = _semantics.Archives;
        var builder = ImmutableArray.CreateBuilder<(int, int)>();
        foreach (var operation in body.DescendantsOutsideNestedFunctions())
        {
            if (operation is not IInvocationOperation invocation)
            {
                continue;
            }

            var target = invocation.TargetMethod;
            if (archives.IsStreamWrite(target))
            {
                if (ParameterOf(invocation.Instance, assigned) is { } stream)
                {
                    foreach (var argument in invocation.Arguments)
                    {
                        if (DataParameterOf(argument.Value, assigned) is { } data)
                        {
                            Add(builder, data.Ordinal, stream.Ordinal);
                        }
                    }
                }
            }
            else if (archives.IsStreamCopy(target))
            {
                if (ParameterOf(invocation.Instance, assigned) is { } source
                    && invocation.Arguments.Length > 0
                    && ParameterOf(invocation.Arguments[0].Value, assigned) is { } destination)
                {
                    Add(builder, source.Ordinal, destination.Ordinal);
                }
            }
            else if (_semantics.IsSourceMethod(target, out var helper) && HasStreamParameter(helper))
            {
                foreach (var (data, stream) in Compute(helper, visiting, cancellationToken))
                {
                    if (DataParameterOf(invocation.ArgumentFor(data), assigned) is { } passedData
                        && ParameterOf(invocation.ArgumentFor(stream), assigned) is { } passedStream)
                    {
                        Add(builder, passedData.Ordinal, passedStream.Ordinal);
                    }
                }
            }
        }

        return builder.ToImmutable();
    }

    private bool HasStreamParameter(IMethodSymbol method)
    {
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind == RefKind.None && _semantics.Symbols.DerivesFrom(parameter.Type, _semantics.Symbols.Stream))
            {
                return true;
            }
        }

        return false;
    }

    private static IParameterSymbol? ParameterOf(IOperation? operation, HashSet<IParameterSymbol> assigned)
        => operation?.WalkDownConversions() is IParameterReferenceOperation { Parameter: { RefKind: RefKind.None } parameter } && !assigned.Contains(parameter)
            ? parameter
            : null;

    /// <summary>The parameter whose memory <paramref name="operation"/> is: itself, <c>.Span</c> of it, a slice of it.</summary>
    private static IParameterSymbol? DataParameterOf(IOperation? operation, HashSet<IParameterSymbol> assigned)
    {
        var current = operation?.WalkDownConversions();
        while (true)
        {
            switch (current)
            {
                case IPropertyReferenceOperation { Property.Name: "Span", Instance: { } instance }:
                    current = instance.WalkDownConversions();
                    continue;
                case IInvocationOperation { TargetMethod.Name: "Slice", Instance: { } instance }:
                    current = instance.WalkDownConversions();
                    continue;
                default:
                    return ParameterOf(current, assigned);
            }
        }
    }

    private static void Add(ImmutableArray<(int, int)>.Builder builder, int data, int stream)
    {
        if (data != stream && !builder.Contains((data, stream)))
        {
            builder.Add((data, stream));
        }
    }
}
