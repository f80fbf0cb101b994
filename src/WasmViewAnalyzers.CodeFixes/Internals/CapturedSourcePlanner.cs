using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A view captured by a lambda or local function that runs later (a pointer read by a timer's
/// callback, a flag read when a token is cancelled, a local function called after a guest call):
/// the lambda obtains the view itself, each time it runs, from the same pure source. That is what
/// the code reads when it runs, without the dangling pointer, and the only fix where the lambda
/// writes through the view. Where nothing else uses the captured local, its declaration moves into
/// the lambda (or its source replaces its one use in an expression-bodied one); otherwise each use
/// in the lambda evaluates the source.
/// </summary>
/// <remarks>
/// <para>Also offered for a lambda queued once (<c>Task.Run</c>, <c>StartNew</c>, a list of actions),
/// after the copy where one can be taken: that lambda, too, reads the view when it runs, at the
/// address it was given, so obtaining it there reads the same bytes wherever the memory has not
/// moved, and the right ones where it has. A copy taken before it is the better fix (the work
/// then carries what was there when it was queued), and comes first.</para>
/// <para>Offered where the local is declared once from a source the engine can evaluate again
/// (<see cref="Engine.Summaries.PureSourceSummaries"/>), and neither it nor any input of the source
/// is assigned after it is declared: the lambda may run at any time after it is created.</para>
/// </remarks>
internal static class CapturedSourcePlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (Captured(finding) is not ({ } local, { } function)
            || SoleDeclaration(local, cancellationToken) is not var (source, statement, body)
            || model.GetOperation(source, cancellationToken) is not { } sourceOperation
            || !finding.Semantics.PureSources.IsReevaluable(sourceOperation, variable => IsAssignedAfterDeclaration(model, variable, body, cancellationToken), null, cancellationToken))
        {
            return null;
        }

        var references = ViewReacquirePlanner.References(model, local, body, cancellationToken).ToList();
        if (references.Any(ViewReacquirePlanner.IsWrite))
        {
            return null;
        }

        var inside = references.Where(reference => function.Span.Contains(reference.Span)).ToList();
        var outside = references.Where(reference => !function.Span.Contains(reference.Span)).ToList();
        if (inside.Count == 0)
        {
            return null;
        }

        var replacements = new List<(SyntaxNode Original, SyntaxNode Replacement)>();
        var evaluated = ParenthesizedExpression(source.WithoutTrivia()).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation);
        var expressionBody = ExpressionBodyOf(function);
        if (outside.Count > 0 || (expressionBody is not null && inside.Count == 1))
        {
            // Each use in the lambda evaluates the source.
            replacements.AddRange(inside.Select(reference => ((SyntaxNode)reference, (SyntaxNode)evaluated.WithTriviaFrom(reference))));
            var edits = replacements.Select(r => (FixEdit)new ReplaceEdit(r.Original, r.Replacement)).ToList();
            if (outside.Count == 0)
            {
                edits.Add(new RemoveStatementEdit(statement));
            }

            return Compiles(model, replacements, outside.Count == 0 ? statement : null, cancellationToken) ? edits : null;
        }

        // The declaration moves into the lambda, which obtains the view when it runs.
        var moved = statement.WithLeadingTrivia(statement.GetLeadingTrivia().SkipWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia) || t.IsKind(SyntaxKind.EndOfLineTrivia))).WithTrailingTrivia(SyntaxHelpers.EndOfLine(statement.SyntaxTree.GetRoot(cancellationToken))).WithAdditionalAnnotations(Formatter.Annotation);
        SyntaxNode newFunction;
        switch (function)
        {
            case AnonymousFunctionExpressionSyntax { Block: { } block } lambda:
                newFunction = lambda.ReplaceNode(block, block.WithStatements(block.Statements.Insert(0, moved)).WithAdditionalAnnotations(Formatter.Annotation));
                break;
            case LocalFunctionStatementSyntax { Body: { } block } localFunction:
                newFunction = localFunction.ReplaceNode(block, block.WithStatements(block.Statements.Insert(0, moved)).WithAdditionalAnnotations(Formatter.Annotation));
                break;
            default:
                if (expressionBody is null || BlockFor(model, function, expressionBody, moved, cancellationToken) is not { } withBlock)
                {
                    return null;
                }

                newFunction = withBlock;
                break;
        }

        var functionReplacement = (function, newFunction.WithAdditionalAnnotations(Formatter.Annotation));
        if (!Compiles(model, new List<(SyntaxNode, SyntaxNode)> { functionReplacement }, statement, cancellationToken))
        {
            return null;
        }

        return new FixEdit[] { new ReplaceEdit(function, functionReplacement.Item2), new RemoveStatementEdit(statement) };
    }

    /// <summary>
    /// Whether the lambda is meant to read the view when it runs, not what was there when it was
    /// created: a local function the method calls itself, a handler subscribed to an event or a
    /// token's cancellation, a timer's callback, a delegate kept in a field or property or returned
    /// (a pending read). A lambda queued once for later (<c>Task.Run</c>, a thread pool work item, a
    /// list of actions) carries work to be done with what was there: a copy taken before it is the
    /// fix, not a fresh view.
    /// </summary>
    public static bool ReadsWhenItRuns(SemanticModel model, SyntaxNode function, CancellationToken cancellationToken)
    {
        if (function is LocalFunctionStatementSyntax)
        {
            return true;
        }

        var node = function;
        while (node.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            node = node.Parent;
        }

        switch (node.Parent)
        {
            case AssignmentExpressionSyntax assignment when assignment.Right == node:
            case ReturnStatementSyntax:
            case ArrowExpressionClauseSyntax:
                return true;
            case ArgumentSyntax { Parent: ArgumentListSyntax { Parent: { } call } }:
                var method = model.GetSymbolInfo(call, cancellationToken).Symbol as IMethodSymbol;
                var type = method?.ContainingType?.ToDisplayString();
                // A host function's callback (Function.FromCallback, Linker.DefineFunction) runs each
                // time the guest calls it, and reads guest memory as it is then.
                return type is "System.Threading.Timer" or "System.Threading.CancellationToken"
                       || (method?.MethodKind == MethodKind.Constructor && type is "System.Threading.Timer")
                       || (type is "Wasmtime.Function" && method!.Name == "FromCallback")
                       || (type is "Wasmtime.Linker" && method!.Name == "DefineFunction");
            default:
                return false;
        }
    }

    /// <summary>
    /// The statement that declares <paramref name="local"/> alone and gives it its value (not a
    /// <c>using</c> declaration, directly in a block or a switch section), that value, and the function
    /// around the statement; <see langword="null"/> for any other declaration.
    /// </summary>
    internal static (ExpressionSyntax Source, LocalDeclarationStatementSyntax Statement, SyntaxNode Body)? SoleDeclaration(ILocalSymbol local, CancellationToken cancellationToken)
        => local.DeclaringSyntaxReferences.Length == 1
           && local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: { } source, Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, Parent: BlockSyntax or SwitchSectionSyntax } statement } }
           && SyntaxHelpers.EnclosingFunction(statement) is { } body
            ? (source, statement, body)
            : null;

    /// <summary>The captured local and the lambda or local function the finding is about.</summary>
    internal static (ILocalSymbol? Local, SyntaxNode? Function) Captured(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        var location = finding.Location;

        // WVA002 points at the value that escapes, the first use of the captured local in the lambda.
        if (location is IdentifierNameSyntax
            && CapturedCopyPlanner.IsCapturedReference(model, (ExpressionSyntax)location, cancellationToken, out var captured, out var function)
            && captured is ILocalSymbol capturedLocal)
        {
            return (capturedLocal, function);
        }

        var handedValue = finding.Diagnostic.AdditionalLocations.Count > 0 && finding.Diagnostic.AdditionalLocations[0].SourceTree == finding.Root.SyntaxTree
            ? finding.Root.FindNode(finding.Diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true)
            : null;
        if (handedValue is IdentifierNameSyntax handed
            && CapturedCopyPlanner.IsCapturedReference(model, handed, cancellationToken, out captured, out function)
            && captured is ILocalSymbol handedLocal)
        {
            return (handedLocal, function);
        }

        // WVA001 at the call of a local function that reads the captured view: the view is named by the diagnostic.
        if (finding.Diagnostic.Properties.TryGetValue(FindingProperties.View, out var name)
            && location is InvocationExpressionSyntax invocation
            && model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { MethodKind: MethodKind.LocalFunction } called
            && called.DeclaringSyntaxReferences.Length == 1
            && called.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is LocalFunctionStatementSyntax localFunction)
        {
            var reference = localFunction.DescendantNodes().OfType<IdentifierNameSyntax>().FirstOrDefault(n => n.Identifier.ValueText == name);
            if (reference is not null && model.GetSymbolInfo(reference, cancellationToken).Symbol is ILocalSymbol read)
            {
                return (read, localFunction);
            }
        }

        return (null, null);
    }

    private static SyntaxNode? ExpressionBodyOf(SyntaxNode function) => function switch
    {
        LocalFunctionStatementSyntax local => local.ExpressionBody,
        AnonymousFunctionExpressionSyntax lambda => lambda.ExpressionBody,
        _ => null,
    };

    /// <summary><c>() =&gt; expr</c> or <c>int F() =&gt; expr</c> with a body that declares the view first.</summary>
    private static SyntaxNode? BlockFor(SemanticModel model, SyntaxNode function, SyntaxNode expressionBody, StatementSyntax declaration, CancellationToken cancellationToken)
    {
        switch (function)
        {
            case LocalFunctionStatementSyntax local when local.ExpressionBody is { } arrow:
                var returnsValue = model.GetDeclaredSymbol(local, cancellationToken) is IMethodSymbol { ReturnsVoid: false };
                var last = returnsValue ? (StatementSyntax)ReturnStatement(arrow.Expression.WithoutTrivia()) : ExpressionStatement(arrow.Expression.WithoutTrivia());
                return local.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block(declaration, last));
            case AnonymousFunctionExpressionSyntax lambda when lambda.ExpressionBody is { } expression:
                var returns = model.GetSymbolInfo(lambda, cancellationToken).Symbol is IMethodSymbol { ReturnsVoid: false };
                var final = returns ? (StatementSyntax)ReturnStatement(expression.WithoutTrivia()) : ExpressionStatement(expression.WithoutTrivia());
                return lambda.WithBlock(Block(declaration, final)).WithExpressionBody(null);
            default:
                return null;
        }
    }

    private static bool Compiles(SemanticModel model, List<(SyntaxNode, SyntaxNode)> replacements, StatementSyntax? removed, CancellationToken cancellationToken)
    {
        if (removed is not null)
        {
            replacements.Add((removed, EmptyStatement()));
        }

        return SpeculativeCompilation.Compiles(model.Compilation, replacements, new[] { model.SyntaxTree }, cancellationToken);
    }

    /// <summary>Whether <paramref name="variable"/> (an input of the source) is assigned anywhere but where it is declared.</summary>
    private static bool IsAssignedAfterDeclaration(SemanticModel model, ISymbol variable, SyntaxNode body, CancellationToken cancellationToken)
        => variable is ILocalSymbol { IsRef: true } || ViewReacquirePlanner.References(model, variable, body, cancellationToken).Any(ViewReacquirePlanner.IsWrite);
}

/// <summary>A statement removed (a declaration moved elsewhere).</summary>
internal sealed class RemoveStatementEdit : FixEdit
{
    private readonly StatementSyntax _statement;

    public RemoveStatementEdit(StatementSyntax statement)
    {
        _statement = statement;
    }

    public override string Key => "remove:" + _statement.SpanStart;

    public override TextSpan Span => _statement.Span;

    public override SyntaxTree Tree => _statement.SyntaxTree;

    public override void Apply(Microsoft.CodeAnalysis.Editing.DocumentEditor editor, FixApplication application)
        => editor.RemoveNode(_statement, SyntaxRemoveOptions.KeepNoTrivia);
}
