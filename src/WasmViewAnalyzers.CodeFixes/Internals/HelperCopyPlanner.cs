using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Copy in the helper: where a view comes from a helper of the user's
/// (<c>Stream OpenOutput(int address, int length) =&gt; new UnmanagedMemoryStream(...)</c>,
/// <c>ReadOnlyMemory&lt;byte&gt; Preview(...) =&gt; new PreviewMemory(...).Memory</c>, a record built
/// over one), the helper returns a copy instead, and every caller gets the host's own bytes. The
/// return type stays where a copy fits it (a memory, a span, a record of them); a view stream
/// becomes a <c>MemoryStream</c> over a copy, and then the helper's return type changes too, which
/// is offered only for a helper no other assembly can call, whose callers all still compile.
/// </summary>
/// <remarks>
/// Not offered for a helper that overrides or implements another member, returns by <c>ref</c>,
/// returns a view already stale (the copy would copy stale bytes), or returns a writable view
/// (<c>Span&lt;T&gt;</c>, <c>Memory&lt;T&gt;</c>) that a caller may write through: the writes must
/// reach guest memory.
/// </remarks>
internal static class HelperCopyPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        if (finding.Facts is not { AcquisitionKind: AcquisitionKind.Helper } facts)
        {
            return null;
        }

        var helper = facts.Acquisition switch
        {
            IInvocationOperation invocation => invocation.TargetMethod,
            IPropertyReferenceOperation property => property.Property.GetMethod,
            _ => null,
        };

        if (helper is null || !IsPlainMember(helper))
        {
            return null;
        }

        helper = (helper.ReducedFrom ?? helper).OriginalDefinition;
        var compilation = finding.Model.Compilation;
        if (helper.DeclaringSyntaxReferences.Length != 1
            || helper.DeclaringSyntaxReferences[0].GetSyntax(finding.CancellationToken) is not { } declaration
            || !compilation.ContainsSyntaxTree(declaration.SyntaxTree)
            || ReturnedExpressions(declaration) is not { Count: > 0 } returned)
        {
            return null;
        }

        var model = SyntaxHelpers.ModelOf(finding.Model, declaration.SyntaxTree);
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        var replacements = new List<(SyntaxNode Original, SyntaxNode Replacement)>();
        var writable = false;
        var streamReturned = false;
        foreach (var expression in returned)
        {
            if (finding.IsReadStale(expression))
            {
                return null;
            }

            var type = model.GetTypeInfo(expression, cancellationToken).Type;
            if (semantics.Symbols.IsSpanLike(type) || semantics.Symbols.IsMemoryLike(type))
            {
                writable |= semantics.Symbols.IsWritableView(helper.ReturnType);
                replacements.Add((expression, SyntaxHelpers.AppendCall(expression, "ToArray")));
                continue;
            }

            if (expression is BaseObjectCreationExpressionSyntax creation
                && StreamCopyPlanner.CreationAround(model, semantics, creation.ArgumentList?.Arguments.FirstOrDefault()?.Expression ?? creation, cancellationToken) == creation)
            {
                var arguments = creation.ArgumentList!.Arguments;
                replacements.Add((expression, HandoverCopyPlanner.MemoryStreamOverGuest(model, arguments[0].Expression, arguments[1].Expression, cancellationToken).WithTriviaFrom(expression)));
                streamReturned = true;
                continue;
            }

            if (HandoverCopyPlanner.Plan(model, semantics, expression, cancellationToken) is not { } copies)
            {
                return null;
            }

            foreach (var (original, copy) in copies)
            {
                writable |= semantics.Symbols.IsWritableView(model.GetTypeInfo(original, cancellationToken).ConvertedType);
                replacements.Add((original, copy));
            }
        }

        // A helper typed to return the view stream returns the MemoryStream now: only where no
        // other assembly calls it, and every caller still compiles.
        if (streamReturned && semantics.Symbols.IsUnmanagedMemoryStream(helper.ReturnType))
        {
            if (IsVisibleOutside(helper) || ReturnTypeSyntax(declaration) is not { } returnType)
            {
                return null;
            }

            replacements.Add((returnType, ParseTypeName("System.IO.MemoryStream").WithTriviaFrom(returnType).WithAdditionalAnnotations(Simplifier.Annotation)));
            if (SpeculativeCompilation.RetypingStreamSlots(compilation, replacements, SpeculativeCompilation.Mentioning(compilation, helper.Name, cancellationToken).ToList(), cancellationToken) is not { } compiling)
            {
                return null;
            }

            replacements = compiling;
        }

        // The copy is what every caller reads from now on: wrong where a caller reads what the guest
        // writes there later (a shadow stack's slot whose address the guest is given), and where a
        // caller's writes must reach the guest. Judged over all callers alike, so that every finding
        // of one helper is offered the same fix (Fix All combines them).
        if ((writable && IsVisibleOutside(helper)) || CallerMayChangeWhatItReads(finding, helper, writable))
        {
            return null;
        }

        return replacements.Select(r => (FixEdit)new ReplaceEdit(r.Original, r.Replacement)).ToList();
    }

    /// <summary>
    /// Copy in the iterator: a helper that yields read-only memories over guest memory
    /// (<c>IEnumerable&lt;ReadOnlyMemory&lt;byte&gt;&gt; DecodePages(...)</c>, async too) yields a copy of
    /// each (<c>yield return Output().ToArray();</c>), made when it is handed out, so a caller that
    /// keeps the elements past the next guest call (<c>DecodePages(p).ToList()</c>) keeps the host's
    /// own bytes, and every caller still compiles: the element type does not change.
    /// </summary>
    /// <remarks>
    /// Not offered where the element type is writable (a caller's writes must reach the guest), for a
    /// helper that overrides or implements another member, for an element already stale where it is
    /// yielded, or where a guest call between the element's acquisition and this use is given what
    /// the element was obtained from: there the use reads the guest's output, which a copy does not.
    /// </remarks>
    public static IReadOnlyList<FixEdit>? PlanIterator(FindingContext finding)
    {
        if (finding.Facts is not { AcquisitionKind: AcquisitionKind.Helper, Acquisition: IInvocationOperation { TargetMethod: { } called }, InvalidatedBy: not null } facts
            || !IsPlainMember(called)
            || (called.ReducedFrom ?? called).OriginalDefinition is not { DeclaringSyntaxReferences.Length: 1 } helper
            || helper.ReturnType is not INamedTypeSymbol { TypeArguments.Length: 1 } sequence
            || !finding.Semantics.Symbols.IsReadOnlyView(sequence.TypeArguments[0])
            || finding.Semantics.Symbols.IsSpanLike(sequence.TypeArguments[0])
            || helper.DeclaringSyntaxReferences[0].GetSyntax(finding.CancellationToken) is not { } declaration
            || !finding.Model.Compilation.ContainsSyntaxTree(declaration.SyntaxTree)
            || YieldedExpressions(declaration) is not { Count: > 0 } yielded
            || ReadsGuestOutput(finding, facts))
        {
            return null;
        }

        var model = SyntaxHelpers.ModelOf(finding.Model, declaration.SyntaxTree);
        var edits = new List<FixEdit>();
        foreach (var expression in yielded)
        {
            if (finding.IsReadStale(expression)
                || !finding.Semantics.Symbols.IsMemoryLike(model.GetTypeInfo(expression, finding.CancellationToken).Type)
                || MayBeStaleWhenYielded(model, finding.Semantics, expression, finding.CancellationToken))
            {
                return null;
            }

            edits.Add(new ReplaceEdit(expression, SyntaxHelpers.AppendCall(expression, "ToArray")));
        }

        return edits;
    }

    /// <summary>
    /// Whether a view local the yielded value reads was obtained before a guest call of the iterator
    /// (<c>var record = RecordAt(0); reset(); yield return record;</c>): the copy would be of what
    /// the guest left there. Only a local declared in the yield's own block, with no guest call
    /// between, is known fresh.
    /// </summary>
    private static bool MayBeStaleWhenYielded(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax yielded, CancellationToken cancellationToken)
    {
        var yieldStatement = yielded.FirstAncestorOrSelf<StatementSyntax>();
        foreach (var name in yielded.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            // An index or an offset holds no view; a pointer, an address or a span does.
            if (model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol local
                || !(semantics.Symbols.IsMemoryLike(local.Type) || semantics.Symbols.IsSpanLike(local.Type) || local.Type is IPointerTypeSymbol || local.Type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr))
            {
                continue;
            }

            if (local.DeclaringSyntaxReferences.Length != 1
                || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken).FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax block } declaration
                || yieldStatement?.Parent != block)
            {
                return true;
            }

            var between = block.Statements.SkipWhile(statement => statement != declaration).Skip(1).TakeWhile(statement => statement != yieldStatement);
            if (between.Any(statement => GuestCallFinder.Contains(model, semantics, statement, cancellationToken))
                || ViewReacquirePlanner.References(model, local, block, cancellationToken).Any(reference => ViewReacquirePlanner.IsWrite(reference)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the stale use reads what a guest call after the acquisition wrote: a copy made where
    /// the element is handed out would not have it. Unknown (the use in another function) counts as yes.
    /// </summary>
    private static bool ReadsGuestOutput(FindingContext finding, FindingFacts facts)
        => finding.Location is not ExpressionSyntax use
           || facts.Acquisition.Syntax.FirstAncestorOrSelf<StatementSyntax>() is not { } obtained
           || SyntaxHelpers.EnclosingFunction(obtained) is not { } function
           || SyntaxHelpers.EnclosingFunction(use) != function
           || ReadBeforeCallPlanner.GuestMayWriteWhatIsRead(finding.Model, finding.Semantics, facts, use, use, obtained, function, finding.CancellationToken, copiedPerElement: true);

    /// <summary>The expressions an iterator's body yields (outside nested functions); none for a method that is no iterator.</summary>
    private static List<ExpressionSyntax>? YieldedExpressions(SyntaxNode declaration)
    {
        var body = declaration switch
        {
            BaseMethodDeclarationSyntax method => method.Body,
            AccessorDeclarationSyntax accessor => accessor.Body,
            LocalFunctionStatementSyntax local => local.Body,
            _ => null,
        };

        return body?.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax)
            .OfType<YieldStatementSyntax>()
            .Where(statement => statement.IsKind(SyntaxKind.YieldReturnStatement) && statement.Expression is not null)
            .Select(statement => statement.Expression!)
            .ToList();
    }

    /// <summary>A method or property getter of the compilation that is its own: not virtual, not an override or an interface's.</summary>
    private static bool IsPlainMember(IMethodSymbol method)
        => method.MethodKind is MethodKind.Ordinary or MethodKind.PropertyGet or MethodKind.LocalFunction
           && !method.IsVirtual && !method.IsAbstract && !method.IsOverride
           && !method.ReturnsByRef && !method.ReturnsByRefReadonly
           && method.ExplicitInterfaceImplementations.IsEmpty
           && (method.AssociatedSymbol is not IPropertySymbol property || property.ExplicitInterfaceImplementations.IsEmpty)
           && !ImplementsInterface(method);

    private static bool ImplementsInterface(IMethodSymbol method)
        => method.ContainingType is { } type
           && type.AllInterfaces.SelectMany(i => i.GetMembers()).Any(member => SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method)
                                                                                 || (method.AssociatedSymbol is { } associated && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), associated)));

    /// <summary>The expressions the helper's body returns (its expression body, its return statements outside nested functions).</summary>
    private static List<ExpressionSyntax>? ReturnedExpressions(SyntaxNode declaration)
    {
        var expressionBody = declaration switch
        {
            BaseMethodDeclarationSyntax method => method.ExpressionBody,
            AccessorDeclarationSyntax accessor => accessor.ExpressionBody,
            LocalFunctionStatementSyntax local => local.ExpressionBody,
            ArrowExpressionClauseSyntax arrow => arrow,
            _ => null,
        };

        if (expressionBody is not null)
        {
            return new List<ExpressionSyntax> { expressionBody.Expression };
        }

        var body = declaration switch
        {
            BaseMethodDeclarationSyntax method => method.Body,
            AccessorDeclarationSyntax accessor => accessor.Body,
            LocalFunctionStatementSyntax local => local.Body,
            _ => null,
        };

        if (body is null)
        {
            return null;
        }

        var returns = body.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax).OfType<ReturnStatementSyntax>().ToList();
        return returns.All(r => r.Expression is not null and not RefExpressionSyntax) ? returns.Select(r => r.Expression!).ToList() : null;
    }

    private static TypeSyntax? ReturnTypeSyntax(SyntaxNode declaration) => declaration switch
    {
        MethodDeclarationSyntax method => method.ReturnType,
        LocalFunctionStatementSyntax local => local.ReturnType,
        ArrowExpressionClauseSyntax { Parent: PropertyDeclarationSyntax property } => property.Type,
        AccessorDeclarationSyntax { Parent.Parent: PropertyDeclarationSyntax property } => property.Type,
        _ => null,
    };

    /// <summary>Whether code of another assembly can call <paramref name="method"/>.</summary>
    internal static bool IsVisibleOutside(IMethodSymbol method)
    {
        if (method.MethodKind == MethodKind.LocalFunction)
        {
            return false;
        }

        for (ISymbol? current = method; current is not null and not INamespaceSymbol; current = current.ContainingSymbol)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether some caller of <paramref name="helper"/> may write through the view it returns: its
    /// result kept in a local that is written through, or handed to a callee that may write it, or
    /// used any other way than those that are known to only read.
    /// </summary>
    /// <summary>
    /// Whether a caller of the helper may see the bytes change after it obtained them, which a copy
    /// would hide: it writes through a writable view (<paramref name="writable"/>), or it keeps the
    /// result in a local and gives one of its address-like members to a call that may run the guest
    /// (<c>using var error = _stack.Push&lt;int&gt;(); _instantiate(name, error.Address); if
    /// (error.Value != 0)</c>: the guest writes the slot the caller reads).
    /// </summary>
    private static bool CallerMayChangeWhatItReads(FindingContext finding, IMethodSymbol helper, bool writable)
    {
        var compilation = finding.Model.Compilation;
        var cancellationToken = finding.CancellationToken;
        var name = helper.AssociatedSymbol?.Name ?? helper.Name;
        foreach (var tree in SpeculativeCompilation.Mentioning(compilation, name, cancellationToken))
        {
            var model = SyntaxHelpers.ModelOf(finding.Model, tree);
            foreach (var reference in tree.GetRoot(cancellationToken).DescendantNodes().OfType<SimpleNameSyntax>().Where(n => n.Identifier.ValueText == name))
            {
                var symbol = model.GetSymbolInfo(reference, cancellationToken).Symbol;
                var called = symbol is IPropertySymbol property ? property.GetMethod : symbol as IMethodSymbol;
                if (called is null || !SymbolEqualityComparer.Default.Equals((called.ReducedFrom ?? called).OriginalDefinition, helper))
                {
                    continue;
                }

                var call = reference.Parent is MemberAccessExpressionSyntax access && access.Name == reference ? (ExpressionSyntax)access : reference;
                if (call.Parent is InvocationExpressionSyntax invocation && invocation.Expression == call)
                {
                    call = invocation;
                }

                var changes = call.Parent switch
                {
                    EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                        => model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol local
                           || (writable && ViewCopyPlanner.IsWrittenThrough(model, local, finding.Semantics, cancellationToken))
                           || AddressGivenToGuest(model, finding.Semantics, local, declarator, cancellationToken),
                    ArgumentSyntax argument => writable && ViewCopyPlanner.MayWriteArgument(model, argument, finding.Semantics, cancellationToken),
                    _ => writable,
                };

                if (changes)
                {
                    return true;
                }
            }
        }

        return false;
    }
    /// <summary>
    /// Whether the function that declares <paramref name="local"/> gives an address-like part of it
    /// (an integer, <c>nint</c> or pointer member other than a length or count, or the local itself
    /// when it is one) as an argument to a call that may run the guest.
    /// </summary>
    private static bool AddressGivenToGuest(SemanticModel model, WasmViewSemantics semantics, ILocalSymbol local, VariableDeclaratorSyntax declarator, CancellationToken cancellationToken)
    {
        if (SyntaxHelpers.EnclosingFunction(declarator) is not { } function)
        {
            return false;
        }

        foreach (var name in function.DescendantNodes().OfType<IdentifierNameSyntax>().Where(n => n.Identifier.ValueText == local.Name))
        {
            var given = name.Parent is MemberAccessExpressionSyntax { Parent: not InvocationExpressionSyntax } member && member.Expression == name
                ? member
                : (ExpressionSyntax)name;
            if (given.Parent is not ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax } argument
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, local)
                || !IsAddressLike(model.GetTypeInfo(given, cancellationToken).Type)
                || (given != name && model.GetSymbolInfo(given, cancellationToken).Symbol?.Name is "Length" or "LongLength" or "Count"))
            {
                continue;
            }

            if (GuestCallFinder.Contains(model, semantics, argument.Parent!.Parent!, cancellationToken))
            {
                return true;
            }
        }

        return false;

        static bool IsAddressLike(ITypeSymbol? type)
            => type is IPointerTypeSymbol
               || type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_IntPtr or SpecialType.System_UIntPtr;
    }
}
