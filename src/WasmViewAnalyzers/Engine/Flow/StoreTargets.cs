using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>Where a stored value goes, as <see cref="StoreTargets"/> classifies an assignment's target.</summary>
internal enum StoreTargetKind
{
    /// <summary>A local, a parameter, a flow capture of the graph: the flow state holds what it holds.</summary>
    Variable,

    /// <summary>
    /// A field or auto-property of the object the method runs on, or a static one: the flow state
    /// holds it for the method's own later reads, and the value leaves the method (WVA002).
    /// </summary>
    MemberOfThisOrStatic,

    /// <summary>
    /// A field or property of an object the method holds in a local, or is building in an
    /// initializer (<c>holder.Bytes = view</c>, <c>new Outer { Inner = { Bytes = view } }</c>): the
    /// holder carries the value, which escapes only if the holder does.
    /// </summary>
    MemberOfHeldObject,

    /// <summary>
    /// A field or property of any other object: one from a parameter, a call's result
    /// (<c>caller.GetData().Current = p</c>), a captured variable, a static: the value leaves the method.
    /// </summary>
    MemberOfOtherObject,

    /// <summary>An element of an array or an entry of a collection (<c>outputs[i] = view</c>, <c>cache[key] = view</c>).</summary>
    Element,

    /// <summary>
    /// A location in guest memory: a dereferenced pointer, an element of a span, a ref local into
    /// the view, a field of a struct that lives there (<c>*p = 1</c>, <c>view[i] = x</c>,
    /// <c>inv.Result = r</c>). The store writes through the view: a use.
    /// </summary>
    GuestMemory,

    /// <summary><c>_ = value</c>: nothing keeps it.</summary>
    Discard,
}

/// <summary>
/// The table of where a value goes (issue 21, table 1), for the targets of assignments,
/// deconstructions, compound assignments and <c>ref</c> arguments that store through: each target
/// expression is one <see cref="StoreTargetKind"/>. The calls that store what they are given are
/// the other half of the table: collections (<see cref="Knowledge.EscapeSinks"/>), <c>ref</c>
/// arguments of the BCL (<see cref="Knowledge.RefArgumentStores"/>) and of the user's methods (the
/// escape summary), event and delegate subscriptions.
/// </summary>
internal static class StoreTargets
{
    /// <param name="isOwned">
    /// Whether the object a local (or the graph's capture of an object being built) holds belongs
    /// to the method (<see cref="HolderOf"/>): a member of it is <see cref="StoreTargetKind.MemberOfHeldObject"/>,
    /// of any other object <see cref="StoreTargetKind.MemberOfOtherObject"/>.
    /// </param>
    public static StoreTargetKind Classify(IOperation target, WasmViewSemantics semantics, System.Func<object, bool> isOwned)
    {
        switch (target)
        {
            case IDeclarationExpressionOperation declaration:
                return Classify(declaration.Expression, semantics, isOwned);

            case IDiscardOperation:
                return StoreTargetKind.Discard;

            case ILocalReferenceOperation local:
                return IsInGuestMemory(local, semantics.Types) ? StoreTargetKind.GuestMemory : StoreTargetKind.Variable;

            case IParameterReferenceOperation { Parameter: { RefKind: RefKind.Out } parameter } when !semantics.Types.CanHoldView(parameter.Type):
                // events = got where the caller passed out Slot(address): a write into the caller's location.
                return StoreTargetKind.GuestMemory;

            case IParameterReferenceOperation parameter:
                return IsInGuestMemory(parameter, semantics.Types) ? StoreTargetKind.GuestMemory : StoreTargetKind.Variable;

            case IFlowCaptureReferenceOperation:
                return StoreTargetKind.Variable;

            case IFieldReferenceOperation field:
                return MemberOf(field.Instance, field.Field.IsStatic, isGuestStorage: field.Field.RefKind != RefKind.None || IsInGuestMemory(field.Instance, semantics.Types), isOwned);

            case IPropertyReferenceOperation { Property.IsIndexer: true } indexer:
                return indexer.Property.ReturnsByRef ? StoreTargetKind.GuestMemory : StoreTargetKind.Element;

            case IPropertyReferenceOperation property:
                if (property.Property.ReturnsByRef)
                {
                    return StoreTargetKind.GuestMemory;
                }

                if (IsThisOrStatic(property.Instance, property.Property.IsStatic) && semantics.BackingFieldOf(property.Property) is not null)
                {
                    return StoreTargetKind.MemberOfThisOrStatic;
                }

                return MemberOf(property.Instance, property.Property.IsStatic, isGuestStorage: false, isOwned);

            case IArrayElementReferenceOperation:
                return StoreTargetKind.Element;

            default:
                // *p, p[i], view[^1] and whatever else denotes a location rather than a variable.
                return StoreTargetKind.GuestMemory;
        }
    }

    /// <summary>The local (or the graph's capture of an object being built) whose member or element <paramref name="operation"/> is, through members of held objects.</summary>
    public static object? HolderOf(IOperation operation)
        => operation.WalkDownConversions() switch
        {
            ILocalReferenceOperation local when !local.Local.IsRef => local.Local,
            IFlowCaptureReferenceOperation capture => capture.Id,
            IFieldReferenceOperation { Instance: not null } field => HolderOf(field.Instance),

            // new Outer { Inner = { Bytes = view } }, holder.Inner.Bytes = view: the inner object
            // is reached through the held one, and goes where it goes.
            IPropertyReferenceOperation { Instance: not null, Property.IsIndexer: false } property => HolderOf(property.Instance),
            _ => null,
        };

    private static StoreTargetKind MemberOf(IOperation? instance, bool isStatic, bool isGuestStorage, System.Func<object, bool> isOwned)
    {
        if (isGuestStorage)
        {
            return StoreTargetKind.GuestMemory;
        }

        if (IsThisOrStatic(instance, isStatic))
        {
            return StoreTargetKind.MemberOfThisOrStatic;
        }

        return (HolderOf(instance!) is { } holder && isOwned(holder)) || instance!.WalkDownConversions() is IInstanceReferenceOperation
            ? StoreTargetKind.MemberOfHeldObject
            : StoreTargetKind.MemberOfOtherObject;
    }

    private static bool IsThisOrStatic(IOperation? instance, bool isStatic)
        => isStatic || instance is null || instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };

    /// <summary>
    /// Whether <paramref name="instance"/> denotes a location in guest memory itself rather than a
    /// value that points there: a ref local or parameter (of a type that is not itself a view: a
    /// <c>ref Span&lt;byte&gt;</c> or an <c>out</c> parameter is a variable of the caller's), a
    /// ref-returning call, a ref field, a dereferenced pointer, a field of a struct at such a location.
    /// </summary>
    public static bool IsInGuestMemory(IOperation? instance, ViewTypeClassifier types) => instance switch
    {
        ILocalReferenceOperation local => local.Local.IsRef && !types.CanHoldView(local.Local.Type),
        IParameterReferenceOperation parameter => parameter.Parameter.RefKind is RefKind.Ref or RefKind.In or RefKind.RefReadOnlyParameter
                                                  && !types.CanHoldView(parameter.Parameter.Type),
        IInvocationOperation invocation => invocation.TargetMethod.ReturnsByRef || invocation.TargetMethod.ReturnsByRefReadonly,
        IPropertyReferenceOperation property => property.Property.ReturnsByRef || property.Property.ReturnsByRefReadonly,
        IFieldReferenceOperation field => field.Field.RefKind != RefKind.None
                                          || (field.Field.ContainingType?.IsValueType == true && IsInGuestMemory(field.Instance, types)),
        IParenthesizedOperation parenthesized => IsInGuestMemory(parenthesized.Operand, types),
        null => false,
        _ => instance.Kind is OperationKind.None or OperationKind.ImplicitIndexerReference,
    };
}
