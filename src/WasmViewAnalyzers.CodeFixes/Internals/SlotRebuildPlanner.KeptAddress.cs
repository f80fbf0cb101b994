using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using WasmViewAnalyzers.Engine.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A <c>ref</c> from a helper of this object that moves a field of it before it builds the ref over
/// the field's new value (a shadow stack's <c>ref T Push&lt;T&gt;()</c>: <c>_stackPointer -= size; return
/// ref MemoryMarshal.AsRef&lt;T&gt;(_memory.GetSpan(_stackPointer, size));</c>), kept across a guest call:
/// the field's value is kept in a local right after the push (<c>var callAddress = _stackPointer;</c>),
/// the address the ref is over, and after the call the ref is obtained again there by the return of
/// the helper, with the local in the field's place. A later push moves the field, not the local.
/// </summary>
/// <remarks>
/// Offered where the <c>ref</c> local is declared by the helper's call alone, on this object, and
/// never re-bound elsewhere; the helper returns one <c>ref</c>, built (as for
/// <see cref="Plan"/>) only by <c>MemoryMarshal</c>, <c>Unsafe</c>, Wasmtime's <c>GetSpan</c>/<c>GetPointer</c>
/// and <c>Slice</c> over readonly fields and the one field it reads that is not readonly, which the
/// use's method names the same.
/// </remarks>
internal static partial class SlotRebuildPlanner
{
    public static IReadOnlyList<FixEdit>? PlanKeptAddress(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts
            || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree
            || finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol { IsRef: true, DeclaringSyntaxReferences.Length: 1 } view
            || view.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: RefExpressionSyntax { Expression: InvocationExpressionSyntax call } } declarator
            || model.GetOperation(call, cancellationToken) is not IInvocationOperation { TargetMethod: { } called } invocation
            || declarator.Parent?.Parent is not LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, Parent: BlockSyntax block } declaration
            || ViewReacquirePlanner.EnclosingFunction(declaration) is not { } body
            || ViewReacquirePlanner.EnclosingFunction(name) != body
            || ViewReacquirePlanner.StatementBefore(name, body) is not { } before
            || before.SpanStart < declaration.Span.End
            || model.GetEnclosingSymbol(name.SpanStart, cancellationToken) is not { } caller
            || Receiver(finding, invocation, caller, before.SpanStart) != HelperObject.This
            || MovedField(finding, called) is not { } field
            || model.LookupSymbols(declaration.Span.End, name: field.Name) is not { Length: 1 } seen
            || !SymbolEqualityComparer.Default.Equals(seen[0], field))
        {
            return null;
        }

        // The address this fix kept for an earlier use (applied one at a time) serves this one too.
        var kept = block.Statements.SkipWhile(statement => statement != declaration).Skip(1).FirstOrDefault() is LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } nextVariables }
                   && nextVariables[0] is { Initializer.Value: IdentifierNameSyntax { Identifier.ValueText: var read } } next
                   && read == field.Name
                   && next.Identifier.ValueText.StartsWith(view.Name + "Address", System.StringComparison.Ordinal)
            ? next.Identifier.ValueText
            : null;
        var addressName = kept ?? SyntaxHelpers.UniqueName(model, declaration.Span.End, view.Name + "Address", cancellationToken);
        if (RefAgain(finding, called, field, addressName, before.SpanStart) is not { } again)
        {
            return null;
        }

        var rebind = ParseStatement($"{view.Name} = ref {again};").WithAdditionalAnnotations(Simplifier.Annotation);

        // Obtained where it is declared, from the helper; or obtained again by this fix before, for an earlier use.
        if (!ObtainedByTheHelperOrAgain(facts, atDeclaration: facts.Acquisition.Syntax == call || facts.Acquisition.Syntax == declarator.Initializer.Value, rebind))
        {
            return null;
        }

        if (IsReboundElsewhere(model, view, body, rebind, cancellationToken)
            || ViewReacquirePlanner.Placed(finding, name, before, new[] { (view, (SyntaxNode)declaration, rebind) }, (_, _) => true, null) is not { } plan)
        {
            return null;
        }

        var reacquire = new ReacquireEdit(plan, finding.Semantics, model);
        if (kept is not null)
        {
            return new FixEdit[] { reacquire };
        }

        var keep = SyntaxHelpers.LocalDeclaration(addressName, IdentifierName(field.Name)).WithAdditionalAnnotations(Simplifier.Annotation);
        return new FixEdit[] { new PointerRebasePlanner.OffsetEdit(declaration, keep), reacquire };
    }

    /// <summary>
    /// The one field of this object, not readonly, that the helper writes and its return reads: the
    /// address it moved to and built the ref over.
    /// </summary>
    private static IFieldSymbol? MovedField(FindingContext finding, IMethodSymbol called)
    {
        var cancellationToken = finding.CancellationToken;
        var helper = called.OriginalDefinition;
        if (!helper.ReturnsByRef
            || helper.DeclaringSyntaxReferences.Length != 1
            || helper.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax { Body: not null } method
            || Returned(method) is not RefExpressionSyntax { Expression: { } returned })
        {
            return null;
        }

        // The field read where the ref is built, after the helper moved it: not through a local of
        // the helper that may have read it before the move.
        var model = SyntaxHelpers.ModelOf(finding.Model, method.SyntaxTree);
        if (returned.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(node => model.GetSymbolInfo(node, cancellationToken).Symbol is ILocalSymbol))
        {
            return null;
        }

        var read = returned.DescendantNodesAndSelf()
            .OfType<IdentifierNameSyntax>()
            .Select(node => model.GetSymbolInfo(node, cancellationToken).Symbol)
            .OfType<IFieldSymbol>()
            .Where(field => !field.IsReadOnly && !field.IsConst && !field.IsStatic && SymbolEqualityComparer.Default.Equals(field.ContainingType, helper.ContainingType))
            .Distinct(SymbolEqualityComparer.Default)
            .Cast<IFieldSymbol>()
            .ToList();
        return read.Count == 1
               && ViewReacquirePlanner.References(model, read[0], method.Body!, cancellationToken).Any(ViewReacquirePlanner.IsWrite)
            ? read[0]
            : null;
    }

    /// <summary>The helper's returned ref rewritten at the use, over the address kept in <paramref name="addressName"/>.</summary>
    private static string? RefAgain(FindingContext finding, IMethodSymbol called, IFieldSymbol field, string addressName, int position)
    {
        var cancellationToken = finding.CancellationToken;
        var helper = called.OriginalDefinition;
        var method = (MethodDeclarationSyntax)helper.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        var returned = ((RefExpressionSyntax)Returned(method)!).Expression;
        var model = SyntaxHelpers.ModelOf(finding.Model, method.SyntaxTree);
        var typeArguments = helper.TypeParameters.Select((parameter, i) => (parameter, called.TypeArguments[i].ToMinimalDisplayString(finding.Model, position))).ToList();
        var rewriter = new Rewriter(model, finding.Semantics, method, field, addressName, typeArguments, HelperObject.This, type => type.ToMinimalDisplayString(finding.Model, position), cancellationToken);
        var rewritten = (ExpressionSyntax)rewriter.Visit(returned);
        return rewriter.Refused
               || !rewriter.ReadsMemory
               || !rewriter.ReadsAddress
               || rewriter.Members.Any(member => finding.Model.LookupSymbols(position, name: member.Name) is not { Length: 1 } seen || !SymbolEqualityComparer.Default.Equals(seen[0], member))
            ? null
            : rewritten.NormalizeWhitespace().ToFullString();
    }
}
