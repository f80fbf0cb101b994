using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A view stream of any type (<c>Stream</c> from an interface, a backend's <c>Open</c>, a stream of
/// the user's over guest memory) handed to a writer that reads it later: its bytes are copied into
/// a <c>MemoryStream</c> right before the hand-off, which gets the copy, as a person writes it:
/// <code>
/// var contentCopy = new MemoryStream();
/// content.CopyTo(contentCopy);
/// contentCopy.Position = 0;
/// zip.AddEntry(name, contentCopy);
/// </code>
/// The writer would have read the stream from its position on; the copy holds those bytes. A stream
/// a call returns there goes into a local first; a stream wrapped where it is handed over
/// (<c>_reader = new BinaryReader(output)</c>) is copied, and the wrapper made over the copy.
/// </summary>
/// <remarks>
/// The stream is read to its end where the copy is made: offered only where nothing reads it after
/// the hand-off but its disposal, where a variable handed over is handed over once (not a stream
/// declared outside a loop and handed on each turn), where a call that returns it runs exactly once
/// with the statement and nothing the statement evaluates before it may call the guest or write a
/// variable, and where the copy compiles and binds as the stream did.
/// </remarks>
internal static class StreamHandoffCopyPlanner
{
    /// <param name="finding">The finding.</param>
    /// <param name="handed">The stream handed over.</param>
    /// <param name="delegateHandedOver">
    /// A write delegate handed to the writer that reads <paramref name="handed"/> when it runs
    /// (<c>(name, output) =&gt; content.CopyTo(output)</c>): the copy goes before its statement.
    /// </param>
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding, ExpressionSyntax handed, AnonymousFunctionExpressionSyntax? delegateHandedOver = null)
    {
        var model = finding.Model;
        var symbols = finding.Semantics.Symbols;
        var cancellationToken = finding.CancellationToken;

        // _reader = new BinaryReader(output): the stream a reader or writer of the BCL wraps is the one copied.
        if (handed is BaseObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: > 0 } creation
            && creation.ArgumentList!.Arguments[0].Expression is IdentifierNameSyntax wrapped
            && finding.Diagnostic.Properties.TryGetValue(Engine.FindingProperties.View, out var viewName)
            && wrapped.Identifier.ValueText == viewName)
        {
            handed = wrapped;
        }

        var type = model.GetTypeInfo(handed, cancellationToken).Type;
        var handOff = (ExpressionSyntax?)delegateHandedOver ?? handed;
        if (!symbols.DerivesFrom(type, symbols.Stream)
            || symbols.DerivesFrom(type, symbols.MemoryStream)
            || handOff.FirstAncestorOrSelf<StatementSyntax>() is not { } statement
            || statement.Parent is not (BlockSyntax or SwitchSectionSyntax)
            || statement is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 }
            || !StreamCallCopyPlanner.RunsOnceWithTheStatement(handOff, statement))
        {
            return null;
        }

        bool hoisted;
        switch (handed)
        {
            case IdentifierNameSyntax name when model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol or IParameterSymbol:
                if (!HandedOnceAndOnlyDisposedAfter(model, name, statement, cancellationToken))
                {
                    return null;
                }

                hoisted = false;
                break;

            case InvocationExpressionSyntax call when !StreamCallCopyPlanner.EarlierEffects(finding, call, statement):
                hoisted = true;
                break;

            default:
                return null;
        }

        var edit = new StreamHandoffCopyEdit(statement, handed, hoisted, BaseName(model, handed, cancellationToken));
        var names = edit.NamesIn(model, new HashSet<string>(System.StringComparer.Ordinal), cancellationToken);
        var list = statement.Parent!;
        var rewritten = list.ReplaceNode(statement, edit.Statements(names).Append(statement.ReplaceNode(handed, edit.CopyReference(names))));
        return SpeculativeCompilation.Compiles(model.Compilation, new List<(SyntaxNode, SyntaxNode)> { (list, rewritten) }, new[] { model.SyntaxTree }, cancellationToken)
               && StreamCallCopyPlanner.SameBinding(model, handed, cancellationToken)
            ? new FixEdit[] { edit }
            : null;
    }

    /// <summary>
    /// Whether the variable is read after the hand-off only to be disposed, and the hand-off is not
    /// made on each turn of a loop the variable is declared outside of (the copy would read the
    /// stream to its end on the first turn).
    /// </summary>
    private static bool HandedOnceAndOnlyDisposedAfter(SemanticModel model, IdentifierNameSyntax name, StatementSyntax statement, CancellationToken cancellationToken)
    {
        var variable = model.GetSymbolInfo(name, cancellationToken).Symbol!;
        if (variable.DeclaringSyntaxReferences.Length != 1 || SyntaxHelpers.EnclosingFunction(statement) is not { } body)
        {
            return false;
        }

        var declaration = variable.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        foreach (var loop in statement.Ancestors().TakeWhile(node => node != body))
        {
            if (loop is ForStatementSyntax or ForEachStatementSyntax or ForEachVariableStatementSyntax or WhileStatementSyntax or DoStatementSyntax
                && !loop.Span.Contains(declaration.Span))
            {
                return false;
            }
        }

        foreach (var reference in body.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (reference.SpanStart <= statement.Span.End
                || reference.Identifier.ValueText != name.Identifier.ValueText
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(reference, cancellationToken).Symbol, variable))
            {
                continue;
            }

            // content.Dispose(): releasing the stream reads nothing of it.
            if (reference.Parent is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose" or "DisposeAsync" or "Close", Parent: InvocationExpressionSyntax } member
                || member.Expression != reference)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>content</c> for a variable; for a call, what it opens (<c>report</c> for <c>ReportStream(n)</c>).</summary>
    private static string BaseName(SemanticModel model, ExpressionSyntax handed, CancellationToken cancellationToken)
        => handed is IdentifierNameSyntax name ? name.Identifier.ValueText : StreamCallCopyPlanner.NameFor(model, (InvocationExpressionSyntax)handed, cancellationToken);
}

/// <summary>Copies a view stream into a <c>MemoryStream</c> before the statement that hands it over (<see cref="StreamHandoffCopyPlanner"/>).</summary>
internal sealed class StreamHandoffCopyEdit : FixEdit
{
    private readonly StatementSyntax _statement;
    private readonly ExpressionSyntax _handed;
    private readonly bool _hoisted;
    private readonly string _baseName;

    public StreamHandoffCopyEdit(StatementSyntax statement, ExpressionSyntax handed, bool hoisted, string baseName)
    {
        _statement = statement;
        _handed = handed;
        _hoisted = hoisted;
        _baseName = baseName;
    }

    public override string Key => "stream-handoff:" + _handed.SpanStart;

    public override TextSpan Span => _handed.Span;

    public override SyntaxTree Tree => _handed.SyntaxTree;

    /// <summary>The name of the stream (a local made for a call's stream, or the variable handed) and of its copy.</summary>
    public (string Source, string Copy) NamesIn(SemanticModel model, ICollection<string> taken, CancellationToken cancellationToken)
    {
        var position = _statement.SpanStart;
        var source = _hoisted ? SyntaxHelpers.UniqueName(model, position, _baseName, cancellationToken, taken) : ((IdentifierNameSyntax)_handed).Identifier.ValueText;
        if (_hoisted)
        {
            taken.Add(source);
        }

        var copy = SyntaxHelpers.UniqueName(model, position, source + "Copy", cancellationToken, taken);
        taken.Add(copy);
        return (source, copy);
    }

    public IEnumerable<StatementSyntax> Statements((string Source, string Copy) names)
    {
        var indentation = SyntaxHelpers.Indentation(_statement);
        var endOfLine = SyntaxHelpers.EndOfLineAfter(_statement);
        var statements = new List<StatementSyntax>();
        if (_hoisted)
        {
            statements.Add(SyntaxHelpers.LocalDeclaration(names.Source, _handed));
        }

        statements.AddRange(CopyIntoMemoryStream(names.Source, names.Copy));
        return statements.Select(statement => statement.WithLeadingTrivia(indentation).WithTrailingTrivia(endOfLine).WithAdditionalAnnotations(Formatter.Annotation));
    }

    /// <summary>
    /// <c>var copy = new MemoryStream(); source.CopyTo(copy); copy.Position = 0;</c>: the bytes of the
    /// stream <paramref name="source"/> names, from its position on, in a stream of the host's own.
    /// </summary>
    public static StatementSyntax[] CopyIntoMemoryStream(string source, string copy)
        => new StatementSyntax[]
        {
            SyntaxHelpers.LocalDeclaration(copy, ObjectCreationExpression(ParseTypeName("System.IO.MemoryStream").WithAdditionalAnnotations(Simplifier.Annotation)).WithArgumentList(ArgumentList())),
            ExpressionStatement(InvocationExpression(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(source), IdentifierName("CopyTo")),
                ArgumentList(SingletonSeparatedList(Argument(IdentifierName(copy)))))),
            ExpressionStatement(AssignmentExpression(
                SyntaxKind.SimpleAssignmentExpression,
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(copy), IdentifierName("Position")),
                LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0)))),
        };

    public ExpressionSyntax CopyReference((string Source, string Copy) names) => IdentifierName(names.Copy).WithTriviaFrom(_handed);

    public override void Apply(DocumentEditor editor, FixApplication application)
    {
        var names = NamesIn(application.Model, application.DeclaredNamesAt(_statement), default);
        editor.InsertBefore(_statement, Statements(names));
        editor.ReplaceNode(_handed, CopyReference(names));
    }
}
