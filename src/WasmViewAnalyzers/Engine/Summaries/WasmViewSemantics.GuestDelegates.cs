using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine;

/// <summary>Guest delegates: values, locals, fields and collections that hold a delegate bound to a guest function.</summary>
internal sealed partial class WasmViewSemantics
{
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
        if (method.ReturnType.TypeKind != TypeKind.Delegate || !IsDeclaredInSource(method))
        {
            return false;
        }

        return visit.Summarize(
            _returnsGuestDelegate,
            method,
            unknown: false,
            conservative: static _ => true,
            (Semantics: this, Method: method, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.ComputeReturnsGuestDelegate(state.Method, visit, state.CancellationToken));
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
            conservative: static _ => true,
            (Semantics: this, Local: local, CancellationToken: cancellationToken),
            static (state, visit) =>
            {
                foreach (var assigned in state.Semantics.FindAssignedValues(state.Local, visit, state.CancellationToken))
                {
                    if (state.Semantics.IsGuestDelegateValue(assigned, captures: null, visit, state.CancellationToken))
                    {
                        return true;
                    }
                }

                return false;
            });
    }

    /// <summary>Every value the body that declares <paramref name="local"/> assigns to it.</summary>
    private IEnumerable<IOperation> FindAssignedValues(ILocalSymbol local, SummaryVisit visit, CancellationToken cancellationToken)
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
                             && IsGuestDelegateContainer(receiver, captures: null, visit, cancellationToken):
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
}
