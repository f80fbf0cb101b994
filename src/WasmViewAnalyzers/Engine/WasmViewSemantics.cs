using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine;

/// <summary>Resolves a flow capture of the control-flow graph being analyzed to the values captured into it.</summary>
internal delegate IEnumerable<IOperation> CaptureResolver(CaptureId id);

/// <summary>
/// The engine's vocabulary, shared by every rule: which operations obtain a view into guest
/// memory, which operations are guest calls (may run WebAssembly or grow memory), and the
/// interprocedural summaries behind both (methods of the compilation that call the guest or
/// return views, delegates that wrap guest functions). One instance per compilation.
/// </summary>
internal sealed class WasmViewSemantics
{
    private static readonly ImmutableHashSet<string> StorageMethodNames = ImmutableHashSet.Create(
        "Add", "AddFirst", "AddLast", "Enqueue", "Push", "Insert", "TryAdd", "Set", "SetValue", "TryEnqueue", "Post", "TryWrite", "WriteAsync");

    private readonly ConcurrentDictionary<ISymbol, bool> _mayCallGuest = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, bool> _returnsGuestDelegate = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, bool> _guestDelegateLocals = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, ViewReturnSummary> _viewReturns = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, ImmutableHashSet<int>> _parameterUses = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableHashSet<ISymbol>> _capturedReads = new(SymbolEqualityComparer.Default);
    private readonly GuestDelegateIndex _delegateIndex;
    private readonly Lazy<ImmutableArray<INamedTypeSymbol>> _sourceTypes;

    private WasmViewSemantics(WasmSymbols symbols)
    {
        Symbols = symbols;
        Types = new ViewTypeClassifier(symbols);
        Bodies = new SourceBodies(symbols.Compilation);
        _delegateIndex = new GuestDelegateIndex(this);
        _sourceTypes = new Lazy<ImmutableArray<INamedTypeSymbol>>(() => CollectSourceTypes(symbols.Compilation));
    }

    public WasmSymbols Symbols { get; }

    public ViewTypeClassifier Types { get; }

    public SourceBodies Bodies { get; }

    public Compilation Compilation => Symbols.Compilation;

    /// <summary>Returns <see langword="null"/> for compilations that do not reference Wasmtime.</summary>
    public static WasmViewSemantics? TryCreate(Compilation compilation)
    {
        var symbols = WasmSymbols.TryCreate(compilation);
        return symbols is null ? null : new WasmViewSemantics(symbols);
    }

    // ---------------------------------------------------------------- guest calls

    /// <summary>
    /// Whether evaluating <paramref name="operation"/> (an invocation, object creation or property
    /// access) may run guest code or grow guest memory.
    /// </summary>
    public GuestCall? TryGetGuestCall(IOperation operation, CaptureResolver? captures, SummaryVisit? visit, CancellationToken cancellationToken)
        => IsGuestCall(operation, captures, visit ?? new SummaryVisit(), cancellationToken)
            ? new GuestCall(operation, operation.DescribeCall())
            : null;

    /// <summary>Whether calling <paramref name="method"/> may run guest code, directly or through other methods of the compilation.</summary>
    public bool MayCallGuest(IMethodSymbol method, CancellationToken cancellationToken)
        => MayCallGuest(method, new SummaryVisit(), cancellationToken);

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
                       && (WasmSymbols.HasGuestCallAttribute(constructor) || MayCallGuest(constructor, visit, cancellationToken));

            case IPropertyReferenceOperation propertyReference:
                var accessor = IsAssignmentTarget(propertyReference)
                    ? propertyReference.Property.SetMethod
                    : propertyReference.Property.GetMethod;
                return WasmSymbols.HasGuestCallAttribute(propertyReference.Property)
                       || (accessor is not null
                           && (WasmSymbols.HasGuestCallAttribute(accessor) || MayCallGuest(accessor, visit, cancellationToken)));

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

        if (IsWasmtimeGuestCall(method) || WasmSymbols.HasGuestCallAttribute(method))
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
        if (!SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, Symbols.WasmtimeAssembly))
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
        if (!IsInSource(method))
        {
            return false;
        }

        return visit.Summarize(
            _mayCallGuest,
            method,
            unknown: false,
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.ComputeMayCallGuest(state.Method, visit, state.CancellationToken),
            static found => !found);
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

    private IEnumerable<IMethodSymbol> FindImplementations(IMethodSymbol method)
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

    // ---------------------------------------------------------------- captured variables

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
            var body = Bodies.GetBody(f, cancellationToken);
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
            foreach (var assigned in FindAssignedValues(local, cancellationToken))
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

    // ---------------------------------------------------------------- guest delegates

    /// <summary>
    /// Whether <paramref name="value"/> evaluates to a delegate whose invocation is a guest call:
    /// one from <c>Instance.GetFunction&lt;..&gt;</c>, <c>GetAction</c>, <c>Function.WrapFunc</c>,
    /// <c>WrapAction</c> (held anywhere), or a lambda or method that calls the guest.
    /// </summary>
    public bool IsGuestDelegateValue(IOperation value, CaptureResolver? captures, SummaryVisit visit, CancellationToken cancellationToken)
        => IsGuestDelegateValue(value, captures, visit, depth: 0, cancellationToken);

    private bool IsGuestDelegateValue(IOperation value, CaptureResolver? captures, SummaryVisit visit, int depth, CancellationToken cancellationToken)
    {
        if (depth > 8)
        {
            return false;
        }

        value = value.WalkDownConversions();
        switch (value)
        {
            case IInvocationOperation invocation:
                return IsGuestDelegateSource(invocation.TargetMethod)
                       || ReturnsGuestDelegate(invocation.TargetMethod, visit, cancellationToken);

            case IDelegateCreationOperation creation:
                return IsGuestDelegateValue(creation.Target, captures, visit, depth + 1, cancellationToken);

            case IAnonymousFunctionOperation lambda:
                return MayCallGuest(lambda.Symbol, visit, cancellationToken);

            case IFlowAnonymousFunctionOperation flowLambda:
                return MayCallGuest(flowLambda.Symbol, visit, cancellationToken);

            case IMethodReferenceOperation methodReference:
                var referenced = methodReference.Method;
                if (referenced.MethodKind == MethodKind.DelegateInvoke)
                {
                    return methodReference.Instance is { } instance
                           && IsGuestDelegateValue(instance, captures, visit, depth + 1, cancellationToken);
                }

                return IsWasmtimeGuestCall(referenced)
                       || WasmSymbols.HasGuestCallAttribute(referenced)
                       || MayCallGuest(referenced, visit, cancellationToken);

            case ILocalReferenceOperation local:
                return IsGuestDelegateLocal(local.Local, visit, cancellationToken);

            case IParameterReferenceOperation parameter:
                return _delegateIndex.Contains(parameter.Parameter.OriginalDefinition, visit, cancellationToken);

            case IFieldReferenceOperation field:
                return _delegateIndex.Contains(field.Field.OriginalDefinition, visit, cancellationToken);

            case IPropertyReferenceOperation property:
                if (_delegateIndex.Contains(property.Property.OriginalDefinition, visit, cancellationToken)
                    || (property.Property.GetMethod is { } getter && ReturnsGuestDelegate(getter, visit, cancellationToken)))
                {
                    return true;
                }

                // exports["convert"](...) where guest delegates were stored into the dictionary.
                return property.Property.IsIndexer
                       && property.Instance is { } container
                       && IsGuestDelegateContainer(container, captures, visit, cancellationToken);

            case IArrayElementReferenceOperation element:
                return IsGuestDelegateContainer(element.ArrayReference, captures, visit, cancellationToken);

            case IFlowCaptureReferenceOperation capture when captures is not null:
                foreach (var captured in captures(capture.Id))
                {
                    if (IsGuestDelegateValue(captured, captures, visit, depth + 1, cancellationToken))
                    {
                        return true;
                    }
                }

                return false;

            case IConditionalOperation conditional:
                return IsGuestDelegateValue(conditional.WhenTrue, captures, visit, depth + 1, cancellationToken)
                       || (conditional.WhenFalse is { } whenFalse && IsGuestDelegateValue(whenFalse, captures, visit, depth + 1, cancellationToken));

            case ICoalesceOperation coalesce:
                return IsGuestDelegateValue(coalesce.Value, captures, visit, depth + 1, cancellationToken)
                       || IsGuestDelegateValue(coalesce.WhenNull, captures, visit, depth + 1, cancellationToken);

            case IConditionalAccessInstanceOperation:
                for (var parent = value.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation conditionalAccess)
                    {
                        return IsGuestDelegateValue(conditionalAccess.Operation, captures, visit, depth + 1, cancellationToken);
                    }
                }

                return false;

            default:
                return false;
        }
    }

    private bool IsGuestDelegateContainer(IOperation container, CaptureResolver? captures, SummaryVisit visit, CancellationToken cancellationToken)
    {
        container = container.WalkDownConversions();
        if (container is IFlowCaptureReferenceOperation capture && captures is not null)
        {
            foreach (var captured in captures(capture.Id))
            {
                if (IsGuestDelegateContainer(captured, captures: null, visit, cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        var symbol = GuestDelegateIndex.GetReferencedSymbol(container);
        return symbol is not null && _delegateIndex.ContainsContainer(symbol, visit, cancellationToken);
    }

    /// <summary>Methods that hand out a delegate bound to a guest function.</summary>
    public bool IsGuestDelegateSource(IMethodSymbol method)
    {
        if (WasmSymbols.HasGuestDelegateSourceAttribute(method)
            || (method.AssociatedSymbol is IPropertySymbol property && WasmSymbols.HasGuestDelegateSourceAttribute(property)))
        {
            return true;
        }

        var type = method.ContainingType;
        if (Symbols.IsWasmtimeType(type, Symbols.Instance))
        {
            return method.ReturnType.TypeKind == TypeKind.Delegate && method.Name is "GetFunction" or "GetAction";
        }

        if (Symbols.IsWasmtimeType(type, Symbols.Function))
        {
            return method.Name is "WrapFunc" or "WrapAction";
        }

        return false;
    }

    private bool ReturnsGuestDelegate(IMethodSymbol method, SummaryVisit visit, CancellationToken cancellationToken)
    {
        method = Normalize(method);
        if (method.ReturnType.TypeKind != TypeKind.Delegate || !IsInSource(method))
        {
            return false;
        }

        return visit.Summarize(
            _returnsGuestDelegate,
            method,
            unknown: false,
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.ComputeReturnsGuestDelegate(state.Method, visit, state.CancellationToken),
            static found => !found);
    }

    private bool ComputeReturnsGuestDelegate(IMethodSymbol method, SummaryVisit visit, CancellationToken cancellationToken)
    {
        var body = Bodies.GetBody(method, cancellationToken);
        if (body is null)
        {
            return false;
        }

        foreach (var operation in DescendantsOutsideNestedFunctions(body))
        {
            if (operation is IReturnOperation { ReturnedValue: { } returned }
                && IsGuestDelegateValue(returned, captures: null, visit, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsGuestDelegateLocal(ILocalSymbol local, SummaryVisit visit, CancellationToken cancellationToken)
    {
        if (local.Type.TypeKind != TypeKind.Delegate)
        {
            return false;
        }

        return visit.Summarize(
            _guestDelegateLocals,
            local,
            unknown: false,
            (Semantics: this, Local: local, CancellationToken: cancellationToken),
            static (state, visit) =>
            {
                foreach (var assigned in state.Semantics.FindAssignedValues(state.Local, state.CancellationToken))
                {
                    if (state.Semantics.IsGuestDelegateValue(assigned, captures: null, visit, state.CancellationToken))
                    {
                        return true;
                    }
                }

                return false;
            },
            static found => !found);
    }

    /// <summary>Every value the body that declares <paramref name="local"/> assigns to it.</summary>
    private IEnumerable<IOperation> FindAssignedValues(ILocalSymbol local, CancellationToken cancellationToken)
    {
        foreach (var reference in local.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(cancellationToken);
            if (!Compilation.ContainsSyntaxTree(declaration.SyntaxTree))
            {
                continue;
            }

#pragma warning disable RS1030 // The local's assignments may be anywhere in its declaring body.
            var model = Compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
            var scope = SourceBodies.FindMemberBody(declaration);
            if (scope is null)
            {
                continue;
            }

            var root = model.GetOperation(scope, cancellationToken);
            if (root is null)
            {
                continue;
            }

            foreach (var operation in root.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator
                        when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) && declarator.Initializer is { } initializer:
                        yield return initializer.Value;
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                        when SymbolEqualityComparer.Default.Equals(target.Local, local):
                        yield return assignment.Value;
                        break;
                    case IArgumentOperation { Value: ILocalReferenceOperation or IDeclarationExpressionOperation } argument
                        when argument.Parameter?.RefKind == RefKind.Out
                             && ReferencesLocal(argument.Value, local)
                             && argument.Parent is IInvocationOperation { Instance: { } receiver }
                             && IsGuestDelegateContainer(receiver, captures: null, new SummaryVisit(), cancellationToken):
                        // exports.TryGetValue("convert", out var convert)
                        yield return argument.Parent;
                        break;
                }
            }
        }
    }

    private static bool ReferencesLocal(IOperation operation, ILocalSymbol local)
    {
        var target = operation is IDeclarationExpressionOperation declaration ? declaration.Expression : operation;
        return target is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);
    }

    // ---------------------------------------------------------------- views

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
                    || GetViewReturns(method, visit, cancellationToken).ReturnsView)
                {
                    return Describe(method);
                }

                return null;

            case IPropertyReferenceOperation propertyReference when !IsAssignmentTarget(propertyReference):
                var property = propertyReference.Property;
                if (WasmSymbols.HasGuestViewSourceAttribute(property)
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
        if (!IsInSource(method) || !MayReturnView(method))
        {
            return ViewReturnSummary.None;
        }

        return (visit ?? new SummaryVisit()).Summarize(
            _viewReturns,
            method,
            unknown: ViewReturnSummary.None,
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.Bodies.GetGraph(state.Method, state.CancellationToken) is { } graph
                ? ViewFlowAnalysis.Summarize(state.Semantics, graph, state.Method, visit, state.CancellationToken)
                : ViewReturnSummary.None,
            static summary => !summary.ReturnsView && summary.OutParameters.IsEmpty);
    }

    /// <summary>
    /// Ordinals of the parameters that <paramref name="method"/> (of the compilation) reads after a
    /// guest call of its own, so that a view passed there is used stale.
    /// </summary>
    public ImmutableHashSet<int> GetParameterUses(IMethodSymbol method, SummaryVisit? visit, CancellationToken cancellationToken)
    {
        method = Normalize(method);
        visit ??= new SummaryVisit();
        if (!IsInSource(method) || !HasViewParameter(method) || !MayCallGuest(method, visit, cancellationToken))
        {
            return ImmutableHashSet<int>.Empty;
        }

        return visit.Summarize(
            _parameterUses,
            method,
            unknown: ImmutableHashSet<int>.Empty,
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.Bodies.GetGraph(state.Method, state.CancellationToken) is { } graph
                ? ViewFlowAnalysis.SummarizeParameterUses(state.Semantics, graph, state.Method, visit, state.CancellationToken)
                : ImmutableHashSet<int>.Empty,
            static uses => uses.IsEmpty);
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
    /// rather than reading it.
    /// </summary>
    public bool IsStorageIntoCollection(IInvocationOperation invocation)
        => invocation.Instance is { } receiver
           && StorageMethodNames.Contains(invocation.TargetMethod.Name)
           && IsCollectionOfViews(receiver.Type);

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

    private static string Describe(ISymbol symbol)
        => symbol.ContainingType is { } type && symbol is not IMethodSymbol { MethodKind: MethodKind.LocalFunction }
            ? type.Name + "." + symbol.Name
            : symbol.Name;

    public static bool IsAssignmentTarget(IOperation operation)
        => operation.Parent is IAssignmentOperation assignment && assignment.Target == operation;

    private static IMethodSymbol Normalize(IMethodSymbol method)
    {
        method = method.PartialImplementationPart ?? method;
        return method.ReducedFrom ?? method.OriginalDefinition;
    }

    private bool IsInSource(IMethodSymbol method)
        => method.Locations.Length > 0
           && method.Locations[0].IsInSource
           && method.Locations[0].SourceTree is { } tree
           && Compilation.ContainsSyntaxTree(tree);

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

/// <summary>What a method of the compilation hands back that is a view into guest memory.</summary>
internal sealed class ViewReturnSummary
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
}
