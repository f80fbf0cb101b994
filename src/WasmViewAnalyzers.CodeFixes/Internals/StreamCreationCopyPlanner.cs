using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A view stream in a local handed to an archive writer or a compressor (directly, or captured by
/// a write delegate or a local function that runs later) is copied where the local is created, as
/// a person writes it, rather than through its pointer at the hand-off:
/// <c>using var content = new UnmanagedMemoryStream((byte*)tile.Bytes, tile.Length);</c> becomes
/// <c>using var content = new MemoryStream(new ReadOnlySpan&lt;byte&gt;((byte*)tile.Bytes, tile.Length).ToArray());</c>
/// (see <see cref="StreamCopyPlanner.PlanCopy"/>), and a stream a helper returns is copied into a
/// <c>MemoryStream</c> under the local's name (<c>var workbookView = RenderedPart(2); var workbook =
/// new MemoryStream(); workbookView.CopyTo(workbook); workbook.Position = 0;</c>).
/// </summary>
/// <remarks>
/// The copy holds the bytes when the stream is created, the writer read them at the hand-off: the
/// same only where nothing between the two may change them, so offered only where no statement
/// between the local's declaration and the hand-off may call the guest, assign through anything
/// but a local, or hand a view or a reference to a call. The local is never assigned again, and the
/// method only reads it (a stream a helper returns: only sequential reads, which start where the
/// copy starts, and its disposal), so no one writes through it and its position at the hand-off is
/// where the copy starts. The result must compile (a member only a view stream has refuses it).
/// </remarks>
internal static class StreamCreationCopyPlanner
{
    /// <param name="finding">The finding.</param>
    /// <param name="handed">The reference to the stream that is handed over (or read by the writer in a function that captures it).</param>
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding, ExpressionSyntax handed)
    {
        var model = finding.Model;
        var symbols = finding.Semantics.Symbols;
        var cancellationToken = finding.CancellationToken;
        if (handed is not IdentifierNameSyntax
            || model.GetSymbolInfo(handed, cancellationToken).Symbol is not ILocalSymbol { IsRef: false, DeclaringSyntaxReferences.Length: 1 } stream
            || !symbols.DerivesFrom(stream.Type, symbols.Stream)
            || symbols.DerivesFrom(stream.Type, symbols.MemoryStream)
            || stream.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } created, Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: StatementSyntax declaration } }
            || SyntaxHelpers.EnclosingFunction(declaration) is not { } body
            || RunsBeforeTheHandOff(declaration, handed) is not { } before
            || ChangesWhatTheStreamViews(finding, before))
        {
            return null;
        }

        var references = ViewReacquirePlanner.References(model, stream, body, cancellationToken).ToList();
        if (references.Any(ViewReacquirePlanner.IsWrite))
        {
            return null;
        }

        // new UnmanagedMemoryStream(pointer, length): the same stream object, over a copy of the bytes.
        if (created is BaseObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: > 0 } creation
            && StreamCopyPlanner.CreationAround(model, finding.Semantics, creation.ArgumentList!.Arguments[0].Expression, cancellationToken) == creation)
        {
            return references.All(reference => reference == handed || OnlyReads(model, reference, cancellationToken))
                ? StreamCopyPlanner.PlanCopy(finding, creation)
                : null;
        }

        // A stream a call returns (which may not start at its beginning): its bytes from where it is,
        // in a MemoryStream. A Dispose the method calls would dispose the copy; that is the same only
        // for an UnmanagedMemoryStream, which holds nothing to release (a using declaration disposes both).
        if (created is not InvocationExpressionSyntax
            || declaration is not LocalDeclarationStatementSyntax { Parent: BlockSyntax block, Modifiers.Count: 0 } local
            || !references.All(reference => reference == handed || StreamLocalCopyPlanner.IsSequentialRead(model, reference, cancellationToken))
            || (!symbols.IsUnmanagedMemoryStream(stream.Type) && references.Any(IsDisposal))
            || HelperCopyPlanner.Plan(finding) is not null)
        {
            // A helper that can return a copy for every caller is fixed there (the fix offered first).
            return null;
        }

        var viewName = SyntaxHelpers.UniqueName(model, local.SpanStart, stream.Name + (stream.Name.EndsWith("View", System.StringComparison.OrdinalIgnoreCase) ? "Stream" : "View"), cancellationToken);
        var edit = new StreamLocalCopyEdit(local, stream.Name, viewName);
        return SpeculativeCompilation.Compiles(model.Compilation, new List<(SyntaxNode, SyntaxNode)> { (block, edit.Rewrite(block)) }, new[] { model.SyntaxTree }, cancellationToken)
            ? new FixEdit[] { edit }
            : null;
    }

    /// <summary>
    /// What runs after the stream is created and before it is handed over: the statements after a
    /// local declaration up to the one that holds the hand-off, and in that one (or in the body of a
    /// <c>using</c> statement that declares the stream), what comes before the hand-off.
    /// </summary>
    private static List<SyntaxNode>? RunsBeforeTheHandOff(StatementSyntax declaration, SyntaxNode handed)
    {
        List<SyntaxNode> before;
        SyntaxNode scope;
        switch (declaration)
        {
            case LocalDeclarationStatementSyntax { Parent: BlockSyntax block, AwaitKeyword.RawKind: 0 }:
                var later = block.Statements.SkipWhile(statement => statement != declaration).Skip(1).ToList();
                if (later.FirstOrDefault(statement => statement.Span.Contains(handed.Span)) is not { } handOff)
                {
                    return null;
                }

                before = later.TakeWhile(statement => statement != handOff).Cast<SyntaxNode>().ToList();
                scope = handOff;
                break;
            case UsingStatementSyntax { AwaitKeyword.RawKind: 0 } usingStatement when usingStatement.Statement.Span.Contains(handed.Span):
                before = new List<SyntaxNode>();
                scope = usingStatement.Statement;
                break;
            default:
                return null;
        }

        for (var node = handed; node != scope && node.Parent is { } parent; node = parent)
        {
            before.AddRange(parent.ChildNodes().Where(sibling => sibling.Span.End <= node.SpanStart));
        }

        return before;
    }

    /// <summary>
    /// Whether something that runs in <paramref name="before"/> may change the bytes the stream
    /// views: a guest call, an assignment through anything but a local (a pointer, an element, a
    /// member), a call given a view or a reference, an await.
    /// </summary>
    private static bool ChangesWhatTheStreamViews(FindingContext finding, List<SyntaxNode> before)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        foreach (var node in before.SelectMany(node => node.DescendantNodesAndSelf()))
        {
            switch (node)
            {
                case AssignmentExpressionSyntax assignment when !(assignment.Left is IdentifierNameSyntax && model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol is ILocalSymbol):
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } unary when unary.Operand is not IdentifierNameSyntax:
                case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix when postfix.Operand is not IdentifierNameSyntax:
                case ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword }:
                case AwaitExpressionSyntax:
                    return true;
                case ArgumentSyntax argument when MayBeAView(finding, argument.Expression):
                    return true;
            }
        }

        return before.Any(node => ViewReacquirePlanner.ContainsGuestCall(model, finding.Semantics, node, cancellationToken));
    }

    /// <summary>
    /// Whether a call given <paramref name="argument"/> may write guest memory through it: any value
    /// that can hold a view, but a stream the caller passed in (the destination a compressor is
    /// made over), which this method did not obtain from the guest.
    /// </summary>
    private static bool MayBeAView(FindingContext finding, ExpressionSyntax argument)
    {
        var symbols = finding.Semantics.Symbols;
        var type = finding.Model.GetTypeInfo(argument, finding.CancellationToken).Type;
        return finding.Semantics.Types.CanHoldView(type)
               && !(symbols.DerivesFrom(type, symbols.Stream)
                    && !symbols.IsUnmanagedMemoryStream(type)
                    && finding.Model.GetSymbolInfo(argument, finding.CancellationToken).Symbol is IParameterSymbol { RefKind: RefKind.None });
    }

    private static bool IsDisposal(IdentifierNameSyntax reference)
        => reference.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose" or "DisposeAsync" or "Close" } member && member.Expression == reference;

    /// <summary>A read of the stream a <c>MemoryStream</c> over the same bytes answers the same: not a write, nor handed to another call.</summary>
    private static bool OnlyReads(SemanticModel model, IdentifierNameSyntax reference, CancellationToken cancellationToken)
        => reference.Parent switch
        {
            MemberAccessExpressionSyntax member when member.Expression == reference
                => !member.Name.Identifier.ValueText.StartsWith("Write", System.StringComparison.Ordinal)
                   && member.Name.Identifier.ValueText is not ("SetLength" or "BeginWrite" or "EndWrite"),
            _ => false,
        };
}
