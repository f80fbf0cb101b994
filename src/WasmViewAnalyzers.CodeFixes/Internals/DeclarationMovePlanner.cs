using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A view declared from a pure source one statement and a guest call before its use, with nothing
/// reading it on the way (<c>var output = memory.GetPointer() + address; var length = _outputLength();
/// Task.Run(() =&gt; Publish(output, length));</c>): the declaration moves below the last statement
/// that calls the guest, so the view is obtained after the call, as the stale use needs it.
/// </summary>
/// <remarks>
/// Offered where the declaration is a single local of a block whose initializer the engine can
/// evaluate again (a pure source whose inputs no statement on the way assigns), where no statement
/// on the way names the local, and the statement that uses it calls no guest before the use. A
/// <c>using</c>, <c>const</c> or <c>ref</c> local stays (moving it would move a disposal, or is
/// not a view read).
/// </remarks>
internal static class DeclarationMovePlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree)
        {
            return null;
        }

        var acquisition = facts.Acquisition.Syntax;
        if (acquisition.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is not
            {
                Parent: BlockSyntax block,
                UsingKeyword.RawKind: (int)SyntaxKind.None,
                Modifiers.Count: 0,
                Declaration: { Type: not RefTypeSyntax, Variables.Count: 1 } variables,
            } declaration
            || variables.Variables[0] is not { Initializer.Value: { } initializer } declarator
            || !initializer.Span.Contains(acquisition.Span)
            || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol local
            || acquisition.Ancestors().TakeWhile(n => n != declaration).Any(n => n is AnonymousFunctionExpressionSyntax))
        {
            return null;
        }

        var use = finding.Location;
        var statements = block.Statements;
        var useStatement = statements.FirstOrDefault(s => s.Span.Contains(use.Span));
        if (useStatement is null || useStatement.SpanStart <= declaration.SpanStart)
        {
            return null;
        }

        var between = statements.SkipWhile(s => s != declaration).Skip(1).TakeWhile(s => s != useStatement).ToList();
        var lastCall = between.LastOrDefault(s => ViewReacquirePlanner.ContainsGuestCall(model, semantics, s, cancellationToken));
        if (lastCall is null
            || between.Any(s => ViewReacquirePlanner.References(model, local, s, cancellationToken).Any())
            || CallsFunctionReading(model, local, block, between, cancellationToken)
            || ViewReacquirePlanner.MayCallGuestBeforeUse(model, semantics, useStatement, use, cancellationToken)
            || model.GetOperation(initializer, cancellationToken) is not { } source
            || !semantics.PureSources.IsReevaluable(source, variable => ViewReacquirePlanner.IsAssignedBetween(model, variable, initializer, useStatement, cancellationToken), null, cancellationToken))
        {
            return null;
        }

        return new FixEdit[] { new MoveDeclarationEdit(declaration, lastCall) };
    }

    /// <summary>
    /// Whether a statement on the way calls (or takes as a delegate) a local function that reads
    /// <paramref name="local"/>, itself or through another local function: <c>var first = Width();</c>
    /// with <c>int Width() =&gt; ((int*)run)[1];</c> reads the local before the place it would move to.
    /// </summary>
    private static bool CallsFunctionReading(SemanticModel model, ILocalSymbol local, BlockSyntax block, List<StatementSyntax> between, CancellationToken cancellationToken)
    {
        var functions = (SyntaxHelpers.EnclosingFunction(block) ?? block)
            .DescendantNodes()
            .OfType<LocalFunctionStatementSyntax>()
            .Select(function => (Syntax: function, Symbol: model.GetDeclaredSymbol(function, cancellationToken)))
            .Where(function => function.Symbol is not null)
            .ToList();
        if (functions.Count == 0)
        {
            return false;
        }

        var reading = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        bool added;
        do
        {
            added = false;
            foreach (var (syntax, symbol) in functions)
            {
                if (!reading.Contains(symbol!)
                    && (ViewReacquirePlanner.References(model, local, syntax, cancellationToken).Any() || Names(syntax).Any(name => reading.Contains(name))))
                {
                    reading.Add(symbol!);
                    added = true;
                }
            }
        }
        while (added);

        return reading.Count > 0 && between.Any(statement => Names(statement).Any(name => reading.Contains(name)));

        IEnumerable<ISymbol> Names(SyntaxNode node)
            => node.DescendantNodes()
                .OfType<IdentifierNameSyntax>()
                .Select(name => model.GetSymbolInfo(name, cancellationToken).Symbol?.OriginalDefinition)
                .Where(symbol => symbol is IMethodSymbol { MethodKind: MethodKind.LocalFunction })!;
    }
}

/// <summary>Moves a local declaration below a later statement of its block (<see cref="DeclarationMovePlanner"/>).</summary>
internal sealed class MoveDeclarationEdit : FixEdit
{
    private readonly LocalDeclarationStatementSyntax _declaration;
    private readonly StatementSyntax _after;

    public MoveDeclarationEdit(LocalDeclarationStatementSyntax declaration, StatementSyntax after)
    {
        _declaration = declaration;
        _after = after;
    }

    public override string Key => "move:" + _declaration.SpanStart;

    public override TextSpan Span => TextSpan.FromBounds(_declaration.SpanStart, _after.Span.End);

    public override SyntaxTree Tree => _declaration.SyntaxTree;

    public override void Apply(Microsoft.CodeAnalysis.Editing.DocumentEditor editor, FixApplication application)
    {
        editor.RemoveNode(_declaration, SyntaxRemoveOptions.KeepNoTrivia);
        editor.InsertAfter(_after, _declaration);
    }
}
