using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Plans the copy that replaces a value handed over (stored, queued, given to an archive writer or
/// written into a compressor): each part of it that is a view becomes a copy of the same bytes, of a
/// type the receiving slot accepts, and a call it is an argument or the receiver of still binds to
/// the same method. Refuses when no such copy exists (a bare pointer or address, an object holding
/// one, a stream that cannot be copied without reading it through).
/// </summary>
internal static class HandoverCopyPlanner
{
    /// <summary>
    /// The replacements (original expression, copy) that make <paramref name="handed"/> a copy, or
    /// <see langword="null"/> when some view in it has no compiling copy.
    /// </summary>
    public static List<(ExpressionSyntax Original, ExpressionSyntax Copy)>? Plan(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax handed, CancellationToken cancellationToken)
    {
        var replacements = new List<(ExpressionSyntax, ExpressionSyntax)>();
        return TryPlan(model, semantics, handed, replacements, cancellationToken) && replacements.Count > 0 ? replacements : null;
    }

    private static bool TryPlan(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax expression, List<(ExpressionSyntax, ExpressionSyntax)> replacements, CancellationToken cancellationToken)
    {
        var type = model.GetTypeInfo(expression, cancellationToken).Type;
        if (!semantics.Types.CanHoldView(type))
        {
            // A part that is no view (a name, a length) stays as it is.
            return true;
        }

        if (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            return TryPlan(model, semantics, parenthesized.Expression, replacements, cancellationToken);
        }

        if (expression is TupleExpressionSyntax tuple)
        {
            foreach (var element in tuple.Arguments)
            {
                if (!TryPlan(model, semantics, element.Expression, replacements, cancellationToken))
                {
                    return false;
                }
            }

            return true;
        }

        // new RenderedPage(number, content): an object that only keeps what it is given (a record's
        // positional constructor, a constructor that only assigns its parameters to members) keeps
        // a copy as well; each view among the arguments is copied, the object's type stays.
        if (expression is BaseObjectCreationExpressionSyntax { Initializer: null or { RawKind: (int)SyntaxKind.ObjectInitializerExpression } } creation
            && model.GetSymbolInfo(creation, cancellationToken).Symbol is IMethodSymbol constructor
            && OnlyStoresItsArguments(constructor, cancellationToken)
            && (creation.Initializer is null || OnlySetsMembers(model, creation.Initializer, cancellationToken)))
        {
            // new CachedValue { Bytes = view, Version = version }: the members set by the initializer
            // are kept as they are given, like the constructor's arguments.
            var before = replacements.Count;
            var values = (creation.ArgumentList?.Arguments.Select(a => (a.Expression, a.RefKindKeyword.IsKind(SyntaxKind.None))) ?? Enumerable.Empty<(ExpressionSyntax, bool)>())
                .Concat(creation.Initializer?.Expressions.Select(e => e is AssignmentExpressionSyntax { Left: IdentifierNameSyntax } member ? (member.Right, true) : (e, false)) ?? Enumerable.Empty<(ExpressionSyntax, bool)>());
            foreach (var (value, byValue) in values)
            {
                if (!byValue || !TryPlan(model, semantics, value, replacements, cancellationToken))
                {
                    return false;
                }
            }

            return replacements.Count > before;
        }

        // The receiver of a call (content.CopyTo(gzip)) has no slot type: the copy only has to bind
        // to the same method. An argument's copy has to fit the parameter and bind to the same overload.
        var call = EnclosingCall(expression, out var isReceiver);
        var target = isReceiver ? null : TargetType(model, expression, cancellationToken);
        if (!isReceiver && target is null)
        {
            return false;
        }

        foreach (var candidate in Candidates(model, semantics, expression, type!, cancellationToken))
        {
            var copyType = model.GetSpeculativeTypeInfo(expression.SpanStart, candidate, SpeculativeBindingOption.BindAsExpression).Type;
            if (copyType is not null
                && copyType.TypeKind != TypeKind.Error
                && (isReceiver || model.Compilation.ClassifyConversion(copyType, target!).IsImplicit)
                && (call is null || BindsToSameMethod(model, call, expression, candidate, cancellationToken)))
            {
                replacements.Add((expression, candidate.WithTriviaFrom(expression)));
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The call <paramref name="expression"/> is an argument or the receiver of, when a copy there
    /// could make the call bind elsewhere: another overload (<c>Keep(byte[])</c> rather than
    /// <c>Keep(ReadOnlyMemory&lt;byte&gt;)</c>), another type argument, an extension method of the
    /// view's type.
    /// </summary>
    private static ExpressionSyntax? EnclosingCall(ExpressionSyntax expression, out bool isReceiver)
    {
        var outer = expression;
        while (outer.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            outer = parenthesized;
        }

        if (outer.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax invoked } member
            && member.Expression == outer
            && invoked.Expression == member)
        {
            isReceiver = true;
            return invoked;
        }

        isReceiver = false;
        return outer.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: ExpressionSyntax call } } && call is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax
            ? call
            : null;
    }

    /// <summary>
    /// Whether <paramref name="call"/>, with <paramref name="original"/> replaced by
    /// <paramref name="copy"/>, binds to the method it binds to now. The call is rebound in its
    /// statement (or expression body, or initializer), not alone: <c>queue?.Enqueue(view)</c> and
    /// <c>new(view)</c> only bind there.
    /// </summary>
    private static bool BindsToSameMethod(SemanticModel model, ExpressionSyntax call, ExpressionSyntax original, ExpressionSyntax copy, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol before)
        {
            return false;
        }

        // A local's initializer is rebound with its declaration; an expression body or a field's
        // initializer only where no statement holds the call.
        var context = call.Ancestors().OfType<StatementSyntax>().FirstOrDefault()
                      ?? call.Ancestors().FirstOrDefault(node => node is ArrowExpressionClauseSyntax or EqualsValueClauseSyntax);
        if (context is null)
        {
            return false;
        }

        var annotation = new SyntaxAnnotation();
        var rebound = context.ReplaceNode(call, call.ReplaceNode(original, copy.WithTriviaFrom(original)).WithAdditionalAnnotations(annotation));
        SemanticModel? speculative = null;
        var speculated = rebound switch
        {
            StatementSyntax statement => model.TryGetSpeculativeSemanticModel(context.SpanStart, statement, out speculative),
            ArrowExpressionClauseSyntax body => model.TryGetSpeculativeSemanticModel(context.SpanStart, body, out speculative),
            EqualsValueClauseSyntax initializer => model.TryGetSpeculativeSemanticModel(context.SpanStart, initializer, out speculative),
            _ => false,
        };

        return speculated
               && speculative is not null
               && rebound.GetAnnotatedNodes(annotation).FirstOrDefault() is { } reboundCall
               && speculative.GetSymbolInfo(reboundCall, cancellationToken).Symbol is IMethodSymbol after
               && SymbolEqualityComparer.Default.Equals(LeastOverridden(before), LeastOverridden(after));
    }

    /// <summary>An override and the method it overrides are one method to a caller (a MemoryStream's CopyTo is a Stream's).</summary>
    private static IMethodSymbol LeastOverridden(IMethodSymbol method)
    {
        while (method.OverriddenMethod is { } overridden)
        {
            method = overridden;
        }

        return method;
    }

    /// <summary>Copies of the bytes <paramref name="expression"/> views, most natural first.</summary>
    private static IEnumerable<ExpressionSyntax> Candidates(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax expression, ITypeSymbol type, CancellationToken cancellationToken)
    {
        if (semantics.Symbols.IsMemoryLike(type))
        {
            // view.ToArray() converts to Memory<T> and ReadOnlyMemory<T>; .AsMemory() where the slot takes the memory type itself.
            var copy = SyntaxHelpers.AppendCall(expression, "ToArray");
            yield return copy;
            yield return SyntaxHelpers.AppendCall(copy, "AsMemory");
            yield break;
        }

        if (semantics.Symbols.IsSpanLike(type))
        {
            // A span is handed over only to a call that reads it at once (a compressor's Write): an array converts to either span type.
            var copy = SyntaxHelpers.AppendCall(expression, "ToArray");
            yield return copy;
            yield return SyntaxHelpers.AppendCall(copy, "AsSpan");
            yield break;
        }

        var unmanagedStream = model.Compilation.GetTypeByMetadataName("System.IO.UnmanagedMemoryStream");
        if (!semantics.Symbols.DerivesFrom(type, unmanagedStream) || !SyntaxHelpers.IsUnsafeContext(expression))
        {
            yield break;
        }

        // new UnmanagedMemoryStream(pointer, length, ...): a MemoryStream over a copy of the same bytes.
        if (expression is ObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: >= 2 } arguments }
            && model.GetSymbolInfo(expression, cancellationToken).Symbol is IMethodSymbol { Parameters: { Length: >= 2 } parameters }
            && parameters[0].Type.TypeKind == TypeKind.Pointer)
        {
            yield return MemoryStreamOverGuest(model, arguments[0].Expression, arguments[1].Expression, cancellationToken);
            yield break;
        }

        // A stream variable: the bytes from its position on, as a reader of it would see them.
        if (expression is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax or IdentifierNameSyntax }
            && !StreamMayBeReadAgain(model, expression, cancellationToken))
        {
            var remaining = ParseExpression($"{expression.WithoutTrivia()}.Length - {expression.WithoutTrivia()}.Position");
            yield return MemoryStreamOver(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, expression.WithoutTrivia(), IdentifierName("PositionPointer")),
                remaining,
                lengthIsInt: false);
        }
    }

    /// <summary>
    /// The copy of a stream variable leaves the stream where it was, where the writer would have
    /// read it to its end: the same only when nothing reads the stream again. Refused when the method
    /// uses it after the hand-off (but to dispose it), or hands it over in a loop it is not declared in
    /// (each turn would get all the bytes, where the writer shares one position).
    /// </summary>
    private static bool StreamMayBeReadAgain(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken)
        => model.GetSymbolInfo(expression, cancellationToken).Symbol is not { } stream || StreamMayBeReadAgain(model, expression, stream, cancellationToken);

    /// <summary>The same for <paramref name="stream"/> handed over at <paramref name="expression"/> (a lambda that captures it).</summary>
    internal static bool StreamMayBeReadAgain(SemanticModel model, ExpressionSyntax expression, ISymbol stream, CancellationToken cancellationToken)
    {
        var body = expression.Ancestors().FirstOrDefault(node => node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or PropertyDeclarationSyntax or CompilationUnitSyntax);
        if (body is null)
        {
            return true;
        }

        var declaredIn = stream.DeclaringSyntaxReferences.Select(reference => reference.Span).ToList();
        foreach (var loop in expression.Ancestors().TakeWhile(node => node != body))
        {
            if (SyntaxHelpers.IsLoop(loop)
                && !declaredIn.Any(span => loop.Span.Contains(span)))
            {
                return true;
            }
        }

        foreach (var name in body.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (name.SpanStart > expression.Span.End
                && name.Identifier.ValueText == stream.Name
                && !IsDisposal(model, name, cancellationToken)
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, stream))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDisposal(SemanticModel model, IdentifierNameSyntax name, CancellationToken cancellationToken)
    {
        SyntaxNode reference = name.Parent is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } qualified && qualified.Name == name ? qualified : name;
        return reference.Parent switch
        {
            MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax } access
                => access.Expression == reference
                   && model.GetSymbolInfo(access, cancellationToken).Symbol is IMethodSymbol method
                   && WasmViewAnalyzers.Engine.Knowledge.WasmSymbols.TryCreate(model.Compilation)?.Effects.IsDisposal(method) == true,
            UsingStatementSyntax @using => @using.Expression == reference,
            _ => false,
        };
    }

    /// <summary><c>new MemoryStream(new ReadOnlySpan&lt;byte&gt;(pointer, length).ToArray())</c>.</summary>
    internal static ExpressionSyntax MemoryStreamOver(ExpressionSyntax pointer, ExpressionSyntax length, bool lengthIsInt)
    {
        var intLength = lengthIsInt
            ? length.WithoutTrivia()
            : CheckedExpression(SyntaxKind.CheckedExpression, CastExpression(PredefinedType(Token(SyntaxKind.IntKeyword)), ParenthesizedExpression(length.WithoutTrivia()).WithAdditionalAnnotations(Simplifier.Annotation)));
        var span = ObjectCreationExpression(ParseTypeName("System.ReadOnlySpan<byte>").WithAdditionalAnnotations(Simplifier.Annotation))
            .WithArgumentList(ArgumentList(SeparatedList(new[] { Argument(pointer.WithoutTrivia()), Argument(intLength) })));
        return ObjectCreationExpression(ParseTypeName("System.IO.MemoryStream").WithAdditionalAnnotations(Simplifier.Annotation))
            .WithArgumentList(ArgumentList(SingletonSeparatedList(Argument(SyntaxHelpers.AppendCall(span, "ToArray")))));
    }

    /// <summary>
    /// A copy of the <paramref name="length"/> bytes at <paramref name="pointer"/> in a
    /// <c>MemoryStream</c>, written the way a person would: <c>new MemoryStream(memory.GetSpan(address,
    /// length).ToArray())</c> where the pointer is <c>memory.GetPointer() + address</c>, else over a
    /// span at the pointer.
    /// </summary>
    internal static ExpressionSyntax MemoryStreamOverGuest(SemanticModel model, ExpressionSyntax pointer, ExpressionSyntax length, CancellationToken cancellationToken)
    {
        var lengthIsInt = model.GetTypeInfo(length, cancellationToken).Type?.SpecialType == SpecialType.System_Int32;
        if (GuestSpanOf(model, pointer, length, lengthIsInt, cancellationToken) is { } span)
        {
            return ObjectCreationExpression(ParseTypeName("System.IO.MemoryStream").WithAdditionalAnnotations(Simplifier.Annotation))
                .WithArgumentList(ArgumentList(SingletonSeparatedList(Argument(SyntaxHelpers.AppendCall(span, "ToArray")))));
        }

        return MemoryStreamOver(pointer, length, lengthIsInt);
    }

    /// <summary><c>memory.GetSpan(address, length)</c> for a pointer written <c>(byte*)memory.GetPointer() + address</c> (or <c>memory.GetPointer()</c> alone).</summary>
    internal static ExpressionSyntax? GuestSpanOf(SemanticModel model, ExpressionSyntax pointer, ExpressionSyntax length, bool lengthIsInt, CancellationToken cancellationToken)
    {
        var operation = model.GetOperation(pointer, cancellationToken)?.WalkDownConversions();
        ExpressionSyntax? offset = null;
        if (operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum)
        {
            offset = sum.RightOperand.WalkDownConversions().Syntax as ExpressionSyntax;
            operation = sum.LeftOperand.WalkDownConversions();
        }

        if (operation is not IInvocationOperation { TargetMethod.Name: "GetPointer", Instance: { } memory, Syntax: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } } getPointer
            || WasmViewAnalyzers.Engine.Knowledge.WasmSymbols.TryCreate(model.Compilation) is not { } symbols
            || !symbols.IsWasmtimeType(getPointer.TargetMethod.ContainingType, symbols.Memory)
            || (offset is not null && model.GetTypeInfo(offset, cancellationToken).Type?.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32)))
        {
            return null;
        }

        var intLength = lengthIsInt
            ? length.WithoutTrivia()
            : CheckedExpression(SyntaxKind.CheckedExpression, CastExpression(PredefinedType(Token(SyntaxKind.IntKeyword)), ParenthesizedExpression(length.WithoutTrivia()).WithAdditionalAnnotations(Simplifier.Annotation)));
        return InvocationExpression(
            MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, access.Expression.WithoutTrivia(), IdentifierName("GetSpan")),
            ArgumentList(SeparatedList(new[] { Argument(offset?.WithoutTrivia() ?? LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0))), Argument(intLength) })));
    }

    /// <summary>The type the slot receiving <paramref name="expression"/> takes (a parameter, a field, a tuple element).</summary>
    private static ITypeSymbol? TargetType(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken)
    {
        var outer = expression;
        while (outer.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            outer = parenthesized;
        }

        if (outer.Parent is ArgumentSyntax { Parent: TupleExpressionSyntax tuple } element
            && model.GetTypeInfo(tuple, cancellationToken).ConvertedType is INamedTypeSymbol { IsTupleType: true } tupleType)
        {
            var index = tuple.Arguments.IndexOf(element);
            return index < tupleType.TupleElements.Length ? tupleType.TupleElements[index].Type : null;
        }

        var info = model.GetTypeInfo(outer, cancellationToken);
        return info.ConvertedType ?? info.Type;
    }

    /// <summary>Whether each member an initializer sets is a field or an auto-property of the object, which keeps what it is given.</summary>
    private static bool OnlySetsMembers(SemanticModel model, InitializerExpressionSyntax initializer, CancellationToken cancellationToken)
        => initializer.Expressions.All(e => e is AssignmentExpressionSyntax { Left: IdentifierNameSyntax member }
                                            && model.GetSymbolInfo(member, cancellationToken).Symbol switch
                                            {
                                                IFieldSymbol => true,
                                                IPropertySymbol { SetMethod: { } setter } => setter.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is AccessorDeclarationSyntax { Body: null, ExpressionBody: null }),
                                                _ => false,
                                            });

    /// <summary>
    /// A record's positional constructor, or a constructor of the compilation whose body only assigns
    /// its parameters to fields or properties: the object holds exactly what it was given.
    /// </summary>
    private static bool OnlyStoresItsArguments(IMethodSymbol constructor, CancellationToken cancellationToken)
    {
        if (constructor.IsImplicitlyDeclared && constructor.Parameters.IsEmpty && constructor.ContainingType.Locations.Any(l => l.IsInSource))
        {
            // The constructor C# gives a type that declares none: it sets nothing it is given.
            return true;
        }

        if (constructor.MethodKind != MethodKind.Constructor || constructor.DeclaringSyntaxReferences.Length != 1)
        {
            return false;
        }

        switch (constructor.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken))
        {
            case RecordDeclarationSyntax:
                return true;
            case ConstructorDeclarationSyntax { Initializer: null } declaration:
                var statements = declaration.Body?.Statements.Select(statement => (statement as ExpressionStatementSyntax)?.Expression)
                                 ?? new[] { declaration.ExpressionBody?.Expression };
                return statements.All(expression => expression is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Right: IdentifierNameSyntax parameter } assignment
                                                    && assignment.Left is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }
                                                    && constructor.Parameters.Any(p => p.Name == parameter.Identifier.ValueText));
            default:
                return false;
        }
    }
}
