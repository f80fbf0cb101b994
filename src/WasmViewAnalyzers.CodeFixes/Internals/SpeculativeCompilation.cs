using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Whether a change that reaches beyond one expression (a helper's return type, a field's type, a
/// local's declared type) still compiles: the changed trees are put into the compilation and the
/// trees that may be affected are checked for errors they did not have.
/// </summary>
internal static class SpeculativeCompilation
{
    public static bool Compiles(Compilation compilation, IReadOnlyList<(SyntaxNode Original, SyntaxNode Replacement)> replacements, IEnumerable<SyntaxTree> affected, CancellationToken cancellationToken)
        => NewErrors(compilation, replacements, affected, cancellationToken).Count == 0;

    /// <summary>
    /// Where a copy of a view stream no longer fits a slot typed <c>UnmanagedMemoryStream</c> (a
    /// private field, a local, a tuple or collection of them), the slot is typed <c>Stream</c>: the
    /// replacements extended so that the code compiles, or <see langword="null"/> when it does not.
    /// </summary>
    public static List<(SyntaxNode Original, SyntaxNode Replacement)>? RetypingStreamSlots(Compilation compilation, IReadOnlyList<(SyntaxNode Original, SyntaxNode Replacement)> replacements, IReadOnlyList<SyntaxTree> affected, CancellationToken cancellationToken)
    {
        var result = replacements.ToList();
        for (var round = 0; round < 4; round++)
        {
            var errors = NewErrors(compilation, result, affected, cancellationToken);
            if (errors.Count == 0)
            {
                return result;
            }

            var added = false;
            foreach (var (tree, span) in errors)
            {
                var model = compilation.GetSemanticModel(tree);
                var node = tree.GetRoot(cancellationToken).FindNode(span, getInnermostNodeForTie: true);
                if (SlotDeclarationAt(model, node, cancellationToken) is not { } declared)
                {
                    return null;
                }

                foreach (var name in declared.DescendantNodesAndSelf().OfType<SimpleNameSyntax>().Where(n => n.Identifier.ValueText == "UnmanagedMemoryStream"))
                {
                    var target = name.Parent is QualifiedNameSyntax qualified && qualified.Right == name ? (SyntaxNode)qualified : name;
                    if (result.All(r => r.Original != target))
                    {
                        result.Add((target, SyntaxFactory.ParseTypeName("System.IO.Stream").WithTriviaFrom(target).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation)));
                        added = true;
                    }
                }
            }

            if (!added)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>The declared type of the local or private field a failing store at <paramref name="node"/> goes to.</summary>
    private static TypeSyntax? SlotDeclarationAt(SemanticModel model, SyntaxNode node, CancellationToken cancellationToken)
    {
        foreach (var ancestor in node.AncestorsAndSelf())
        {
            // UnmanagedMemoryStream content = OpenOutput(address): the local's own declaration.
            if (ancestor is VariableDeclaratorSyntax { Initializer: { } initializer, Parent: VariableDeclarationSyntax { Type: { IsVar: false } declaredType } } declaredLocal
                && initializer.Span.Contains(node.Span)
                && model.GetDeclaredSymbol(declaredLocal, cancellationToken) is ILocalSymbol or IFieldSymbol { DeclaredAccessibility: Accessibility.Private })
            {
                return declaredType;
            }

            ExpressionSyntax? target = ancestor switch
            {
                InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } => member.Expression,
                AssignmentExpressionSyntax assignment => assignment.Left is ElementAccessExpressionSyntax element ? element.Expression : assignment.Left,
                _ => null,
            };

            if (target is null)
            {
                continue;
            }

            var symbol = model.GetSymbolInfo(target, cancellationToken).Symbol;
            if (symbol is not (ILocalSymbol or IFieldSymbol { DeclaredAccessibility: Accessibility.Private })
                || symbol.DeclaringSyntaxReferences.Length != 1
                || symbol.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Type: { } type } } declarator)
            {
                return null;
            }

            // var pending = new List<(string, UnmanagedMemoryStream)>(): the type is spelt in the creation.
            return !type.IsVar ? type : declarator.Initializer?.Value is ObjectCreationExpressionSyntax { Type: { } created } ? created : null;
        }

        return null;
    }

    private static List<(SyntaxTree Tree, Microsoft.CodeAnalysis.Text.TextSpan Span)> NewErrors(Compilation compilation, IReadOnlyList<(SyntaxNode Original, SyntaxNode Replacement)> replacements, IEnumerable<SyntaxTree> affected, CancellationToken cancellationToken)
    {
        var changed = compilation;
        var newTrees = new Dictionary<SyntaxTree, SyntaxTree>();
        foreach (var group in replacements.GroupBy(r => r.Original.SyntaxTree))
        {
            var map = group.ToDictionary(r => r.Original, r => r.Replacement);
            var root = group.Key.GetRoot(cancellationToken);
            var newRoot = root.ReplaceNodes(map.Keys, (original, _) => map[original]);
            var newTree = group.Key.WithRootAndOptions(newRoot, group.Key.Options);
            changed = changed.ReplaceSyntaxTree(group.Key, newTree);
            newTrees[group.Key] = newTree;
        }

        // An error in a changed tree is located in the new text: mapped back to the original tree, by
        // the replaced node it falls in (or, outside them, by position, which only the replaced nodes shift).
        var errors = new List<(SyntaxTree, Microsoft.CodeAnalysis.Text.TextSpan)>();
        foreach (var tree in affected.Concat(newTrees.Keys).Distinct())
        {
            var before = ErrorCount(compilation, tree, cancellationToken);
            var current = newTrees.TryGetValue(tree, out var newTree) ? newTree : tree;
            var found = changed.GetSemanticModel(current).GetDiagnostics(cancellationToken: cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (found.Count > before)
            {
                foreach (var error in found)
                {
                    errors.Add((tree, OriginalSpan(tree, current, error.Location.SourceSpan, cancellationToken)));
                }
            }
        }

        return errors;
    }

    private static Microsoft.CodeAnalysis.Text.TextSpan OriginalSpan(SyntaxTree original, SyntaxTree current, Microsoft.CodeAnalysis.Text.TextSpan span, CancellationToken cancellationToken)
    {
        if (original == current)
        {
            return span;
        }

        var shift = 0;
        foreach (var change in current.GetChanges(original).OrderBy(c => c.Span.Start))
        {
            var newStart = change.Span.Start + shift;
            if (span.Start < newStart)
            {
                break;
            }

            if (span.Start < newStart + change.NewText!.Length)
            {
                return new Microsoft.CodeAnalysis.Text.TextSpan(change.Span.Start, 0);
            }

            shift += change.NewText.Length - change.Span.Length;
        }

        var start = System.Math.Max(0, System.Math.Min(span.Start - shift, original.Length));
        return new Microsoft.CodeAnalysis.Text.TextSpan(start, System.Math.Min(span.Length, original.Length - start));
    }

    /// <summary>The trees of <paramref name="compilation"/> that mention <paramref name="name"/> (cheap, by text).</summary>
    public static IEnumerable<SyntaxTree> Mentioning(Compilation compilation, string name, CancellationToken cancellationToken)
        => compilation.SyntaxTrees.Where(tree => tree.GetText(cancellationToken).ToString().Contains(name));

    private static int ErrorCount(Compilation compilation, SyntaxTree tree, CancellationToken cancellationToken)
        => compilation.GetSemanticModel(tree).GetDiagnostics(cancellationToken: cancellationToken).Count(d => d.Severity == DiagnosticSeverity.Error);
}
