using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A view stream a call returns, handed over where it is made (<c>DataStream =
/// _codec.OpenOutput(address, length)</c>) by a helper the fix cannot make return a copy (another
/// assembly may call it, or it is not in source): the stream goes into a local just before the
/// statement, and a <c>MemoryStream</c> over the bytes from its position on is handed over instead,
/// which is what the writer would have read.
/// </summary>
/// <remarks>
/// The call then runs before the rest of the statement: offered only where nothing the statement
/// evaluates before it may call the guest or write a variable (an object initializer may set the
/// members of the object it builds), where it runs exactly once (not in a lambda, a condition, a
/// short-circuit or a loop's header), and where the copy still binds as the stream did.
/// </remarks>
internal static class StreamCallCopyPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding, ExpressionSyntax handed)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (handed is not InvocationExpressionSyntax call
            || !finding.Semantics.Symbols.IsUnmanagedMemoryStream(model.GetTypeInfo(call, cancellationToken).Type)
            || !SyntaxHelpers.IsUnsafeContext(call)
            || MayReturnACopyInstead(model, call, cancellationToken)
            || call.FirstAncestorOrSelf<StatementSyntax>() is not { } statement
            || statement is not (LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 } or ExpressionStatementSyntax)
            || statement.Parent is not BlockSyntax block
            || !RunsOnceWithTheStatement(call, statement)
            || EarlierEffects(finding, call, statement))
        {
            return null;
        }

        var name = SyntaxHelpers.UniqueName(model, statement.SpanStart, NameFor(model, call, cancellationToken), cancellationToken);
        var edit = new HoistedStreamCopyEdit(statement, call, name);
        var index = block.Statements.IndexOf(statement);
        var newBlock = block.WithStatements(block.Statements.Replace(statement, statement.ReplaceNode(call, edit.CopyOf(name))).Insert(index, edit.Declaration(name)));
        return SpeculativeCompilation.Compiles(model.Compilation, new List<(SyntaxNode, SyntaxNode)> { (block, newBlock) }, new[] { model.SyntaxTree }, cancellationToken) && SameBinding(model, call, cancellationToken)
            ? new FixEdit[] { edit }
            : null;
    }

    /// <summary>
    /// Whether <paramref name="call"/> calls a helper of the compilation that the fix for another
    /// finding may make return a <c>MemoryStream</c> (<see cref="HelperCopyPlanner"/>): the copy
    /// here reads the view stream's pointer, which that one has not.
    /// </summary>
    public static bool MayReturnACopyInstead(SemanticModel model, ExpressionSyntax call, CancellationToken cancellationToken)
        => model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { DeclaringSyntaxReferences.Length: > 0 } helper
           && !HelperCopyPlanner.IsVisibleOutside(helper);

    /// <summary>Whether every node between the call and its statement evaluates it once, whenever the statement runs.</summary>
    internal static bool RunsOnceWithTheStatement(SyntaxNode call, StatementSyntax statement)
    {
        for (var node = call.Parent; node is not null && node != statement; node = node.Parent)
        {
            if (node is AnonymousFunctionExpressionSyntax or ConditionalExpressionSyntax or ConditionalAccessExpressionSyntax or SwitchExpressionSyntax or QueryExpressionSyntax
                || node is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression or (int)SyntaxKind.LogicalOrExpression or (int)SyntaxKind.CoalesceExpression }
                || node is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceAssignmentExpression })
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether something the statement evaluates before the call may call the guest or write a
    /// variable: moved before it, the call would see another state. A constructor of source whose
    /// initializer holds the call runs before it, too.
    /// </summary>
    internal static bool EarlierEffects(FindingContext finding, SyntaxNode call, StatementSyntax statement)
    {
        foreach (var node in statement.DescendantNodes())
        {
            var before = node.Span.End <= call.SpanStart;
            var enclosing = node.Span.Contains(call.Span) && node != call;
            if (!before && !enclosing)
            {
                continue;
            }

            switch (node)
            {
                case AssignmentExpressionSyntax assignment when before:
                    // { Name = name, DataStream = Open(...) }: a member of the object being built.
                    if (assignment.Parent is not InitializerExpressionSyntax { RawKind: (int)SyntaxKind.ObjectInitializerExpression } || assignment.Left is not IdentifierNameSyntax)
                    {
                        return true;
                    }

                    break;
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } when before:
                case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } when before:
                case AwaitExpressionSyntax:
                case ArgumentSyntax { RefKindKeyword.RawKind: not 0 } when before:
                    return true;
                case BaseObjectCreationExpressionSyntax creation when enclosing:
                    if (finding.Model.GetSymbolInfo(creation, finding.CancellationToken).Symbol is not IMethodSymbol { DeclaringSyntaxReferences.Length: 0 })
                    {
                        return true;
                    }

                    break;
                case ExpressionSyntax expression when before && (expression is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or MemberAccessExpressionSyntax or IdentifierNameSyntax or ElementAccessExpressionSyntax):
                    if (ViewReacquirePlanner.ContainsGuestCall(finding.Model, finding.Semantics, expression, finding.CancellationToken))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>The call that receives the stream binds to the same method when handed the copy.</summary>
    internal static bool SameBinding(SemanticModel model, SyntaxNode call, CancellationToken cancellationToken)
    {
        if (call.Parent is not ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax } arguments })
        {
            return true;
        }

        var receiver = arguments.Parent!;
        var original = model.GetSymbolInfo(receiver, cancellationToken).Symbol;
        var copied = receiver.ReplaceNode(call, ParseExpression("(System.IO.MemoryStream)null!"));
        var speculative = model.GetSpeculativeSymbolInfo(receiver.SpanStart, copied, SpeculativeBindingOption.BindAsExpression).Symbol;
        return original is not null && SymbolEqualityComparer.Default.Equals(original, speculative);
    }

    /// <summary><c>output</c> for <c>OpenOutput(...)</c>, <c>stream</c> where the call's name is only a verb.</summary>
    internal static string NameFor(SemanticModel model, InvocationExpressionSyntax call, CancellationToken cancellationToken)
    {
        var method = model.GetSymbolInfo(call, cancellationToken).Symbol?.Name ?? string.Empty;
        foreach (var verb in new[] { "Open", "Get", "Create", "Make", "New" })
        {
            if (method.StartsWith(verb, System.StringComparison.Ordinal) && (method.Length == verb.Length || char.IsUpper(method[verb.Length])))
            {
                method = method.Substring(verb.Length);
                break;
            }
        }

        return method.Length == 0 || !SyntaxFacts.IsValidIdentifier(method) ? "stream" : char.ToLowerInvariant(method[0]) + method.Substring(1);
    }
}

/// <summary>The stream a call returns taken into a local before its statement, and a copy of its bytes handed over (<see cref="StreamCallCopyPlanner"/>).</summary>
internal sealed class HoistedStreamCopyEdit : FixEdit
{
    private readonly StatementSyntax _statement;
    private readonly ExpressionSyntax _call;
    private readonly string _name;

    public HoistedStreamCopyEdit(StatementSyntax statement, ExpressionSyntax call, string name)
    {
        _statement = statement;
        _call = call;
        _name = name;
    }

    public override string Key => "hoisted:" + _call.SpanStart;

    public override TextSpan Span => _call.Span;

    public override SyntaxTree Tree => _call.SyntaxTree;

    public StatementSyntax Declaration(string name)
        => SyntaxHelpers.LocalDeclaration(name, _call)
            .WithAdditionalAnnotations(Formatter.Annotation);

    public ExpressionSyntax CopyOf(string name)
        => HandoverCopyPlanner.MemoryStreamOver(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(name), IdentifierName("PositionPointer")),
                ParseExpression($"{name}.Length - {name}.Position"),
                lengthIsInt: false)
            .WithTriviaFrom(_call)
            .WithAdditionalAnnotations(Simplifier.Annotation);

    public override void Apply(DocumentEditor editor, FixApplication application)
    {
        // Two of one Fix All before the same statement need two names.
        var name = _name;
        if (!application.DeclaredNamesAt(_statement).Add(name))
        {
            name = SyntaxHelpers.UniqueName(application.Model, _statement.SpanStart, _name, default, application.DeclaredNamesAt(_statement));
            application.DeclaredNamesAt(_statement).Add(name);
        }

        editor.InsertBefore(_statement, Declaration(name).WithLeadingTrivia(_statement.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia))));
        editor.ReplaceNode(_call, CopyOf(name).WithAdditionalAnnotations(Formatter.Annotation));
    }
}
