using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// One finding as a fix plans it: the document, its semantic model, the engine of its compilation
/// and the engine's facts about the finding (asked for when a strategy first needs them).
/// </summary>
internal sealed class FindingContext
{
    private readonly Lazy<FindingFacts?> _facts;
    private readonly CompilationViewAnalysis _analysis;

    private FindingContext(Document document, SemanticModel model, SyntaxNode root, CompilationViewAnalysis analysis, WasmViewSemantics semantics, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        Document = document;
        Model = model;
        Root = root;
        Semantics = semantics;
        Diagnostic = diagnostic;
        CancellationToken = cancellationToken;
        _analysis = analysis;
        _facts = new Lazy<FindingFacts?>(() => analysis.FindFinding(model, diagnostic, cancellationToken));
    }

    public Document Document { get; }

    public SemanticModel Model { get; }

    public SyntaxNode Root { get; }

    public WasmViewSemantics Semantics { get; }

    public Diagnostic Diagnostic { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>The engine's facts about the finding; <see langword="null"/> when the code changed since it was reported.</summary>
    public FindingFacts? Facts => _facts.Value;

    /// <summary>Whether the engine finds a possibly stale view read within <paramref name="node"/>.</summary>
    public bool IsReadStale(SyntaxNode node) => _analysis.IsReadStale(Model, node, CancellationToken);

    /// <summary>The node the diagnostic is reported on.</summary>
    public SyntaxNode Location => Root.FindNode(Diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);

    /// <summary>The findings of <paramref name="diagnostics"/> that are in <paramref name="document"/>, sharing one model and engine.</summary>
    public static async Task<ImmutableArray<FindingContext>> ForAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return ImmutableArray<FindingContext>.Empty;
        }

        var analysis = CompilationViewAnalysis.For(model.Compilation, document.Project.AnalyzerOptions);
        if (analysis.Semantics is not { } semantics)
        {
            return ImmutableArray<FindingContext>.Empty;
        }

        return diagnostics
            .Where(d => d.Location.SourceTree == root.SyntaxTree)
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => new FindingContext(document, model, root, analysis, semantics, d, cancellationToken))
            .ToImmutableArray();
    }
}

/// <summary>
/// One planned change of a document (the finding's, or another: a helper that returns the view),
/// built against the solution as the finding saw it and applied with the others of one fix or Fix
/// All to one <see cref="DocumentEditor"/> per document.
/// </summary>
internal abstract class FixEdit
{
    /// <summary>Edits with the same key (in the same tree) are the same change (one copy where a view is obtained serves all its stale uses).</summary>
    public abstract string Key { get; }

    /// <summary>The text the edit rewrites: two edits of one Fix All must not rewrite overlapping text differently.</summary>
    public abstract TextSpan Span { get; }

    /// <summary>The tree of the document the edit changes.</summary>
    public abstract SyntaxTree Tree { get; }

    public abstract void Apply(DocumentEditor editor, FixApplication application);

    /// <summary>Whether this edit is made unnecessary by the edits <paramref name="kept"/> before it in the same Fix All (re-acquisitions already done on every path).</summary>
    public virtual bool IsCoveredBy(IReadOnlyList<FixEdit> kept, FindingContext context) => false;

    /// <summary>
    /// Text, in <see cref="Tree"/>, that this edit relies on staying as it is without rewriting it: the
    /// declaration of a local it assigns again. Another finding's edit that rewrites it (a local
    /// retyped to an offset, its declaration removed) conflicts with this one in a Fix All.
    /// </summary>
    public virtual IEnumerable<TextSpan> ReliesOn => Array.Empty<TextSpan>();
}

/// <summary>A way to fix a finding: its title, its equivalence key, and how it is planned.</summary>
internal sealed class FixStrategy
{
    public FixStrategy(string equivalenceKey, string title, Func<FindingContext, IReadOnlyList<FixEdit>?> plan, Func<FindingContext, string>? titleFor = null)
    {
        EquivalenceKey = equivalenceKey;
        Title = title;
        Plan = plan;
        _titleFor = titleFor;
    }

    private readonly Func<FindingContext, string>? _titleFor;

    public string EquivalenceKey { get; }

    public string Title { get; }

    /// <summary>The title offered for <paramref name="finding"/>: <see cref="Title"/>, or one that names what the fix changes.</summary>
    public string TitleFor(FindingContext finding) => _titleFor?.Invoke(finding) ?? Title;

    /// <summary>The edits that fix the finding, or <see langword="null"/> where this strategy does not keep the code's meaning.</summary>
    public Func<FindingContext, IReadOnlyList<FixEdit>?> Plan { get; }
}

/// <summary>What the edits of one application asked for besides their own changes.</summary>
internal sealed class FixApplication
{
    public FixApplication(SemanticModel model)
    {
        Model = model;
    }

    /// <summary>The model of the document before any edit (for names and types at a position).</summary>
    public SemanticModel Model { get; }

    /// <summary>An edit uses the runtime companion library (<c>LeaseCopy</c>): its namespace is imported.</summary>
    public bool NeedsRuntimeImport { get; set; }

    private readonly Dictionary<SyntaxNode, HashSet<string>> _declaredNames = new();

    /// <summary>
    /// Names the edits so far declared in the function around <paramref name="node"/>, so that two of
    /// one Fix All do not declare the same there; another method may reuse them (as a single fix does).
    /// </summary>
    public HashSet<string> DeclaredNamesAt(SyntaxNode node)
    {
        var scope = SyntaxHelpers.EnclosingFunction(node) ?? node.SyntaxTree.GetRoot();
        if (!_declaredNames.TryGetValue(scope, out var names))
        {
            _declaredNames[scope] = names = new HashSet<string>(StringComparer.Ordinal);
        }

        return names;
    }

    /// <summary>Names chosen when applying, by the node they are declared for, for the other edits that use them.</summary>
    public Dictionary<object, IReadOnlyDictionary<string, string>> ChosenNames { get; } = new();
}

/// <summary>
/// The fixes of one or more rules, as a list of strategies in the order they are offered: what a
/// fix provider registers and what its Fix All applies. Each finding is offered every strategy that
/// plans for it; the first one it is offered carries its rule's first-fix key as its equivalence
/// key, the others their own.
/// </summary>
/// <remarks>
/// <para>Fix All with the first-fix key, or with no key at all, applies to each finding the
/// first fix that finding offers. That is what <c>dotnet format analyzers</c> asks: it registers the
/// fixes of the first finding it meets and runs Fix All with the key of the first one (none when
/// that finding has no fix), whatever the fixes of the other findings are. Fix All with another
/// strategy's key applies that strategy wherever it is offered.</para>
/// <para>Edits of one document are applied together: the same change planned for several findings
/// is made once, and an edit that rewrites text another edit of the same Fix All already rewrites is
/// left out (its finding is fixed by the next run, or by hand).</para>
/// </remarks>
internal sealed class StrategyFixes
{
    private readonly Func<Diagnostic, IReadOnlyList<FixStrategy>> _strategiesFor;
    private readonly Func<Diagnostic, string> _firstFixKeyFor;

    public StrategyFixes(Func<Diagnostic, IReadOnlyList<FixStrategy>> strategiesFor, Func<Diagnostic, string> firstFixKeyFor)
    {
        _strategiesFor = strategiesFor;
        _firstFixKeyFor = firstFixKeyFor;
    }

    public FixAllProvider CreateFixAllProvider() => new StrategyFixAllProvider(this);

    public async Task RegisterAsync(CodeFixContext context)
    {
        var findings = await FindingContext.ForAsync(context.Document, context.Diagnostics, context.CancellationToken).ConfigureAwait(false);
        foreach (var finding in findings)
        {
            var first = true;
            foreach (var strategy in _strategiesFor(finding.Diagnostic))
            {
                if (PlanSafely(strategy, finding) is not { Count: > 0 } edits)
                {
                    continue;
                }

                var solution = context.Document.Project.Solution;
                var key = first ? _firstFixKeyFor(finding.Diagnostic) : strategy.EquivalenceKey;
                context.RegisterCodeFix(CodeAction.Create(strategy.TitleFor(finding), ct => FixApplier.ApplyAsync(solution, Combine(edits.Select(edit => (edit, finding))), ct), key), finding.Diagnostic);
                first = false;
            }
        }
    }

    /// <summary>The edits of a Fix All with <paramref name="key"/> over <paramref name="diagnostics"/>, combined.</summary>
    public async Task<IReadOnlyList<(FixEdit Edit, FindingContext Finding)>> PlanAllAsync(Document document, IEnumerable<Diagnostic> diagnostics, string? key, CancellationToken cancellationToken)
    {
        var findings = await FindingContext.ForAsync(document, diagnostics, cancellationToken).ConfigureAwait(false);
        var edits = new List<(FixEdit Edit, FindingContext Finding)>();
        foreach (var finding in findings)
        {
            if (PlanFor(finding, key) is { } planned)
            {
                edits.AddRange(planned.Select(edit => (edit, finding)));
            }
        }

        return edits;
    }

    /// <summary>The edits Fix All with <paramref name="key"/> makes for one finding.</summary>
    private IReadOnlyList<FixEdit>? PlanFor(FindingContext finding, string? key)
    {
        var strategies = _strategiesFor(finding.Diagnostic);
        if (key is null || key == _firstFixKeyFor(finding.Diagnostic))
        {
            foreach (var strategy in strategies)
            {
                if (PlanSafely(strategy, finding) is { Count: > 0 } edits)
                {
                    return edits;
                }
            }

            return null;
        }

        // A key of another rule's first fix (WVA004's optional copy beside WVA002's) leaves this finding alone.
        return strategies.FirstOrDefault(s => s.EquivalenceKey == key) is { } chosen ? PlanSafely(chosen, finding) : null;
    }

    /// <summary>
    /// A strategy that fails on code it did not foresee offers nothing rather than taking the other
    /// fixes down with it; our own builds (the tests) stop there instead.
    /// </summary>
    private static IReadOnlyList<FixEdit>? PlanSafely(FixStrategy strategy, FindingContext finding)
    {
#if DEBUG
        return strategy.Plan(finding);
#else
        try
        {
            return strategy.Plan(finding);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return null;
        }
#endif
    }

    /// <summary>
    /// One edit per key; none that rewrites text an earlier one rewrites, or that an earlier one makes
    /// unnecessary. A finding's fix is applied whole or not at all: when one of its edits rewrites
    /// text another finding's fix rewrites, none of its edits is kept (a slot retyped to an offset
    /// whose store another fix rewrote would not compile, nor keep the meaning).
    /// </summary>
    public static IReadOnlyList<FixEdit> Combine(IEnumerable<(FixEdit Edit, FindingContext Finding)> edits)
    {
        var ordered = edits
            .OrderBy(e => e.Edit.Tree.FilePath, StringComparer.Ordinal)
            .ThenBy(e => e.Edit.Span.Start)
            .ThenBy(e => e.Finding.Diagnostic.Location.SourceSpan.Start)
            .ToList();
        var left = new HashSet<FindingContext>();
        while (true)
        {
            var kept = new List<(FixEdit Edit, FindingContext Finding)>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var conflicting = new HashSet<FindingContext>();
            foreach (var (edit, finding) in ordered)
            {
                if (left.Contains(finding) || !keys.Add(edit.Tree.FilePath + "|" + edit.Key))
                {
                    continue;
                }

                var overlapped = kept.Where(other => other.Edit.Tree == edit.Tree && other.Edit.Span.OverlapsWith(edit.Span)).ToList();
                if (overlapped.Count > 0)
                {
                    if (overlapped.Any(other => other.Finding != finding))
                    {
                        conflicting.Add(finding);
                    }

                    continue;
                }

                if (kept.Any(other => other.Finding != finding && other.Edit.Tree == edit.Tree && (RewritesWhatTheOtherReliesOn(edit, other.Edit) || RewritesWhatTheOtherReliesOn(other.Edit, edit))))
                {
                    conflicting.Add(finding);
                    continue;
                }

                if (!edit.IsCoveredBy(kept.Where(other => other.Edit.Tree == edit.Tree).Select(other => other.Edit).ToList(), finding))
                {
                    kept.Add((edit, finding));
                }
            }

            // Leaving a finding out can free text a later one needs: combine again without it.
            if (conflicting.Count == 0)
            {
                return kept.Select(k => k.Edit).ToList();
            }

            left.UnionWith(conflicting);
        }

        static bool RewritesWhatTheOtherReliesOn(FixEdit rewriting, FixEdit relying)
            => relying.ReliesOn.Any(span => rewriting.Span.Length > 0 ? rewriting.Span.OverlapsWith(span) : span.Contains(rewriting.Span.Start) && span.Start != rewriting.Span.Start);
    }
}

/// <summary>
/// Fix All of <see cref="StrategyFixes"/> in a document, a project or the solution: the edits of
/// every finding in scope, combined across documents (a helper changed once for all its callers),
/// applied at once.
/// </summary>
internal sealed class StrategyFixAllProvider : FixAllProvider
{
    private readonly StrategyFixes _fixes;

    public StrategyFixAllProvider(StrategyFixes fixes)
    {
        _fixes = fixes;
    }

    public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
    {
        var documents = await DiagnosticsInScopeAsync(fixAllContext).ConfigureAwait(false);
        if (documents.Count == 0)
        {
            return null;
        }

        var solution = fixAllContext.Solution;
        return CodeAction.Create(
            fixAllContext.CodeActionEquivalenceKey ?? "Fix all",
            async cancellationToken =>
            {
                var edits = new List<(FixEdit Edit, FindingContext Finding)>();
                foreach (var (document, diagnostics) in documents)
                {
                    edits.AddRange(await _fixes.PlanAllAsync(document, diagnostics, fixAllContext.CodeActionEquivalenceKey, cancellationToken).ConfigureAwait(false));
                }

                return await FixApplier.ApplyAsync(solution, StrategyFixes.Combine(edits), cancellationToken).ConfigureAwait(false);
            },
            fixAllContext.CodeActionEquivalenceKey);
    }

    private static async Task<List<(Document Document, ImmutableArray<Diagnostic> Diagnostics)>> DiagnosticsInScopeAsync(FixAllContext context)
    {
        var result = new List<(Document, ImmutableArray<Diagnostic>)>();
        IEnumerable<Project> projects = context.Scope switch
        {
            FixAllScope.Solution => context.Solution.Projects,
            FixAllScope.Project => new[] { context.Project },
            _ => Array.Empty<Project>(),
        };

        if (context.Scope == FixAllScope.Document && context.Document is { } single)
        {
            result.Add((single, await context.GetDocumentDiagnosticsAsync(single).ConfigureAwait(false)));
            return result;
        }

        foreach (var project in projects)
        {
            var all = await context.GetAllDiagnosticsAsync(project).ConfigureAwait(false);
            foreach (var group in all.Where(d => d.Location.IsInSource).GroupBy(d => d.Location.SourceTree))
            {
                if (project.GetDocument(group.Key) is { } document)
                {
                    result.Add((document, group.ToImmutableArray()));
                }
            }
        }

        return result;
    }
}
