using System.Collections.Concurrent;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Iterators of the compilation (<c>yield return</c>, sync or async): calling one runs nothing of
/// its body; enumerating what it returns does, a piece per <c>MoveNext</c>. Its guest calls happen
/// while it is enumerated — by <c>foreach</c>, <c>await foreach</c>, or a library method that walks
/// the sequence eagerly (<c>ToList</c>, <c>First</c>, <c>string.Join</c>) — and each item it yields
/// is fresh when <c>MoveNext</c> hands it over.
/// </summary>
internal sealed class Iterators
{
    private const int MaxDepth = 6;

    private readonly WasmViewSemantics _semantics;
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _isIterator = new(SymbolEqualityComparer.Default);

    public Iterators(WasmViewSemantics semantics)
    {
        _semantics = semantics;
    }

    /// <summary>Whether <paramref name="method"/> is an iterator of the compilation: its body yields.</summary>
    public bool IsIterator(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (!IsSequenceType(method.ReturnType) || !_semantics.IsSourceMethod(method, out var normalized))
        {
            return false;
        }

        return _isIterator.TryGetValue(normalized, out var isIterator)
            ? isIterator
            : _isIterator.GetOrAdd(normalized, ComputeIsIterator(normalized, cancellationToken));
    }

    private bool ComputeIsIterator(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (_semantics.Bodies.GetBody(method, cancellationToken) is not { } body)
        {
            return false;
        }

        foreach (var operation in body.DescendantsOutsideNestedFunctions())
        {
            if (operation is IReturnOperation { Kind: OperationKind.YieldReturn or OperationKind.YieldBreak })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The iterator whose body <paramref name="operation"/> runs by enumerating: <c>MoveNext</c> or
    /// <c>MoveNextAsync</c> on an enumerator of its sequence, or a library method that walks the
    /// sequence before it returns (one that does not return a sequence of its own, which would be
    /// lazy).
    /// </summary>
    public IMethodSymbol? EnumeratedBy(IOperation operation, CaptureResolver? captures, SummarySolver solver)
    {
        switch (operation)
        {
            case IInvocationOperation { TargetMethod.Name: "MoveNext" or "MoveNextAsync", Instance: { } enumerator }:
                return SequenceOf(enumerator, captures, solver, 0);

            case IInvocationOperation invocation when !_semantics.IsDeclaredInSource(invocation.TargetMethod)
                                                       && !IsLazySequenceType(invocation.TargetMethod.ReturnType)
                                                       && invocation.TargetMethod.Name is not ("GetEnumerator" or "GetAsyncEnumerator"):
                if (invocation.Instance is { } receiver && MayBeSequence(receiver) && SequenceOf(receiver, captures, solver, 0) is { } walked)
                {
                    return walked;
                }

                foreach (var argument in invocation.Arguments)
                {
                    if (MayBeSequence(argument.Value) && IsSequenceType(argument.Parameter?.Type) && SequenceOf(argument.Value, captures, solver, 0) is { } iterator)
                    {
                        return iterator;
                    }
                }

                return null;

            case IForEachLoopOperation loop:
                return SequenceOf(loop.Collection, captures, solver, 0);

            default:
                return null;
        }
    }

    /// <summary>The iterator <paramref name="value"/> is the sequence (or an enumerator) of, if any.</summary>
    public IMethodSymbol? SequenceOf(IOperation value, CaptureResolver? captures, SummarySolver solver, int depth)
    {
        if (depth > MaxDepth)
        {
            return null;
        }

        switch (value.WalkDownConversions())
        {
            case IInvocationOperation invocation when IsIterator(invocation.TargetMethod, solver.CancellationToken):
                return invocation.TargetMethod;

            case IInvocationOperation invocation when !_semantics.IsDeclaredInSource(invocation.TargetMethod) && IsSequenceType(invocation.TargetMethod.ReturnType):
                // GetEnumerator(), Where(...), Select(...), WithCancellation(...): a library's view of
                // the same sequence, walked when it is.
                if (invocation.Instance is { } instance && IsSequenceType(instance.Type) && SequenceOf(instance, captures, solver, depth + 1) is { } wrapped)
                {
                    return wrapped;
                }

                foreach (var argument in invocation.Arguments)
                {
                    if (IsSequenceType(argument.Value.Type) && SequenceOf(argument.Value, captures, solver, depth + 1) is { } iterator)
                    {
                        return iterator;
                    }
                }

                // Select(k => ...), SelectMany, Zip: walking the sequence runs the lambda, as it runs
                // an iterator's body.
                foreach (var argument in invocation.Arguments)
                {
                    if (LambdaOf(argument.Value) is { } lambda)
                    {
                        return lambda;
                    }
                }

                return null;

            case IFlowCaptureReferenceOperation capture when captures is not null:
                foreach (var captured in captures(capture.Id))
                {
                    if (SequenceOf(captured, captures, solver, depth + 1) is { } iterator)
                    {
                        return iterator;
                    }
                }

                return null;

            case ILocalReferenceOperation local when IsLazySequenceType(local.Type):
                foreach (var assigned in _semantics.GuestDelegates.FindAssignedValues(local.Local, solver))
                {
                    if (SequenceOf(assigned, captures: null, solver, depth + 1) is { } iterator)
                    {
                        return iterator;
                    }
                }

                return null;

            default:
                return null;
        }
    }

    /// <summary>The lambda or local function a delegate argument is made of, if any.</summary>
    public static IMethodSymbol? LambdaOf(IOperation value)
        => value.WalkDownConversions() switch
        {
            IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } => lambda.Symbol,
            IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation lambda } => lambda.Symbol,
            IDelegateCreationOperation { Target: IMethodReferenceOperation { Method.MethodKind: MethodKind.LocalFunction } reference } => reference.Method,
            IAnonymousFunctionOperation lambda => lambda.Symbol,
            IFlowAnonymousFunctionOperation lambda => lambda.Symbol,
            _ => null,
        };

    /// <summary>A value that can be an iterator's sequence: a call's result, a capture of one, a local holding one.</summary>
    private static bool MayBeSequence(IOperation value)
        => value.WalkDownConversions() switch
        {
            IInvocationOperation or IFlowCaptureReferenceOperation => true,
            ILocalReferenceOperation local => IsLazySequenceType(local.Type),
            _ => false,
        };

    /// <summary>An enumerable or enumerator, sync or async: what an iterator returns, what a walking method takes.</summary>
    private static bool IsSequenceType(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        if (IsSequenceInterface(type))
        {
            return true;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            if (IsSequenceInterface(@interface))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A sequence interface (<c>Select</c>'s, <c>Where</c>'s result) or an awaitable wrapper of one
    /// (<c>ConfigureAwait</c>'s, <c>WithCancellation</c>'s): enumerated later, by whoever walks it.
    /// </summary>
    private static bool IsLazySequenceType(ITypeSymbol? type)
        => (type?.TypeKind == TypeKind.Interface && IsSequenceType(type)) || IsConfiguredAsyncSequence(type);

    private static bool IsSequenceInterface(ITypeSymbol type)
        => type.OriginalDefinition.SpecialType is SpecialType.System_Collections_Generic_IEnumerable_T or SpecialType.System_Collections_Generic_IEnumerator_T
               or SpecialType.System_Collections_IEnumerable or SpecialType.System_Collections_IEnumerator
           || type.OriginalDefinition is { Name: "IAsyncEnumerable" or "IAsyncEnumerator", ContainingNamespace: { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace.Name: "System" } } }
           || IsConfiguredAsyncSequence(type);

    /// <summary>
    /// <c>ConfiguredCancelableAsyncEnumerable&lt;T&gt;</c> and its enumerator: a struct that implements no
    /// sequence interface, yet <c>await foreach</c> walks the wrapped sequence through it.
    /// </summary>
    private static bool IsConfiguredAsyncSequence(ITypeSymbol? type)
    {
        var definition = type?.OriginalDefinition;
        if (definition?.Name == "Enumerator" && definition.ContainingType is { } container)
        {
            definition = container.OriginalDefinition;
        }

        return definition is { Name: "ConfiguredCancelableAsyncEnumerable", ContainingNamespace: { Name: "CompilerServices", ContainingNamespace: { Name: "Runtime", ContainingNamespace.Name: "System" } } };
    }
}
