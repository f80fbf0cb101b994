using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A pointer kept in a local that holds none until a branch may fill it, read after a guest call:
/// a nullable pointer (<c>nint? cached = null; if (...) { cached = _memory.GetPointer() + address; }</c>)
/// or a pointer that is null for none (<c>long* found = null; if (...) { found = (long*)((byte*)_memory.GetPointer() + at); }</c>).
/// The local keeps the guest offset (<c>int? cached</c>, <c>cached = address</c>), null exactly where
/// there was no pointer, and each read of the pointer obtains it again
/// (<c>(Particle*)(_memory.GetPointer() + cached.GetValueOrDefault())</c>).
/// </summary>
/// <remarks>
/// Offered where every use of the local is known: stores of null or of a memory field's
/// <c>GetPointer()</c> plus an offset, <c>HasValue</c>, comparisons with null, and reads of the
/// pointer (<c>.Value</c> of a nullable, which throws for none either way; <c>GetValueOrDefault()</c>
/// of a nullable; the pointer itself). A read that a test of the local guards (<c>HasValue</c>,
/// <c>!= null</c>, <c>is not null</c>, in the branch of <c>?:</c>, <c>if</c>, <c>&amp;&amp;</c> or
/// <c>||</c> it guards, or after an <c>if</c> that leaves the block for none) obtains the pointer from
/// the offset; one no test guards keeps what it read for none, a null pointer
/// (<c>(start.HasValue ? _memory.GetPointer() + start.GetValueOrDefault() : 0)</c>): the offset's
/// 0 would be the memory's base. The result must compile.
/// </remarks>
internal static class NullableOffsetLocalPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol local
            || PointerTypeOf(local) is not { } pointerType
            || local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Type: { } declaredType } } declarator
            || !(declaredType is NullableTypeSyntax || declaredType is PointerTypeSyntax && declarator.Initializer is { } initial && IsNone(model, initial.Value, cancellationToken))
            || SyntaxHelpers.EnclosingFunction(declarator) is not { } body)
        {
            return null;
        }

        var isNullable = declaredType is NullableTypeSyntax;
        var stores = new List<ExpressionSyntax>();
        if (declarator.Initializer is { } initializer)
        {
            stores.Add(initializer.Value);
        }

        // Each read of the pointer: the expression that reads it, and the offset it is obtained again from.
        var reads = new List<(ExpressionSyntax Read, IdentifierNameSyntax Local, string Offset)>();
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

            if (NullTestOf(reference) is not null)
            {
                continue;
            }

            if (!isNullable)
            {
                if (!OffsetSlotPlanner.IsPointerRead(reference))
                {
                    return null;
                }

                reads.Add((reference, reference, $"{reference.Identifier.Text}.GetValueOrDefault()"));
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
                    // It throws for none either way.
                    reads.Add((member, reference, member.ToString()));
                    continue;
                case "GetValueOrDefault" when member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } call
                                              && OffsetSlotPlanner.IsPointerRead(call):
                    reads.Add((call, reference, call.WithoutTrivia().ToString()));
                    continue;
                default:
                    return null;
            }
        }

        var replacements = new List<(SyntaxNode Original, SyntaxNode Replacement)>();
        var removals = new List<StatementSyntax>();
        // null and default stay: no offset where there was no pointer.
        var pointers = stores.Where(stored => !IsNone(model, stored, cancellationToken));
        if (!OffsetSlotPlanner.ReplaceByOffsets(model, pointers, replacements, removals, out var offsetType, out var memory, cancellationToken))
        {
            return null;
        }

        if (offsetType is null || memory is null || reads.Count == 0)
        {
            return null;
        }

        foreach (var (read, reference, offset) in reads)
        {
            var again = OffsetSlotPlanner.PointerAgain(model, memory, read, pointerType, ParseExpression(offset));
            var guarded = read is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Value" } || IsGuarded(model, read, local, body, cancellationToken);
            replacements.Add((read, guarded ? again : KeepingNone(reference, again, pointerType).WithTriviaFrom(read)));
        }

        var offsetTypeName = ParseTypeName(offsetType.ToMinimalDisplayString(model, declaredType.SpanStart));
        replacements.Add(declaredType is NullableTypeSyntax nullableType
            ? (nullableType.ElementType, offsetTypeName.WithTriviaFrom(nullableType.ElementType))
            : (declaredType, NullableType(offsetTypeName).WithTriviaFrom(declaredType)));
        return OffsetSlotPlanner.EditsIfTheyCompile(model, replacements, removals, cancellationToken);
    }

    /// <summary>The pointer type a read yields: the value type of a nullable <c>nint</c>/<c>nuint</c>, or the local's pointer type.</summary>
    private static ITypeSymbol? PointerTypeOf(ILocalSymbol local) => local.Type switch
    {
        INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            when nullable.TypeArguments[0].SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr => nullable.TypeArguments[0],
        IPointerTypeSymbol pointer => pointer,
        _ => null,
    };

    /// <summary><c>null</c> or <c>default</c>: none.</summary>
    private static bool IsNone(SemanticModel model, ExpressionSyntax value, System.Threading.CancellationToken cancellationToken)
        => model.GetConstantValue(value, cancellationToken) is { HasValue: true, Value: null } || value.IsKind(SyntaxKind.DefaultLiteralExpression);

    /// <summary>
    /// What a read no test guards read for none: <c>(start.HasValue ? pointer : 0)</c>, or <c>null</c>
    /// for a pointer type: a null pointer, as before.
    /// </summary>
    private static ExpressionSyntax KeepingNone(IdentifierNameSyntax local, ExpressionSyntax again, ITypeSymbol pointerType)
        => ParenthesizedExpression(ConditionalExpression(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, local.WithoutTrivia(), IdentifierName("HasValue")),
                again.WithoutTrivia(),
                pointerType.TypeKind == TypeKind.Pointer ? LiteralExpression(SyntaxKind.NullLiteralExpression) : LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0))))
            .WithAdditionalAnnotations(Simplifier.Annotation);

    /// <summary>
    /// For <c>cached == null</c>, <c>null != cached</c>, <c>cached is null</c>, <c>cached is not null</c>:
    /// whether the test is true where the local has a value; <see langword="null"/> where the reference is no such test.
    /// </summary>
    private static bool? NullTestOf(ExpressionSyntax reference)
    {
        var node = reference;
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        return node.Parent switch
        {
            BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression } comparison
                when (comparison.Left == node ? comparison.Right : comparison.Left).IsKind(SyntaxKind.NullLiteralExpression)
                => comparison.IsKind(SyntaxKind.NotEqualsExpression),
            IsPatternExpressionSyntax { Pattern: ConstantPatternSyntax { Expression: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression } } } test when test.Expression == node
                => false,
            IsPatternExpressionSyntax { Pattern: UnaryPatternSyntax { Pattern: ConstantPatternSyntax { Expression: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression } } } } test when test.Expression == node
                => true,
            _ => null,
        };
    }

    /// <summary>
    /// Whether <paramref name="read"/> runs only where <paramref name="local"/> has a value, with no
    /// store into it between the test and the read: in the branch of <c>?:</c>, <c>if</c>, <c>&amp;&amp;</c>
    /// or <c>||</c> that a test of it guards, or after an <c>if (!local.HasValue) return ...;</c> (or
    /// <c>throw</c>, <c>break</c>, <c>continue</c>) in a block around it.
    /// </summary>
    private static bool IsGuarded(SemanticModel model, ExpressionSyntax read, ILocalSymbol local, SyntaxNode body, System.Threading.CancellationToken cancellationToken)
    {
        SyntaxNode inner = read;
        foreach (var ancestor in read.Ancestors())
        {
            if (ancestor == body || ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            {
                return false;
            }

            IEnumerable<SyntaxNode>? guardedRegion = ancestor switch
            {
                ConditionalExpressionSyntax conditional when inner == conditional.WhenTrue && Guarantees(conditional.Condition, true) => new[] { inner },
                ConditionalExpressionSyntax conditional when inner == conditional.WhenFalse && Guarantees(conditional.Condition, false) => new[] { inner },
                IfStatementSyntax statement when inner == statement.Statement && Guarantees(statement.Condition, true) => new[] { inner },
                ElseClauseSyntax { Parent: IfStatementSyntax statement } when Guarantees(statement.Condition, false) => new[] { inner },
                BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } both when inner == both.Right && Guarantees(both.Left, true) => new[] { inner },
                BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalOrExpression } either when inner == either.Right && Guarantees(either.Left, false) => new[] { inner },
                BlockSyntax block when inner is StatementSyntax statement => AfterAnExit(block, statement),
                _ => null,
            };

            if (guardedRegion is not null)
            {
                return !guardedRegion.Any(region => ViewReacquirePlanner.References(model, local, region, cancellationToken).Any(ViewReacquirePlanner.IsWrite));
            }

            inner = ancestor;
        }

        return false;

        // The statements of the block after an 'if' before the read's statement that leaves the block where the local has no value.
        IEnumerable<SyntaxNode>? AfterAnExit(BlockSyntax block, StatementSyntax statement)
        {
            var index = block.Statements.IndexOf(statement);
            for (var i = index - 1; i >= 0; i--)
            {
                if (block.Statements[i] is IfStatementSyntax { Else: null } exit && Leaves(exit.Statement) && Guarantees(exit.Condition, false))
                {
                    return block.Statements.Skip(i + 1).Take(index - i);
                }
            }

            return null;
        }

        bool Guarantees(ExpressionSyntax condition, bool whenTrue)
        {
            while (condition is ParenthesizedExpressionSyntax parenthesized)
            {
                condition = parenthesized.Expression;
            }

            switch (condition)
            {
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not:
                    return Guarantees(not.Operand, !whenTrue);
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } both:
                    return whenTrue && (Guarantees(both.Left, true) || Guarantees(both.Right, true));
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalOrExpression } either:
                    return !whenTrue && (Guarantees(either.Left, false) || Guarantees(either.Right, false));
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "HasValue", Expression: IdentifierNameSyntax tested }:
                    return whenTrue && IsLocal(tested);
                case BinaryExpressionSyntax { Left: var left, Right: var right }:
                    return IsNullTestOfTheLocal(left, whenTrue) || IsNullTestOfTheLocal(right, whenTrue);
                case IsPatternExpressionSyntax { Expression: var tested }:
                    return IsNullTestOfTheLocal(tested, whenTrue);
                default:
                    return false;
            }
        }

        bool IsNullTestOfTheLocal(ExpressionSyntax operand, bool whenTrue)
        {
            while (operand is ParenthesizedExpressionSyntax parenthesized)
            {
                operand = parenthesized.Expression;
            }

            return operand is IdentifierNameSyntax tested && IsLocal(tested) && NullTestOf(tested) == whenTrue;
        }

        bool IsLocal(IdentifierNameSyntax tested) => SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(tested, cancellationToken).Symbol, local);
    }

    /// <summary>Whether a statement always leaves the block it is in: <c>return</c>, <c>throw</c>, <c>break</c>, <c>continue</c> (or a block that ends with one).</summary>
    private static bool Leaves(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax => true,
        BlockSyntax { Statements: { Count: > 0 } statements } => Leaves(statements.Last()),
        _ => false,
    };
}
