using System.Collections.Concurrent;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// Member precision on the user's view-holding types: a value that holds a view next to plain data
/// (a shadow-stack entry with a <c>ref T Value</c> and an <c>int Address</c>, a class keeping a
/// pointer next to counters) is only read as a view by the members that touch the view part.
/// </summary>
internal sealed partial class WasmViewSemantics
{
    private readonly ConcurrentDictionary<ISymbol, bool> _usesViewState = new(SymbolEqualityComparer.Default);

    /// <summary>Whether <paramref name="symbol"/> is declared in this compilation's source.</summary>
    public bool IsDeclaredInSource(ISymbol symbol)
        => symbol.Locations.Length > 0
           && symbol.Locations[0].IsInSource
           && symbol.Locations[0].SourceTree is { } tree
           && Compilation.ContainsSyntaxTree(tree);

    /// <summary>
    /// Whether calling <paramref name="member"/> (an instance method or accessor of the
    /// compilation) reads or writes a field of <c>this</c> that holds a view, directly or through
    /// other members of <c>this</c>. Members without a body in source answer yes.
    /// </summary>
    public bool UsesViewState(IMethodSymbol member, SummaryVisit? visit, CancellationToken cancellationToken)
    {
        member = Normalize(member);
        if (member.IsStatic || !IsDeclaredInSource(member))
        {
            return true;
        }

        return (visit ?? NewVisit(cancellationToken)).Summarize(
            _usesViewState,
            member,
            unknown: false,
            conservative: static _ => true,
            (Semantics: this, Member: member, CancellationToken: cancellationToken),
            static (state, visit) => state.Semantics.ComputeUsesViewState(state.Member, visit, state.CancellationToken));
    }

    private bool ComputeUsesViewState(IMethodSymbol member, SummaryVisit visit, CancellationToken cancellationToken)
    {
        var body = Bodies.GetBody(member, cancellationToken);
        if (body is null)
        {
            // An auto-property's accessor reads or writes its backing field only.
            return member.AssociatedSymbol is not IPropertySymbol property
                   || property.ReturnsByRef
                   || property.ReturnsByRefReadonly
                   || Types.CanHoldView(property.Type);
        }

        foreach (var operation in body.DescendantsAndSelf())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (operation is not IInstanceReferenceOperation self)
            {
                continue;
            }

            switch (self.Parent)
            {
                case IFieldReferenceOperation field when field.Instance == self:
                    if (field.Field.RefKind != RefKind.None || Types.CanHoldView(field.Field.Type))
                    {
                        return true;
                    }

                    break;

                case IInvocationOperation invocation when invocation.Instance == self:
                    if (UsesViewState(invocation.TargetMethod, visit, cancellationToken))
                    {
                        return true;
                    }

                    break;

                case IPropertyReferenceOperation property when property.Instance == self:
                    var accessor = IsAssignmentTarget(property) ? property.Property.SetMethod : property.Property.GetMethod;
                    if (accessor is null || UsesViewState(accessor, visit, cancellationToken))
                    {
                        return true;
                    }

                    break;

                default:
                    // this handed on, copied or captured: it may be read as a whole.
                    return true;
            }
        }

        return false;
    }
}
