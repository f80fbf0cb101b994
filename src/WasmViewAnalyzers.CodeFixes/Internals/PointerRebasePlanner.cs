using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Knowledge;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A pointer, address or <c>ref</c> into guest memory kept in a local across a guest call, from a
/// source that cannot be evaluated again (a helper that calls the guest or allocates): its guest
/// offset is taken where it is obtained, while it is fresh (<c>var cellsOffset = cells -
/// _memory.GetPointer();</c>), and after the call the pointer is rebased on the same memory
/// (<c>cells = _memory.GetPointer() + cellsOffset;</c>). Where the memory did not move, that is the
/// pointer the code held; where it moved, the same guest address. The program reads and writes
/// what it did, at the same place in guest memory, whatever the guest wrote there in between.
/// </summary>
/// <remarks>
/// Offered where the local is declared once, from an expression that obtains the view and calls
/// the guest nowhere after it, is never assigned (nor re-bound) elsewhere, and the memory the view
/// was obtained from is known from the code that obtains it: the receiver of <c>GetPointer</c> or
/// <c>GetSpan</c> there, or in the bodies of the helpers of the same type it calls (every return of
/// which is built on that memory), and is a readonly field, a get-only auto-property, a local or
/// parameter never assigned, or a primary constructor's parameter no member of the type assigns,
/// that the method can name. A <c>ref</c> is rebased in <c>unsafe</c> code
/// only, through <c>Unsafe.AsPointer</c>/<c>Unsafe.AsRef</c>, and only for an unmanaged struct.
/// </remarks>
internal static class PointerRebasePlanner
{
    private const int HelperDepth = 4;

    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts
            || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree
            || finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol { DeclaringSyntaxReferences.Length: 1 } view
            || view.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
            || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1 }
            || declarator.Parent.Parent is not LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, Parent: BlockSyntax or SwitchSectionSyntax } declaration
            || ViewReacquirePlanner.EnclosingFunction(declaration) is not { } body
            || ViewReacquirePlanner.EnclosingFunction(name) != body
            || ViewReacquirePlanner.StatementBefore(name, body) is not { } before
            || before.SpanStart < declaration.Span.End
            || MemoryOf(model, initializer is RefExpressionSyntax reference ? reference.Expression : initializer, body, cancellationToken) is not { } memory
            || !IsNamedAt(model, memory, declaration.Span.End, cancellationToken)
            || !IsNamedAt(model, memory, before.SpanStart, cancellationToken))
        {
            return null;
        }

        // The offset this fix took for an earlier use (applied one at a time) serves this one too.
        var offsetName = SyntaxHelpers.UniqueName(model, declaration.Span.End, view.Name + "Offset", cancellationToken);
        var next = (declaration.Parent as BlockSyntax)?.Statements.SkipWhile(statement => statement != declaration).Skip(1).FirstOrDefault();
        var taken = next is LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } earlier } ? earlier[0].Identifier.ValueText : null;
        var existing = taken is not null && Rebasing(model, view, declaration, memory.Name, taken) is { } earlierStatements && next!.IsEquivalentTo(earlierStatements.Offset.WithTriviaFrom(next), topLevel: false)
            ? earlierStatements
            : ((StatementSyntax Offset, StatementSyntax Rebase)?)null;
        if ((existing ?? Rebasing(model, view, declaration, memory.Name, offsetName)) is not { } statements
            || IsAssignedElsewhere(model, view, body, declarator, statements.Rebase, cancellationToken))
        {
            return null;
        }

        // Obtained where it is declared, with no guest call after it there, by a source that cannot
        // run again (where it can, obtaining it again says the same more plainly); or rebased by this
        // fix before, for an earlier use.
        var acquisition = facts.Acquisition.Syntax;
        if (initializer.Span.Contains(acquisition.Span)
                ? ViewReacquirePlanner.CallsGuestAfterWithin(model, semantics, acquisition, initializer, cancellationToken) || ViewReacquirePlanner.Plan(finding) is not null
                : !acquisition.Ancestors().OfType<ExpressionStatementSyntax>().Any(rebased => rebased.IsEquivalentTo(statements.Rebase.WithTriviaFrom(rebased), topLevel: false)))
        {
            return null;
        }

        // The memory is a readonly field or a variable never assigned: the same wherever the pointer is rebased.
        var plan = ViewReacquirePlanner.Placed(
            finding,
            name,
            before,
            new[] { (view, (SyntaxNode)declaration, statements.Rebase) },
            (_, _) => true,
            null);
        if (plan is null)
        {
            return null;
        }

        return existing is null ? new FixEdit[] { new OffsetEdit(declaration, statements.Offset), new ReacquireEdit(plan, semantics, model) } : new FixEdit[] { new ReacquireEdit(plan, semantics, model) };
    }

    /// <summary>
    /// A pointer bound by a pattern out of what a helper returns (<c>if (Describe(t, i) is { Header:
    /// var header } &amp;&amp; ...) { _free(t); ... header ... }</c>) or given by a helper's <c>out</c>
    /// argument (<c>if (!TryGlyphRun(box, out var run)) return -1;</c>), kept across a guest call: its
    /// offset is taken where it is bound, while it is fresh — first in the block the pattern guards,
    /// or right after the statement of the <c>out</c> argument — and it is rebased after the call, as
    /// for a local declared from the helper (<see cref="Plan"/>).
    /// </summary>
    /// <remarks>
    /// Offered where the statement that binds it obtains the view last of the guest calls it makes
    /// (nothing of the condition after the pattern, or of the statement after the call, calls the
    /// guest), the variable is assigned nowhere else, and the memory is known from the helper as for a
    /// local (for an <c>out</c> argument, from what the helper stores in it).
    /// </remarks>
    public static IReadOnlyList<FixEdit>? PlanBound(FindingContext finding)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        if (finding.Facts is not { } facts
            || facts.Acquisition.Syntax.SyntaxTree != model.SyntaxTree
            || facts.Acquisition.Syntax is not (ExpressionSyntax or ArgumentSyntax)
            || finding.Location is not IdentifierNameSyntax name
            || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol { IsRef: false, DeclaringSyntaxReferences.Length: 1 } view
            || view.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not SingleVariableDesignationSyntax designation
            || designation.FirstAncestorOrSelf<StatementSyntax>() is not { } statement
            || !statement.Span.Contains(facts.Acquisition.Syntax.Span)
            || ViewReacquirePlanner.EnclosingFunction(statement) is not { } body
            || ViewReacquirePlanner.EnclosingFunction(name) != body
            || ViewReacquirePlanner.StatementBefore(name, body) is not { } before
            || ViewReacquirePlanner.Plan(finding) is not null)
        {
            return null;
        }

        // Where the offset goes, and what must call no guest after the view is obtained.
        var acquisition = facts.Acquisition.Syntax;
        StatementSyntax anchor;
        bool beforeAnchor;
        SyntaxNode boundBy;
        IParameterSymbol? outParameter = null;
        ExpressionSyntax source;
        if (designation.Parent is DeclarationExpressionSyntax { Parent: ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword } argument }
            && argument.Parent?.Parent is InvocationExpressionSyntax call
            && call.Span.Contains(acquisition.Span)
            && model.GetOperation(argument, cancellationToken) is IArgumentOperation { Parameter: { } parameter }
            && statement.Parent is BlockSyntax
            && before.SpanStart >= statement.Span.End)
        {
            // if (!TryGlyphRun(box, out var run)) return -1;: after the statement, which must run no guest code after the call.
            acquisition = call;
            anchor = statement;
            beforeAnchor = false;
            boundBy = statement;
            outParameter = parameter.OriginalDefinition;
            source = call;
        }
        else if (designation.Parent is (VarPatternSyntax or DeclarationPatternSyntax) and { Parent: SubpatternSyntax or IsPatternExpressionSyntax }
                 && designation.Ancestors().OfType<IsPatternExpressionSyntax>().FirstOrDefault() is { } isPattern
                 && isPattern.Expression.Span.Contains(acquisition.Span)
                 && statement is IfStatementSyntax { Statement: BlockSyntax { Statements.Count: > 0 } guarded } ifStatement
                 && ifStatement.Condition.Span.Contains(isPattern.Span)
                 && guarded.Span.Contains(name.Span)
                 && IsTrueWhenTheConditionIs(isPattern, ifStatement.Condition))
        {
            // if (Describe(t, i) is { Header: var header } && kind != 0) { ... }: first in the block.
            anchor = guarded.Statements[0];
            beforeAnchor = true;
            boundBy = ifStatement.Condition;
            source = isPattern.Expression;
        }
        else
        {
            return null;
        }

        if (ViewReacquirePlanner.CallsGuestAfterWithin(model, semantics, acquisition, boundBy, cancellationToken)
            || MemoryOf(model, source, body, cancellationToken, outParameter) is not { } memory
            || !IsNamedAt(model, memory, anchor.SpanStart, cancellationToken)
            || !IsNamedAt(model, memory, before.SpanStart, cancellationToken))
        {
            return null;
        }

        // The offset this fix took for an earlier use (applied one at a time) serves this one too.
        var neighbour = beforeAnchor ? anchor : (anchor.Parent as BlockSyntax)?.Statements.SkipWhile(each => each != anchor).Skip(1).FirstOrDefault();
        var taken = neighbour is LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } earlier } ? earlier[0].Identifier.ValueText : null;
        var existing = taken is not null && Rebasing(model, view, statement, memory.Name, taken) is { } earlierStatements && neighbour!.IsEquivalentTo(earlierStatements.Offset.WithTriviaFrom(neighbour), topLevel: false)
            ? earlierStatements
            : ((StatementSyntax Offset, StatementSyntax Rebase)?)null;
        var offsetName = SyntaxHelpers.UniqueName(model, anchor.SpanStart, view.Name + "Offset", cancellationToken);
        if ((existing ?? Rebasing(model, view, statement, memory.Name, offsetName)) is not { } statements
            || IsAssignedElsewhere(model, view, body, designation, statements.Rebase, cancellationToken))
        {
            return null;
        }

        // Obtained where it is bound; or rebased by this fix before, for an earlier use.
        if (!source.Span.Contains(acquisition.Span)
            && !acquisition.Ancestors().OfType<ExpressionStatementSyntax>().Any(rebased => rebased.IsEquivalentTo(statements.Rebase.WithTriviaFrom(rebased), topLevel: false)))
        {
            return null;
        }

        var plan = ViewReacquirePlanner.Placed(finding, name, before, new[] { (view, (SyntaxNode)source, statements.Rebase) }, (_, _) => true, null);
        if (plan is null || plan.Before.SpanStart < anchor.SpanStart || (!beforeAnchor && plan.Before.SpanStart < anchor.Span.End))
        {
            return null;
        }

        return existing is null
            ? new FixEdit[] { new OffsetEdit(anchor, statements.Offset, beforeAnchor), new ReacquireEdit(plan, semantics, model) }
            : new FixEdit[] { new ReacquireEdit(plan, semantics, model) };

        // The pattern matched wherever the condition is true: the condition itself, or an operand of its '&&'.
        static bool IsTrueWhenTheConditionIs(ExpressionSyntax test, ExpressionSyntax condition)
        {
            SyntaxNode node = test;
            while (node.Parent is ParenthesizedExpressionSyntax or BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression })
            {
                node = node.Parent;
            }

            return node == condition;
        }
    }

    /// <summary>
    /// Each pointer <paramref name="stores"/> puts in a collection, replaced by its guest offset
    /// taken there (<c>BoardAddress() - _memory.GetPointer()</c>, or the offset itself where it reads
    /// <c>_memory.GetPointer() + offset</c>): the one memory they all point into, which every store and
    /// read can name; none where a pointer may be stale when it is stored (a guest call after it is
    /// obtained, in the statement that stores it) or comes from elsewhere.
    /// </summary>
    internal static ISymbol? RebasedStores(FindingContext finding, SyntaxNode body, IReadOnlyList<ExpressionSyntax> stores, IReadOnlyList<ExpressionSyntax> reads, List<(SyntaxNode Original, SyntaxNode Replacement)> replacements)
    {
        var model = finding.Model;
        var semantics = finding.Semantics;
        var cancellationToken = finding.CancellationToken;
        ISymbol? memory = null;
        foreach (var pointer in stores)
        {
            // A local a helper's call filled (var p = Cell(i); or Try(box, out var p);) and nothing
            // that may call the guest since: the call says which memory, the local is fresh.
            var obtained = Unwrapped(pointer) is IdentifierNameSyntax ? OffsetSlotPlanner.FreshlyObtained(finding, pointer) : null;
            if (StoreOf(pointer) is not { } statement
                || (obtained is null && (!IsObtainedLast(model, semantics, pointer, cancellationToken) || ViewReacquirePlanner.CallsGuestAfterWithin(model, semantics, pointer, statement, cancellationToken)))
                || (obtained is not null && !IsObtainedLast(model, semantics, obtained, cancellationToken))
                || MemoryOf(model, obtained ?? pointer, body, cancellationToken) is not { } each
                || (memory is not null && !SymbolEqualityComparer.Default.Equals(memory, each))
                || !IsNamedAt(model, each, pointer.SpanStart, cancellationToken))
            {
                return null;
            }

            memory = each;
            ExpressionSyntax offset;
            if (OffsetSlotPlanner.Decompose(model, pointer, cancellationToken) is { Local: null } parts && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(parts.Memory, cancellationToken).Symbol, each))
            {
                offset = parts.Offset.WithoutTrivia();
            }
            else
            {
                var stored = pointer.WithoutTrivia();
                if (stored is not (InvocationExpressionSyntax or MemberAccessExpressionSyntax or IdentifierNameSyntax or CastExpressionSyntax or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax))
                {
                    stored = ParenthesizedExpression(stored);
                }

                offset = ParseExpression($"{(model.GetTypeInfo(pointer, cancellationToken).Type?.SpecialType == SpecialType.System_IntPtr ? stored.ToString() : "(nint)" + stored)} - {each.Name}.GetPointer()");
            }

            replacements.Add((pointer, offset.WithTriviaFrom(pointer)));
        }

        return memory is not null && reads.All(read => IsNamedAt(model, memory, read.SpanStart, cancellationToken)) ? memory : null;
    }

    /// <summary>
    /// Whether every value <paramref name="expression"/> may evaluate to is obtained by a call (the
    /// memory's <c>GetPointer</c>, a helper's): not <c>found ? At(offset) : 0</c>, whose 0 for none
    /// would become the memory's base where it is rebased, nor a branch that reads a variable.
    /// </summary>
    private static bool EveryBranchObtains(ExpressionSyntax expression)
        => Unwrapped(expression) switch
        {
            ConditionalExpressionSyntax conditional => EveryBranchObtains(conditional.WhenTrue) && EveryBranchObtains(conditional.WhenFalse),
            BinaryExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceExpression } coalesce => EveryBranchObtains(coalesce.Left) && EveryBranchObtains(coalesce.Right),
            SwitchExpressionSyntax switched => switched.Arms.All(arm => EveryBranchObtains(arm.Expression)),
            var value => value.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(),
        };

    /// <summary><paramref name="expression"/> under its parentheses and casts.</summary>
    private static ExpressionSyntax Unwrapped(ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            expression = expression is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)expression).Expression;
        }

        return expression;
    }

    /// <summary>
    /// What runs with the store of <paramref name="pointer"/>: its statement, or the body of the
    /// expression-bodied member or lambda it is in (<c>void Keep(int i) => _ring[i] = Cell(i);</c>).
    /// </summary>
    private static SyntaxNode? StoreOf(ExpressionSyntax pointer)
        => pointer.Ancestors().FirstOrDefault(node => node is StatementSyntax or ArrowExpressionClauseSyntax
                                                      || node.Parent is AnonymousFunctionExpressionSyntax function && function.ExpressionBody == node);

    /// <summary>
    /// Whether <paramref name="pointer"/> obtains its view last of what it runs: it calls no guest,
    /// or it is a call (under casts, <c>Unsafe.AsPointer(ref ...)</c>) whose arguments call none.
    /// </summary>
    private static bool IsObtainedLast(SemanticModel model, WasmViewSemantics semantics, ExpressionSyntax pointer, CancellationToken cancellationToken)
    {
        var inner = pointer;
        while (true)
        {
            switch (inner)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    inner = parenthesized.Expression;
                    continue;
                case CastExpressionSyntax cast:
                    inner = cast.Expression;
                    continue;
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "AsPointer" }, ArgumentList.Arguments: { Count: 1 } arguments } asPointer
                    when arguments[0].RefKindKeyword.IsKind(SyntaxKind.RefKeyword) && model.GetSymbolInfo(asPointer, cancellationToken).Symbol?.ContainingType?.Name == "Unsafe":
                    inner = arguments[0].Expression;
                    continue;
            }

            break;
        }

        return !GuestCallFinder.Contains(model, semantics, inner, cancellationToken)
               || (inner is InvocationExpressionSyntax call && !GuestCallFinder.Contains(model, semantics, call.ArgumentList, cancellationToken) && !GuestCallFinder.Contains(model, semantics, call.Expression is MemberAccessExpressionSyntax member ? member.Expression : call.ArgumentList, cancellationToken));
    }

    /// <summary>
    /// <c>var pOffset = p - memory.GetPointer();</c> and <c>p = memory.GetPointer() + pOffset;</c>,
    /// with the casts the local's type needs; none for a type that is no pointer or address, or a
    /// <c>ref</c> outside <c>unsafe</c> code.
    /// </summary>
    private static (StatementSyntax Offset, StatementSyntax Rebase)? Rebasing(SemanticModel model, ILocalSymbol view, StatementSyntax declaration, string memory, string offset)
    {
        var type = view.Type;
        var position = declaration.SpanStart;
        var typeName = type.ToMinimalDisplayString(model, position);
        var basePointer = memory + ".GetPointer()";
        string offsetValue;
        string rebased;
        if (view.IsRef)
        {
            if (!type.IsUnmanagedType || type.TypeKind != TypeKind.Struct || !SyntaxHelpers.IsUnsafeContext(declaration))
            {
                return null;
            }

            offsetValue = $"(nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref {view.Name}) - {basePointer}";
            rebased = $"{view.Name} = ref System.Runtime.CompilerServices.Unsafe.AsRef<{typeName}>((void*)({basePointer} + {offset}));";
        }
        else if (IsNativeInteger(type) || type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T, TypeArguments.Length: 1 } nullable && IsNativeInteger(nullable.TypeArguments[0]))
        {
            // Lifted for a nullable pointer: none stays none, where a pointer's 0 would become the memory's base.
            offsetValue = $"{view.Name} - {basePointer}";
            rebased = $"{view.Name} = {basePointer} + {offset};";
        }
        else if (type is IPointerTypeSymbol || type.SpecialType is SpecialType.System_UIntPtr or SpecialType.System_Int64 or SpecialType.System_UInt64)
        {
            offsetValue = $"(nint){view.Name} - {basePointer}";
            rebased = $"{view.Name} = ({typeName})({basePointer} + {offset});";
        }
        else
        {
            return null;
        }

        var offsetStatement = SyntaxHelpers.LocalDeclaration(offset, ParseExpression(offsetValue)).WithAdditionalAnnotations(Simplifier.Annotation);
        return (offsetStatement, ParseStatement(rebased).WithAdditionalAnnotations(Simplifier.Annotation));
    }

    private static bool IsNativeInteger(ITypeSymbol type) => type.SpecialType == SpecialType.System_IntPtr;

    /// <summary>Whether the local is written anywhere but its declaration (a pointer moved on, a <c>ref</c> re-bound), or a rebasing as this fix writes it.</summary>
    private static bool IsAssignedElsewhere(SemanticModel model, ILocalSymbol view, SyntaxNode body, SyntaxNode declarator, StatementSyntax rebase, CancellationToken cancellationToken)
        => ViewReacquirePlanner.IsWrittenBesides(
            model, view, body, declarator, rebase,
            reference => view.IsRef
                ? reference.Parent is AssignmentExpressionSyntax { Right: RefExpressionSyntax } rebinding && rebinding.Left == reference
                : ViewReacquirePlanner.IsWrite(reference) || reference.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression },
            cancellationToken);

    /// <summary>
    /// The one memory the view is obtained from: the receiver of Wasmtime's <c>GetPointer</c> or
    /// <c>GetSpan</c> in <paramref name="initializer"/>, or in the helpers of this type it calls on
    /// this object (and theirs), whose every return is built on it; a readonly field, a get-only
    /// auto-property, a local or parameter of <paramref name="body"/> never assigned, or a primary
    /// constructor's parameter no member of the type assigns.
    /// </summary>
    private static ISymbol? MemoryOf(SemanticModel model, ExpressionSyntax initializer, SyntaxNode body, CancellationToken cancellationToken, IParameterSymbol? outParameter = null)
    {
        if (WasmSymbols.TryCreate(model.Compilation) is not { } symbols
            || !EveryBranchObtains(initializer)
            || model.GetOperation(initializer, cancellationToken) is not { } root
            || model.GetEnclosingSymbol(initializer.SpanStart, cancellationToken) is not { ContainingType: { } type })
        {
            return null;
        }

        var found = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        var visited = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        if (!Collect(root, HelperDepth) || found.Count != 1)
        {
            return null;
        }

        var memory = found.Single();
        return memory switch
        {
            IFieldSymbol { IsReadOnly: true } or IPropertySymbol { SetMethod: null, IsIndexer: false, IsAbstract: false } => memory,
            IParameterSymbol parameter when IsPrimaryConstructorParameter(parameter) => IsWrittenInItsType(model, parameter, cancellationToken) ? null : memory,
            ILocalSymbol or IParameterSymbol when !ViewReacquirePlanner.References(model, memory, body, cancellationToken).Any(ViewReacquirePlanner.IsWrite) => memory,
            _ => null,
        };

        // Every Memory member the operation reads, through the helpers it calls on this object.
        bool Collect(IOperation operation, int depth)
        {
            foreach (var each in operation.DescendantsAndSelf())
            {
                if (each is not IInvocationOperation invocation)
                {
                    continue;
                }

                var method = invocation.TargetMethod;
                if (symbols.IsWasmtimeType(method.ContainingType, symbols.Memory) && method.Name is "GetPointer" or "GetSpan")
                {
                    var receiver = invocation.Instance?.WalkDownConversions();
                    var symbol = receiver switch
                    {
                        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation } property => property.Property,
                        ILocalReferenceOperation local when depth == HelperDepth => local.Local,
                        IParameterReferenceOperation parameter when depth == HelperDepth || IsPrimaryConstructorParameter(parameter.Parameter) => parameter.Parameter,
                        _ => (ISymbol?)null,
                    };

                    if (symbol is null)
                    {
                        return false;
                    }

                    found.Add(symbol);
                }
                else if (SymbolEqualityComparer.Default.Equals(method.ContainingType, type)
                         && invocation.Instance is null or IInstanceReferenceOperation
                         && method.DeclaringSyntaxReferences.Length == 1
                         && visited.Add(method.OriginalDefinition))
                {
                    // A helper that returns a number (an offset it asked the guest for: LookupOffset(name))
                    // builds no view; a memory it reads still counts.
                    if (depth == 0 || !(ReturnsANumber(method) ? CollectIn(method, depth - 1) : HelperBuiltOnMemory(method, depth - 1)))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        // The memories a helper's body reads, through the helpers it calls.
        bool CollectIn(IMethodSymbol method, int depth)
        {
            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            var helperModel = SyntaxHelpers.ModelOf(model, syntax.SyntaxTree);
            return syntax is MethodDeclarationSyntax declaration
                   && helperModel.GetOperation((SyntaxNode?)declaration.Body ?? declaration.ExpressionBody!, cancellationToken) is { } bodyOperation
                   && Collect(bodyOperation, depth);
        }

        // A helper of the view: every value it returns is built in it, on the memory it reads.
        bool HelperBuiltOnMemory(IMethodSymbol method, int depth)
        {
            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            var helperModel = SyntaxHelpers.ModelOf(model, syntax.SyntaxTree);
            var returned = syntax switch
            {
                // TryGlyphRun(box, out var run): what the helper stores in that out parameter.
                MethodDeclarationSyntax { Body: { } block } when outParameter is not null && SymbolEqualityComparer.Default.Equals(outParameter.ContainingSymbol, method.OriginalDefinition)
                    => block.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                        .OfType<AssignmentExpressionSyntax>()
                        .Where(assignment => assignment.Left is IdentifierNameSyntax { Identifier.ValueText: var stored } && stored == outParameter.Name)
                        .Select(assignment => assignment.Right)
                        .ToArray(),
                MethodDeclarationSyntax { ExpressionBody.Expression: { } expression } => new[] { expression },
                MethodDeclarationSyntax { Body: { } block } => block.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                    .OfType<ReturnStatementSyntax>()
                    .Select(statement => statement.Expression)
                    .ToArray(),
                _ => null,
            };

            if (returned is null || returned.Length == 0 || syntax is not MethodDeclarationSyntax declaration)
            {
                return false;
            }

            var before = found.Count;
            var bodyOperation = helperModel.GetOperation((SyntaxNode?)declaration.Body ?? declaration.ExpressionBody!, cancellationToken);
            return bodyOperation is not null
                   && Collect(bodyOperation, depth)
                   && found.Count > 0
                   && returned.All(expression => expression is not null && BuiltOnMemory(helperModel, expression));
        }

        // The returned value reads the memory or a helper of this type (or a local declared from one).
        bool BuiltOnMemory(SemanticModel helperModel, ExpressionSyntax expression)
        {
            var operation = helperModel.GetOperation(expression is RefExpressionSyntax reference ? reference.Expression : expression, cancellationToken);
            for (var hops = 0; operation is not null && hops < 3; hops++)
            {
                if (operation.DescendantsAndSelf().Any(each => each is IInvocationOperation invocation
                        && (symbols.IsWasmtimeType(invocation.TargetMethod.ContainingType, symbols.Memory) && invocation.TargetMethod.Name is "GetPointer" or "GetSpan"
                            || SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, type) && visited.Contains(invocation.TargetMethod.OriginalDefinition))))
                {
                    return true;
                }

                // return p; where var p = ...: the value the local was declared from.
                operation = operation.WalkDownConversions() is ILocalReferenceOperation { Local.DeclaringSyntaxReferences: { Length: 1 } references }
                            && references[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: { } value }
                    ? helperModel.GetOperation(value, cancellationToken)
                    : null;
            }

            return false;
        }
    }

    /// <summary>A helper that returns a 32-bit number, a flag or nothing: no pointer or address.</summary>
    private static bool ReturnsANumber(IMethodSymbol method)
        => !method.ReturnsByRef && !method.ReturnsByRefReadonly
           && method.ReturnType.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Boolean or SpecialType.System_Void;

    /// <summary>A parameter of a class's or struct's primary constructor, which every instance member of the type can name.</summary>
    private static bool IsPrimaryConstructorParameter(IParameterSymbol parameter)
        => parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
           && constructor.DeclaringSyntaxReferences.Length == 1
           && constructor.DeclaringSyntaxReferences[0].GetSyntax() is TypeDeclarationSyntax;

    /// <summary>
    /// Whether any member of the type (in any of its parts) assigns the primary constructor's
    /// parameter, or takes it by reference: then it is not the same memory wherever it is named.
    /// </summary>
    private static bool IsWrittenInItsType(SemanticModel model, IParameterSymbol parameter, CancellationToken cancellationToken)
    {
        foreach (var part in parameter.ContainingType.DeclaringSyntaxReferences)
        {
            var declaration = part.GetSyntax(cancellationToken);
            var partModel = SyntaxHelpers.ModelOf(model, declaration.SyntaxTree);
            if (ViewReacquirePlanner.References(partModel, parameter, declaration, cancellationToken).Any(ViewReacquirePlanner.IsWrite))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the simple name of <paramref name="memory"/> means it at <paramref name="position"/>.</summary>
    private static bool IsNamedAt(SemanticModel model, ISymbol memory, int position, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var seen = model.LookupSymbols(position, name: memory.Name);
        return seen.Length == 1 && SymbolEqualityComparer.Default.Equals(seen[0], memory)
               && (memory.IsStatic || memory is ILocalSymbol || memory is IParameterSymbol parameter && !IsPrimaryConstructorParameter(parameter) || model.GetEnclosingSymbol(position, cancellationToken) is { IsStatic: false });
    }

    /// <summary>
    /// The offset (or address) taken right after the declaration of the view, while it is fresh, or
    /// first in the block a pattern that binds it guards: one edit for all its rebasings.
    /// </summary>
    internal sealed class OffsetEdit : FixEdit
    {
        private readonly StatementSyntax _anchor;
        private readonly StatementSyntax _offset;
        private readonly bool _before;

        public OffsetEdit(StatementSyntax declaration, StatementSyntax offset, bool beforeIt = false)
        {
            _anchor = declaration;
            _offset = offset;
            _before = beforeIt;
        }

        public override string Key => "rebase-offset:" + _anchor.SpanStart + (_before ? ":before" : string.Empty);

        public override TextSpan Span => new(_before ? _anchor.SpanStart : _anchor.Span.End, 0);

        public override SyntaxTree Tree => _anchor.SyntaxTree;

        public override void Apply(DocumentEditor editor, FixApplication application)
        {
            var offset = _offset
                .WithLeadingTrivia(SyntaxHelpers.Indentation(_anchor))
                .WithTrailingTrivia(SyntaxHelpers.EndOfLineAfter(_anchor))
                .WithAdditionalAnnotations(Formatter.Annotation);
            if (_before)
            {
                editor.InsertBefore(_anchor, offset);
            }
            else
            {
                editor.InsertAfter(_anchor, offset);
            }
        }
    }
}
