using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Options;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Applies the edits of one fix, or of one document of a Fix All, to a document: all on one
/// editor, then once what they ask for (the runtime library's namespace, types spelt out where
/// <c>var</c> would change meaning), simplified and formatted the way the file itself is indented.
/// </summary>
internal static class FixApplier
{
    public const string RuntimeNamespace = "WasmViewAnalyzers.Runtime";

    /// <summary>Marks a <c>var</c> whose local becomes an array: its original type, spelt out where the array breaks the member.</summary>
    public const string ExplicitTypeAnnotationKind = "WasmViewAnalyzers.ExplicitType";

    /// <summary>Applies <paramref name="edits"/>, each to the document of its tree.</summary>
    public static async Task<Solution> ApplyAsync(Solution solution, IReadOnlyList<FixEdit> edits, CancellationToken cancellationToken)
    {
        foreach (var group in edits.GroupBy(edit => edit.Tree))
        {
            if (solution.GetDocument(group.Key) is not { } document)
            {
                continue;
            }

            var changed = await ApplyAsync(document, group.ToList(), cancellationToken).ConfigureAwait(false);
            solution = changed.Project.Solution;
        }

        return solution;
    }

    private static async Task<Document> ApplyAsync(Document document, IReadOnlyList<FixEdit> edits, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var application = new FixApplication(model!);
        foreach (var edit in edits)
        {
            edit.Apply(editor, application);
        }

        var changed = editor.GetChangedDocument();
        if (application.NeedsRuntimeImport)
        {
            changed = await AddRuntimeImportAsync(changed, cancellationToken).ConfigureAwait(false);
        }

        changed = await SpellOutTypesWhereVarBreaksAsync(document, changed, cancellationToken).ConfigureAwait(false);
        changed = await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        var indentation = await IndentationOfAsync(document, cancellationToken).ConfigureAwait(false);
        changed = await Formatter.FormatAsync(changed, Formatter.Annotation, indentation, cancellationToken).ConfigureAwait(false);

        // The code action's own clean-up formats what is still annotated, and elastic trivia, with
        // the workspace's options, which know nothing of the file's tabs: parsed again from its
        // text (not incrementally, which would keep the annotated nodes), the document keeps what
        // is formatted here.
        changed = await ReparsedAsync(changed, cancellationToken).ConfigureAwait(false);
        return changed;
    }

    private static async Task<Document> ReparsedAsync(Document document, CancellationToken cancellationToken)
    {
        var tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
        if (tree is null)
        {
            return document;
        }

        var text = await tree.GetTextAsync(cancellationToken).ConfigureAwait(false);
        var fresh = CSharpSyntaxTree.ParseText(text, (CSharpParseOptions)tree.Options, tree.FilePath, cancellationToken);
        return document.WithSyntaxRoot(await fresh.GetRootAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Whether the project references the runtime companion library (for the lease fix).</summary>
    public static bool HasRuntimeLibrary(Compilation compilation)
        => compilation.GetTypeByMetadataName(RuntimeNamespace + ".LeaseExtensions") is not null;

    /// <summary>
    /// The options the formatter needs to indent inserted code as the file is indented, when no
    /// <c>.editorconfig</c> says how: tabs in a tab-indented file, its own width of spaces otherwise.
    /// </summary>
    private static async Task<OptionSet?> IndentationOfAsync(Document document, CancellationToken cancellationToken)
    {
        var tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
        if (tree is null || document.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue("indent_style", out _))
        {
            return null;
        }

        var text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        var tabs = 0;
        var spaces = 0;
        var smallest = int.MaxValue;
        foreach (var line in text.Lines)
        {
            var content = line.ToString();
            if (content.Length == 0 || content.Trim().Length == 0)
            {
                continue;
            }

            if (content[0] == '\t')
            {
                tabs++;
            }
            else if (content[0] == ' ')
            {
                spaces++;
                var width = content.Length - content.TrimStart(' ').Length;
                if (width >= 2 && content.TrimStart(' ')[0] != '*')
                {
                    smallest = System.Math.Min(smallest, width);
                }
            }
        }

        var options = await document.GetOptionsAsync(cancellationToken).ConfigureAwait(false);
        if (tabs > spaces)
        {
            return options.WithChangedOption(FormattingOptions.UseTabs, true);
        }

        return spaces > 0 && smallest is >= 2 and <= 8
            ? options.WithChangedOption(FormattingOptions.UseTabs, false).WithChangedOption(FormattingOptions.IndentationSize, smallest).WithChangedOption(FormattingOptions.TabSize, smallest)
            : null;
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
            var newLine = SyntaxHelpers.EndOfLine(root);
            directive = directive.WithTrailingTrivia(newLine, newLine);
            return document.WithSyntaxRoot(root.WithUsings(usings.Add(directive)).WithLeadingTrivia(root.GetLeadingTrivia()));
        }

        return document.WithSyntaxRoot(root.WithUsings(usings.Insert(index, directive.WithTrailingTrivia(SyntaxHelpers.EndOfLine(root)))));
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
