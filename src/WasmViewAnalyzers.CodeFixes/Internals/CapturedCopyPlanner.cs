using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A copy taken before the statement that creates a lambda capturing a view, which the lambda
/// then reads instead of the view: <c>ReadOnlyMemory&lt;byte&gt; payloadCopy = payload.ToArray();</c>,
/// or the value a captured pointer is read for: <c>var headerValue = header[0];</c>.
/// </summary>
internal sealed class CapturedCopy
{
    public CapturedCopy(StatementSyntax before, StatementSyntax declaration, IReadOnlyList<ExpressionSyntax> references, string copyName, SyntaxNode function, ISymbol captured)
    {
        Before = before;
        Declaration = declaration;
        References = references;
        CopyName = copyName;
        Key = (function.SpanStart, captured.Name);
    }

    public StatementSyntax Before { get; }

    public StatementSyntax Declaration { get; }

    /// <summary>The captured references (or the reads through a captured pointer) inside the lambda, each replaced by the copy.</summary>
    public IReadOnlyList<ExpressionSyntax> References { get; }

    public string CopyName { get; }

    /// <summary>One copy per lambda and captured variable, however many diagnostics point into it.</summary>
    public (int Start, string Name) Key { get; }
}

/// <summary>
/// Plans the copy of a <c>Memory&lt;T&gt;</c>/<c>ReadOnlyMemory&lt;T&gt;</c> view captured by a lambda
/// or local function that runs later (WVA002): the copy is taken where the lambda is created, keeps
/// the variable's declared type, and the lambda reads it. Refused where the lambda writes through
/// the view (a copy would drop the writes) or assigns the variable. A pointer or address has no copy
/// of its type: for a lambda queued to run once (<c>Task.Run</c>, a thread-pool item), which carries
/// work to be done with what was there, the one value it reads through the pointer (<c>*p</c>,
/// <c>p[0]</c>, <c>p-&gt;Count</c>, or the bytes the BCL reads into a string or array:
/// <c>Encoding.UTF8.GetString(p, length)</c>) is read where the lambda is created instead.
/// </summary>
internal static class CapturedCopyPlanner
{
    /// <summary>Whether <paramref name="reference"/> reads a variable captured from outside the lambda or local function it is in.</summary>
    public static bool IsCapturedReference(SemanticModel model, ExpressionSyntax reference, CancellationToken cancellationToken, out ISymbol? captured, out SyntaxNode? function)
    {
        captured = null;
        function = null;
        if (reference is not IdentifierNameSyntax
            || model.GetSymbolInfo(reference, cancellationToken).Symbol is not { Kind: SymbolKind.Local or SymbolKind.Parameter } symbol
            || symbol.DeclaringSyntaxReferences.Length != 1)
        {
            return false;
        }

        var declaration = symbol.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        function = reference.Ancestors()
            .Where(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            .LastOrDefault(n => !n.Span.Contains(declaration.Span));
        captured = symbol;
        return function is not null;
    }

    public static CapturedCopy? Plan(SemanticModel model, WasmViewSemantics semantics, ISymbol captured, SyntaxNode function, ICollection<string> taken, CancellationToken cancellationToken)
    {
        var type = captured switch
        {
            ILocalSymbol local => local.Type,
            IParameterSymbol parameter => parameter.Type,
            _ => null,
        };

        if (type is IPointerTypeSymbol || (type?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_Int64 && captured is ILocalSymbol))
        {
            return PlanPointerRead(model, captured, function, taken, cancellationToken);
        }

        // A local function can be called before the variable is assigned; a lambda is created where it stands.
        var isMemory = semantics.Symbols.IsMemoryLike(type);
        var stream = model.Compilation.GetTypeByMetadataName("System.IO.Stream");
        var isStream = !isMemory
                       && captured is ILocalSymbol
                       && semantics.Symbols.DerivesFrom(type, model.Compilation.GetTypeByMetadataName("System.IO.UnmanagedMemoryStream"))
                       && SyntaxHelpers.IsUnsafeContext(function);
        if (!(isMemory || isStream)
            || function is not AnonymousFunctionExpressionSyntax lambda
            || function.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } before)
        {
            return null;
        }

        var references = function.DescendantNodes()
            .OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == captured.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, captured))
            .ToList();
        if (references.Count == 0
            || references.Any(reference => isMemory ? !IsRead(model, reference, cancellationToken) : !IsStreamCall(model, reference, stream, cancellationToken))
            || (isStream && HandoverCopyPlanner.StreamMayBeReadAgain(model, lambda, captured, cancellationToken)))
        {
            return null;
        }

        // A stream: a MemoryStream over the bytes from its position on, typed Stream (the lambda
        // only calls Stream's members on it, which bind the same).
        var copyName = SyntaxHelpers.UniqueName(model, before.SpanStart, captured.Name + "Copy", cancellationToken, taken);
        var name = IdentifierName(captured.Name);
        var copy = isMemory
            ? SyntaxHelpers.AppendCall(name, "ToArray")
            : HandoverCopyPlanner.MemoryStreamOver(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, name, IdentifierName("PositionPointer")),
                ParseExpression($"{captured.Name}.Length - {captured.Name}.Position"),
                lengthIsInt: false);
        var declaredType = isMemory ? type!.ToMinimalDisplayString(model, before.SpanStart) : "System.IO.Stream";
        var declaration = LocalDeclarationStatement(
                VariableDeclaration(
                    ParseTypeName(declaredType).WithAdditionalAnnotations(Simplifier.Annotation),
                    SingletonSeparatedList(VariableDeclarator(Identifier(copyName)).WithInitializer(EqualsValueClause(copy)))))
            .WithAdditionalAnnotations(Formatter.Annotation);
        return new CapturedCopy(before, declaration, references, copyName, function, captured);
    }

    /// <summary>
    /// <c>var headerValue = header[0];</c> before the statement that queues the lambda, which reads
    /// it instead: where every use of the captured pointer in the lambda is the same read of a value
    /// (<c>*p</c>, <c>p[constant]</c>, <c>p-&gt;Member</c>, through a cast of an address), and the
    /// pointer is assigned nowhere but where it is declared.
    /// </summary>
    private static CapturedCopy? PlanPointerRead(SemanticModel model, ISymbol captured, SyntaxNode function, ICollection<string> taken, CancellationToken cancellationToken)
    {
        if (function is not AnonymousFunctionExpressionSyntax
            || CapturedSourcePlanner.ReadsWhenItRuns(model, function, cancellationToken)
            || function.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } before
            || SyntaxHelpers.EnclosingFunction(before) is not { } body
            || ViewReacquirePlanner.References(model, captured, body, cancellationToken).Any(ViewReacquirePlanner.IsWrite))
        {
            return null;
        }

        var reads = new List<ExpressionSyntax>();
        foreach (var reference in function.DescendantNodes().OfType<IdentifierNameSyntax>().Where(n => n.Identifier.ValueText == captured.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, captured)))
        {
            if (ValueReadThrough(model, reference, cancellationToken) is not { } read
                || (reads.Count > 0 && !read.IsEquivalentTo(reads[0], topLevel: false))
                || !InputsStayAsTheyAre(model, read, captured, function, body, cancellationToken))
            {
                return null;
            }

            reads.Add(read);
        }

        if (reads.Count == 0
            || model.GetTypeInfo(reads[0], cancellationToken).Type is not { } valueType
            || valueType.TypeKind is TypeKind.Pointer or TypeKind.Error
            || valueType.IsRefLikeType)
        {
            return null;
        }

        var copyName = SyntaxHelpers.UniqueName(model, before.SpanStart, captured.Name + "Value", cancellationToken, taken);
        var declaration = LocalDeclarationStatement(
                VariableDeclaration(
                    IdentifierName("var"),
                    SingletonSeparatedList(VariableDeclarator(Identifier(copyName)).WithInitializer(EqualsValueClause(reads[0].WithoutTrivia())))))
            .WithAdditionalAnnotations(Formatter.Annotation);
        return new CapturedCopy(before, declaration, reads, copyName, function, captured);
    }

    /// <summary>
    /// The value read through the captured pointer at <paramref name="reference"/>: <c>*p</c>,
    /// <c>p[0]</c>, <c>p-&gt;Count</c>, <c>*(int*)address</c>, or the bytes read into a new object by
    /// the BCL (<c>Encoding.UTF8.GetString(p, length)</c>, <c>Marshal.PtrToStringUTF8(address, length)</c>,
    /// <c>new string((sbyte*)p, 0, length)</c>, <c>new ReadOnlySpan&lt;byte&gt;(p, length).ToArray()</c>);
    /// none for anything else.
    /// </summary>
    private static ExpressionSyntax? ValueReadThrough(SemanticModel model, IdentifierNameSyntax reference, CancellationToken cancellationToken)
    {
        ExpressionSyntax pointer = reference;
        while (pointer.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            pointer = (ExpressionSyntax)pointer.Parent;
        }

        if (pointer.Parent is ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.None, Parent: ArgumentListSyntax { Parent: ExpressionSyntax call } }
            && BytesReadInto(model, call, cancellationToken) is { } copied)
        {
            return copied;
        }

        ExpressionSyntax? read = pointer.Parent switch
        {
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PointerIndirectionExpression } indirection => indirection,
            ElementAccessExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments } element when element.Expression == pointer
                && model.GetConstantValue(arguments[0].Expression, cancellationToken).HasValue => element,
            MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.PointerMemberAccessExpression } member when member.Expression == pointer
                && member.Parent is not InvocationExpressionSyntax => member,
            _ => null,
        };

        return read is null
               || model.GetTypeInfo(pointer, cancellationToken).Type is not IPointerTypeSymbol
               || IsWriteTarget(read)
               || read.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression }
               || (read.Parent is MemberAccessExpressionSyntax access && access.Expression == read && access.Parent is InvocationExpressionSyntax)
            ? null
            : read;
    }

    /// <summary>
    /// The expression that reads the bytes at a pointer into a new string or array, when
    /// <paramref name="call"/> is (or, for a span over them, is copied by) one of the BCL's: its
    /// value is all it does.
    /// </summary>
    private static ExpressionSyntax? BytesReadInto(SemanticModel model, ExpressionSyntax call, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol { ContainingType: { } type } method)
        {
            return null;
        }

        var typeName = type.OriginalDefinition.ToDisplayString();
        switch (call)
        {
            case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: var encoding } }
                when typeName == "System.Text.Encoding" && method.Name == "GetString" && IsStaticEncoding(model.GetSymbolInfo(encoding, cancellationToken).Symbol):
            case InvocationExpressionSyntax when typeName == "System.Runtime.InteropServices.Marshal" && method.Name.StartsWith("PtrToString", System.StringComparison.Ordinal):
            case ObjectCreationExpressionSyntax when type.SpecialType == SpecialType.System_String:
                return call;
            case ObjectCreationExpressionSyntax when typeName is "System.ReadOnlySpan<T>" or "System.Span<T>"
                                                     && call.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ToArray", Parent: InvocationExpressionSyntax toArray } member
                                                     && member.Expression == call:
                return toArray;
            default:
                return null;
        }
    }

    /// <summary>
    /// Whether everything <paramref name="read"/> reads besides the captured pointer has, where the
    /// lambda is created, the value it has when the lambda runs: constants, types, the BCL's static
    /// encodings, and locals and parameters from outside the lambda that nothing assigns.
    /// </summary>
    private static bool InputsStayAsTheyAre(SemanticModel model, ExpressionSyntax read, ISymbol captured, SyntaxNode function, SyntaxNode body, CancellationToken cancellationToken)
    {
        foreach (var name in read.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            if (name.Parent is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.PointerMemberAccessExpression } arrow && arrow.Name == name)
            {
                // p->Count: read through the pointer, which the copy is for.
                continue;
            }

            var symbol = model.GetSymbolInfo(name, cancellationToken).Symbol;
            switch (symbol)
            {
                case null:
                    return false;
                case INamespaceOrTypeSymbol or IMethodSymbol:
                case IFieldSymbol { IsConst: true }:
                case IPropertySymbol when IsStaticEncoding(symbol):
                    continue;
                case ILocalSymbol or IParameterSymbol when SymbolEqualityComparer.Default.Equals(symbol, captured):
                    continue;
                case ILocalSymbol or IParameterSymbol when symbol.DeclaringSyntaxReferences.Length == 1
                                                           && !function.Span.Contains(symbol.DeclaringSyntaxReferences[0].Span)
                                                           && !(symbol is ILocalSymbol { IsRef: true })
                                                           && !ViewReacquirePlanner.References(model, symbol, body, cancellationToken).Any(ViewReacquirePlanner.IsWrite):
                    continue;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary><c>Encoding.UTF8</c>, <c>Encoding.ASCII</c>: the same encoding each time it is read.</summary>
    private static bool IsStaticEncoding(ISymbol? symbol)
        => symbol is IPropertySymbol { IsStatic: true, ContainingType: { } type } && type.ToDisplayString() == "System.Text.Encoding";

    /// <summary>
    /// A use inside the lambda that only reads the bytes: its length, an element, its span or
    /// itself handed to a read-only parameter (<c>ReadOnlySpan&lt;T&gt;</c>, <c>ReadOnlyMemory&lt;T&gt;</c>).
    /// </summary>
    private static bool IsRead(SemanticModel model, IdentifierNameSyntax reference, CancellationToken cancellationToken)
    {
        ExpressionSyntax node = reference;
        var symbols = WasmViewAnalyzers.Engine.Knowledge.WasmSymbols.TryCreate(model.Compilation)!;
        if (node.Parent is MemberAccessExpressionSyntax member && member.Expression == node && member.Parent is not InvocationExpressionSyntax)
        {
            // Memory<T>.Length, IsEmpty and Span, not a member of the user's called the same.
            if (model.GetSymbolInfo(member, cancellationToken).Symbol is not IPropertySymbol property
                || !(symbols.IsWritableView(property.ContainingType) || symbols.IsReadOnlyView(property.ContainingType)))
            {
                return false;
            }

            switch (property.Name)
            {
                case "Length" or "IsEmpty":
                    return true;
                case "Span":
                    node = member;
                    if (node.Parent is ElementAccessExpressionSyntax element && element.Expression == node)
                    {
                        return !IsWriteTarget(element);
                    }

                    break;
                default:
                    return false;
            }
        }

        return node.Parent is ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.None } argument
               && model.GetOperation(argument, cancellationToken) is Microsoft.CodeAnalysis.Operations.IArgumentOperation { Parameter.Type: var parameterType }
               && symbols.IsReadOnlyView(parameterType);
    }

    /// <summary><c>stream.CopyTo(sink)</c>: the captured stream is the receiver of a member <c>Stream</c> declares (or overrides one).</summary>
    private static bool IsStreamCall(SemanticModel model, IdentifierNameSyntax reference, INamedTypeSymbol? stream, CancellationToken cancellationToken)
    {
        if (reference.Parent is not MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax } member
            || member.Expression != reference
            || model.GetSymbolInfo(member, cancellationToken).Symbol is not IMethodSymbol method)
        {
            return false;
        }

        while (method.OverriddenMethod is { } overridden)
        {
            method = overridden;
        }

        return SymbolEqualityComparer.Default.Equals(method.ContainingType, stream);
    }

    private static bool IsWriteTarget(ExpressionSyntax node) => node.Parent switch
    {
        AssignmentExpressionSyntax assignment => assignment.Left == node,
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } => true,
        PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } => true,
        ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None),
        RefExpressionSyntax => true,
        _ => false,
    };
}
