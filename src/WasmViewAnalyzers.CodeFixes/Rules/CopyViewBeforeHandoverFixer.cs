using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using WasmViewAnalyzers.CodeFixes.Internals;
using WasmViewAnalyzers.Engine;

namespace WasmViewAnalyzers.CodeFixes.Rules;

/// <summary>
/// Fixes WVA002 (and the archive hand-offs WVA003/WVA004) by handing over a copy: <c>.ToArray()</c>
/// for a memory or a span, a <c>MemoryStream</c> over a copy of the bytes for an
/// <c>UnmanagedMemoryStream</c> (an argument, or the stream a <c>CopyTo</c> reads), each part of a
/// tuple that is a view. Offered only where the copy compiles in place, the call still binds to the
/// same method, and a copied stream is not read again (see <see cref="HandoverCopyPlanner"/>).
/// </summary>
/// <remarks>
/// <para>The contract with the rules: <c>AdditionalLocations[0]</c> of the diagnostic is the
/// expression whose value is handed over (the one a copy replaces). Rules reporting hand-offs add it
/// the same way (<see cref="ViewEscape.EscapingValue"/>, <see cref="ArchiveHandoff.HandedValue"/>).</para>
/// <para>WVA004 (a writer that reads the view right away) gets the same copy under a title that says
/// it is optional and its own equivalence key, so that Fix All of the required copies never applies
/// it. Roslyn 4.8 offers third-party fixers no priority API, so the title carries that instead.</para>
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CopyViewBeforeHandoverFixer)), Shared]
public sealed class CopyViewBeforeHandoverFixer : CodeFixProvider
{
    public const string CopyKey = "WVA.CopyBeforeHandover";
    public const string OptionalCopyKey = "WVA.CopyBeforeHandover.Optional";

    /// <summary>The rule whose copy is offered but not preferred (the writer reads the view before any guest call can run).</summary>
    private const string DirectWriteRuleId = "WVA004";

    private const string CopyTitle = "Copy the view before handing it over";
    private const string OptionalCopyTitle = "Copy the view before handing it over (optional: the writer reads it right away)";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.ViewEscapesMethod, RuleIdentifiers.ViewHandedToDeferredArchiveWriter, RuleIdentifiers.ViewWrittenToCompressor);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        var wanted = diagnostics.Where(d => KeyOf(d) == context.CodeActionEquivalenceKey);
        var plan = await PlanAsync(document, wanted, context.CancellationToken).ConfigureAwait(false);
        return await ApplyAsync(document, plan, context.CancellationToken).ConfigureAwait(false);
    });

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var document = context.Document;
        foreach (var diagnostic in context.Diagnostics)
        {
            var plan = await PlanAsync(document, new[] { diagnostic }, context.CancellationToken).ConfigureAwait(false);
            if (plan.IsEmpty)
            {
                continue;
            }

            var optional = diagnostic.Id == DirectWriteRuleId;
            context.RegisterCodeFix(
                CodeAction.Create(optional ? OptionalCopyTitle : CopyTitle, ct => ApplyAsync(document, plan, ct), KeyOf(diagnostic)),
                diagnostic);
        }
    }

    private static string KeyOf(Diagnostic diagnostic) => diagnostic.Id == DirectWriteRuleId ? OptionalCopyKey : CopyKey;

    /// <summary>The edits of one fix or one Fix All: copies in place, and copies taken before the lambdas that capture views.</summary>
    private sealed class HandoverEdits
    {
        public Dictionary<ExpressionSyntax, ExpressionSyntax> Replacements { get; } = new();

        public Dictionary<(int, string), CapturedCopy> CapturedCopies { get; } = new();

        public bool IsEmpty => Replacements.Count == 0 && CapturedCopies.Count == 0;
    }

    private static async Task<HandoverEdits> PlanAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var edits = new HandoverEdits();
        var replacements = edits.Replacements;
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || CompilationViewAnalysis.For(model.Compilation, document.Project.AnalyzerOptions).Semantics is not { } semantics)
        {
            return edits;
        }

        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree)
            {
                continue;
            }

            var span = diagnostic.AdditionalLocations[0].SourceSpan;
            if (root.FindNode(span, getInnermostNodeForTie: true) is not { } node)
            {
                continue;
            }

            var handed = node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
            while (handed is not null && handed.Span != span && handed.Parent is ExpressionSyntax parent && parent.Span == span)
            {
                handed = parent;
            }

            if (handed is null)
            {
                continue;
            }

            // A view captured by a lambda that runs later: a copy in the lambda would still be taken
            // when it runs; it has to be taken where the lambda is created.
            if (CapturedCopyPlanner.IsCapturedReference(model, handed, cancellationToken, out var captured, out var function))
            {
                var taken = edits.CapturedCopies.Values.Select(c => c.CopyName).ToList();
                if (!edits.CapturedCopies.ContainsKey((function!.SpanStart, captured!.Name))
                    && CapturedCopyPlanner.Plan(model, semantics, captured, function, taken, cancellationToken) is { } copy)
                {
                    edits.CapturedCopies.Add(copy.Key, copy);
                }

                continue;
            }

            if (replacements.Keys.Any(k => k.Span.Contains(handed.Span) || handed.Span.Contains(k.Span)))
            {
                continue;
            }

            if (HandoverCopyPlanner.Plan(model, semantics, handed, cancellationToken) is { } plan)
            {
                foreach (var (original, copy) in plan)
                {
                    replacements[original] = copy;
                }
            }
        }

        return edits;
    }

    private static async Task<Document> ApplyAsync(Document document, HandoverEdits edits, CancellationToken cancellationToken)
    {
        if (edits.IsEmpty)
        {
            return document;
        }

        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        foreach (var pair in edits.Replacements)
        {
            editor.ReplaceNode(pair.Key, pair.Value.WithAdditionalAnnotations(Formatter.Annotation));
        }

        foreach (var copy in edits.CapturedCopies.Values)
        {
            editor.InsertBefore(copy.Before, copy.Declaration.WithLeadingTrivia(copy.Before.GetLeadingTrivia().Where(t => t.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.WhitespaceTrivia))));
            foreach (var reference in copy.References)
            {
                editor.ReplaceNode(reference, Microsoft.CodeAnalysis.CSharp.SyntaxFactory.IdentifierName(copy.CopyName).WithTriviaFrom(reference));
            }
        }

        var changed = await Simplifier.ReduceAsync(editor.GetChangedDocument(), Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
