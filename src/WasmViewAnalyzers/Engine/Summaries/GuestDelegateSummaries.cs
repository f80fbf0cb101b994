using System.Linq;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>Guest delegates: values, locals, fields and collections that hold a delegate bound to a guest function.</summary>
internal sealed class GuestDelegateSummaries
{
    private readonly WasmViewSemantics _semantics;
    private readonly MaySummary<IMethodSymbol> _returnsGuestDelegate;
    private readonly MaySummary<ILocalSymbol> _guestDelegateLocals;
    private readonly GuestDelegateIndex _index;

    public GuestDelegateSummaries(WasmViewSemantics semantics, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _returnsGuestDelegate = new MaySummary<IMethodSymbol>(catalog, SummaryScheduling.BottomUp, ComputeReturnsGuestDelegate, AnswerIfNotReturningDelegate);
        _guestDelegateLocals = new MaySummary<ILocalSymbol>(catalog, SummaryScheduling.OnDemand, ComputeIsGuestDelegateLocal, AnswerIfNotDelegate);
        _index = new GuestDelegateIndex(semantics, this, catalog);
    }

    /// <summary>Where fields, properties, parameters and collections are given guest delegates.</summary>
    internal GuestDelegateIndex Index => _index;

    private WasmSymbols Symbols => _semantics.Symbols;

    private Compilation Compilation => _semantics.Compilation;

    /// <summary>
    /// Whether <paramref name="value"/> evaluates to a delegate whose invocation is a guest call:
    /// one from <c>Instance.GetFunction&lt;..&gt;</c>, <c>GetAction</c>, <c>Function.WrapFunc</c>,
    /// <c>WrapAction</c> (held anywhere), or a lambda or method that calls the guest.
    /// </summary>
    public bool IsGuestDelegateValue(IOperation value, CaptureResolver? captures, SummarySolver solver)
        => IsGuestDelegateValue(value, captures, solver, depth: 0);

    private bool IsGuestDelegateValue(IOperation value, CaptureResolver? captures, SummarySolver solver, int depth)
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
                       || ReturnsGuestDelegate(invocation.TargetMethod, solver)
                       || ReturnsWhatItsLocationHolds(invocation, captures, solver, depth);

            case ISimpleAssignmentOperation assignment:
                // run(_run = instance.GetAction("run")!): an assignment's value is what it assigns.
                return IsGuestDelegateValue(assignment.Value, captures, solver, depth + 1);

            case ICoalesceAssignmentOperation coalesce:
                // _tick ??= instance.GetFunction<float, int>("tick"): the cached export or the new one.
                return IsGuestDelegateValue(coalesce.Target, captures, solver, depth + 1)
                       || IsGuestDelegateValue(coalesce.Value, captures, solver, depth + 1);

            case IArgumentOperation { Parameter: { RefKind: RefKind.Ref or RefKind.Out } parameter }:
                // Bind(out _run): what the method stores into its parameter (the index's by-reference store).
                return _index.Contains(parameter.OriginalDefinition, solver);

            case IDelegateCreationOperation creation:
                return IsGuestDelegateValue(creation.Target, captures, solver, depth + 1);

            case IAnonymousFunctionOperation lambda:
                return _semantics.GuestCalls.MayCallGuest(lambda.Symbol, solver);

            case IFlowAnonymousFunctionOperation flowLambda:
                return _semantics.GuestCalls.MayCallGuest(flowLambda.Symbol, solver);

            case IMethodReferenceOperation methodReference:
                var referenced = methodReference.Method;
                if (referenced.MethodKind == MethodKind.DelegateInvoke)
                {
                    return methodReference.Instance is { } instance
                           && IsGuestDelegateValue(instance, captures, solver, depth + 1);
                }

                return _semantics.GuestCalls.IsWasmtimeGuestCall(referenced)
                       || WasmSymbols.HasGuestCallAttribute(referenced)
                       || _semantics.GuestCalls.MayCallGuest(referenced, solver);

            case ILocalReferenceOperation local:
                return IsGuestDelegateLocal(local.Local, solver);

            case IParameterReferenceOperation parameter:
                return _index.Contains(parameter.Parameter.OriginalDefinition, solver);

            case IFieldReferenceOperation field:
                return _index.Contains(field.Field.OriginalDefinition, solver);

            case IEventReferenceOperation @event:
                // Tick?.Invoke(): whatever handlers were subscribed with +=.
                return _index.Contains(@event.Event.OriginalDefinition, solver);

            case IPropertyReferenceOperation property:
                if (_index.Contains(property.Property.OriginalDefinition, solver)
                    || (property.Property.GetMethod is { } getter && ReturnsGuestDelegate(getter, solver)))
                {
                    return true;
                }

                // exports["convert"](...) where guest delegates were stored into the dictionary.
                return property.Property.IsIndexer
                       && property.Instance is { } container
                       && IsGuestDelegateContainer(container, captures, solver);

            case IArrayElementReferenceOperation element:
                return IsGuestDelegateContainer(element.ArrayReference, captures, solver);

            case IFlowCaptureReferenceOperation capture when captures is not null:
                foreach (var captured in captures(capture.Id))
                {
                    if (IsGuestDelegateValue(captured, captures, solver, depth + 1))
                    {
                        return true;
                    }
                }

                return false;

            case IConditionalOperation conditional:
                return IsGuestDelegateValue(conditional.WhenTrue, captures, solver, depth + 1)
                       || (conditional.WhenFalse is { } whenFalse && IsGuestDelegateValue(whenFalse, captures, solver, depth + 1));

            case ICoalesceOperation coalesce:
                return IsGuestDelegateValue(coalesce.Value, captures, solver, depth + 1)
                       || IsGuestDelegateValue(coalesce.WhenNull, captures, solver, depth + 1);

            case IConditionalAccessInstanceOperation:
                for (var parent = value.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation conditionalAccess)
                    {
                        return IsGuestDelegateValue(conditionalAccess.Operation, captures, solver, depth + 1);
                    }
                }

                return false;

            default:
                return false;
        }
    }

    /// <summary>
    /// <c>Interlocked.Exchange(ref _run, run)</c>, <c>LazyInitializer.EnsureInitialized(ref _run, factory)</c>:
    /// a BCL store by reference hands back the location's old or new value, which the location holds.
    /// </summary>
    private bool ReturnsWhatItsLocationHolds(IInvocationOperation invocation, CaptureResolver? captures, SummarySolver solver, int depth)
    {
        var method = invocation.TargetMethod;
        if (method.ReturnType.TypeKind != TypeKind.Delegate
            || !(_semantics.RefArgumentStores.TryGetStore(method, out var location, out _)
                 || _semantics.RefArgumentStores.TryGetFactoryStore(method, out location, out _)))
        {
            return false;
        }

        return invocation.ArgumentFor(location) is { } held && IsGuestDelegateValue(held, captures, solver, depth + 1);
    }

    private bool IsGuestDelegateContainer(IOperation container, CaptureResolver? captures, SummarySolver solver)
    {
        container = container.WalkDownConversions();
        if (container is IFlowCaptureReferenceOperation capture && captures is not null)
        {
            foreach (var captured in captures(capture.Id))
            {
                if (IsGuestDelegateContainer(captured, captures: null, solver))
                {
                    return true;
                }
            }

            return false;
        }

        var symbol = GuestDelegateIndex.GetReferencedSymbol(container);
        return symbol is not null && _index.ContainsContainer(symbol, solver);
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

    private bool ReturnsGuestDelegate(IMethodSymbol method, SummarySolver solver) => _returnsGuestDelegate.Get(method, solver);

    private bool ComputeReturnsGuestDelegate(IMethodSymbol method, SummarySolver solver)
    {
        if (_semantics.Bodies.GetBody(method, solver.CancellationToken) is { } body)
        {
            foreach (var operation in body.DescendantsOutsideNestedFunctions())
            {
                if (operation is IReturnOperation { ReturnedValue: { } returned }
                    && IsGuestDelegateValue(returned, captures: null, solver))
                {
                    return true;
                }
            }
        }

        // An abstract GetFunction of a backend, implemented over Instance.GetFunction: a call hands
        // back what any implementation it may land in hands back.
        foreach (var implementation in _semantics.CallGraph.FindImplementationsRunInstead(method))
        {
            if (ReturnsGuestDelegate(implementation, solver))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsGuestDelegateLocal(ILocalSymbol local, SummarySolver solver) => _guestDelegateLocals.Get(local, solver);

    private bool ComputeIsGuestDelegateLocal(ILocalSymbol local, SummarySolver solver)
    {
        foreach (var assigned in FindAssignedValues(local, solver))
        {
            if (assigned is IInvocationOperation { Instance: { } container } && IsElementHandedOut(assigned, local)
                ? IsGuestDelegateContainer(container, captures: null, solver)
                : assigned is IForEachLoopOperation loop
                    ? IsGuestDelegateContainer(loop.Collection, captures: null, solver)
                    : IsGuestDelegateValue(assigned, captures: null, solver))
            {
                return true;
            }
        }

        return false;

        // queue.TryDequeue(out var next), exports.TryGetValue(name, out var run): an element of the receiver.
        static bool IsElementHandedOut(IOperation call, ILocalSymbol local)
            => ((IInvocationOperation)call).Arguments.Any(argument => argument.Parameter?.RefKind == RefKind.Out && ReferencesLocal(argument.Value, local));
    }

    /// <summary>Every value the body that declares <paramref name="local"/> assigns to it.</summary>
    public IEnumerable<IOperation> FindAssignedValues(ILocalSymbol local, SummarySolver solver)
    {
        foreach (var reference in local.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(solver.CancellationToken);
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

            var root = model.GetOperation(scope, solver.CancellationToken);
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
                    case IAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                        when assignment is ISimpleAssignmentOperation or ICoalesceAssignmentOperation
                             && SymbolEqualityComparer.Default.Equals(target.Local, local):
                        yield return assignment.Value;
                        break;
                    case ICompoundAssignmentOperation { Target: ILocalReferenceOperation target } combination
                        when SymbolEqualityComparer.Default.Equals(target.Local, local) && local.Type.TypeKind == TypeKind.Delegate:
                        // handlers += () => ...: the delegate runs that lambda too.
                        yield return combination.Value;
                        break;
                    case IArgumentOperation { Value: ILocalReferenceOperation or IDeclarationExpressionOperation } argument
                        when argument.Parameter?.RefKind == RefKind.Out
                             && ReferencesLocal(argument.Value, local)
                             && argument.Parent is IInvocationOperation { Instance: not null }:
                        // exports.TryGetValue("convert", out var convert), queue.TryDequeue(out var next): the call, whose receiver holds what the local receives.
                        yield return argument.Parent;
                        break;
                    case IForEachLoopOperation loop when loop.Locals.Contains(local, SymbolEqualityComparer.Default):
                        // foreach (var action in _pending): each element of the collection.
                        yield return loop;
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

    private bool AnswerIfNotReturningDelegate(ref IMethodSymbol method, out bool answer)
    {
        answer = false;
        return method.ReturnType.TypeKind != TypeKind.Delegate || _semantics.AnswerOutsideSource(ref method, out answer);
    }

    private static bool AnswerIfNotDelegate(ref ILocalSymbol local, out bool answer)
    {
        answer = false;
        return local.Type.TypeKind != TypeKind.Delegate;
    }
}
