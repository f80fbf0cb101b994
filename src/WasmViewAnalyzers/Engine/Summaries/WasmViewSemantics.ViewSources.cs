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

/// <summary>View sources: operations and methods of the compilation that hand out views into guest memory, and collections of views.</summary>
internal sealed partial class WasmViewSemantics
{
    /// <summary>
    /// When <paramref name="operation"/> obtains a new view into guest memory, what the user calls
    /// its source (<c>Memory.GetSpan</c>, <c>Memory.GetPointer</c>, a helper of the compilation that
    /// returns one, a member annotated <c>[GuestViewSource]</c>).
    /// </summary>
    public string? TryGetAcquisition(IOperation operation, SummaryVisit? visit, CancellationToken cancellationToken)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                var method = invocation.TargetMethod;
                if (Symbols.IsWasmtimeType(method.ContainingType, Symbols.Memory) && method.Name is "GetSpan" or "GetPointer")
                {
                    return "Memory." + method.Name;
                }

                if (WasmSymbols.HasGuestViewSourceAttribute(method)
                    || IsConfiguredViewSource(method)
                    || GetViewReturns(method, visit, cancellationToken).ReturnsView)
                {
                    return Describe(method);
                }

                return null;

            case IPropertyReferenceOperation propertyReference when !IsAssignmentTarget(propertyReference):
                var property = propertyReference.Property;
                if (WasmSymbols.HasGuestViewSourceAttribute(property)
                    || IsConfiguredViewSource(property)
                    || (property.GetMethod is { } getter
                        && (WasmSymbols.HasGuestViewSourceAttribute(getter) || GetViewReturns(getter, visit, cancellationToken).ReturnsView)))
                {
                    return Describe(property);
                }

                return null;

            default:
                return null;
        }
    }

    /// <summary>When the argument receives a new view through <c>out</c> (e.g. <c>Caller.TryGetMemorySpan</c>), its source.</summary>
    public string? TryGetOutAcquisition(IInvocationOperation invocation, IArgumentOperation argument, SummaryVisit? visit, CancellationToken cancellationToken)
    {
        var parameter = argument.Parameter;
        if (parameter is null || parameter.RefKind is not (RefKind.Out or RefKind.Ref))
        {
            return null;
        }

        var method = invocation.TargetMethod;
        if (Symbols.IsWasmtimeType(method.ContainingType, Symbols.Caller) && method.Name == "TryGetMemorySpan")
        {
            return "Caller.TryGetMemorySpan";
        }

        if (WasmSymbols.HasGuestViewSourceAttribute(parameter)
            || GetViewReturns(method, visit, cancellationToken).OutParameters.Contains(parameter.Ordinal))
        {
            return Describe(method);
        }

        return null;
    }

    private ViewReturnSummary GetViewReturns(IMethodSymbol method, SummaryVisit? visit, CancellationToken cancellationToken)
    {
        method = Normalize(method);
        if (!IsDeclaredInSource(method) || !MayReturnView(method))
        {
            return ViewReturnSummary.None;
        }

        return (visit ?? NewVisit(cancellationToken)).Summarize(
            _viewReturns,
            method,
            unknown: ViewReturnSummary.None,
            conservative: static state => state.Semantics.ConservativeViewReturns(state.Method),
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.Bodies.GetGraph(state.Method, state.CancellationToken) is { } graph
                ? ViewFlowAnalysis.Summarize(state.Semantics, graph, state.Method, visit, state.CancellationToken)
                : ViewReturnSummary.None);
    }

    /// <summary>
    /// Ordinals of the parameters that <paramref name="method"/> (of the compilation) reads after a
    /// guest call of its own, so that a view passed there is used stale.
    /// </summary>
    public ImmutableHashSet<int> GetParameterUses(IMethodSymbol method, SummaryVisit? visit, CancellationToken cancellationToken)
    {
        method = Normalize(method);
        visit ??= NewVisit(cancellationToken);
        if (!IsDeclaredInSource(method) || !HasViewParameter(method) || !MayCallGuest(method, visit, cancellationToken))
        {
            return ImmutableHashSet<int>.Empty;
        }

        return visit.Summarize(
            _parameterUses,
            method,
            unknown: ImmutableHashSet<int>.Empty,
            conservative: static state => state.Semantics.ViewParameters(state.Method),
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.Bodies.GetGraph(state.Method, state.CancellationToken) is { } graph
                ? ViewFlowAnalysis.SummarizeParameterUses(state.Semantics, graph, state.Method, visit, state.CancellationToken)
                : ImmutableHashSet<int>.Empty);
    }

    /// <summary>What a method too deep to follow may hand back: a view wherever its signature allows one.</summary>
    private ViewReturnSummary ConservativeViewReturns(IMethodSymbol method)
    {
        var outParameters = ImmutableHashSet<int>.Empty;
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind is RefKind.Out or RefKind.Ref && Types.CanHoldView(parameter.Type))
            {
                outParameters = outParameters.Add(parameter.Ordinal);
            }
        }

        return new ViewReturnSummary(method.ReturnsByRef || method.ReturnsByRefReadonly || Types.CanHoldView(method.ReturnType), outParameters);
    }

    /// <summary>The parameters of <paramref name="method"/> that can receive a view from its caller.</summary>
    private ImmutableHashSet<int> ViewParameters(IMethodSymbol method)
    {
        var ordinals = ImmutableHashSet<int>.Empty;
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.Out && Types.CanHoldView(parameter.Type))
            {
                ordinals = ordinals.Add(parameter.Ordinal);
            }
        }

        return ordinals;
    }

    private bool HasViewParameter(IMethodSymbol method)
    {
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.Out && Types.CanHoldView(parameter.Type))
            {
                return true;
            }
        }

        return false;
    }

    private bool MayReturnView(IMethodSymbol method)
    {
        if (method.ReturnsByRef || method.ReturnsByRefReadonly || Types.CanHoldView(method.ReturnType))
        {
            return true;
        }

        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind is RefKind.Out or RefKind.Ref && Types.CanHoldView(parameter.Type))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a call on a collection of views stores the argument into it (<c>queue.Enqueue(view)</c>)
    /// rather than reading it: one of the storing calls of <see cref="EscapeSinks"/>, WVA002's table.
    /// </summary>
    public bool IsStorageIntoCollection(IInvocationOperation invocation)
        => invocation.Instance is { } receiver
           && IsCollectionOfViews(receiver.Type)
           && EscapeSinks.IsStoringCall(invocation.TargetMethod);

    public bool IsCollectionOfViews(ITypeSymbol? type)
        => type is not null
           && !Symbols.IsSpanLike(type)
           && !Symbols.IsMemoryLike(type)
           && !Symbols.DerivesFrom(type, Symbols.Stream)
           && type.TypeKind is TypeKind.Class or TypeKind.Struct or TypeKind.Interface or TypeKind.Array
           && !type.IsRefLikeType
           && Types.CanHoldView(type)
           && ImplementsEnumerable(type);

    private bool ImplementsEnumerable(ITypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Array)
        {
            return true;
        }

        // Enumerators count too: moving one along reads no guest memory.
        if (Symbols.IsEnumerableOrEnumerator(type))
        {
            return true;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            if (Symbols.IsEnumerableOrEnumerator(@interface))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>What a method of the compilation hands back that is a view into guest memory.</summary>
internal sealed class ViewReturnSummary : IEquatable<ViewReturnSummary>
{
    public static readonly ViewReturnSummary None = new(false, ImmutableHashSet<int>.Empty);

    public ViewReturnSummary(bool returnsView, ImmutableHashSet<int> outParameters)
    {
        ReturnsView = returnsView;
        OutParameters = outParameters;
    }

    public bool ReturnsView { get; }

    /// <summary>Ordinals of <c>out</c>/<c>ref</c> parameters that receive a view.</summary>
    public ImmutableHashSet<int> OutParameters { get; }

    public bool Equals(ViewReturnSummary? other)
        => other is not null && ReturnsView == other.ReturnsView && OutParameters.SetEquals(other.OutParameters);

    public override bool Equals(object? obj) => Equals(obj as ViewReturnSummary);

    public override int GetHashCode() => (ReturnsView ? 1 : 0) ^ (OutParameters.Count << 1);
}
