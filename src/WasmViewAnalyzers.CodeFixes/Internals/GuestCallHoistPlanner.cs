using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>The guest calls of one statement moved into locals before it: <c>var outputLength = _outputLength();</c>.</summary>
internal sealed class HoistPlan
{
    public HoistPlan(SyntaxNode statement, IReadOnlyList<(ExpressionSyntax Call, string Name)> calls)
    {
        Statement = statement;
        Calls = calls;
    }

    /// <summary>The statement the calls go before; or the expression body of a method, which becomes a block.</summary>
    public SyntaxNode Statement { get; }

    public IReadOnlyList<(ExpressionSyntax Call, string Name)> Calls { get; }
}

/// <summary>
/// A view obtained in a statement that calls the guest after obtaining it, in a later argument:
/// <c>new UnmanagedMemoryStream((byte*)memory.GetPointer() + output, outputLength())</c>. C#
/// evaluates arguments left to right, so the view is obtained before <c>outputLength()</c> runs.
/// The fix makes those calls first, into locals, so that the view is obtained after them. Offered
/// where everything the statement evaluates before those calls has no side effects (so the order
/// does not matter to it), the statement calls the guest nowhere else, and nothing calls the guest
/// between the statement and the stale use.
/// </summary>
internal static class GuestCallHoistPlanner
{
    public static HoistPlan? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        var use = finding.Location;
        if (finding.Facts is not { } facts || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree)
        {
            return null;
        }

        var acquisition = facts.Acquisition.Syntax;

        // A method written `=> expression` gets a body, its calls made first there.
        SyntaxNode? statement = acquisition.FirstAncestorOrSelf<StatementSyntax>();
        if (acquisition.FirstAncestorOrSelf<ArrowExpressionClauseSyntax>() is { Parent: MethodDeclarationSyntax or LocalFunctionStatementSyntax } arrow
            && (statement is null || statement.Span.Contains(arrow.Span)))
        {
            statement = arrow.Expression;
        }

        if (statement is StatementSyntax and not (ExpressionStatementSyntax or LocalDeclarationStatementSyntax or ReturnStatementSyntax)
            || statement is StatementSyntax { Parent: not (BlockSyntax or SwitchSectionSyntax) }
            || statement is null
            || acquisition.Ancestors().TakeWhile(n => n != statement).Any(n => n is AnonymousFunctionExpressionSyntax))
        {
            return null;
        }

        // The guest calls evaluated after the view: later arguments of the calls around it, and
        // right operands of the operators around it.
        var calls = new List<ExpressionSyntax>();
        for (var node = acquisition; node != statement && node.Parent is not null; node = node.Parent)
        {
            IEnumerable<ExpressionSyntax> later = node.Parent switch
            {
                ArgumentListSyntax list when node is ArgumentSyntax argument => list.Arguments.SkipWhile(a => a != argument).Skip(1).Select(a => a.Expression),
                BinaryExpressionSyntax binary when binary.Left == node => new[] { binary.Right },
                InitializerExpressionSyntax { RawKind: (int)SyntaxKind.ObjectInitializerExpression } initializer when node is ExpressionSyntax member
                    => initializer.Expressions.SkipWhile(e => e != member).Skip(1).Select(e => e is AssignmentExpressionSyntax assigned ? assigned.Right : e),
                _ => Enumerable.Empty<ExpressionSyntax>(),
            };
            calls.AddRange(later.Where(e => ViewReacquirePlanner.ContainsGuestCall(model, semantics, e, cancellationToken)));
        }

        if (calls.Count == 0
            || calls.Any(call => call.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not (int)SyntaxKind.None }
                                 || model.GetTypeInfo(call, cancellationToken).Type is not { TypeKind: not TypeKind.Error, IsRefLikeType: false }
                                 || call.DescendantNodesAndSelf().Any(n => n is AwaitExpressionSyntax or AnonymousFunctionExpressionSyntax or DeclarationExpressionSyntax)))
        {
            return null;
        }

        // What runs before the last moved call, outside the calls, must not care about the order;
        // and no other guest call may remain in the statement.
        var last = calls.Max(c => c.Span.End);
        if (model.GetOperation(statement, cancellationToken) is not { } operation)
        {
            return null;
        }

        foreach (var descendant in operation.DescendantsAndSelf())
        {
            var syntax = descendant.Syntax;
            if (calls.Any(c => c.Span.Contains(syntax.Span)) || syntax.Span.Contains(calls[0].Span) || syntax.SpanStart >= last)
            {
                continue;
            }

            var isAssignedMember = descendant is IMemberReferenceOperation && descendant.Parent is IAssignmentOperation assignment && assignment.Target == descendant;
            if (!isAssignedMember && descendant is not (IExpressionStatementOperation or IVariableDeclarationGroupOperation or IVariableDeclarationOperation or IVariableDeclaratorOperation or IVariableInitializerOperation or IReturnOperation)
                && !semantics.PureSources.IsPureOperation(descendant, _ => false, null, cancellationToken))
            {
                return null;
            }
        }

        var rest = statement.DescendantNodesAndSelf(n => !calls.Contains(n) && n is not AnonymousFunctionExpressionSyntax)
            .Where(n => !calls.Any(c => c.Span.Contains(n.Span)));
        if (rest.Any(n => n is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or MemberAccessExpressionSyntax
                          && model.GetOperation(n, cancellationToken) is IInvocationOperation or IObjectCreationOperation or IPropertyReferenceOperation
                          && semantics.GuestCalls.TryGetGuestCall(model.GetOperation(n, cancellationToken)!, null, null, cancellationToken) is not null))
        {
            return null;
        }

        if (!StaysFreshUntil(model, semantics, statement, use, cancellationToken))
        {
            return null;
        }

        var taken = new List<string>();
        var named = new List<(ExpressionSyntax, string)>();
        foreach (var call in calls)
        {
            var name = SyntaxHelpers.UniqueName(model, statement.SpanStart, NameFor(call), cancellationToken, taken);
            taken.Add(name);
            named.Add((call, name));
        }

        return new HoistPlan(statement, named);
    }

    /// <summary>The use is in the statement, or in a later one of the same block with no guest call on the way.</summary>
    private static bool StaysFreshUntil(SemanticModel model, WasmViewSemantics semantics, SyntaxNode statement, SyntaxNode use, CancellationToken cancellationToken)
    {
        if (statement.Span.Contains(use.Span))
        {
            return true;
        }

        if (statement is not StatementSyntax)
        {
            return false;
        }

        var siblings = statement.Parent!.ChildNodes().OfType<StatementSyntax>().ToList();
        var useStatement = siblings.FirstOrDefault(s => s.Span.Contains(use.Span));
        if (useStatement is null || useStatement.SpanStart < statement.SpanStart)
        {
            return false;
        }

        var between = siblings.SkipWhile(s => s != statement).Skip(1).TakeWhile(s => s != useStatement);
        var innermost = use.Ancestors().OfType<StatementSyntax>().First();
        return !between.Any(s => ViewReacquirePlanner.ContainsGuestCall(model, semantics, s, cancellationToken))
               && innermost == useStatement
               && !ViewReacquirePlanner.MayCallGuestBeforeUse(model, semantics, useStatement, use, cancellationToken);
    }

    /// <summary><c>_outputLength()</c> → <c>outputLength</c>; <c>GetLength()</c> → <c>length</c>.</summary>
    internal static string NameFor(ExpressionSyntax call)
    {
        var name = call switch
        {
            InvocationExpressionSyntax { Expression: IdentifierNameSyntax identifier } => identifier.Identifier.ValueText,
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } => member.Name.Identifier.ValueText,
            _ => "value",
        };
        name = name.TrimStart('_');
        if (name.Length > 3 && name.StartsWith("Get", System.StringComparison.Ordinal) && char.IsUpper(name[3]))
        {
            name = name.Substring(3);
        }

        return name.Length == 0 || !SyntaxFacts.IsValidIdentifier(name) ? "value" : char.ToLowerInvariant(name[0]) + name.Substring(1);
    }

    public static void Apply(Microsoft.CodeAnalysis.Editing.DocumentEditor editor, HoistPlan plan)
    {
        if (plan.Statement is ExpressionSyntax body)
        {
            ApplyToExpressionBody(editor, plan, body);
            return;
        }

        var indentation = plan.Statement.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        var endOfLine = plan.Statement.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var declarations = plan.Calls.Select(c => (SyntaxNode)SyntaxHelpers.LocalDeclaration(c.Name, c.Call)
            .WithLeadingTrivia(indentation)
            .WithTrailingTrivia(endOfLine.IsKind(SyntaxKind.None) ? ElasticCarriageReturnLineFeed : endOfLine)
            .WithAdditionalAnnotations(Formatter.Annotation));
        editor.InsertBefore(plan.Statement, declarations);
        foreach (var (call, name) in plan.Calls)
        {
            editor.ReplaceNode(call, IdentifierName(name).WithTriviaFrom(call));
        }
    }

    /// <summary><c>T M() =&gt; expression;</c> becomes <c>T M() { var x = call(); return expression'; }</c>.</summary>
    private static void ApplyToExpressionBody(Microsoft.CodeAnalysis.Editing.DocumentEditor editor, HoistPlan plan, ExpressionSyntax body)
    {
        var member = body.Parent!.Parent!;
        var rewritten = body.ReplaceNodes(plan.Calls.Select(c => c.Call), (original, _) => IdentifierName(plan.Calls.First(c => c.Call == original).Name).WithTriviaFrom(original));
        var returnsVoid = editor.SemanticModel.GetDeclaredSymbol(member) is IMethodSymbol { ReturnsVoid: true };
        var statements = plan.Calls.Select(c => (StatementSyntax)SyntaxHelpers.LocalDeclaration(c.Name, c.Call))
            .Append(returnsVoid ? ExpressionStatement(rewritten.WithoutTrivia()) : ReturnStatement(rewritten.WithoutTrivia()));
        var block = Block(statements).WithAdditionalAnnotations(Formatter.Annotation);
        SyntaxNode replacement = member switch
        {
            MethodDeclarationSyntax method => method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block),
            LocalFunctionStatementSyntax local => local.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block),
            _ => member,
        };
        editor.ReplaceNode(member, replacement.WithTrailingTrivia(member.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation));
    }
}

/// <summary>Makes the guest calls of one statement first (<see cref="HoistPlan"/>).</summary>
internal sealed class HoistEdit : FixEdit
{
    private readonly HoistPlan _plan;

    public HoistEdit(HoistPlan plan)
    {
        _plan = plan;
    }

    public override string Key => "hoist:" + _plan.Statement.SpanStart;

    public override TextSpan Span => _plan.Statement is ExpressionSyntax body ? body.Parent!.Parent!.Span : _plan.Statement.Span;

    public override SyntaxTree Tree => _plan.Statement.SyntaxTree;

    public override void Apply(Microsoft.CodeAnalysis.Editing.DocumentEditor editor, FixApplication application) => GuestCallHoistPlanner.Apply(editor, _plan);
}
