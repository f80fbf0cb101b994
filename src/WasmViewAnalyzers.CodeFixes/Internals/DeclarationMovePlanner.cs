using System.Collections.Generic;
using System.Linq;
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
            || ViewReacquirePlanner.MayCallGuestBeforeUse(model, semantics, useStatement, use, cancellationToken)
            || model.GetOperation(initializer, cancellationToken) is not { } source
            || !semantics.PureSources.IsReevaluable(source, variable => ViewReacquirePlanner.IsAssignedBetween(model, variable, initializer, useStatement, cancellationToken), null, cancellationToken))
        {
            return null;
        }

        return new FixEdit[] { new MoveDeclarationEdit(declaration, lastCall) };
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
