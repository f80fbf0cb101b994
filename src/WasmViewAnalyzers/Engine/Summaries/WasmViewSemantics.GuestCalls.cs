using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine;

/// <summary>Guest calls: which operations may run WebAssembly or grow its memory, directly or through methods of the compilation.</summary>
internal sealed partial class WasmViewSemantics
{
    /// <summary>
    /// Whether evaluating <paramref name="operation"/> (an invocation, object creation or property
    /// access) may run guest code or grow guest memory.
    /// </summary>
    public GuestCall? TryGetGuestCall(IOperation operation, CaptureResolver? captures, SummaryVisit? visit, CancellationToken cancellationToken)
        => IsGuestCall(operation, captures, visit ?? NewVisit(cancellationToken), cancellationToken)
            ? new GuestCall(operation, operation.DescribeCall())
            : null;

    /// <summary>Whether calling <paramref name="method"/> may run guest code, directly or through other methods of the compilation.</summary>
    public bool MayCallGuest(IMethodSymbol method, CancellationToken cancellationToken)
        => MayCallGuest(method, NewVisit(cancellationToken), cancellationToken);

    private bool IsGuestCall(IOperation operation, CaptureResolver? captures, SummaryVisit visit, CancellationToken cancellationToken)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                return IsGuestInvocation(invocation, captures, visit, cancellationToken);

            case IObjectCreationOperation creation:
                if (Symbols.IsWasmtimeType(creation.Type, Symbols.Instance))
                {
                    // Instantiation runs the module's start function.
                    return true;
                }

                return creation.Constructor is { } constructor
                       && (WasmSymbols.HasGuestCallAttribute(constructor) || IsConfiguredGuestCall(constructor) || MayCallGuest(constructor, visit, cancellationToken));

            case IPropertyReferenceOperation propertyReference:
                var accessor = IsAssignmentTarget(propertyReference)
                    ? propertyReference.Property.SetMethod
                    : propertyReference.Property.GetMethod;
                return WasmSymbols.HasGuestCallAttribute(propertyReference.Property)
                       || (accessor is not null
                           && (WasmSymbols.HasGuestCallAttribute(accessor) || IsConfiguredGuestCall(accessor) || MayCallGuest(accessor, visit, cancellationToken)));

            default:
                return false;
        }
    }

    private bool IsGuestInvocation(IInvocationOperation invocation, CaptureResolver? captures, SummaryVisit visit, CancellationToken cancellationToken)
    {
        var method = invocation.TargetMethod;
        if (method.MethodKind == MethodKind.DelegateInvoke)
        {
            return invocation.Instance is { } target && IsGuestDelegateValue(target, captures, visit, cancellationToken);
        }

        if (IsWasmtimeGuestCall(method) || WasmSymbols.HasGuestCallAttribute(method) || IsConfiguredGuestCall(method))
        {
            return true;
        }

        if (MayCallGuest(method, visit, cancellationToken))
        {
            return true;
        }

        // A lambda handed to another method may be invoked by it (List.ForEach, Parallel.For,
        // Task.Run): treat the call as running the lambda. Wasmtime's own methods only register
        // callbacks (Linker.DefineFunction, Function.FromCallback), they do not run them.
        if (!SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, Symbols.WasmtimeAssembly)
            && !StoresItsArgument(invocation))
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Value.WalkDownConversions() is IDelegateCreationOperation or IAnonymousFunctionOperation or IFlowAnonymousFunctionOperation
                    && IsGuestDelegateValue(argument.Value, captures, visit, cancellationToken))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <c>handlers.Add(() =&gt; convert(1))</c>, <c>queue.Enqueue(work)</c>: a collection (or a method
    /// named in <c>escape_sinks</c>) keeps the delegate for later; adding it runs nothing. The same
    /// table of storing APIs as WVA002's.
    /// </summary>
    private bool StoresItsArgument(IInvocationOperation invocation)
        => invocation.Instance is not null && EscapeSinks.IsStoringCall(invocation.TargetMethod);

    private bool IsWasmtimeGuestCall(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (Symbols.IsWasmtimeType(type, Symbols.Function))
        {
            return method.Name.StartsWith("Invoke", System.StringComparison.Ordinal);
        }

        if (Symbols.IsWasmtimeType(type, Symbols.Memory))
        {
            return method.Name == "Grow";
        }

        if (Symbols.IsWasmtimeType(type, Symbols.Linker))
        {
            return method.Name is "Instantiate" or "DefineModule";
        }

        return false;
    }

    private bool MayCallGuest(IMethodSymbol method, SummaryVisit visit, CancellationToken cancellationToken)
    {
        method = Normalize(method);
        if (!IsDeclaredInSource(method))
        {
            return false;
        }

        return visit.Summarize(
            _mayCallGuest,
            method,
            unknown: false,
            conservative: static _ => true,
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.ComputeMayCallGuest(state.Method, visit, state.CancellationToken));
    }

    private bool ComputeMayCallGuest(IMethodSymbol method, SummaryVisit visit, CancellationToken cancellationToken)
    {
        var body = Bodies.GetBody(method, cancellationToken);
        if (body is not null)
        {
            foreach (var operation in DescendantsOutsideNestedFunctions(body))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (IsGuestCall(operation, captures: null, visit, cancellationToken))
                {
                    return true;
                }
            }
        }

        // A call through an interface or a virtual member may land in any implementation the
        // compilation declares.
        if (method.IsAbstract || method.IsVirtual || method.ContainingType?.TypeKind == TypeKind.Interface)
        {
            foreach (var implementation in FindImplementations(method))
            {
                if (MayCallGuest(implementation, visit, cancellationToken))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The overrides and implementations of <paramref name="method"/> that the compilation declares.</summary>
    internal ImmutableArray<IMethodSymbol> FindImplementations(IMethodSymbol method)
        => _implementations.GetOrAdd(method, m => ImmutableArray.CreateRange(EnumerateImplementations(m)));

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

    /// <summary>
    /// The operations a call of the body executes: nested lambdas and local functions only run
    /// when they are invoked, which is itself a call the summaries see.
    /// </summary>
    public static IEnumerable<IOperation> DescendantsOutsideNestedFunctions(IOperation root)
    {
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            yield return operation;
            foreach (var child in operation.ChildOperations)
            {
                if (child is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    continue;
                }

                stack.Push(child);
            }
        }
    }
}
