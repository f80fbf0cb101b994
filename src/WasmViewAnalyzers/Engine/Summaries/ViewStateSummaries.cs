using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Summaries;

/// <summary>
/// Member precision on the user's view-holding types: a value that holds a view next to plain data
/// (a shadow-stack entry with a <c>ref T Value</c> and an <c>int Address</c>, a class keeping a
/// pointer next to counters) is only read as a view by the members that touch the view part.
/// </summary>
internal sealed class ViewStateSummaries
{
    private readonly WasmViewSemantics _semantics;
    private readonly MaySummary<IMethodSymbol> _usesViewState;

    public ViewStateSummaries(WasmViewSemantics semantics, SummaryCatalog catalog)
    {
        _semantics = semantics;
        _usesViewState = new MaySummary<IMethodSymbol>(catalog, SummaryScheduling.OnDemand, ComputeUsesViewState, AnswerIfStaticOrOutsideSource);
    }

    /// <summary>
    /// Whether calling <paramref name="member"/> (an instance method or accessor of the
    /// compilation) reads or writes through a field of <c>this</c> that holds a view, directly or
    /// through other members of <c>this</c>. Members without a body in source answer yes, except an
    /// auto-property's setter.
    /// </summary>
    public bool UsesViewState(IMethodSymbol member, SummarySolver? solver, CancellationToken cancellationToken)
        => _usesViewState.Get(member, solver ?? _semantics.NewSolver(cancellationToken));

    private bool ComputeUsesViewState(IMethodSymbol member, SummarySolver solver)
    {
        var body = _semantics.Bodies.GetBody(member, solver.CancellationToken);
        if (body is null)
        {
            // An auto-property's getter hands out its backing field; its setter only replaces it.
            return member.AssociatedSymbol is not IPropertySymbol property
                   || (member.MethodKind == MethodKind.PropertyGet
                       && (property.ReturnsByRef || property.ReturnsByRefReadonly || _semantics.Types.CanHoldView(property.Type)));
        }

        var readsFields = false;
        foreach (var operation in body.DescendantsAndSelf())
        {
            solver.CancellationToken.ThrowIfCancellationRequested();
            if (operation is IParameterReferenceOperation captured && ViewTypeClassifier.IsKeptPrimaryParameter(captured.Parameter, member))
            {
                // A primary constructor's parameter, kept by the object like a field.
                readsFields |= _semantics.Types.CanHoldView(captured.Parameter.Type);
                continue;
            }

            if (operation is not IInstanceReferenceOperation self)
            {
                continue;
            }

            switch (self.Parent)
            {
                case IFieldReferenceOperation field when field.Instance == self:
                    readsFields |= field.Field.RefKind != RefKind.None || _semantics.Types.CanHoldView(field.Field.Type);
                    break;

                case IInvocationOperation invocation when invocation.Instance == self:
                    if (_usesViewState.Get(invocation.TargetMethod, solver))
                    {
                        return true;
                    }

                    break;

                case IPropertyReferenceOperation property when property.Instance == self:
                    var accessor = WasmViewSemantics.IsAssignmentTarget(property) ? property.Property.SetMethod : property.Property.GetMethod;
                    if (accessor is null || _usesViewState.Get(accessor, solver))
                    {
                        return true;
                    }

                    break;

                default:
                    // this handed on, copied or captured: it may be read as a whole.
                    return true;
            }
        }

        // Touching a field that holds a view is not yet reading through it: Length, a pointer
        // compared or replaced, the view handed on unread. The body's flow says (InputReadSummaries).
        return readsFields && _semantics.InputReads.ReadsOwnFields(member, solver, solver.CancellationToken);
    }

    /// <summary>A static member, or one without source: assume it does.</summary>
    private bool AnswerIfStaticOrOutsideSource(ref IMethodSymbol member, out bool answer)
    {
        answer = true;
        return !_semantics.IsSourceMethod(member, out member) || member.IsStatic;
    }
}
