using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using WasmViewAnalyzers.Engine;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>How a stale view is made safe: which copy, where.</summary>
internal enum CopyStrategy
{
    /// <summary>Append <c>.ToArray()</c> where the view is obtained.</summary>
    ToArray,

    /// <summary>Take a pooled lease copy (<c>WasmLease&lt;T&gt;</c>) disposed where the view's scope ends.</summary>
    Lease,
}

/// <summary>One planned edit: the copy that fixes the views obtained at one acquisition.</summary>
internal sealed class CopyPlan
{
    private CopyPlan(CopyStrategy strategy, ExpressionSyntax? copyPoint, VariableDeclaratorSyntax? declarator, StatementSyntax? anchor, string? outLocal, bool insertIntoThen, ITypeSymbol? localType)
    {
        Strategy = strategy;
        CopyPoint = copyPoint;
        Declarator = declarator;
        Anchor = anchor;
        OutLocal = outLocal;
        InsertIntoThen = insertIntoThen;
        LocalType = localType;
    }

    public CopyStrategy Strategy { get; }

    /// <summary>The expression whose value is copied (a span or memory over guest memory).</summary>
    public ExpressionSyntax? CopyPoint { get; }

    /// <summary>The local declared from <see cref="CopyPoint"/>, when there is one.</summary>
    public VariableDeclaratorSyntax? Declarator { get; }

    /// <summary>For an <c>out</c> view (<c>TryGetMemorySpan</c>): the statement the copy goes after (or into).</summary>
    public StatementSyntax? Anchor { get; }

    public string? OutLocal { get; }

    /// <summary>The copy goes first into the then-branch of <see cref="Anchor"/> (an <c>if</c>).</summary>
    public bool InsertIntoThen { get; }

    /// <summary>The declared type of the local receiving the view, to spell out when <c>var</c> would change meaning.</summary>
    public ITypeSymbol? LocalType { get; }

    /// <summary>The view's type, kept by the copy (<c>new ReadOnlyMemory&lt;byte&gt;(view.ToArray())</c>) where the context infers its type from it.</summary>
    public ITypeSymbol? KeptType { get; private set; }

    /// <summary>Identifies the edit: several diagnostics about one acquisition share one copy.</summary>
    public TextSpanKey Key => new((CopyPoint ?? (SyntaxNode?)Anchor)!.Span.Start, (CopyPoint ?? (SyntaxNode?)Anchor)!.Span.Length, OutLocal);

    public static CopyPlan ForExpression(CopyStrategy strategy, ExpressionSyntax copyPoint, VariableDeclaratorSyntax? declarator, ITypeSymbol? localType, ITypeSymbol? keptType = null)
        => new(strategy, copyPoint, declarator, anchor: null, outLocal: null, insertIntoThen: false, localType) { KeptType = keptType };

    public static CopyPlan ForOutLocal(CopyStrategy strategy, StatementSyntax anchor, string local, bool insertIntoThen)
        => new(strategy, copyPoint: null, declarator: null, anchor, local, insertIntoThen, localType: null);
}

internal readonly struct TextSpanKey : System.IEquatable<TextSpanKey>
{
    public TextSpanKey(int start, int length, string? local)
    {
        Start = start;
        Length = length;
        Local = local;
    }

    public int Start { get; }

    public int Length { get; }

    public string? Local { get; }

    public bool Equals(TextSpanKey other) => Start == other.Start && Length == other.Length && Local == other.Local;

    public override bool Equals(object? obj) => obj is TextSpanKey other && Equals(other);

    public override int GetHashCode() => (Start * 397) ^ Length ^ (Local?.GetHashCode() ?? 0);
}

/// <summary>
/// Decides whether, and where, a copy fixes the views obtained at an acquisition, and refuses
/// when the copy would not compile or would change what the code does (a view that is written
/// through writes guest memory; a copy would not).
/// </summary>
internal static class ViewCopyPlanner
{
    /// <param name="throughAwait">Whether the view may be one a task carries, copied where it is awaited (<c>(await RenderAsync(c)).ToArray()</c>).</param>
    public static CopyPlan? Plan(SemanticModel model, WasmViewSemantics semantics, SyntaxNode acquisition, CopyStrategy strategy, CancellationToken cancellationToken, bool throughAwait = false)
    {
        if (acquisition is ArgumentSyntax argument)
        {
            return PlanOutArgument(model, argument, strategy, semantics, cancellationToken);
        }

        if (acquisition is not ExpressionSyntax expression)
        {
            return null;
        }

        var (copyPoint, sink, top) = FindCopyPoint(model, expression, semantics, throughAwait, cancellationToken);
        if (copyPoint is null)
        {
            return null;
        }

        // new ReadOnlySpan<byte>(p + Render(), Length()): the span, and so its copy, is made after
        // the guest calls evaluated after the view was obtained: the copy would come too late.
        if (CallsGuestAfter(model, semantics, expression, copyPoint, cancellationToken))
        {
            return null;
        }

        // ref var inv = ref MemoryMarshal.AsRef<T>(memory.GetSpan(..)), or such a ref handed on by
        // `ref` (new Slot<T>(ref MemoryMarshal.AsRef<T>(..), a)): a ref into a copy does not
        // compile where the overload taking a read-only span is chosen (CS8329), and would drop the
        // writes through the ref where it does. Obtaining the view again is the fix for refs.
        if (IsBoundByRef(copyPoint))
        {
            return null;
        }

        // Process(memory.GetSpan(..)) where Process takes a writable span: the callee may write
        // guest memory through it, and a copy would drop those writes.
        if (top.Parent is ArgumentSyntax handedTo && ClassifyArgument(model, handedTo, semantics, cancellationToken) == Usage.Write)
        {
            return null;
        }

        // new SpriteRow(memory.GetSpan(..)): the copy goes into an object of the user's; it must not
        // write through the span it keeps.
        for (var step = copyPoint.Parent; step is not null && step != top; step = step.Parent)
        {
            if (step is ArgumentSyntax keptBy
                && ClassifyArgument(model, keptBy, semantics, cancellationToken) == Usage.Write
                && !IsReadOnlyHolder(model, keptBy, semantics, cancellationToken))
            {
                return null;
            }
        }

        var sinkLocal = sink is null ? null : model.GetDeclaredSymbol(sink, cancellationToken) as ILocalSymbol;
        if (sinkLocal is null && sink is null)
        {
            sinkLocal = AssignedLocal(model, copyPoint, cancellationToken);
        }

        if (sinkLocal is not null && IsWrittenThrough(model, sinkLocal, semantics, cancellationToken))
        {
            return null;
        }

        if (strategy == CopyStrategy.Lease)
        {
            return PlanLeaseDeclaration(model, copyPoint, sink, sinkLocal, semantics);
        }

        if (sink is null && !KeepsTargetType(model, copyPoint, cancellationToken))
        {
            // (Key: key, Body: Segment(..)), new { Body = Segment(..) }, a generic argument: the context
            // takes its type from the view, and an array there changes what the code after it can do
            // (pair.Body.Span): the copy keeps the view's type.
            return model.GetTypeInfo(copyPoint, cancellationToken).Type is { } viewType
                   && SpeculativeCompilation.Compiles(model.Compilation, new[] { ((SyntaxNode)copyPoint, (SyntaxNode)CopyEdit.ToArrayKeepingType(copyPoint, viewType.ToMinimalDisplayString(model, copyPoint.SpanStart))) }, new[] { model.SyntaxTree }, cancellationToken)
                ? CopyPlan.ForExpression(CopyStrategy.ToArray, copyPoint, sink, sinkLocal?.Type, keptType: viewType)
                : null;
        }

        return CopyPlan.ForExpression(CopyStrategy.ToArray, copyPoint, sink, sinkLocal?.Type);
    }

    /// <summary>
    /// Whether <c>.ToArray()</c> in place of <paramref name="copyPoint"/> compiles: the context converts
    /// the view to a type it names (a parameter, a field, a declared local), which an array converts to
    /// as well, or the changed code compiles all the same.
    /// </summary>
    private static bool KeepsTargetType(SemanticModel model, ExpressionSyntax copyPoint, CancellationToken cancellationToken)
    {
        var typeInfo = model.GetTypeInfo(copyPoint, cancellationToken);
        if (!SymbolEqualityComparer.Default.Equals(typeInfo.Type, typeInfo.ConvertedType))
        {
            return true;
        }

        return SpeculativeCompilation.Compiles(model.Compilation, new[] { ((SyntaxNode)copyPoint, (SyntaxNode)SyntaxHelpers.AppendCall(copyPoint, "ToArray")) }, new[] { model.SyntaxTree }, cancellationToken);
    }

    /// <summary>
    /// The copies that make a local read stale a copy wherever it takes a view
    /// (<c>previous = block</c> becomes <c>previous = block.ToArray()</c>), for a local that is not
    /// the one the view was obtained into: the view itself may be written through or used at once,
    /// only what outlives the guest call is copied. Refused where a value is already stale when
    /// assigned (its copy would copy stale bytes) or the local is written through.
    /// </summary>
    public static IReadOnlyList<CopyPlan>? PlanWhereAssigned(FindingContext finding)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol { IsRef: false } local
            || !(finding.Semantics.Symbols.IsSpanLike(local.Type) || finding.Semantics.Symbols.IsMemoryLike(local.Type))
            || local.DeclaringSyntaxReferences.Length != 1
            || SyntaxHelpers.EnclosingFunction(local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken)) is not { } body)
        {
            return null;
        }

        var values = new List<ExpressionSyntax>();
        foreach (var node in body.DescendantNodes())
        {
            switch (node)
            {
                case VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator when SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(declarator, cancellationToken), local):
                    values.Add(initializer);
                    break;
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax target } assignment when target.Identifier.ValueText == local.Name
                                                                                                      && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(target, cancellationToken).Symbol, local):
                    if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) || SyntaxHelpers.EnclosingFunction(assignment) != body)
                    {
                        return null;
                    }

                    values.Add(assignment.Right);
                    break;
            }
        }

        var plans = new List<CopyPlan>();
        foreach (var value in values)
        {
            if (value is LiteralExpressionSyntax or DefaultExpressionSyntax or StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax
                or ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax or CollectionExpressionSyntax)
            {
                continue;
            }

            if (finding.Facts is { } facts && value.Span.Contains(facts.Acquisition.Syntax.Span))
            {
                // Where the view is obtained: the copy at the acquisition's own place.
                return null;
            }

            if (finding.IsReadStale(value)
                || Plan(model, finding.Semantics, value, CopyStrategy.ToArray, cancellationToken) is not { CopyPoint: { } copyPoint } plan
                || !copyPoint.Span.Contains(value.Span) && copyPoint != value)
            {
                return null;
            }

            plans.Add(plan);
        }

        return plans.Count > 0 ? plans : null;
    }

    /// <summary>
    /// Whether <paramref name="argument"/> goes to the constructor of a type of the compilation that
    /// only reads the views it keeps: no element of a span, memory or pointer field is assigned,
    /// incremented or passed on by reference, no writing member is called on one, and none is handed
    /// out writable.
    /// </summary>
    private static bool IsReadOnlyHolder(SemanticModel model, ArgumentSyntax argument, WasmViewSemantics semantics, CancellationToken cancellationToken)
    {
        if (argument.Parent?.Parent is not BaseObjectCreationExpressionSyntax creation
            || model.GetSymbolInfo(creation, cancellationToken).Symbol is not IMethodSymbol { ContainingType: { } type }
            || !semantics.IsDeclaredInSource(type))
        {
            return false;
        }

        var viewFields = type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && semantics.Types.CanHoldView(f.Type)).ToList();
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(cancellationToken);
            var declarationModel = SyntaxHelpers.ModelOf(model, declaration.SyntaxTree);
            foreach (var name in declaration.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (!viewFields.Any(f => f.Name == name.Identifier.ValueText)
                    || declarationModel.GetSymbolInfo(name, cancellationToken).Symbol is not IFieldSymbol field
                    || !viewFields.Contains(field, SymbolEqualityComparer.Default)
                    || IsInConstructor(name))
                {
                    continue;
                }

                if (Classify(declarationModel, name, semantics, cancellationToken, out _) != Usage.Read || ReturnedWritable(declarationModel, name, semantics, cancellationToken))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool IsInConstructor(SyntaxNode node) => node.FirstAncestorOrSelf<ConstructorDeclarationSyntax>() is not null;

    /// <summary><c>public Span&lt;byte&gt; Pixels =&gt; _pixels;</c>: whoever reads the member may write the view.</summary>
    private static bool ReturnedWritable(SemanticModel model, IdentifierNameSyntax name, WasmViewSemantics semantics, CancellationToken cancellationToken)
    {
        var node = (SyntaxNode)name;
        while (node.Parent is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } or ParenthesizedExpressionSyntax)
        {
            node = node.Parent;
        }

        return node.Parent is ReturnStatementSyntax or ArrowExpressionClauseSyntax
               && semantics.Symbols.IsWritableView(model.GetTypeInfo(name, cancellationToken).ConvertedType);
    }

    /// <summary>Whether evaluating <paramref name="copyPoint"/> runs guest code after <paramref name="acquisition"/> is evaluated.</summary>
    private static bool CallsGuestAfter(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax acquisition, ExpressionSyntax copyPoint, CancellationToken cancellationToken)
    {
        for (SyntaxNode node = acquisition; node != copyPoint && node.Parent is { } parent; node = parent)
        {
            IEnumerable<SyntaxNode> later = parent switch
            {
                ArgumentListSyntax list when node is ArgumentSyntax argument => list.Arguments.SkipWhile(a => a != argument).Skip(1),
                BinaryExpressionSyntax binary when binary.Left == node => new[] { binary.Right },
                BracketedArgumentListSyntax brackets when node is ArgumentSyntax argument => brackets.Arguments.SkipWhile(a => a != argument).Skip(1),
                _ => Enumerable.Empty<SyntaxNode>(),
            };

            if (later.Any(n => ViewReacquirePlanner.ContainsGuestCall(model, semantics, n, cancellationToken)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Walks up from the acquisition through everything derived from it (casts, pointer
    /// arithmetic, slices, <c>MemoryMarshal.Cast</c>, <c>new Span&lt;T&gt;(p, n)</c>, a manager's
    /// <c>.Memory</c>) and returns the outermost span or memory on the way, where <c>.ToArray()</c>
    /// is both available and closest to what the code keeps.
    /// </summary>
    private static (ExpressionSyntax? CopyPoint, VariableDeclaratorSyntax? Sink, ExpressionSyntax Top) FindCopyPoint(
        SemanticModel model, ExpressionSyntax acquisition, WasmViewSemantics semantics, bool throughAwait, CancellationToken cancellationToken)
    {
        ExpressionSyntax? copyPoint = null;
        var current = acquisition;
        for (var steps = 0; steps < 16; steps++)
        {
            var type = model.GetTypeInfo(current, cancellationToken).Type;
            if (IsCopyable(semantics, type))
            {
                copyPoint = current;
            }

            var next = current.Parent is AwaitExpressionSyntax awaited && throughAwait ? awaited : DerivedParent(model, current, semantics, cancellationToken);
            if (next is null)
            {
                break;
            }

            current = next;
        }

        var sink = current.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } && copyPoint == current
            ? declarator
            : null;
        return (copyPoint, sink, current);
    }

    private static ExpressionSyntax? DerivedParent(SemanticModel model, ExpressionSyntax current, WasmViewSemantics semantics, CancellationToken cancellationToken)
    {
        switch (current.Parent)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return parenthesized;
            case CastExpressionSyntax cast:
                return cast;
            case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } suppressed:
                return suppressed;
            case BinaryExpressionSyntax binary when HoldsView(model, binary, semantics, cancellationToken):
                return binary;
            case MemberAccessExpressionSyntax memberAccess when memberAccess.Expression == current:
                if (memberAccess.Parent is InvocationExpressionSyntax invocation && invocation.Expression == memberAccess)
                {
                    return HoldsView(model, invocation, semantics, cancellationToken) ? invocation : null;
                }

                return HoldsView(model, memberAccess, semantics, cancellationToken) ? memberAccess : null;
            case ElementAccessExpressionSyntax elementAccess when elementAccess.Expression == current
                                                                 && IsCopyable(semantics, model.GetTypeInfo(elementAccess, cancellationToken).Type):
                return elementAccess;
            case ArgumentSyntax { Parent: ArgumentListSyntax { Parent: ExpressionSyntax call } } argument
                when argument.RefKindKeyword.IsKind(SyntaxKind.None)
                     && call is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax
                     && HoldsView(model, call, semantics, cancellationToken)
                     && !IsStorageCall(model, call, semantics, cancellationToken):
                return call;
            default:
                return null;
        }
    }

    private static bool IsStorageCall(SemanticModel model, ExpressionSyntax call, WasmViewSemantics semantics, CancellationToken cancellationToken)
        => model.GetOperation(call, cancellationToken) is Microsoft.CodeAnalysis.Operations.IInvocationOperation invocation
           && semantics.IsStorageIntoCollection(invocation);

    private static bool HoldsView(SemanticModel model, ExpressionSyntax expression, WasmViewSemantics semantics, CancellationToken cancellationToken)
        => semantics.Types.CanHoldView(model.GetTypeInfo(expression, cancellationToken).Type);

    private static bool IsCopyable(WasmViewSemantics semantics, ITypeSymbol? type)
        => semantics.Symbols.IsSpanLike(type) || semantics.Symbols.IsMemoryLike(type);

    private static ILocalSymbol? AssignedLocal(SemanticModel model, ExpressionSyntax copyPoint, CancellationToken cancellationToken)
    {
        var top = copyPoint;
        while (top.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            top = (ExpressionSyntax)top.Parent;
        }

        return top.Parent is AssignmentExpressionSyntax assignment && assignment.Right == top
            ? model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol as ILocalSymbol
            : null;
    }

    private static CopyPlan? PlanLeaseDeclaration(SemanticModel model, ExpressionSyntax copyPoint, VariableDeclaratorSyntax? sink, ILocalSymbol? local, WasmViewSemantics semantics)
    {
        // The lease is disposed where the view's scope ends: only a declaration gives both the
        // same scope, and `using var` needs a statement list (not a switch section).
        if (sink is null || local is null
            || !semantics.Symbols.IsSpanLike(model.GetTypeInfo(copyPoint).Type)
            || sink.Parent is not VariableDeclarationSyntax { Variables.Count: 1 } declaration
            || declaration.Parent is not LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 } statement
            || statement.Parent is not (BlockSyntax or GlobalStatementSyntax))
        {
            return null;
        }

        return CopyPlan.ForExpression(CopyStrategy.Lease, copyPoint, sink, local.Type);
    }

    private static CopyPlan? PlanOutArgument(SemanticModel model, ArgumentSyntax argument, CopyStrategy strategy, WasmViewSemantics semantics, CancellationToken cancellationToken)
    {
        var local = argument.Expression switch
        {
            DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } => model.GetDeclaredSymbol(designation, cancellationToken) as ILocalSymbol,
            IdentifierNameSyntax identifier => model.GetSymbolInfo(identifier, cancellationToken).Symbol as ILocalSymbol,
            _ => null,
        };

        if (local is null || !semantics.Symbols.IsSpanLike(local.Type) || IsWrittenThrough(model, local, semantics, cancellationToken))
        {
            return null;
        }

        if (argument.Parent?.Parent is not InvocationExpressionSyntax invocation)
        {
            return null;
        }

        // caller.TryGetMemorySpan(..., out var span);
        if (invocation.Parent is ExpressionStatementSyntax statement && statement.Parent is BlockSyntax or GlobalStatementSyntax)
        {
            return CopyPlan.ForOutLocal(strategy, statement, local.Name, insertIntoThen: false);
        }

        // if (caller.TryGetMemorySpan(..., out var span)) { ... }
        if (invocation.Parent is IfStatementSyntax ifStatement && ifStatement.Condition == invocation)
        {
            // A lease disposed at the end of the then-branch would outlive nothing: `span` stays in
            // scope after the if. Only the copy is offered there.
            return strategy == CopyStrategy.ToArray ? CopyPlan.ForOutLocal(strategy, ifStatement, local.Name, insertIntoThen: true) : null;
        }

        // if (!caller.TryGetMemorySpan(..., out var span)) return;
        if (invocation.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not
            && not.Parent is IfStatementSyntax negatedIf
            && negatedIf.Condition == not
            && negatedIf.Else is null
            && AlwaysExits(negatedIf.Statement)
            && negatedIf.Parent is BlockSyntax or GlobalStatementSyntax)
        {
            return CopyPlan.ForOutLocal(strategy, negatedIf, local.Name, insertIntoThen: false);
        }

        return null;
    }

    private static bool AlwaysExits(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax or ContinueStatementSyntax or BreakStatementSyntax => true,
        BlockSyntax { Statements.Count: > 0 } block => AlwaysExits(block.Statements[block.Statements.Count - 1]),
        _ => false,
    };

    /// <summary>
    /// Whether guest memory is written through <paramref name="local"/> or anything derived from it
    /// (a slice, a ref to an element, a pinned pointer). A copy would silently drop those writes.
    /// </summary>
    internal static bool IsWrittenThrough(SemanticModel model, ILocalSymbol local, WasmViewSemantics semantics, CancellationToken cancellationToken)
    {
        var scope = local.DeclaringSyntaxReferences.Length > 0
            ? FindScope(local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken))
            : null;
        if (scope is null)
        {
            return true;
        }

        var pending = new Queue<ILocalSymbol>();
        var seen = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        pending.Enqueue(local);
        seen.Add(local);
        while (pending.Count > 0)
        {
            var current = pending.Dequeue();
            foreach (var identifier in scope.DescendantNodes())
            {
                if (identifier is not IdentifierNameSyntax name
                    || name.Identifier.ValueText != current.Name
                    || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, current))
                {
                    continue;
                }

                switch (Classify(model, name, semantics, cancellationToken, out var derived))
                {
                    case Usage.Write:
                        return true;
                    case Usage.Derive when derived is not null && seen.Add(derived):
                        pending.Enqueue(derived);
                        break;
                }
            }
        }

        return false;
    }

    private enum Usage
    {
        Read,
        Write,
        Derive,
    }

    /// <summary>Whether the value of <paramref name="expression"/> ends up under a <c>ref</c> (a ref local, a ref argument, a ref return).</summary>
    private static bool IsBoundByRef(ExpressionSyntax expression)
        => expression.Ancestors().TakeWhile(n => n is not StatementSyntax).Any(n => n is RefExpressionSyntax or ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword });

    /// <summary>
    /// <c>view[i].X = x</c>, <c>inv.Target = x</c>, <c>header.Sequence++</c>: a field of a struct
    /// in guest memory written through an element or a ref local.
    /// </summary>
    private static bool WritesStructMember(IdentifierNameSyntax reference)
    {
        ExpressionSyntax current = reference;
        while (true)
        {
            switch (current.Parent)
            {
                case ElementAccessExpressionSyntax element when element.Expression == current:
                    current = element;
                    break;
                case MemberAccessExpressionSyntax member when member.Expression == current && member.Parent is not InvocationExpressionSyntax:
                    current = member;
                    break;
                case ParenthesizedExpressionSyntax parenthesized:
                    current = parenthesized;
                    break;
                default:
                    return current != reference && current is MemberAccessExpressionSyntax && IsWriteTarget(current);
            }
        }
    }

    private static Usage Classify(SemanticModel model, IdentifierNameSyntax reference, WasmViewSemantics semantics, CancellationToken cancellationToken, out ILocalSymbol? derived)
    {
        derived = null;
        if (WritesStructMember(reference) || (model.GetSymbolInfo(reference, cancellationToken).Symbol is ILocalSymbol { IsRef: true } && IsWriteTarget(reference)))
        {
            return Usage.Write;
        }

        if (IsBoundByRef(reference))
        {
            // ref var header = ref MemoryMarshal.AsRef<T>(view): writes through the ref reach guest memory.
            return Usage.Write;
        }

        ExpressionSyntax node = reference;
        if (node.Parent is MemberAccessExpressionSyntax { Name: IdentifierNameSyntax member } access && access.Expression == node && member != reference)
        {
            if (model.GetSymbolInfo(member, cancellationToken).Symbol is IMethodSymbol called && semantics.Symbols.Effects.IsWriting(called))
            {
                return Usage.Write;
            }

            node = access.Parent is InvocationExpressionSyntax call && call.Expression == access ? call : access;
            if (!HoldsView(model, node, semantics, cancellationToken))
            {
                return Usage.Read;
            }
        }

        // *p = x through a pinned or derived pointer.
        if (node.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PointerIndirectionExpression } indirection)
        {
            return IsWriteTarget(indirection) ? Usage.Write : Usage.Read;
        }

        // Element access: view[i] = x, view[i]++, ref view[i], &view[i].
        if (node.Parent is ElementAccessExpressionSyntax element && element.Expression == node)
        {
            if (IsWriteTarget(element))
            {
                return Usage.Write;
            }

            node = element;
            if (!HoldsView(model, element, semantics, cancellationToken) && element.Parent is not (RefExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression }))
            {
                return Usage.Read;
            }
        }

        if (IsWriteTarget(node))
        {
            // view = other rebinds the variable; only through a ref local does it write guest memory.
            return node != reference || (model.GetSymbolInfo(reference, cancellationToken).Symbol is ILocalSymbol { IsRef: true })
                ? Usage.Write
                : Usage.Read;
        }

        var top = node;
        while (top.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax or RefExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression } or BinaryExpressionSyntax)
        {
            top = (ExpressionSyntax)top.Parent;
        }

        switch (top.Parent)
        {
            case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }:
                derived = model.GetDeclaredSymbol(declarator, cancellationToken) as ILocalSymbol;
                return Usage.Derive;
            case AssignmentExpressionSyntax assignment when assignment.Right == top:
                derived = model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol as ILocalSymbol;
                return derived is null ? Usage.Read : Usage.Derive;
            case ArgumentSyntax argument:
                return ClassifyArgument(model, argument, semantics, cancellationToken);
            default:
                return Usage.Read;
        }
    }

    /// <summary>Whether a view handed as <paramref name="argument"/> may be written through by the callee.</summary>
    internal static bool MayWriteArgument(SemanticModel model, ArgumentSyntax argument, WasmViewSemantics semantics, CancellationToken cancellationToken)
        => ClassifyArgument(model, argument, semantics, cancellationToken) == Usage.Write;

    private static Usage ClassifyArgument(SemanticModel model, ArgumentSyntax argument, WasmViewSemantics semantics, CancellationToken cancellationToken)
    {
        if (!argument.RefKindKeyword.IsKind(SyntaxKind.None) && !argument.RefKindKeyword.IsKind(SyntaxKind.InKeyword))
        {
            return Usage.Write;
        }

        // (name, view): an element of a tuple is kept with it, not handed to a callee that may write it.
        if (argument.Parent is TupleExpressionSyntax)
        {
            return Usage.Read;
        }

        if (model.GetOperation(argument, cancellationToken) is not Microsoft.CodeAnalysis.Operations.IArgumentOperation { Parameter: { } parameter } operation)
        {
            return Usage.Write;
        }

        if (operation.Parent is Microsoft.CodeAnalysis.Operations.IInvocationOperation call && semantics.IsStorageIntoCollection(call))
        {
            // outputs.Add(view): stored for later, not written.
            return Usage.Read;
        }

        // A writable span handed over lets the callee write guest memory, unless it is known to read
        // (MemoryExtensions, MemoryMarshal), and not one of their writing methods (CopyTo's destination).
        var symbols = semantics.Symbols;
        if (!symbols.IsWritableView(parameter.Type))
        {
            return Usage.Read;
        }

        return parameter.ContainingSymbol is IMethodSymbol method && symbols.Effects.IsOfReadingType(method) && !symbols.Effects.IsWriting(method)
            ? Usage.Read
            : Usage.Write;
    }

    private static bool IsWriteTarget(ExpressionSyntax node) => node.Parent switch
    {
        AssignmentExpressionSyntax assignment => assignment.Left == node,
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } => true,
        PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } => true,
        ArgumentSyntax argument => argument.RefKindKeyword.IsKind(SyntaxKind.RefKeyword) || argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword),
        _ => false,
    };

    private static SyntaxNode? FindScope(SyntaxNode declaration)
    {
        for (var current = declaration; current is not null; current = current.Parent)
        {
            if (current is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or CompilationUnitSyntax)
            {
                return current;
            }
        }

        return null;
    }
}
