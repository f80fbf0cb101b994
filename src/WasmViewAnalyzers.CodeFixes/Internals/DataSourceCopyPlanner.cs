using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A SharpZipLib data source of the user's, declared with a primary constructor or with one
/// constructor that only keeps its parameters in readonly fields, whose <c>GetSource()</c> builds a
/// stream over guest memory from what it was given (<c>new UnmanagedMemoryStream(start, length)</c>,
/// <c>new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length)</c>): it copies those
/// bytes when it is created, and <c>GetSource()</c> returns a <c>MemoryStream</c> over the copy. A
/// pointer or address the constructor kept in a field is copied from its parameter and the field is
/// removed, where nothing else reads it: the object no longer holds a view.
/// </summary>
/// <remarks>
/// The copy is then taken where the source is built instead of where the archive reads it: offered
/// only where every <c>new</c> of the source in the compilation hands it over at once (an argument,
/// or a local handed over before anything calls the guest), so the bytes copied are the ones the
/// code meant to archive.
/// </remarks>
internal static class DataSourceCopyPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        var additional = finding.Diagnostic.AdditionalLocations;
        if (additional.Count == 0 || additional[0].SourceTree != model.SyntaxTree)
        {
            return null;
        }

        var handed = finding.Root.FindNode(additional[0].SourceSpan, getInnermostNodeForTie: true);
        var handedExpression = handed is ArgumentSyntax argument ? argument.Expression : handed as ExpressionSyntax;
        if (handedExpression is null
            || model.GetTypeInfo(handedExpression, cancellationToken).Type is not INamedTypeSymbol { TypeKind: TypeKind.Class } source
            || source.DeclaringSyntaxReferences.Length != 1
            || source.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not ClassDeclarationSyntax declaration
            || declaration.SyntaxTree != model.SyntaxTree)
        {
            return null;
        }

        // What GetSource() may read: the primary constructor's parameters, or the readonly fields the constructor keeps them in.
        var constructor = declaration.ParameterList is null ? KeepingConstructor(model, declaration, source, cancellationToken) : null;
        if (declaration.ParameterList is null && constructor is null)
        {
            return null;
        }

        var kept = constructor is null
            ? new HashSet<string>(declaration.ParameterList!.Parameters.Select(p => p.Identifier.ValueText), System.StringComparer.Ordinal)
            : new HashSet<string>(constructor.Body!.Statements.Select(s => ((IFieldSymbol)model.GetSymbolInfo(((AssignmentExpressionSyntax)((ExpressionStatementSyntax)s).Expression).Left, cancellationToken).Symbol!).Name), System.StringComparer.Ordinal);

        var getSource = declaration.Members.OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.Identifier.ValueText == "GetSource" && m.ParameterList.Parameters.Count == 0);
        var returned = getSource?.ExpressionBody?.Expression
                       ?? (getSource?.Body?.Statements is { Count: 1 } statements && statements[0] is ReturnStatementSyntax { Expression: { } only } ? only : null);
        if (returned is not BaseObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: 2 } streamArguments } creation
            || StreamCopyPlanner.CreationAround(model, finding.Semantics, streamArguments[0].Expression, cancellationToken) != creation
            || !OnlyKeptValuesAndConstants(model, creation, kept, constructor is null, cancellationToken)
            || !EveryCreationHandsItOverAtOnce(finding, source))
        {
            return null;
        }

        // The fields a constructor keeps a pointer or address in: the copy reads their parameters,
        // and they go, with their assignments, unless something else in the class reads them.
        var pointerFields = new Dictionary<IFieldSymbol, ExpressionStatementSyntax>(SymbolEqualityComparer.Default);
        var parameterOf = new Dictionary<IFieldSymbol, IdentifierNameSyntax>(SymbolEqualityComparer.Default);
        foreach (var statement in constructor?.Body!.Statements.Cast<ExpressionStatementSyntax>() ?? Enumerable.Empty<ExpressionStatementSyntax>())
        {
            var assignment = (AssignmentExpressionSyntax)statement.Expression;
            var keptField = (IFieldSymbol)model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol!;
            parameterOf[keptField] = (IdentifierNameSyntax)assignment.Right;
            if (IsPointerOrAddress(keptField.Type))
            {
                pointerFields[keptField] = statement;
            }
        }

        if (pointerFields.Count > 0 && declaration.DescendantNodes().OfType<IdentifierNameSyntax>().Any(name =>
                !creation.Span.Contains(name.Span)
                && model.GetSymbolInfo(name, cancellationToken).Symbol is IFieldSymbol field
                && pointerFields.TryGetValue(field, out var assigned)
                && !assigned.Span.Contains(name.Span)))
        {
            return null;
        }

        // private readonly byte[] _bytes = memory.GetSpan(address, length).ToArray();
        var pointer = streamArguments[0].Expression;
        var length = streamArguments[1].Expression;
        var lengthIsInt = model.GetTypeInfo(length, cancellationToken).Type?.SpecialType == SpecialType.System_Int32;
        var span = HandoverCopyPlanner.GuestSpanOf(model, pointer, length, lengthIsInt, cancellationToken)
                   ?? ObjectCreationExpression(ParseTypeName("System.ReadOnlySpan<byte>").WithAdditionalAnnotations(Simplifier.Annotation))
                       .WithArgumentList(ArgumentList(SeparatedList(new[] { Argument(pointer.WithoutTrivia()), Argument(lengthIsInt ? length.WithoutTrivia() : ParseExpression($"checked((int)({length.WithoutTrivia()}))")) })));
        var name = SyntaxHelpers.UniqueName(model, declaration.OpenBraceToken.Span.End, "_bytes", cancellationToken);
        var bytes = SyntaxHelpers.AppendCall(span, "ToArray");
        if (pointerFields.Count > 0)
        {
            bytes = bytes.ReplaceNodes(
                bytes.DescendantNodes().OfType<ExpressionSyntax>().Where(n => FieldNamed(n, pointerFields.Keys) is not null),
                (original, _) => parameterOf[FieldNamed(original, pointerFields.Keys)!].WithTriviaFrom(original));
        }

        var declarator = constructor is null ? VariableDeclarator(Identifier(name)).WithInitializer(EqualsValueClause(bytes)) : VariableDeclarator(Identifier(name));
        var field = FieldDeclaration(VariableDeclaration(ParseTypeName("byte[]"), SingletonSeparatedList(declarator)))
            .WithModifiers(TokenList(Token(SyntaxKind.PrivateKeyword), Token(SyntaxKind.ReadOnlyKeyword)))
            .WithAdditionalAnnotations(Formatter.Annotation);
        var copy = ObjectCreationExpression(ParseTypeName("System.IO.MemoryStream").WithAdditionalAnnotations(Simplifier.Annotation))
            .WithArgumentList(ParseArgumentList($"({name}, writable: false)"))
            .WithTriviaFrom(creation);

        // A constructor with a body copies the bytes last, from the fields it has just set.
        var replaced = constructor is null
            ? declaration.ReplaceNode(creation, copy)
            : declaration.ReplaceNodes(
                new SyntaxNode[] { creation, constructor.Body! },
                (original, rewritten) => original == creation
                    ? copy
                    : ((BlockSyntax)rewritten).AddStatements(ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(name), bytes)).WithAdditionalAnnotations(Formatter.Annotation)));
        var newDeclaration = replaced.WithMembers(replaced.Members.Insert(0, field));
        if (pointerFields.Count > 0)
        {
            var names = new HashSet<string>(pointerFields.Keys.Select(f => f.Name), System.StringComparer.Ordinal);
            var gone = newDeclaration.DescendantNodes().Where(n =>
                n is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: var left } } && names.Contains(FieldName(left))
                || n is FieldDeclarationSyntax { Declaration.Variables: { Count: 1 } variables } && names.Contains(variables[0].Identifier.ValueText));
            newDeclaration = newDeclaration.RemoveNodes(gone, SyntaxRemoveOptions.KeepNoTrivia)!;
        }
        if (!SpeculativeCompilation.Compiles(model.Compilation, new[] { ((SyntaxNode)declaration, (SyntaxNode)newDeclaration) }, new[] { model.SyntaxTree }, cancellationToken))
        {
            return null;
        }

        return new FixEdit[] { new ReplaceEdit(declaration, newDeclaration) };
    }

    /// <summary>
    /// The one instance constructor of <paramref name="source"/>, when its body only keeps its
    /// parameters in readonly fields of the class (<c>{ _address = address; _length = length; }</c>):
    /// what those fields hold when it returns is what <c>GetSource()</c> would read later.
    /// </summary>
    private static ConstructorDeclarationSyntax? KeepingConstructor(SemanticModel model, ClassDeclarationSyntax declaration, INamedTypeSymbol source, CancellationToken cancellationToken)
    {
        var constructors = declaration.Members.OfType<ConstructorDeclarationSyntax>().Where(c => !c.Modifiers.Any(SyntaxKind.StaticKeyword)).ToList();
        if (constructors.Count != 1
            || constructors[0] is not { Body: { Statements.Count: > 0 } body, Initializer: null } constructor)
        {
            return null;
        }

        foreach (var statement in body.Statements)
        {
            if (statement is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment }
                || model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol is not IFieldSymbol { IsReadOnly: true, IsStatic: false } field
                || !SymbolEqualityComparer.Default.Equals(field.ContainingType, source)
                || model.GetSymbolInfo(assignment.Right, cancellationToken).Symbol is not IParameterSymbol)
            {
                return null;
            }
        }

        return constructor;
    }

    /// <summary>
    /// The field of <paramref name="fields"/> that <paramref name="expression"/> is (<c>_start</c> or
    /// <c>this._start</c>), by its name: the copy is new syntax, outside the semantic model, built from
    /// GetSource()'s expression, where a simple name of a kept field can only be that field.
    /// </summary>
    private static IFieldSymbol? FieldNamed(ExpressionSyntax expression, IEnumerable<IFieldSymbol> fields)
        => expression switch
        {
            IdentifierNameSyntax name when name.Parent is not MemberAccessExpressionSyntax { Name: var member } || member != name
                => fields.FirstOrDefault(f => f.Name == name.Identifier.ValueText),
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax member }
                => fields.FirstOrDefault(f => f.Name == member.Identifier.ValueText),
            _ => null,
        };

    private static string FieldName(ExpressionSyntax target)
        => target switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var member } => member.Identifier.ValueText,
            _ => string.Empty,
        };

    private static bool IsPointerOrAddress(ITypeSymbol type)
        => type.TypeKind == TypeKind.Pointer || type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr or SpecialType.System_Int64 or SpecialType.System_UInt64;

    /// <summary>
    /// Whether <paramref name="expression"/> reads only what the constructor was given (the primary
    /// constructor's parameters, or the fields the constructor keeps its parameters in), constants and
    /// the memory they give.
    /// </summary>
    private static bool OnlyKeptValuesAndConstants(SemanticModel model, SyntaxNode expression, HashSet<string> kept, bool primary, CancellationToken cancellationToken)
        => expression.DescendantNodes().OfType<IdentifierNameSyntax>().All(name =>
            model.GetSymbolInfo(name, cancellationToken).Symbol switch
            {
                IParameterSymbol parameter => primary && kept.Contains(parameter.Name),
                IFieldSymbol { IsConst: false } field => !primary && kept.Contains(field.Name),
                INamedTypeSymbol or IMethodSymbol or IFieldSymbol { IsConst: true } => true,
                _ => false,
            });

    /// <summary>Every <c>new</c> of <paramref name="source"/> is an argument, or a local handed over before a guest call.</summary>
    private static bool EveryCreationHandsItOverAtOnce(FindingContext finding, INamedTypeSymbol source)
    {
        var compilation = finding.Model.Compilation;
        var cancellationToken = finding.CancellationToken;
        foreach (var tree in SpeculativeCompilation.Mentioning(compilation, source.Name, cancellationToken))
        {
            var model = SyntaxHelpers.ModelOf(finding.Model, tree);
            foreach (var creation in tree.GetRoot(cancellationToken).DescendantNodes().OfType<BaseObjectCreationExpressionSyntax>())
            {
                if (!SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(creation, cancellationToken).Type?.OriginalDefinition, source))
                {
                    continue;
                }

                // new Source(...).GetSource(): the bytes it copies are the ones GetSource() reads at once.
                if (creation.Parent is ArgumentSyntax
                    || creation.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetSource", Parent: InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } })
                {
                    continue;
                }

                if (creation.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                    || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol local
                    || declarator.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax block } statement)
                {
                    return false;
                }

                // The statements up to the first one that reads the local call no guest code.
                foreach (var next in block.Statements.SkipWhile(s => s != statement).Skip(1))
                {
                    if (next.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == local.Name))
                    {
                        break;
                    }

                    if (ViewReacquirePlanner.ContainsGuestCall(model, finding.Semantics, next, cancellationToken))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }
}
