using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// The copy that fixes the views obtained at one acquisition: <c>.ToArray()</c> where the view is
/// obtained, a pooled lease copy, or <c>span = span.ToArray();</c> after <c>TryGetMemorySpan</c>.
/// Every stale use of those views plans the same edit: it is made once.
/// </summary>
internal sealed class CopyEdit : FixEdit
{
    private readonly CopyPlan _plan;

    public CopyEdit(CopyPlan plan)
    {
        _plan = plan;
    }

    public override string Key => "copy:" + _plan.Key.Start + ":" + _plan.Key.Length + ":" + _plan.Key.Local;

    public override TextSpan Span => _plan.CopyPoint?.Span ?? new TextSpan(_plan.Anchor!.Span.End, 0);

    public override SyntaxTree Tree => ((SyntaxNode?)_plan.CopyPoint ?? _plan.Anchor!).SyntaxTree;

    public override void Apply(DocumentEditor editor, FixApplication application)
    {
        var plan = _plan;
        var model = application.Model;
        var cancellationToken = CancellationToken.None;
        switch (plan)
        {
            case { CopyPoint: { } copyPoint, Strategy: CopyStrategy.ToArray }:
                var keptTypeName = plan.KeptType is { } keptType ? keptType.ToMinimalDisplayString(model, copyPoint.SpanStart) : null;
                editor.ReplaceNode(copyPoint, (node, _) => keptTypeName is not null
                    ? ToArrayKeepingType((ExpressionSyntax)node, keptTypeName)
                    : SyntaxHelpers.AppendCall((ExpressionSyntax)node, "ToArray"));
                if (plan.Declarator?.Parent is VariableDeclarationSyntax { Type.IsVar: true } declaration && plan.LocalType is not null)
                {
                    var explicitType = plan.LocalType.ToMinimalDisplayString(model, declaration.SpanStart);
                    editor.ReplaceNode(declaration.Type, (node, _) => node.WithAdditionalAnnotations(new SyntaxAnnotation(FixApplier.ExplicitTypeAnnotationKind, explicitType)));
                }

                break;

            case { CopyPoint: { } copyPoint, Declarator: { } declarator, Strategy: CopyStrategy.Lease }:
                application.NeedsRuntimeImport = true;
                ApplyLeaseDeclaration(editor, copyPoint, declarator, model, application.DeclaredNamesAt(declarator), cancellationToken);
                break;

            case { Anchor: { } anchor, OutLocal: { } local }:
                application.NeedsRuntimeImport |= plan.Strategy == CopyStrategy.Lease;
                ApplyOutCopy(editor, anchor, local, plan.Strategy, plan.InsertIntoThen, model, application.DeclaredNamesAt(anchor), cancellationToken);
                break;
        }
    }

    /// <summary><c>new ReadOnlyMemory&lt;byte&gt;(view.ToArray())</c>: a copy of the same type as the view.</summary>
    public static ExpressionSyntax ToArrayKeepingType(ExpressionSyntax view, string viewTypeName)
        => ObjectCreationExpression(Token(SyntaxKind.NewKeyword).WithTrailingTrivia(Space), ParseTypeName(viewTypeName), argumentList: null, initializer: null)
            .WithArgumentList(ArgumentList(SingletonSeparatedList(Argument(SyntaxHelpers.AppendCall(view.WithoutTrivia(), "ToArray")))))
            .WithTriviaFrom(view);

    private static void ApplyLeaseDeclaration(DocumentEditor editor, ExpressionSyntax copyPoint, VariableDeclaratorSyntax declarator, SemanticModel? model, ICollection<string> taken, CancellationToken cancellationToken)
    {
        var declaration = (VariableDeclarationSyntax)declarator.Parent!;
        var statement = (LocalDeclarationStatementSyntax)declaration.Parent!;
        var name = declarator.Identifier.ValueText;
        var leaseName = SyntaxHelpers.UniqueName(model, statement.SpanStart, name + "Lease", cancellationToken, taken);
        taken.Add(leaseName);

        // using var outputLease = <view>.LeaseCopy();
        var leaseStatement = LocalDeclarationStatement(
                VariableDeclaration(
                    IdentifierName("var"),
                    SingletonSeparatedList(VariableDeclarator(Identifier(leaseName))
                        .WithInitializer(EqualsValueClause(SyntaxHelpers.AppendCall(copyPoint.WithoutTrivia(), "LeaseCopy"))))))
            .WithUsingKeyword(Token(SyntaxKind.UsingKeyword))
            .WithLeadingTrivia(statement.GetLeadingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);

        // var output = outputLease.Span;
        var viewStatement = statement
            .ReplaceNode(copyPoint, MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(leaseName), IdentifierName("Span")).WithTriviaFrom(copyPoint))
            .WithAdditionalAnnotations(Formatter.Annotation);

        editor.InsertBefore(statement, leaseStatement);
        editor.ReplaceNode(statement, viewStatement);
    }

    private static void ApplyOutCopy(DocumentEditor editor, StatementSyntax anchor, string local, CopyStrategy strategy, bool insertIntoThen, SemanticModel? model, ICollection<string> taken, CancellationToken cancellationToken)
    {
        var statements = new List<StatementSyntax>();
        if (strategy == CopyStrategy.Lease)
        {
            // using var spanLease = span.LeaseCopy(); span = spanLease.Span;
            var leaseName = SyntaxHelpers.UniqueName(model, anchor.SpanStart, local + "Lease", cancellationToken, taken);
            taken.Add(leaseName);
            statements.Add(ParseStatement($"using var {leaseName} = {local}.LeaseCopy();"));
            statements.Add(ParseStatement($"{local} = {leaseName}.Span;"));
        }
        else
        {
            // span = span.ToArray();
            statements.Add(ParseStatement($"{local} = {local}.ToArray();"));
        }

        var newLine = SyntaxHelpers.EndOfLine(anchor.SyntaxTree.GetRoot(cancellationToken));
        var annotated = statements.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation).WithTrailingTrivia(newLine)).ToArray();
        if (insertIntoThen && anchor is IfStatementSyntax ifStatement)
        {
            editor.ReplaceNode(ifStatement.Statement, (node, _) =>
            {
                var block = node as BlockSyntax ?? Block((StatementSyntax)node);
                return block.WithStatements(block.Statements.InsertRange(0, annotated)).WithAdditionalAnnotations(Formatter.Annotation);
            });
            return;
        }

        if (anchor.Parent is GlobalStatementSyntax global)
        {
            editor.InsertAfter(global, annotated.Select(s => (SyntaxNode)GlobalStatement(s)));
            return;
        }

        editor.InsertAfter(anchor, annotated);
    }

}
