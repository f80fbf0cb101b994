using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>Small syntax helpers the fixes share.</summary>
internal static class SyntaxHelpers
{
    /// <summary><c>var name = value;</c>, or <c>Type name = value;</c> where the value needs its target type.</summary>
    public static LocalDeclarationStatementSyntax LocalDeclaration(string name, ExpressionSyntax value, TypeSyntax? type = null)
        => LocalDeclarationStatement(VariableDeclaration(type ?? IdentifierName("var"), SingletonSeparatedList(VariableDeclarator(Identifier(name)).WithInitializer(EqualsValueClause(value.WithoutTrivia())))));

    /// <summary><c>expression.method()</c>, parenthesized where the receiver needs it.</summary>
    public static ExpressionSyntax AppendCall(ExpressionSyntax expression, string method)
    {
        var receiver = expression.WithoutTrivia();
        if (receiver is not (InvocationExpressionSyntax or MemberAccessExpressionSyntax or ObjectCreationExpressionSyntax or ElementAccessExpressionSyntax or IdentifierNameSyntax or ParenthesizedExpressionSyntax))
        {
            receiver = ParenthesizedExpression(receiver).WithAdditionalAnnotations(Simplifier.Annotation);
        }

        return InvocationExpression(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, IdentifierName(method)))
            .WithTriviaFrom(expression);
    }

    /// <summary>The document's own line ending, so that inserted lines match the file.</summary>
    public static SyntaxTrivia EndOfLine(SyntaxNode root)
    {
        foreach (var trivia in root.DescendantTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia;
            }
        }

        return ElasticCarriageReturnLineFeed;
    }

    /// <summary>
    /// The semantic model of <paramref name="tree"/>: <paramref name="model"/> itself where it is that
    /// tree's, otherwise one of the same compilation (a helper declared in another file).
    /// </summary>
    public static SemanticModel ModelOf(SemanticModel model, SyntaxTree tree)
        => tree == model.SyntaxTree ? model : model.Compilation.GetSemanticModel(tree);

    /// <summary>The whitespace a statement is indented with.</summary>
    public static SyntaxTriviaList Indentation(SyntaxNode statement)
    {
        var leading = statement.GetLeadingTrivia();
        var last = leading.Count > 0 ? leading[leading.Count - 1] : default;
        return last.IsKind(SyntaxKind.WhitespaceTrivia) ? TriviaList(last) : TriviaList();
    }

    /// <summary>The line ending after a statement (the file's own where it has none).</summary>
    public static SyntaxTrivia EndOfLineAfter(SyntaxNode statement)
    {
        foreach (var trivia in statement.GetTrailingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia;
            }
        }

        return EndOfLine(statement.SyntaxTree.GetRoot());
    }

    /// <summary>A name free at <paramref name="position"/>, and not among <paramref name="taken"/> (names the same Fix All declares).</summary>
    public static string UniqueName(SemanticModel? model, int position, string baseName, CancellationToken cancellationToken, ICollection<string>? taken = null)
    {
        if (model is null)
        {
            return baseName;
        }

        var name = baseName;
        for (var suffix = 2; model.LookupSymbols(position, name: name).Length > 0 || DeclaredLater(model, position, name, cancellationToken) || taken?.Contains(name) == true; suffix++)
        {
            name = baseName + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }

    private static bool DeclaredLater(SemanticModel model, int position, string name, CancellationToken cancellationToken)
    {
        var root = model.SyntaxTree.GetRoot(cancellationToken);
        var token = root.FindToken(position);
        var scope = token.Parent?.FirstAncestorOrSelf<SyntaxNode>(n => n is BlockSyntax or TypeDeclarationSyntax or CompilationUnitSyntax);
        return scope is not null && scope.DescendantNodes().Any(n => DeclaredName(n) == name);
    }

    /// <summary>
    /// The local name <paramref name="node"/> declares, of every form whose scope a new local of the same name
    /// in an enclosing block would clash with (CS0136): variables, <c>foreach</c> variables, pattern and
    /// <c>out var</c> designations, <c>catch</c> variables, local functions and query range variables.
    /// </summary>
    private static string? DeclaredName(SyntaxNode node) => node switch
    {
        VariableDeclaratorSyntax variable => variable.Identifier.ValueText,
        ForEachStatementSyntax forEach => forEach.Identifier.ValueText,
        SingleVariableDesignationSyntax designation => designation.Identifier.ValueText,
        CatchDeclarationSyntax catchDeclaration => catchDeclaration.Identifier.ValueText,
        LocalFunctionStatementSyntax localFunction => localFunction.Identifier.ValueText,
        FromClauseSyntax from => from.Identifier.ValueText,
        LetClauseSyntax let => let.Identifier.ValueText,
        JoinClauseSyntax join => join.Identifier.ValueText,
        JoinIntoClauseSyntax into => into.Identifier.ValueText,
        QueryContinuationSyntax continuation => continuation.Identifier.ValueText,
        _ => null,
    };

    /// <summary>Whether <paramref name="node"/> is in <c>unsafe</c> code.</summary>
    public static bool IsUnsafeContext(SyntaxNode node)
    {
        for (var current = node; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case UnsafeStatementSyntax:
                    return true;
                case MemberDeclarationSyntax member when member.Modifiers.Any(SyntaxKind.UnsafeKeyword):
                    return true;
                case LocalFunctionStatementSyntax localFunction when localFunction.Modifiers.Any(SyntaxKind.UnsafeKeyword):
                    return true;
            }
        }

        return false;
    }

    /// <summary>A statement whose body runs again: <c>while</c>, <c>do</c>, <c>for</c>, <c>foreach</c> (and <c>await foreach</c>).</summary>
    public static bool IsLoop(SyntaxNode node) => node is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax;

    /// <summary>The method, accessor, lambda or local function whose body holds <paramref name="node"/>.</summary>
    public static SyntaxNode? EnclosingFunction(SyntaxNode node)
        => node.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or ArrowExpressionClauseSyntax { Parent: BasePropertyDeclarationSyntax } or CompilationUnitSyntax);
}
