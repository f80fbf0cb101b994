using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Applies copy plans to a document: one diagnostic (the light-bulb fix) or many (Fix All), with
/// each acquisition copied once however many stale uses it has.
/// </summary>
internal static class ViewCopyRewriter
{
    public const string RuntimeNamespace = "WasmViewAnalyzers.Runtime";

    private const string ExplicitTypeAnnotationKind = "WasmViewAnalyzers.ExplicitType";

    /// <summary>Whether the project references the runtime companion library (for the lease fix).</summary>
    public static bool HasRuntimeLibrary(Compilation compilation)
        => compilation.GetTypeByMetadataName(RuntimeNamespace + ".LeaseExtensions") is not null;

    public static async Task<ImmutableArray<CopyPlan>> PlanAsync(Document document, IEnumerable<Diagnostic> diagnostics, CopyStrategy strategy, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || (strategy == CopyStrategy.Lease && !HasRuntimeLibrary(model.Compilation)))
        {
            return ImmutableArray<CopyPlan>.Empty;
        }

        // One engine for all the diagnostics of a Fix All, so its caches serve them all.
        var semantics = WasmViewAnalyzers.Engine.CompilationViewAnalysis.For(model.Compilation, document.Project.AnalyzerOptions).Semantics;
        if (semantics is null)
        {
            return ImmutableArray<CopyPlan>.Empty;
        }

        var plans = new Dictionary<TextSpanKey, CopyPlan>();
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree)
            {
                continue;
            }

            var span = diagnostic.AdditionalLocations[0].SourceSpan;
            var acquisition = root.FindNode(span, getInnermostNodeForTie: true);
            while (acquisition.Span != span && acquisition.Parent is not null && acquisition.Parent.Span == span)
            {
                acquisition = acquisition.Parent;
            }

            if (acquisition is ArgumentSyntax or ExpressionSyntax
                && ViewCopyPlanner.Plan(model, semantics, acquisition, strategy, cancellationToken) is { } plan
                && !plans.ContainsKey(plan.Key))
            {
                plans.Add(plan.Key, plan);
            }
        }

        return plans.Values.ToImmutableArray();
    }

    public static async Task<Document> ApplyAsync(Document document, ImmutableArray<CopyPlan> plans, CancellationToken cancellationToken)
    {
        if (plans.IsEmpty)
        {
            return document;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var needsRuntimeImport = false;
        foreach (var plan in plans)
        {
            switch (plan)
            {
                case { CopyPoint: { } copyPoint, Strategy: CopyStrategy.ToArray }:
                    editor.ReplaceNode(copyPoint, (node, _) => AppendCall((ExpressionSyntax)node, "ToArray"));
                    if (plan.Declarator?.Parent is VariableDeclarationSyntax { Type.IsVar: true } declaration && plan.LocalType is not null && model is not null)
                    {
                        var explicitType = plan.LocalType.ToMinimalDisplayString(model, declaration.SpanStart);
                        editor.ReplaceNode(declaration.Type, (node, _) => node.WithAdditionalAnnotations(new SyntaxAnnotation(ExplicitTypeAnnotationKind, explicitType)));
                    }

                    break;

                case { CopyPoint: { } copyPoint, Declarator: { } declarator, Strategy: CopyStrategy.Lease }:
                    needsRuntimeImport = true;
                    ApplyLeaseDeclaration(editor, copyPoint, declarator, model, cancellationToken);
                    break;

                case { Anchor: { } anchor, OutLocal: { } local }:
                    needsRuntimeImport |= plan.Strategy == CopyStrategy.Lease;
                    ApplyOutCopy(editor, anchor, local, plan.Strategy, plan.InsertIntoThen, model, cancellationToken);
                    break;
            }
        }

        var changed = editor.GetChangedDocument();
        if (needsRuntimeImport)
        {
            changed = await AddRuntimeImportAsync(changed, cancellationToken).ConfigureAwait(false);
        }

        changed = await SpellOutTypesWhereVarBreaksAsync(document, changed, cancellationToken).ConfigureAwait(false);
        changed = await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    internal static ExpressionSyntax AppendCall(ExpressionSyntax expression, string method)
    {
        var receiver = expression.WithoutTrivia();
        if (receiver is not (InvocationExpressionSyntax or MemberAccessExpressionSyntax or ObjectCreationExpressionSyntax or ElementAccessExpressionSyntax or IdentifierNameSyntax or ParenthesizedExpressionSyntax))
        {
            receiver = ParenthesizedExpression(receiver).WithAdditionalAnnotations(Simplifier.Annotation);
        }

        return InvocationExpression(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, IdentifierName(method)))
            .WithTriviaFrom(expression);
    }

    private static void ApplyLeaseDeclaration(DocumentEditor editor, ExpressionSyntax copyPoint, VariableDeclaratorSyntax declarator, SemanticModel? model, CancellationToken cancellationToken)
    {
        var declaration = (VariableDeclarationSyntax)declarator.Parent!;
        var statement = (LocalDeclarationStatementSyntax)declaration.Parent!;
        var name = declarator.Identifier.ValueText;
        var leaseName = UniqueName(model, statement.SpanStart, name + "Lease", cancellationToken);

        // using var outputLease = <view>.LeaseCopy();
        var leaseStatement = LocalDeclarationStatement(
                VariableDeclaration(
                    IdentifierName("var"),
                    SingletonSeparatedList(VariableDeclarator(Identifier(leaseName))
                        .WithInitializer(EqualsValueClause(AppendCall(copyPoint.WithoutTrivia(), "LeaseCopy"))))))
            .WithUsingKeyword(Token(SyntaxKind.UsingKeyword))
            .WithLeadingTrivia(statement.GetLeadingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);

        // var output = outputLease.Span;
        var viewStatement = statement
            .ReplaceNode(copyPoint, MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(leaseName), IdentifierName("Span")).WithTriviaFrom(copyPoint))
            .WithAdditionalAnnotations(Formatter.Annotation);

        editor.InsertBefore(statement, leaseStatement);
        editor.ReplaceNode(statement, viewStatement);
    }

    private static void ApplyOutCopy(DocumentEditor editor, StatementSyntax anchor, string local, CopyStrategy strategy, bool insertIntoThen, SemanticModel? model, CancellationToken cancellationToken)
    {
        var statements = new List<StatementSyntax>();
        if (strategy == CopyStrategy.Lease)
        {
            // using var spanLease = span.LeaseCopy(); span = spanLease.Span;
            var leaseName = UniqueName(model, anchor.SpanStart, local + "Lease", cancellationToken);
            statements.Add(ParseStatement($"using var {leaseName} = {local}.LeaseCopy();"));
            statements.Add(ParseStatement($"{local} = {leaseName}.Span;"));
        }
        else
        {
            // span = span.ToArray();
            statements.Add(ParseStatement($"{local} = {local}.ToArray();"));
        }

        var newLine = EndOfLine(anchor.SyntaxTree.GetRoot(cancellationToken));
        var annotated = statements.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation).WithTrailingTrivia(newLine)).ToArray();
        if (insertIntoThen && anchor is IfStatementSyntax ifStatement)
        {
            editor.ReplaceNode(ifStatement.Statement, (node, _) =>
            {
                var block = node as BlockSyntax ?? Block((StatementSyntax)node);
                return block.WithStatements(block.Statements.InsertRange(0, annotated)).WithAdditionalAnnotations(Formatter.Annotation);
            });
            return;
        }

        if (anchor.Parent is GlobalStatementSyntax global)
        {
            editor.InsertAfter(global, annotated.Select(s => (SyntaxNode)GlobalStatement(s)));
            return;
        }

        editor.InsertAfter(anchor, annotated);
    }

    /// <summary>The document's own line ending, so that inserted lines match the file.</summary>
    private static SyntaxTrivia EndOfLine(SyntaxNode root)
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

    /// <summary>A name free at <paramref name="position"/>, and not among <paramref name="taken"/> (names the same Fix All declares).</summary>
    internal static string UniqueName(SemanticModel? model, int position, string baseName, CancellationToken cancellationToken, ICollection<string>? taken = null)
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
        var scope = token.Parent?.FirstAncestorOrSelf<SyntaxNode>(n => n is BlockSyntax or CompilationUnitSyntax);
        return scope is not null && scope.DescendantNodes().OfType<VariableDeclaratorSyntax>().Any(v => v.Identifier.ValueText == name);
    }

    private static async Task<Document> AddRuntimeImportAsync(Document document, CancellationToken cancellationToken)
    {
        if (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root
            || root.Usings.Any(u => u.Name?.ToString() == RuntimeNamespace)
            || root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Usings.Any(u => u.Name?.ToString() == RuntimeNamespace)))
        {
            return document;
        }

        var directive = UsingDirective(ParseName(RuntimeNamespace)).WithAdditionalAnnotations(Formatter.Annotation);
        var usings = root.Usings;
        var index = 0;
        while (index < usings.Count
               && usings[index].StaticKeyword.IsKind(SyntaxKind.None)
               && usings[index].Alias is null
               && ImportOrder(usings[index].Name?.ToString()) < 0)
        {
            index++;
        }

        if (usings.Count == 0)
        {
            var newLine = EndOfLine(root);
            directive = directive.WithTrailingTrivia(newLine, newLine);
            return document.WithSyntaxRoot(root.WithUsings(usings.Add(directive)).WithLeadingTrivia(root.GetLeadingTrivia()));
        }

        return document.WithSyntaxRoot(root.WithUsings(usings.Insert(index, directive.WithTrailingTrivia(EndOfLine(root)))));
    }

    /// <summary>System namespaces first, then alphabetical, as the IDE sorts them.</summary>
    private static int ImportOrder(string? name)
    {
        if (name is null)
        {
            return -1;
        }

        var isSystem = name == "System" || name.StartsWith("System.", System.StringComparison.Ordinal);
        return isSystem ? -1 : System.StringComparer.OrdinalIgnoreCase.Compare(name, RuntimeNamespace);
    }

    /// <summary>
    /// <c>var view = memory.GetSpan(..).ToArray()</c> makes <c>view</c> an array: fine for indexing
    /// and most reads, but <c>view.Slice(..)</c> and span-only APIs no longer compile. Where the
    /// copy introduces errors into a member, spell the original span type out instead.
    /// </summary>
    private static async Task<Document> SpellOutTypesWhereVarBreaksAsync(Document original, Document changed, CancellationToken cancellationToken)
    {
        var root = await changed.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return changed;
        }

        var annotated = root.GetAnnotatedNodes(ExplicitTypeAnnotationKind).ToList();
        if (annotated.Count == 0)
        {
            return changed;
        }

        var before = await ErrorCountsByMemberAsync(original, cancellationToken).ConfigureAwait(false);
        var after = await ErrorCountsByMemberAsync(changed, cancellationToken).ConfigureAwait(false);
        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var node in annotated)
        {
            var member = MemberKey(node);
            after.TryGetValue(member, out var errorsAfter);
            before.TryGetValue(member, out var errorsBefore);
            if (errorsAfter > errorsBefore)
            {
                var typeName = node.GetAnnotations(ExplicitTypeAnnotationKind).First().Data!;
                replacements[node] = ParseTypeName(typeName).WithTriviaFrom(node).WithAdditionalAnnotations(Simplifier.Annotation);
            }
        }

        return replacements.Count == 0
            ? changed
            : changed.WithSyntaxRoot(root.ReplaceNodes(replacements.Keys, (node, _) => replacements[node]));
    }

    private static async Task<Dictionary<string, int>> ErrorCountsByMemberAsync(Document document, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>();
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null)
        {
            return counts;
        }

        foreach (var diagnostic in model.GetDiagnostics(cancellationToken: cancellationToken))
        {
            if (diagnostic.Severity != DiagnosticSeverity.Error)
            {
                continue;
            }

            var key = MemberKey(root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true));
            counts.TryGetValue(key, out var count);
            counts[key] = count + 1;
        }

        return counts;
    }

    /// <summary>A position-independent name for the member containing <paramref name="node"/>.</summary>
    private static string MemberKey(SyntaxNode node)
    {
        var member = node.FirstAncestorOrSelf<SyntaxNode>(n => n is MemberDeclarationSyntax and not BaseTypeDeclarationSyntax and not BaseNamespaceDeclarationSyntax and not GlobalStatementSyntax || n is CompilationUnitSyntax);
        var parts = new List<string>();
        for (var current = member; current is not null; current = current.Parent)
        {
            parts.Add(current switch
            {
                MethodDeclarationSyntax method => method.Identifier.ValueText + method.ParameterList.Parameters.Count,
                BaseTypeDeclarationSyntax type => type.Identifier.ValueText,
                PropertyDeclarationSyntax property => property.Identifier.ValueText,
                ConstructorDeclarationSyntax constructor => ".ctor" + constructor.ParameterList.Parameters.Count,
                _ => current.Kind().ToString(),
            });
        }

        return string.Join("/", parts);
    }
}
