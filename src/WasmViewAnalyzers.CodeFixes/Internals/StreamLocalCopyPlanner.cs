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
/// A view stream a helper of the user's returns into a local (<c>using var report =
/// _sym.ReportStream(length);</c>), read on, itself or through a reader made over it, after a guest
/// call: its bytes are copied into a <c>MemoryStream</c> right where it is obtained, and the local
/// is the copy from there on, as a person writes it:
/// <code>
/// using var reportView = _sym.ReportStream(length);
/// using var report = new MemoryStream();
/// reportView.CopyTo(report);
/// report.Position = 0;
/// </code>
/// Every read, and every reader made over it, then reads the bytes that were there when the helper
/// returned, in the same order.
/// </summary>
/// <remarks>
/// For a helper whose stream cannot be created again (it calls the guest or allocates) or is not
/// a <c>new UnmanagedMemoryStream</c> the copy where it is created can rewrite. Offered where the
/// local is declared by the helper's call alone and never assigned again, where it is only read
/// sequentially (<c>Read</c>, <c>ReadByte</c>, <c>CopyTo</c>...) or wrapped by a
/// <c>StreamReader</c> or <c>BinaryReader</c> (its <c>Position</c>, <c>Length</c> and seeks would
/// count from where the copy starts), and where the guest is not expected to write what is read
/// (the host wrote through the view before the call, or the call is given what it came from).
/// </remarks>
internal static class StreamLocalCopyPlanner
{
    private static readonly HashSet<string> SequentialMembers = new()
    {
        "Read", "ReadByte", "ReadExactly", "ReadAtLeast", "ReadAsync", "ReadExactlyAsync", "ReadAtLeastAsync",
        "CopyTo", "CopyToAsync", "CanRead", "Dispose", "DisposeAsync", "Close",
    };

    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { InvalidatedBy: not null } facts
            || facts.Acquisition.Syntax is not InvocationExpressionSyntax acquisition
            || acquisition.SyntaxTree != model.SyntaxTree
            || acquisition.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
            || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1 }
            || declarator.Parent.Parent is not LocalDeclarationStatementSyntax { Parent: BlockSyntax block, Modifiers.Count: 0, AwaitKeyword.RawKind: 0 } declaration
            || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol { IsRef: false } stream
            || !IsStream(stream.Type)
            || model.GetSymbolInfo(acquisition, cancellationToken).Symbol is not IMethodSymbol { MethodKind: MethodKind.Ordinary, DeclaringSyntaxReferences.Length: > 0 }
            || finding.Location is not ExpressionSyntax use
            || SyntaxHelpers.EnclosingFunction(declaration) is not { } function
            || SyntaxHelpers.EnclosingFunction(use) != function
            || !ViewReacquirePlanner.References(model, stream, function, cancellationToken).All(reference => IsSequentialRead(model, reference, cancellationToken))
            || block.Statements.SkipWhile(statement => statement != declaration).Skip(1).FirstOrDefault() is not { } next
            || ReadBeforeCallPlanner.GuestMayWriteWhatIsRead(model, finding.Semantics, facts, use, use, next, function, cancellationToken))
        {
            return null;
        }

        var viewName = SyntaxHelpers.UniqueName(model, declaration.SpanStart, stream.Name + "View", cancellationToken);
        return new FixEdit[] { new StreamLocalCopyEdit(declaration, stream.Name, viewName) };
    }

    private static bool IsStream(ITypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current is { Name: "Stream", ContainingNamespace: { Name: "IO", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A sequential read of the stream, its disposal, or a <c>StreamReader</c>/<c>BinaryReader</c> made over it.</summary>
    internal static bool IsSequentialRead(SemanticModel model, IdentifierNameSyntax reference, CancellationToken cancellationToken)
    {
        if (ViewReacquirePlanner.IsWrite(reference))
        {
            return false;
        }

        return reference.Parent switch
        {
            MemberAccessExpressionSyntax member when member.Expression == reference => SequentialMembers.Contains(member.Name.Identifier.ValueText),
            ArgumentSyntax { RefKindKeyword.RawKind: 0, Parent: ArgumentListSyntax { Parent: BaseObjectCreationExpressionSyntax creation } arguments } argument
                => arguments.Arguments[0] == argument
                   && model.GetTypeInfo(creation, cancellationToken).Type is { Name: "StreamReader" or "BinaryReader", ContainingNamespace: { Name: "IO", ContainingNamespace.Name: "System" } },
            _ => false,
        };
    }
}

/// <summary>The declaration renamed to the view, then the copy under the local's own name (<see cref="StreamLocalCopyPlanner"/>, <see cref="StreamCreationCopyPlanner"/>).</summary>
internal sealed class StreamLocalCopyEdit : FixEdit
{
    private readonly LocalDeclarationStatementSyntax _declaration;
    private readonly string _name;
    private readonly string _viewName;

    public StreamLocalCopyEdit(LocalDeclarationStatementSyntax declaration, string name, string viewName)
    {
        _declaration = declaration;
        _name = name;
        _viewName = viewName;
    }

    public override string Key => "stream-local-copy:" + _declaration.SpanStart;

    public override TextSpan Span => _declaration.Span;

    public override SyntaxTree Tree => _declaration.SyntaxTree;

    public override void Apply(DocumentEditor editor, FixApplication application)
    {
        var statements = Statements();
        editor.InsertAfter(_declaration, statements.Skip(1));
        editor.ReplaceNode(_declaration, statements[0]);
    }

    /// <summary><paramref name="block"/> with the edit made, to compile before it is offered.</summary>
    public BlockSyntax Rewrite(BlockSyntax block)
    {
        var index = block.Statements.IndexOf(_declaration);
        return block.WithStatements(block.Statements.RemoveAt(index).InsertRange(index, Statements()));
    }

    /// <summary>The declaration of the view, then the copy's declaration and the statements that fill it.</summary>
    private StatementSyntax[] Statements()
    {
        var indentation = SyntaxHelpers.Indentation(_declaration);
        var endOfLine = SyntaxHelpers.EndOfLineAfter(_declaration);
        var declarator = _declaration.Declaration.Variables[0];
        var view = _declaration.ReplaceNode(declarator, declarator.WithIdentifier(Identifier(_viewName).WithTriviaFrom(declarator.Identifier)));
        var statements = StreamHandoffCopyEdit.CopyIntoMemoryStream(_viewName, _name);
        statements[0] = ((LocalDeclarationStatementSyntax)statements[0])
            .WithUsingKeyword(_declaration.UsingKeyword.IsKind(SyntaxKind.None) ? default : Token(SyntaxKind.UsingKeyword).WithTrailingTrivia(Space));
        var copies = statements.Select(statement => statement
            .WithLeadingTrivia(indentation)
            .WithTrailingTrivia(endOfLine)
            .WithAdditionalAnnotations(Formatter.Annotation, Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation));
        return copies.Prepend(view).ToArray();
    }
}
