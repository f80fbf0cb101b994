using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Applies re-acquisition plans to a document: one diagnostic (the light-bulb fix) or many (Fix
/// All), each statement getting one re-acquisition per view however many stale uses it has.
/// </summary>
internal static class ViewReacquireRewriter
{
    public static async Task<ImmutableArray<ReacquirePlan>> PlanAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || CompilationViewAnalysis.For(model.Compilation, document.Project.AnalyzerOptions).Semantics is not { } semantics)
        {
            return ImmutableArray<ReacquirePlan>.Empty;
        }

        var plans = new Dictionary<(int, string), ReacquirePlan>();
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Location.SourceTree != root.SyntaxTree
                || diagnostic.AdditionalLocations.Count == 0
                || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree)
            {
                continue;
            }

            var use = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (ViewReacquirePlanner.Plan(model, semantics, use, diagnostic.AdditionalLocations[0].SourceSpan, cancellationToken) is { } plan
                && !plans.ContainsKey(plan.Key))
            {
                plans.Add(plan.Key, plan);
            }
        }

        return plans.Values.ToImmutableArray();
    }

    public static async Task<Document> ApplyAsync(Document document, ImmutableArray<ReacquirePlan> plans, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        foreach (var plan in plans)
        {
            // The statement goes right under the code before it (the guest call, as a rule); blank
            // lines and comments stay with the statement that reads the view.
            var before = plan.Before;
            var reacquire = plan.Reacquire.Select(statement => statement.WithLeadingTrivia(Indentation(before)).WithTrailingTrivia(EndOfLine(before))).ToList();
            switch (before.Parent)
            {
                case BlockSyntax or SwitchSectionSyntax:
                    editor.InsertBefore(before, reacquire);
                    break;
                case GlobalStatementSyntax global:
                    editor.InsertBefore(global, reacquire.Select(statement => (SyntaxNode)GlobalStatement(statement)));
                    break;
                default:
                    // An embedded statement (`if (ok) Use(view);`) becomes a block.
                    editor.ReplaceNode(before, (node, _) => Block(reacquire.Append(((StatementSyntax)node).WithoutLeadingTrivia())).WithTriviaFrom(node).WithAdditionalAnnotations(Formatter.Annotation));
                    break;
            }
        }

        return await Formatter.FormatAsync(editor.GetChangedDocument(), Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static SyntaxTriviaList Indentation(SyntaxNode statement)
    {
        var leading = statement.GetLeadingTrivia();
        var last = leading.Count > 0 ? leading[leading.Count - 1] : default;
        return last.IsKind(SyntaxKind.WhitespaceTrivia) ? TriviaList(last) : TriviaList();
    }

    private static SyntaxTrivia EndOfLine(SyntaxNode statement)
    {
        foreach (var trivia in statement.GetTrailingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia;
            }
        }

        return ElasticCarriageReturnLineFeed;
    }
}
