using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A read-only view an <c>await foreach</c> over an async iterator of the compilation hands its
/// body, read after a guest call or an <c>await</c> in that body: the loop variable is renamed, and the body starts by
/// copying it under the old name (<c>ReadOnlyMemory&lt;byte&gt; record = recordView.ToArray();</c>),
/// before anything in the body runs. The body reads what the sequence handed it, as it was then.
/// </summary>
/// <remarks>
/// Only for <c>ReadOnlyMemory&lt;T&gt;</c> and <c>ReadOnlySpan&lt;T&gt;</c> (nothing writes guest
/// memory through them, so the copy drops no write), where the call that left the view stale is in
/// the body (the view was fresh when the body began), the body is a block, and the result compiles.
/// The iterator makes each element when the loop asks for it: elements of a collection made before
/// the loop would be stale from the second turn on, before the copy. A plain <c>foreach</c> over an
/// iterator would do as well, but the analysis takes its element at the top of the next turn for the
/// one obtained before the last turn's calls, and would report the copy.
/// </remarks>
internal static class ForEachCopyPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol view
            || view.DeclaringSyntaxReferences.Length != 1
            || view.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not ForEachStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword, Statement: BlockSyntax body } loop
            || model.GetSymbolInfo(loop.Expression, cancellationToken).Symbol is not IMethodSymbol { IsAsync: true, DeclaringSyntaxReferences.Length: > 0 } iterator
            || !iterator.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax(cancellationToken).DescendantNodes().OfType<YieldStatementSyntax>().Any())
            || view.Type is not INamedTypeSymbol { OriginalDefinition: { } definition }
            || definition.ContainingNamespace?.ToDisplayString() != "System"
            || definition.MetadataName is not ("ReadOnlyMemory`1" or "ReadOnlySpan`1")
            || finding.Facts?.InvalidatedBy is not { } invalidating
            || invalidating.Operation.Syntax.SyntaxTree != model.SyntaxTree
            || !body.Span.Contains(invalidating.Operation.Syntax.Span))
        {
            return null;
        }

        var viewName = SyntaxHelpers.UniqueName(model, body.SpanStart, view.Name + "View", cancellationToken);
        var type = loop.Type.IsVar ? ParseTypeName(view.Type.ToMinimalDisplayString(model, loop.SpanStart)) : loop.Type.WithoutTrivia();
        var copy = LocalDeclarationStatement(VariableDeclaration(
                type,
                SingletonSeparatedList(VariableDeclarator(Identifier(view.Name)).WithInitializer(EqualsValueClause(
                    InvocationExpression(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(viewName), IdentifierName("ToArray"))))))))
            .WithAdditionalAnnotations(Formatter.Annotation);
        var edit = new ForEachCopyEdit(loop, viewName, copy);
        return SpeculativeCompilation.Compiles(model.Compilation, new[] { ((SyntaxNode)loop, (SyntaxNode)edit.Rewrite(loop)) }, new[] { model.SyntaxTree }, cancellationToken)
            ? new FixEdit[] { edit }
            : null;
    }
}

/// <summary>The loop variable renamed, and its copy under the old name first in the body.</summary>
internal sealed class ForEachCopyEdit : FixEdit
{
    private readonly ForEachStatementSyntax _loop;
    private readonly string _viewName;
    private readonly LocalDeclarationStatementSyntax _copy;

    public ForEachCopyEdit(ForEachStatementSyntax loop, string viewName, LocalDeclarationStatementSyntax copy)
    {
        _loop = loop;
        _viewName = viewName;
        _copy = copy;
    }

    public override string Key => "foreach-copy:" + _loop.Identifier.SpanStart;

    public override TextSpan Span => _loop.Identifier.Span;

    public override SyntaxTree Tree => _loop.SyntaxTree;

    /// <summary>
    /// <paramref name="loop"/> (as other edits of the same Fix All left it) with the variable renamed
    /// and the copy first in its body.
    /// </summary>
    public ForEachStatementSyntax Rewrite(ForEachStatementSyntax loop)
    {
        var body = (BlockSyntax)loop.Statement;
        return loop.WithIdentifier(Identifier(_viewName).WithTriviaFrom(loop.Identifier))
            .WithStatement(body.WithStatements(body.Statements.Insert(0, _copy)));
    }

    public override void Apply(DocumentEditor editor, FixApplication application)
        => editor.ReplaceNode(_loop, (current, _) => current is ForEachStatementSyntax { Statement: BlockSyntax } loop ? Rewrite(loop) : current);
}
