using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// One planned re-acquisition: <see cref="Reacquire"/> goes right before <see cref="Before"/>, the
/// statement that reads the stale view.
/// </summary>
internal sealed class ReacquirePlan
{
    public ReacquirePlan(StatementSyntax before, ILocalSymbol view, IReadOnlyList<StatementSyntax> reacquire)
    {
        Before = before;
        View = view;
        Reacquire = reacquire;
    }

    public StatementSyntax Before { get; }

    public ILocalSymbol View { get; }

    /// <summary>
    /// <c>view = memory.GetSpan(...);</c>, <c>inv = ref MemoryMarshal.AsRef&lt;T&gt;(...);</c>,
    /// <c>caller.TryGetMemorySpan(..., out span);</c>; for a view derived from another, that one first.
    /// </summary>
    public IReadOnlyList<StatementSyntax> Reacquire { get; }

    /// <summary>Several stale uses of one view in one statement share one re-acquisition.</summary>
    public (int Start, string Name) Key => (Before.SpanStart, View.Name);
}

/// <summary>
/// Decides whether a stale view can be obtained again right before the statement that reads it,
/// with the same meaning: the view is a local declared once from an expression (or the
/// <c>out</c> span of <c>Caller.TryGetMemorySpan</c>) that has no side effects and whose inputs —
/// locals, parameters, readonly fields, get-only auto-properties, constants — are not assigned
/// between where the view was obtained and that statement; and that statement runs no guest code
/// of its own before it reads the view. This is the fix for views that are written through, for
/// <c>ref</c> locals and for pointers, where a copy would drop writes or does not compile.
/// </summary>
internal static class ViewReacquirePlanner
{
    /// <summary>Methods that only compute a view or an address from their arguments: evaluating them again has no other effect.</summary>
    private static readonly (string Type, string[] Methods)[] PureViewMethods =
    {
        ("Wasmtime.Memory", new[] { "GetSpan", "GetPointer", "GetLength" }),
        ("Wasmtime.Caller", new[] { "GetMemory", "TryGetMemorySpan" }),
        ("Wasmtime.Instance", new[] { "GetMemory" }),
        ("System.Runtime.InteropServices.MemoryMarshal", new[] { "AsRef", "Cast", "AsBytes", "CreateSpan", "CreateReadOnlySpan", "GetReference" }),
        ("System.Runtime.CompilerServices.Unsafe", new[] { "As", "AsRef", "Add", "AddByteOffset", "Subtract", "SubtractByteOffset", "AsPointer" }),
        ("System.Span`1", new[] { "Slice", "GetPinnableReference" }),
        ("System.ReadOnlySpan`1", new[] { "Slice", "GetPinnableReference" }),
        ("System.IntPtr", new[] { "ToPointer", "ToInt64", "ToInt32", "Add", "op_Addition", "op_Explicit" }),
    };

    public static ReacquirePlan? Plan(SemanticModel model, WasmViewSemantics semantics, SyntaxNode use, TextSpan acquisitionSpan, CancellationToken cancellationToken)
    {
        if (use is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol view
            || view.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        var body = EnclosingFunction(view.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken));
        if (body is null || EnclosingFunction(name) != body || StatementBefore(name, body) is not { } before)
        {
            return null;
        }

        // The view itself, or a view derived from one that was (ref var header = ref
        // MemoryMarshal.AsRef<Header>(span)): then both are obtained again, the first one first.
        var sources = new List<(ILocalSymbol Local, SyntaxNode Source, StatementSyntax Reacquire)>();
        if (Source(model, view, body, cancellationToken) is not { } source)
        {
            return null;
        }

        sources.Add((view, source.Source, source.Reacquire));
        if (!IsObtainedAt(model, view, body, source.Source, acquisitionSpan, cancellationToken))
        {
            var roots = (model.GetOperation(Evaluated(source.Source), cancellationToken)?.DescendantsAndSelf() ?? Enumerable.Empty<IOperation>())
                .OfType<ILocalReferenceOperation>()
                .Select(reference => reference.Local)
                .Where(local => !SymbolEqualityComparer.Default.Equals(local, view))
                .Distinct(SymbolEqualityComparer.Default)
                .Cast<ILocalSymbol>()
                .ToList();
            if (roots.Count != 1
                || Source(model, roots[0], body, cancellationToken) is not { } rootSource
                || !IsObtainedAt(model, roots[0], body, rootSource.Source, acquisitionSpan, cancellationToken))
            {
                return null;
            }

            sources.Insert(0, (roots[0], rootSource.Source, rootSource.Reacquire));
        }

        // The statement comes after each whole source: not the one that declares the view.
        foreach (var (local, each, _) in sources)
        {
            if (before.SpanStart < each.Span.End
                || IsRebound(model, local, body, local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken), each, cancellationToken)
                || !IsReevaluable(model, Evaluated(each), before, cancellationToken))
            {
                return null;
            }
        }

        if (MayCallGuestBeforeUse(model, semantics, before, name, cancellationToken))
        {
            return null;
        }

        // Up to right after the last guest call: out of the loops and blocks around the use that
        // run no guest code (a span written in a loop is obtained again once, before the loop).
        while (Enclosing(before) is { } outer
               && sources.All(each => outer.SpanStart >= each.Source.Span.End && IsReevaluable(model, Evaluated(each.Source), outer, cancellationToken))
               && !ContainsGuestCall(model, semantics, outer, cancellationToken))
        {
            before = outer;
        }

        return new ReacquirePlan(before, view, sources.Select(each => each.Reacquire.WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation)).ToList());
    }

    /// <summary>A ref initializer is evaluated as the expression it refers to.</summary>
    private static SyntaxNode Evaluated(SyntaxNode source) => source is RefExpressionSyntax reference ? reference.Expression : source;

    /// <summary>
    /// What <paramref name="local"/> is declared from, and the statement that obtains it again:
    /// <c>view = &lt;initializer&gt;;</c>, or <c>caller.TryGetMemorySpan(..., out view);</c>.
    /// </summary>
    private static (SyntaxNode Source, StatementSyntax Reacquire)? Source(SemanticModel model, ILocalSymbol local, SyntaxNode body, CancellationToken cancellationToken)
    {
        if (local.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        var declaration = local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        if (EnclosingFunction(declaration) != body)
        {
            return null;
        }

        if (declaration is VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
            && declarator.Parent?.Parent is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 })
        {
            return (initializer, ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(local.Name), initializer.WithoutTrivia())));
        }

        if (declaration is SingleVariableDesignationSyntax { Parent: DeclarationExpressionSyntax { Parent: ArgumentSyntax outArgument } }
            && outArgument.Parent?.Parent is InvocationExpressionSyntax tryGet
            && IsTryGetMemorySpan(model, tryGet, cancellationToken))
        {
            return (tryGet, ExpressionStatement(tryGet.ReplaceNode(outArgument.Expression, IdentifierName(local.Name)).WithoutTrivia()));
        }

        return null;
    }

    /// <summary>The view at the use was obtained from <paramref name="source"/>, or by this fix applied to an earlier use.</summary>
    private static bool IsObtainedAt(SemanticModel model, ILocalSymbol local, SyntaxNode body, SyntaxNode source, TextSpan acquisitionSpan, CancellationToken cancellationToken)
        => source.Span.Contains(acquisitionSpan)
           || References(model, local, body, cancellationToken).Any(r => IsReacquisition(r, source) && r.Parent!.Parent!.Span.Contains(acquisitionSpan));

    /// <summary>The statement of a statement list that <paramref name="statement"/> is part of (a loop, an <c>if</c>, a block).</summary>
    private static StatementSyntax? Enclosing(StatementSyntax statement)
    {
        var container = statement.Parent;
        if (container is BlockSyntax block && block.Parent is not (BlockSyntax or SwitchSectionSyntax))
        {
            container = block.Parent;
        }

        if (container is ElseClauseSyntax elseClause)
        {
            container = elseClause.Parent;
        }

        return container is StatementSyntax owner
               && owner is not (SwitchStatementSyntax or TryStatementSyntax or LabeledStatementSyntax or LocalFunctionStatementSyntax)
               && owner.Parent is BlockSyntax or SwitchSectionSyntax
            ? owner
            : null;
    }

    internal static bool ContainsGuestCall(SemanticModel model, WasmViewSemantics semantics, SyntaxNode node, CancellationToken cancellationToken)
    {
        foreach (var descendant in node.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax))
        {
            if (descendant is AwaitExpressionSyntax or YieldStatementSyntax || descendant is ForEachStatementSyntax { AwaitKeyword.RawKind: not 0 } || descendant is UsingStatementSyntax { AwaitKeyword.RawKind: not 0 } || descendant is LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: not 0 })
            {
                return true;
            }

            if (descendant is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or MemberAccessExpressionSyntax or ElementAccessExpressionSyntax or IdentifierNameSyntax
                && model.GetOperation(descendant, cancellationToken) is IInvocationOperation or IObjectCreationOperation or IPropertyReferenceOperation
                && semantics.GuestCalls.TryGetGuestCall(model.GetOperation(descendant, cancellationToken)!, null, null, cancellationToken) is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsTryGetMemorySpan(SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
        => model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { Name: "TryGetMemorySpan" } method
           && SymbolEqualityComparer.Default.Equals(method.ContainingType, model.Compilation.GetTypeByMetadataName("Wasmtime.Caller"));

    /// <summary>The method, accessor, lambda or local function whose body holds <paramref name="node"/>.</summary>
    private static SyntaxNode? EnclosingFunction(SyntaxNode node)
        => node.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or CompilationUnitSyntax);

    /// <summary>
    /// The statement of a statement list that holds <paramref name="use"/>, where a statement can
    /// be inserted before it; none when the use is in a loop's condition or increment (evaluated
    /// again each turn) or outside a statement.
    /// </summary>
    private static StatementSyntax? StatementBefore(SyntaxNode use, SyntaxNode body)
    {
        for (var node = use; node is not null && node != body; node = node.Parent)
        {
            if (node.Parent is WhileStatementSyntax @while && @while.Condition == node
                || node.Parent is DoStatementSyntax @do && @do.Condition == node
                || node.Parent is ForStatementSyntax @for && (@for.Condition == node || @for.Incrementors.Contains(node)))
            {
                return null;
            }

            if (node is StatementSyntax statement and not BlockSyntax
                && statement.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax or IfStatementSyntax or ElseClauseSyntax or WhileStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax or UsingStatementSyntax or LockStatementSyntax or FixedStatementSyntax)
            {
                return statement is LabeledStatementSyntax or LocalFunctionStatementSyntax ? null : statement;
            }
        }

        return null;
    }

    /// <summary>Whether the view variable is assigned anywhere but where it is declared (a ref local re-bound, a span or pointer reassigned).</summary>
    private static bool IsRebound(SemanticModel model, ILocalSymbol view, SyntaxNode body, SyntaxNode declaration, SyntaxNode source, CancellationToken cancellationToken)
    {
        foreach (var reference in References(model, view, body, cancellationToken))
        {
            if (declaration.Span.Contains(reference.Span) || IsReacquisition(reference, source))
            {
                continue;
            }

            // Through a ref local, `inv = value`, `inv++` and `ref inv` write guest memory; only
            // `inv = ref other` re-binds it. Any write to a span or pointer variable re-binds it.
            if (view.IsRef
                    ? reference.Parent is AssignmentExpressionSyntax { Right: RefExpressionSyntax } rebinding && rebinding.Left == reference
                    : IsWrite(reference))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The view obtained again from the same source: <c>view = &lt;source&gt;</c> or <c>caller.TryGetMemorySpan(..., out view)</c> (this fix, applied before).</summary>
    private static bool IsReacquisition(IdentifierNameSyntax reference, SyntaxNode source)
        => reference.Parent switch
        {
            AssignmentExpressionSyntax assignment when assignment.Left == reference && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                => assignment.Right.IsEquivalentTo(source, topLevel: false),
            ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax invocation } argument when source is InvocationExpressionSyntax tryGet
                => argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword)
                   && invocation.Expression.IsEquivalentTo(tryGet.Expression, topLevel: false)
                   && invocation.ArgumentList.Arguments.Count == tryGet.ArgumentList.Arguments.Count
                   && invocation.ArgumentList.Arguments.Zip(tryGet.ArgumentList.Arguments, (a, b) => a == argument || a.IsEquivalentTo(b, topLevel: false)).All(same => same),
            _ => false,
        };

    /// <summary>
    /// Whether <paramref name="source"/> evaluated again before <paramref name="before"/> gives the
    /// view it gave where it was first evaluated, and does nothing else.
    /// </summary>
    private static bool IsReevaluable(SemanticModel model, SyntaxNode source, StatementSyntax before, CancellationToken cancellationToken)
        => model.GetOperation(source, cancellationToken) is { } root
           && root.DescendantsAndSelf().All(operation => IsPureOperation(model, operation, variable => IsAssignedBetween(model, variable, source, before, cancellationToken)));

    /// <summary>
    /// Whether evaluating <paramref name="operation"/> (not its children) has no effect but its value,
    /// and gives the same value again unless <paramref name="inputChanged"/> says a local or
    /// parameter it reads may have changed.
    /// </summary>
    internal static bool IsPureOperation(SemanticModel model, IOperation operation, System.Func<ISymbol, bool> inputChanged)
        => operation switch
        {
            ILiteralOperation or IDefaultValueOperation or ISizeOfOperation or ITypeOfOperation or IInstanceReferenceOperation or IArgumentOperation => true,
            IConversionOperation { OperatorMethod: null } or IBinaryOperation { OperatorMethod: null } or IUnaryOperation { OperatorMethod: null } => true,
            IDeclarationExpressionOperation or IDiscardOperation or ILocalReferenceOperation { IsDeclaration: true } => true,
            ILocalReferenceOperation local => !local.Local.IsRef && !inputChanged(local.Local),
            IParameterReferenceOperation parameter => parameter.Parameter.RefKind is RefKind.None or RefKind.In && !inputChanged(parameter.Parameter),
            IFieldReferenceOperation field => field.Field.IsReadOnly || field.Field.IsConst,
            IPropertyReferenceOperation property => IsReadOnlyAutoProperty(property.Property) || (property.Property.IsIndexer && FixerSymbols.For(model.Compilation).IsSpanType(property.Property.ContainingType)),
            IInvocationOperation invocation => IsPure(model.Compilation, invocation.TargetMethod),
            IObjectCreationOperation { Type: INamedTypeSymbol { IsRefLikeType: true } created } => IsPureType(model.Compilation, created.OriginalDefinition),
            _ => false,
        };

    private static bool IsPure(Compilation compilation, IMethodSymbol method)
    {
        var containing = method.ContainingType?.OriginalDefinition;
        foreach (var (typeName, methods) in PureViewMethods)
        {
            if (SymbolEqualityComparer.Default.Equals(containing, compilation.GetTypeByMetadataName(typeName)) && methods.Contains(method.Name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>new Span&lt;T&gt;(pointer, length)</c>: a span over the same address.</summary>
    private static bool IsPureType(Compilation compilation, INamedTypeSymbol type)
        => SymbolEqualityComparer.Default.Equals(type, compilation.GetTypeByMetadataName("System.Span`1"))
           || SymbolEqualityComparer.Default.Equals(type, compilation.GetTypeByMetadataName("System.ReadOnlySpan`1"));

    /// <summary>A get-only auto-property (its backing field is readonly).</summary>
    private static bool IsReadOnlyAutoProperty(IPropertySymbol property)
        => property.SetMethod is null
           && !property.IsIndexer
           && property.ContainingType.GetMembers().OfType<IFieldSymbol>().Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));

    /// <summary>
    /// Whether <paramref name="variable"/> may hold another value at <paramref name="before"/> than
    /// when the view was obtained: assigned between the two, in a loop around the first but not the
    /// second, or in a lambda or local function (which may run anywhere).
    /// </summary>
    private static bool IsAssignedBetween(SemanticModel model, ISymbol variable, SyntaxNode source, StatementSyntax before, CancellationToken cancellationToken)
    {
        var member = source.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax or CompilationUnitSyntax);
        if (member is null)
        {
            return true;
        }

        foreach (var reference in References(model, variable, member, cancellationToken))
        {
            if (IsWrite(reference)
                && (EnclosingFunction(reference) != EnclosingFunction(source)
                    || (reference.SpanStart > source.Span.End && reference.SpanStart < before.SpanStart)
                    || before.Ancestors().Any(loop => IsLoop(loop) && loop.Span.Contains(reference.Span) && !loop.Span.Contains(source.Span))))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsLoop(SyntaxNode node) => node is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax;

    private static IEnumerable<IdentifierNameSyntax> References(SemanticModel model, ISymbol symbol, SyntaxNode scope, CancellationToken cancellationToken)
        => scope.DescendantNodes()
            .OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == symbol.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, symbol));

    private static bool IsWrite(ExpressionSyntax reference)
    {
        var node = reference;
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        return node.Parent switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left == node,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression or (int)SyntaxKind.AddressOfExpression } => true,
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } => true,
            ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None) && !argument.RefKindKeyword.IsKind(SyntaxKind.InKeyword),
            RefExpressionSyntax => true,
            _ => false,
        };
    }

    /// <summary>
    /// Whether the statement that reads the view may run guest code before it reads it: then a view
    /// obtained before the statement is stale again at the use (<c>inv.Args = CopyArgs(...)</c>,
    /// <c>Print(view)</c> where <c>Print</c> calls the guest first, an <c>await</c>).
    /// </summary>
    internal static bool MayCallGuestBeforeUse(SemanticModel model, WasmViewSemantics semantics, StatementSyntax before, SyntaxNode use, CancellationToken cancellationToken)
    {
        SyntaxNode? header = before switch
        {
            ExpressionStatementSyntax statement => statement.Expression,
            LocalDeclarationStatementSyntax statement => statement.Declaration,
            ReturnStatementSyntax statement => statement.Expression,
            ThrowStatementSyntax statement => statement.Expression,
            IfStatementSyntax statement => statement.Condition,
            SwitchStatementSyntax statement => statement.Expression,
            CommonForEachStatementSyntax statement => statement.Expression,
            UsingStatementSyntax statement => (SyntaxNode?)statement.Declaration ?? statement.Expression,
            LockStatementSyntax statement => statement.Expression,
            YieldStatementSyntax statement => statement.Expression,
            _ => null,
        };

        if (header is null || !header.Span.Contains(use.Span))
        {
            return true;
        }

        return ContainsGuestCall(model, semantics, header, cancellationToken);
    }
}
