using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using WasmViewAnalyzers.Engine.Flow;

namespace WasmViewAnalyzers.Engine;

internal sealed partial class CompilationViewAnalysis
{
    /// <summary>
    /// The engine's facts about the finding <paramref name="diagnostic"/> reports, from the facts of
    /// the member it is in: the ones the rules already computed for this compilation, or computed now
    /// (and kept) when the fix comes first or works on another compilation of the same code.
    /// </summary>
    public FindingFacts? FindFinding(SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Semantics is not { } semantics || diagnostic.Location.SourceTree != model.SyntaxTree)
        {
            return null;
        }

        var root = model.SyntaxTree.GetRoot(cancellationToken);
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (SourceBodies.FindMemberBody(node) is not { } body || MemberOf(model, body, cancellationToken) is not { } member)
        {
            return null;
        }

        var facts = GetFacts(semantics, member, () => AnalyzeMember(semantics, model, body, cancellationToken), cancellationToken);
        return Match(semantics, facts, diagnostic);
    }

    /// <summary>Whether the engine finds a possibly stale view read at <paramref name="node"/> (in the member it is in).</summary>
    public bool IsReadStale(SemanticModel model, SyntaxNode node, CancellationToken cancellationToken)
    {
        if (node.SyntaxTree != model.SyntaxTree)
        {
#pragma warning disable RS1030 // Asked by a code fix, about a helper in another file of the compilation.
            model = model.Compilation.GetSemanticModel(node.SyntaxTree);
#pragma warning restore RS1030
        }

        if (Semantics is not { } semantics || SourceBodies.FindMemberBody(node) is not { } body || MemberOf(model, body, cancellationToken) is not { } member)
        {
            return false;
        }

        var facts = GetFacts(semantics, member, () => AnalyzeMember(semantics, model, body, cancellationToken), cancellationToken);
        foreach (var use in facts.StaleUses)
        {
            if (node.Span.Contains(use.Use.Syntax.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static ISymbol? MemberOf(SemanticModel model, SyntaxNode body, CancellationToken cancellationToken)
        => body switch
        {
            ArrowExpressionClauseSyntax { Parent: BasePropertyDeclarationSyntax property } => (model.GetDeclaredSymbol(property, cancellationToken) as IPropertySymbol)?.GetMethod,
            CompilationUnitSyntax => model.GetEnclosingSymbol(body.Span.End - 1, cancellationToken),
            _ => model.GetDeclaredSymbol(body, cancellationToken),
        };

    private MethodViewFacts GetFacts(WasmViewSemantics semantics, ISymbol member, Func<MethodViewFacts> analyze, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lazy = _facts.GetOrAdd(member, _ => new Lazy<MethodViewFacts>(analyze, LazyThreadSafetyMode.ExecutionAndPublication));
            try
            {
                return lazy.Value;
            }
            catch (OperationCanceledException)
            {
                ((ICollection<KeyValuePair<ISymbol, Lazy<MethodViewFacts>>>)_facts).Remove(new(member, lazy));
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>The same analysis the rules run on a member's blocks, from its body in <paramref name="model"/>.</summary>
    private static MethodViewFacts AnalyzeMember(WasmViewSemantics semantics, SemanticModel model, SyntaxNode body, CancellationToken cancellationToken)
    {
        if (ViewFlowGraphs.TryCreate(model.GetOperation(body, cancellationToken), cancellationToken) is not { } graph)
        {
            return MethodViewFacts.Empty;
        }

        var staleUses = ImmutableArray.CreateBuilder<StaleViewUse>();
        var escapes = ImmutableArray.CreateBuilder<ViewEscape>();
        var handoffs = ImmutableArray.CreateBuilder<ArchiveHandoff>();
        foreach (var nested in WithNestedGraphs(graph, cancellationToken))
        {
            var facts = ViewFlowAnalysis.Analyze(semantics, nested, cancellationToken);
            staleUses.AddRange(facts.StaleUses);
            escapes.AddRange(facts.Escapes);
            handoffs.AddRange(facts.Handoffs);
        }

        return new MethodViewFacts(staleUses.ToImmutable(), escapes.ToImmutable(), handoffs.ToImmutable());
    }

    private static FindingFacts? Match(WasmViewSemantics semantics, MethodViewFacts facts, Diagnostic diagnostic)
    {
        var span = diagnostic.Location.SourceSpan;
        diagnostic.Properties.TryGetValue(FindingProperties.View, out var name);
        var symbols = semantics.Symbols;
        switch (diagnostic.Id)
        {
            case RuleIdentifiers.StaleViewAfterGuestCall:
                foreach (var use in facts.StaleUses)
                {
                    if (use.Use.Syntax.Span == span && (name is null || use.ViewName == name))
                    {
                        return new FindingFacts(diagnostic.Id, use.Use, use.Use, use.ViewName, use.Value, ViewKinds.Of(use.Use, use.Value, symbols), ViewKinds.SourceOf(use.Origin, symbols));
                    }
                }

                break;

            case RuleIdentifiers.ViewEscapesMethod:
                foreach (var escape in facts.Escapes)
                {
                    if (escape.Location.Syntax.Span == span && (name is null || escape.ViewName == name))
                    {
                        return new FindingFacts(diagnostic.Id, escape.Location, escape.EscapingValue, escape.ViewName, escape.Value, ViewKinds.Of(escape.EscapingValue, escape.Value, symbols), ViewKinds.SourceOf(escape.Origin, symbols), escape: escape);
                    }
                }

                break;

            case RuleIdentifiers.ViewHandedToDeferredArchiveWriter:
            case RuleIdentifiers.ViewWrittenToCompressor:
                var kind = diagnostic.Id == RuleIdentifiers.ViewWrittenToCompressor ? ArchiveHandoffKind.Direct : ArchiveHandoffKind.Deferred;
                foreach (var handoff in facts.Handoffs)
                {
                    if (handoff.Kind == kind
                        && handoff.Location.Syntax.Span == span
                        && (name is null || handoff.ViewName == name)
                        && (diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0].SourceSpan == handoff.HandedValue.Syntax.Span))
                    {
                        return new FindingFacts(diagnostic.Id, handoff.Location, handoff.HandedValue, handoff.ViewName, handoff.Value, ViewKinds.Of(handoff.HandedValue, handoff.Value, symbols), ViewKinds.SourceOf(handoff.Origin, symbols), handoff: handoff);
                    }
                }

                break;
        }

        return null;
    }
}
