using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A pointer kept in a nullable local that a branch may fill (<c>nint? cached = null; if (...) { cached
/// = _memory.GetPointer() + address; }</c>) and read after a guest call: the local keeps the guest
/// offset (<c>int? cached</c>, <c>cached = address</c>), null exactly where the pointer was, and each
/// read of its value obtains the pointer again (<c>(Particle*)(_memory.GetPointer() + cached.GetValueOrDefault())</c>).
/// </summary>
/// <remarks>
/// Offered where every use of the local is known: stores of null or of a memory field's
/// <c>GetPointer()</c> plus an offset, <c>HasValue</c>, comparisons with null, <c>.Value</c> read as a
/// pointer (it throws for none either way), and <c>GetValueOrDefault()</c> read as a pointer only
/// where <c>HasValue</c> guards it (for none it was a null pointer; the offset's 0 would be the
/// memory's base). The result must compile.
/// </remarks>
internal static class NullableOffsetLocalPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol { Type: INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable } local
            || nullable.TypeArguments[0].SpecialType is not (SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
            || local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Type: NullableTypeSyntax declaredType } } declarator
            || SyntaxHelpers.EnclosingFunction(declarator) is not { } body)
        {
            return null;
        }

        var stores = new List<ExpressionSyntax>();
        if (declarator.Initializer is { } initializer)
        {
            stores.Add(initializer.Value);
        }

        var reads = new List<ExpressionSyntax>();
        foreach (var reference in ViewReacquirePlanner.References(model, local, body, cancellationToken))
        {
            if (reference.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment && assignment.Left == reference)
            {
                stores.Add(assignment.Right);
                continue;
            }

            if (ViewReacquirePlanner.IsWrite(reference)
                || reference.Ancestors().TakeWhile(n => n != body).Any(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            {
                return null;
            }

            if (IsNullTest(reference))
            {
                continue;
            }

            if (reference.Parent is not MemberAccessExpressionSyntax member || member.Expression != reference)
            {
                return null;
            }

            switch (member.Name.Identifier.ValueText)
            {
                case "HasValue":
                    continue;
                case "Value" when OffsetSlotPlanner.IsPointerRead(member):
                    reads.Add(member);
                    continue;
                case "GetValueOrDefault" when member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } call
                                              && OffsetSlotPlanner.IsPointerRead(call)
                                              && IsGuarded(model, call, local, cancellationToken):
                    reads.Add(call);
                    continue;
                default:
                    return null;
            }
        }

        var replacements = new List<(SyntaxNode Original, SyntaxNode Replacement)>();
        var removals = new List<StatementSyntax>();
        // null and default stay: no offset where there was no pointer.
        var pointers = stores.Where(stored => !(model.GetConstantValue(stored, cancellationToken) is { HasValue: true, Value: null } || stored.IsKind(SyntaxKind.DefaultLiteralExpression)));
        if (!OffsetSlotPlanner.ReplaceByOffsets(model, pointers, replacements, removals, out var offsetType, out var memory, cancellationToken))
        {
            return null;
        }

        if (offsetType is null || memory is null || reads.Count == 0)
        {
            return null;
        }

        replacements.AddRange(reads.Select(read => ((SyntaxNode)read, (SyntaxNode)OffsetSlotPlanner.PointerAgain(model, memory, read, nullable.TypeArguments[0]))));
        replacements.Add((declaredType.ElementType, SyntaxFactory.ParseTypeName(offsetType.ToMinimalDisplayString(model, declaredType.SpanStart)).WithTriviaFrom(declaredType.ElementType)));
        return OffsetSlotPlanner.EditsIfTheyCompile(model, replacements, removals, cancellationToken);
    }

    /// <summary><c>cached == null</c>, <c>null != cached</c>: null exactly where the pointer was.</summary>
    private static bool IsNullTest(ExpressionSyntax reference)
        => reference.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression } comparison
           && (comparison.Left == reference ? comparison.Right : comparison.Left).IsKind(SyntaxKind.NullLiteralExpression);

    /// <summary>
    /// Whether <paramref name="read"/> runs only where <paramref name="local"/> has a value: in the
    /// true branch of <c>local.HasValue ? ... : ...</c> or <c>if (local.HasValue)</c>, with no store
    /// into it in that branch.
    /// </summary>
    private static bool IsGuarded(SemanticModel model, ExpressionSyntax read, ILocalSymbol local, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var ancestor in read.Ancestors())
        {
            var (condition, branch) = ancestor switch
            {
                ConditionalExpressionSyntax conditional => (conditional.Condition, (SyntaxNode)conditional.WhenTrue),
                IfStatementSyntax statement => (statement.Condition, statement.Statement),
                _ => (null, null),
            };
            if (condition is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "HasValue", Expression: IdentifierNameSyntax tested }
                && branch!.Span.Contains(read.Span)
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(tested, cancellationToken).Symbol, local))
            {
                return !ViewReacquirePlanner.References(model, local, branch, cancellationToken).Any(ViewReacquirePlanner.IsWrite);
            }
        }

        return false;
    }
}
