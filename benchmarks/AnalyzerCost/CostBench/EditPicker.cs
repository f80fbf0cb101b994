using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace CostBench;

/// <summary>
/// Chooses the edits of <see cref="EditorLatency"/>: a random file, a random line among the
/// statement lines of its method bodies, and a keystroke-sized change that keeps the code compiling:
/// a digit of a numeric literal, a space before the statement, or a comment at the end of the line
/// (added, or removed where an earlier edit added it). The same seed gives the same edits.
/// </summary>
internal sealed class EditPicker
{
    private const string Comment = " // edited";

    private readonly Random _random;

    public EditPicker(int seed)
    {
        _random = new Random(seed);
    }

    /// <summary>The next edit: which of <paramref name="trees"/> it changes, the change, and what it does in words.</summary>
    public (int Document, TextChange Change, string Description) Next(IReadOnlyList<SyntaxTree> trees)
    {
        var document = _random.Next(trees.Count);
        var tree = trees[document];
        var root = tree.GetRoot();
        var text = tree.GetText();
        var lines = BodyLines(root, text);
        if (lines.Count == 0)
        {
            throw new InvalidOperationException($"{tree.FilePath} has no method body to edit");
        }

        var number = lines[_random.Next(lines.Count)];
        var line = text.Lines[number];
        var content = line.ToString();
        var literals = root.DescendantTokens(line.Span)
            .Where(t => t.IsKind(SyntaxKind.NumericLiteralToken) && line.Span.Contains(t.Span) && t.Text.All(char.IsAsciiDigit))
            .ToList();

        var kinds = literals.Count > 0 ? 3 : 2;
        var where = $"line {number + 1}";
        switch (_random.Next(kinds))
        {
            case 0:
                var indentation = content.Length - content.TrimStart().Length;
                return (document, new TextChange(new TextSpan(line.Start + indentation, 0), " "), $"{where}: space");
            case 1:
                return content.EndsWith(Comment, StringComparison.Ordinal)
                    ? (document, new TextChange(new TextSpan(line.End - Comment.Length, Comment.Length), string.Empty), $"{where}: comment removed")
                    : (document, new TextChange(new TextSpan(line.End, 0), Comment), $"{where}: comment");
            default:
                // The last digit moves to the next one, 9 to 1: never a new zero (a constant divisor stays non-zero).
                var literal = literals[_random.Next(literals.Count)];
                var last = literal.Text[^1];
                var digit = last == '9' ? '1' : (char)(last + 1);
                return (document, new TextChange(new TextSpan(literal.Span.End - 1, 1), digit.ToString()), $"{where}: {literal.Text} → {literal.Text[..^1]}{digit}");
        }
    }

    /// <summary>The lines on which a statement of a method, constructor, accessor or local function body starts.</summary>
    private static List<int> BodyLines(SyntaxNode root, SourceText text)
        => root.DescendantNodes()
            .OfType<StatementSyntax>()
            .Where(s => s is not BlockSyntax && s.Ancestors().Any(a => a is BlockSyntax { Parent: BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax }))
            .Select(s => text.Lines.GetLineFromPosition(s.SpanStart).LineNumber)
            .Distinct()
            .Order()
            .ToList();
}
