using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>A node replaced by another: the handed value by its copy, a type by another, a lambda given a body.</summary>
internal sealed class ReplaceEdit : FixEdit
{
    private readonly SyntaxNode _original;
    private readonly SyntaxNode _replacement;

    public ReplaceEdit(SyntaxNode original, SyntaxNode replacement)
    {
        _original = original;
        _replacement = replacement;
    }

    public override string Key => "replace:" + _original.SpanStart + ":" + _original.Span.Length;

    public override TextSpan Span => _original.Span;

    public override SyntaxTree Tree => _original.SyntaxTree;

    public override void Apply(DocumentEditor editor, FixApplication application)
        => editor.ReplaceNode(_original, _replacement.WithAdditionalAnnotations(Formatter.Annotation));
}

/// <summary>A copy declared before the statement that creates a lambda, which the lambda reads instead of the view (<see cref="CapturedCopy"/>).</summary>
internal sealed class CapturedCopyEdit : FixEdit
{
    private readonly CapturedCopy _copy;

    public CapturedCopyEdit(CapturedCopy copy)
    {
        _copy = copy;
    }

    public override string Key => "captured:" + _copy.Key.Start + ":" + _copy.Key.Name;

    public override TextSpan Span => new(_copy.Before.SpanStart, 0);

    public override SyntaxTree Tree => _copy.Before.SyntaxTree;

    public override void Apply(DocumentEditor editor, FixApplication application)
    {
        // Two copies of one Fix All before the same scope need two names.
        var name = _copy.CopyName;
        var declaration = _copy.Declaration;
        if (!application.DeclaredNamesAt(_copy.Before).Add(name))
        {
            name = SyntaxHelpers.UniqueName(application.Model, _copy.Before.SpanStart, _copy.CopyName, default, application.DeclaredNamesAt(_copy.Before));
            application.DeclaredNamesAt(_copy.Before).Add(name);
            var declarator = declaration.DescendantNodes().OfType<VariableDeclaratorSyntax>().First();
            declaration = declaration.ReplaceNode(declarator, declarator.WithIdentifier(Identifier(name)));
        }

        editor.InsertBefore(_copy.Before, declaration.WithLeadingTrivia(_copy.Before.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia))));
        foreach (var reference in _copy.References)
        {
            editor.ReplaceNode(reference, IdentifierName(name).WithTriviaFrom(reference));
        }
    }
}
