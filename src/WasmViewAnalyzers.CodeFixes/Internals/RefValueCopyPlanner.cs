using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// The copy of a <c>ref</c> local into guest memory that is only read: <c>ref EntityState first =
/// ref Entity(a);</c> becomes <c>EntityState first = Entity(a);</c>, the struct copied where it is
/// obtained, as <c>.ToArray()</c> copies a span. Offered only where the local is never written
/// through (an assignment, increment or <c>ref</c>/<c>out</c> argument to it or a member of it, a
/// method of a struct that is not <c>readonly</c>), never bound to another location, and never has a
/// reference taken: there a copy reads what the reference read, as it was when obtained.
/// </summary>
internal static class RefValueCopyPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding, SyntaxNode? acquisition)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (acquisition is not ExpressionSyntax obtained
            || Unparenthesized(obtained).Parent is not RefExpressionSyntax { Parent: EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } } refExpression
            || declarator.Parent is not VariableDeclarationSyntax { Type: RefTypeSyntax refType, Variables.Count: 1 } declaration
            || declaration.Parent is not LocalDeclarationStatementSyntax statement
            || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol { IsRef: true } local
            || !local.Type.IsUnmanagedType
            || local.Type.TypeKind != TypeKind.Struct
            || SyntaxHelpers.EnclosingFunction(statement) is not { } body
            || !IsOnlyRead(local, body, statement, model, cancellationToken))
        {
            return null;
        }

        // ref EntityState first = ref Entity(a);  ->  EntityState first = Entity(a);
        var newDeclarator = declarator.WithInitializer(declarator.Initializer!.WithValue(refExpression.Expression.WithTriviaFrom(refExpression)));
        var newDeclaration = declaration
            .WithType(refType.Type.WithTriviaFrom(refType))
            .WithVariables(SingletonSeparatedList(newDeclarator));
        return new FixEdit[] { new ReplaceEdit(declaration, newDeclaration) };
    }

    private static ExpressionSyntax Unparenthesized(ExpressionSyntax expression)
    {
        while (expression.Parent is ParenthesizedExpressionSyntax parent)
        {
            expression = parent;
        }

        return expression;
    }

    /// <summary>Whether every reference to <paramref name="local"/> after its declaration only reads the struct's value.</summary>
    private static bool IsOnlyRead(ILocalSymbol local, SyntaxNode body, StatementSyntax declaration, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (var name in ViewReacquirePlanner.References(model, local, body, cancellationToken))
        {
            if (name.FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>() is not null
                || name.FirstAncestorOrSelf<LocalFunctionStatementSyntax>() is { } function && !function.Contains(declaration)
                || !IsValueRead(model.GetOperation(name, cancellationToken)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether the reference <paramref name="reference"/> (to the local, then up through the fields
    /// and properties read out of it) ends in a read of a value: not a store, a reference taken, a
    /// <c>ref</c>/<c>out</c>/<c>in</c> argument, a call of a member that may write the struct, nor a
    /// <c>ref</c> re-binding.
    /// </summary>
    private static bool IsValueRead(IOperation? reference)
    {
        if (reference is not ILocalReferenceOperation)
        {
            return false;
        }

        var current = reference;
        while (true)
        {
            var parent = current.Parent;
            switch (parent)
            {
                case IFieldReferenceOperation field when field.Instance == current:
                    current = field;
                    continue;
                case IPropertyReferenceOperation property when property.Instance == current:
                    if (property.Property.GetMethod is not { IsReadOnly: true } && !property.Property.ContainingType.IsReadOnly)
                    {
                        return false;
                    }

                    current = property;
                    continue;
                case IInvocationOperation invocation when invocation.Instance == current:
                    return invocation.TargetMethod.IsReadOnly || invocation.TargetMethod.ContainingType.IsReadOnly;
                case ISimpleAssignmentOperation assignment when assignment.Target == current || assignment.IsRef:
                    return false;
                case ICompoundAssignmentOperation compound when compound.Target == current:
                    return false;
                case ICoalesceAssignmentOperation coalesce when coalesce.Target == current:
                    return false;
                case IIncrementOrDecrementOperation:
                case IDeconstructionAssignmentOperation:
                case IAddressOfOperation:
                    return false;
                case IArgumentOperation argument:
                    return argument.Parameter?.RefKind is null or RefKind.None;
                case IReturnOperation:
                    return current.Syntax.Parent is not RefExpressionSyntax;
                case null:
                    return false;
                default:
                    // Read as a value: an operand, an initializer, a condition, a conversion.
                    return current.Syntax.Parent is not RefExpressionSyntax && !MethodsRun.IsDeconstructionTarget(current);
            }
        }
    }
}
