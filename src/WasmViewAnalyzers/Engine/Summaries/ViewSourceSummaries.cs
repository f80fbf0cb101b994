using System;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// View sources: operations and methods of the compilation that hand out views into guest memory,
/// and what the methods of the compilation do with the views they are given.
/// </summary>
internal sealed class ViewSourceSummaries
{
    private readonly WasmViewSemantics _semantics;
    private readonly ViewReturnsSummary _viewReturns;
    private readonly ParameterUsesSummary _parameterUses;
    private readonly ParameterReturnsSummary _parameterReturns;
    private readonly MaySummary<IMethodSymbol> _constructorObtainsView;

    public ViewSourceSummaries(WasmViewSemantics semantics, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _viewReturns = new ViewReturnsSummary(this, catalog);
        _parameterUses = new ParameterUsesSummary(this, catalog);
        _parameterReturns = new ParameterReturnsSummary(this, catalog);
        _constructorObtainsView = new MaySummary<IMethodSymbol>(catalog, SummaryScheduling.OnDemand, ComputeConstructorObtainsView, AnswerIfNotSourceConstructor);
    }

    private WasmSymbols Symbols => _semantics.Symbols;

    private ViewTypeClassifier Types => _semantics.Types;

    /// <summary>
    /// When <paramref name="operation"/> obtains a new view into guest memory, what the user calls
    /// its source (<c>Memory.GetSpan</c>, <c>Memory.GetPointer</c>, a helper of the compilation that
    /// returns one, a member annotated <c>[GuestViewSource]</c>).
    /// </summary>
    public string? TryGetAcquisition(IOperation operation, SummarySolver? solver, CancellationToken cancellationToken)
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
                    || _semantics.Configured.IsViewSource(method)
                    || GetViewReturns(method, solver, cancellationToken).ReturnsView
                    || ProjectsViews(invocation, solver, cancellationToken))
                {
                    return WasmViewSemantics.Describe(method);
                }

                return null;

            case IPropertyReferenceOperation propertyReference when !WasmViewSemantics.IsAssignmentTarget(propertyReference):
                var property = propertyReference.Property;
                if (WasmSymbols.HasGuestViewSourceAttribute(property)
                    || _semantics.Configured.IsViewSource(property)
                    || (property.GetMethod is { } getter
                        && (WasmSymbols.HasGuestViewSourceAttribute(getter) || GetViewReturns(getter, solver, cancellationToken).ReturnsView)))
                {
                    return WasmViewSemantics.Describe(property);
                }

                return null;

            case IObjectCreationOperation { Constructor: { } constructor } when IsViewType(constructor.ContainingType)
                                                                            && _constructorObtainsView.Get(constructor, solver ?? _semantics.NewSolver(cancellationToken)):
                return "new " + constructor.ContainingType.Name;

            default:
                return null;
        }
    }

    /// <summary>
    /// A library's lazy sequence projected by a lambda of the compilation that returns views
    /// (<c>keys.Select(k =&gt; new Tile(k, memory.GetPointer() + Paint(k)))</c>): each item is a view
    /// the lambda obtains when the sequence is walked (<see cref="Iterators"/> takes the lambda for the
    /// body that walk runs).
    /// </summary>
    private bool ProjectsViews(IInvocationOperation invocation, SummarySolver? solver, CancellationToken cancellationToken)
    {
        if (invocation.TargetMethod.ReturnType is not INamedTypeSymbol { TypeKind: TypeKind.Interface, IsGenericType: true } sequence
            || sequence.OriginalDefinition.SpecialType != SpecialType.System_Collections_Generic_IEnumerable_T
            || !Types.CanHoldView(sequence.TypeArguments[0])
            || _semantics.IsDeclaredInSource(invocation.TargetMethod))
        {
            return false;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (Iterators.LambdaOf(argument.Value) is { } lambda
                && Types.CanHoldView(lambda.ReturnType)
                && GetViewReturns(lambda, solver, cancellationToken).ReturnsView)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A type whose instances are views themselves: a <c>MemoryManager&lt;T&gt;</c> or a stream of
    /// the user's over guest memory. What such an object keeps in its own fields is its view, not a
    /// view that escapes (see <see cref="IsOwnStateOfViewType"/>).
    /// </summary>
    public bool IsViewType(ITypeSymbol? type)
        => type is not null && (Symbols.DerivesFrom(type, Symbols.MemoryManager) || Symbols.DerivesFrom(type, Symbols.Stream));

    /// <summary>
    /// <c>_pointer = ...</c> inside a <c>MemoryManager&lt;T&gt;</c> or a stream of the user's: the
    /// object is the view, followed where it is created and used, so its own fields are not a place a
    /// view escapes to.
    /// </summary>
    public bool IsOwnStateOfViewType(IOperation target)
        => target switch
        {
            IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }, Field: var field } => IsViewType(field.ContainingType),
            IPropertyReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }, Property: var property } => IsViewType(property.ContainingType),
            _ => false,
        };

    private static bool AnswerIfNotSourceConstructor(ref IMethodSymbol constructor, out bool answer)
    {
        answer = false;
        return constructor.MethodKind != MethodKind.Constructor || constructor.Locations.Length == 0 || !constructor.Locations[0].IsInSource;
    }

    /// <summary>
    /// Whether a constructor of a view type keeps, in a field of the object, a view it obtains
    /// itself (<c>_p = (byte*)memory.GetPointer() + address</c>): the object it makes is then a new
    /// view. A copy it keeps (<c>_bytes = memory.GetSpan(a, n).ToArray()</c>) is not.
    /// </summary>
    private bool ComputeConstructorObtainsView(IMethodSymbol constructor, SummarySolver solver)
    {
        if (_semantics.Bodies.GetBody(constructor, solver.CancellationToken) is not { } body)
        {
            return false;
        }

        foreach (var operation in body.DescendantsAndSelf())
        {
            solver.CancellationToken.ThrowIfCancellationRequested();
            if (operation is ISimpleAssignmentOperation { Target: var target, Value: var value }
                && IsOwnStateOfViewType(target)
                && Types.CanHoldView(target.Type)
                && IsObtainedHere(value, solver))
            {
                return true;
            }
        }

        return false;

        // The value itself, converted, or an offset from it (pointer or address arithmetic).
        bool IsObtainedHere(IOperation value, SummarySolver solver)
        {
            var operation = value.WalkDownConversions();
            return operation is IBinaryOperation binary
                ? IsObtainedHere(binary.LeftOperand, solver) || IsObtainedHere(binary.RightOperand, solver)
                : TryGetAcquisition(operation, solver, solver.CancellationToken) is not null;
        }
    }

    /// <summary>When the argument receives a new view through <c>out</c> (e.g. <c>Caller.TryGetMemorySpan</c>), its source.</summary>
    public string? TryGetOutAcquisition(IInvocationOperation invocation, IArgumentOperation argument, SummarySolver? solver, CancellationToken cancellationToken)
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
            || GetViewReturns(method, solver, cancellationToken).OutParameters.Contains(parameter.Ordinal))
        {
            return WasmViewSemantics.Describe(method);
        }

        return null;
    }

    /// <summary>Whether <paramref name="method"/>, of the compilation, returns a view it obtained.</summary>
    public bool ReturnsView(IMethodSymbol method, SummarySolver? solver, CancellationToken cancellationToken)
        => GetViewReturns(method, solver, cancellationToken).ReturnsView;

    /// <summary>
    /// Ordinals of the parameters that <paramref name="method"/> (of the compilation) reads after a
    /// guest call of its own, so that a view passed there is used stale.
    /// </summary>
    public ImmutableHashSet<int> GetParameterUses(IMethodSymbol method, SummarySolver? solver, CancellationToken cancellationToken)
        => _parameterUses.Get(method, solver ?? _semantics.NewSolver(cancellationToken));

    /// <summary>
    /// Whether a call of <paramref name="method"/> may hand back, as its result, a view passed to one
    /// of its parameters: judged by the body of a method of the compilation, and by every
    /// implementation the compilation declares when the call is dispatched; a library's method,
    /// or a dispatched one with no implementation here, may.
    /// </summary>
    public bool MayReturnParameterView(IMethodSymbol method, SummarySolver? solver, CancellationToken cancellationToken)
        => _parameterReturns.Get(method, solver ?? _semantics.NewSolver(cancellationToken));

    private ViewReturnSummary GetViewReturns(IMethodSymbol method, SummarySolver? solver, CancellationToken cancellationToken)
        => _viewReturns.Get(method, solver ?? _semantics.NewSolver(cancellationToken));

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
    public ImmutableHashSet<int> ViewParameters(IMethodSymbol method)
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

    public bool HasViewParameter(IMethodSymbol method)
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

    /// <summary>Whether <paramref name="method"/>'s signature lets it hand a view back (its result, a ref result, an out or ref parameter): only then is its view-return summary ever computed.</summary>
    public bool MayReturnView(IMethodSymbol method)
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

    /// <summary>What a method of the compilation hands back that is a view (<see cref="ViewReturnSummary"/>).</summary>
    private sealed class ViewReturnsSummary : Summary<IMethodSymbol, ViewReturnSummary>
    {
        private readonly ViewSourceSummaries _owner;

        public ViewReturnsSummary(ViewSourceSummaries owner, SummaryCatalog catalog)
            : base(catalog, SummaryScheduling.BottomUp)
        {
            _owner = owner;
        }

        public override ViewReturnSummary Bottom => ViewReturnSummary.None;

        public override ViewReturnSummary Top(IMethodSymbol symbol) => _owner.ConservativeViewReturns(symbol);

        public override ViewReturnSummary Compute(IMethodSymbol symbol, SummarySolver solver)
        {
            var returns = _owner._semantics.Bodies.GetGraph(symbol, solver.CancellationToken) is { } graph
                ? ViewFlowAnalysis.Summarize(_owner._semantics, graph, symbol, solver, solver.CancellationToken)
                : ViewReturnSummary.None;

            // WasmMemory.GetSpan, abstract, overridden by the backend's Memory.GetSpan: a call hands
            // back what any implementation it may land in hands back.
            foreach (var implementation in _owner._semantics.CallGraph.FindImplementationsRunInstead(symbol))
            {
                returns = returns.Join(Get(implementation, solver));
            }

            return returns;
        }

        protected override bool TryAnswerWithoutSolving(ref IMethodSymbol symbol, out ViewReturnSummary answer)
        {
            answer = ViewReturnSummary.None;
            return !_owner._semantics.IsSourceMethod(symbol, out symbol) || !_owner.MayReturnView(symbol);
        }
    }

    /// <summary>The parameters a method of the compilation reads after a guest call of its own.</summary>
    private sealed class ParameterUsesSummary : Summary<IMethodSymbol, ImmutableHashSet<int>>
    {
        private readonly ViewSourceSummaries _owner;

        public ParameterUsesSummary(ViewSourceSummaries owner, SummaryCatalog catalog)
            : base(catalog, SummaryScheduling.BottomUp)
        {
            _owner = owner;
        }

        public override ImmutableHashSet<int> Bottom => ImmutableHashSet<int>.Empty;

        public override bool AreEqual(ImmutableHashSet<int> left, ImmutableHashSet<int> right) => left.SetEquals(right);

        public override ImmutableHashSet<int> Top(IMethodSymbol symbol) => _owner.ViewParameters(symbol);

        public override ImmutableHashSet<int> Compute(IMethodSymbol symbol, SummarySolver solver)
        {
            // A method that cannot call the guest reads no parameter after a guest call.
            if (!_owner._semantics.GuestCalls.MayCallGuest(symbol, solver))
            {
                return ImmutableHashSet<int>.Empty;
            }

            var uses = _owner._semantics.Bodies.GetGraph(symbol, solver.CancellationToken) is { } graph
                ? ViewFlowAnalysis.SummarizeParameterUses(_owner._semantics, graph, symbol, solver, solver.CancellationToken)
                : ImmutableHashSet<int>.Empty;

            // A call through an interface or a virtual member reads what any implementation it may land in reads.
            foreach (var implementation in _owner._semantics.CallGraph.FindImplementationsRunInstead(symbol))
            {
                uses = uses.Union(Get(implementation, solver));
            }

            return uses;
        }

        protected override bool TryAnswerWithoutSolving(ref IMethodSymbol symbol, out ImmutableHashSet<int> answer)
        {
            answer = ImmutableHashSet<int>.Empty;
            return !_owner._semantics.IsSourceMethod(symbol, out symbol)
                   || (!_owner.HasViewParameter(symbol) && !HasByReferenceParameter(symbol));
        }

        // Wait(n, out Slot(address)): a ref, in or out parameter may be handed a reference into guest memory.
        private static bool HasByReferenceParameter(IMethodSymbol method)
        {
            foreach (var parameter in method.Parameters)
            {
                if (parameter.RefKind != RefKind.None)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether a method may return a view one of its parameters was given (<see cref="MayReturnParameterView"/>).</summary>
    private sealed class ParameterReturnsSummary : Summary<IMethodSymbol, bool>
    {
        private readonly ViewSourceSummaries _owner;

        public ParameterReturnsSummary(ViewSourceSummaries owner, SummaryCatalog catalog)
            : base(catalog, SummaryScheduling.BottomUp)
        {
            _owner = owner;
        }

        public override bool Bottom => false;

        public override bool Top(IMethodSymbol symbol) => true;

        public override bool Compute(IMethodSymbol symbol, SummarySolver solver)
        {
            var graph = _owner._semantics.Bodies.GetGraph(symbol, solver.CancellationToken);
            if (graph is not null && ViewFlowAnalysis.SummarizeParameterReturns(_owner._semantics, graph, symbol, solver, solver.CancellationToken))
            {
                return true;
            }

            // A method with no body (abstract, an interface's) and no implementation here may return anything.
            var implementations = _owner._semantics.CallGraph.FindImplementationsRunInstead(symbol);
            if (graph is null && implementations.IsEmpty)
            {
                return true;
            }

            foreach (var implementation in implementations)
            {
                if (Get(implementation, solver))
                {
                    return true;
                }
            }

            return false;
        }

        protected override bool TryAnswerWithoutSolving(ref IMethodSymbol symbol, out bool answer)
        {
            if (!_owner._semantics.IsSourceMethod(symbol, out symbol))
            {
                answer = true;
                return true;
            }

            answer = false;
            return !_owner.HasViewParameter(symbol) || !(symbol.ReturnsByRef || symbol.ReturnsByRefReadonly || _owner.Types.CanHoldView(symbol.ReturnType));
        }
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

    public ViewReturnSummary Join(ViewReturnSummary other)
        => new(ReturnsView || other.ReturnsView, OutParameters.Union(other.OutParameters));

    public bool Equals(ViewReturnSummary? other)
        => other is not null && ReturnsView == other.ReturnsView && OutParameters.SetEquals(other.OutParameters);

    public override bool Equals(object? obj) => Equals(obj as ViewReturnSummary);

    public override int GetHashCode() => (ReturnsView ? 1 : 0) ^ (OutParameters.Count << 1);
}
