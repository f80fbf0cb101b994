using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Raw pointers kept in a local dictionary, array, list, queue or stack (of pointers, or of tuples
/// holding one) while the guest runs (<c>local.Add(key,
/// (nint)((byte*)_memory.GetPointer() + offset))</c> in a loop that calls <c>_malloc</c>): the
/// collection keeps the guest offsets instead, its element type becomes the offset's, and where a
/// value is read the pointer is obtained again from the same memory (<c>*(byte*)(_memory.GetPointer()
/// + pair.Value)</c>). One plan serves both findings: the store (WVA002) and the stale read (WVA001).
/// </summary>
/// <remarks>
/// Offered only where every use of the collection is known: stores whose pointer is a memory
/// field's <c>GetPointer()</c> plus an offset; reads through <c>foreach</c> over it
/// (<c>pair.Value</c>, a deconstructed value) or over its <c>Values</c>,
/// <c>TryGetValue(key, out var value)</c>, an element read as a value (<c>ring[0]</c>), taken out
/// (<c>Dequeue()</c>, <c>Pop()</c>, <c>Peek()</c>, <c>TryDequeue(out var upload)</c>) or a <c>foreach</c>'s
/// variable, a tuple's pointer element read by name (<c>upload.Start</c>),
/// each value read as a pointer (not compared: an offset of 0 is no null pointer); and
/// <c>Count</c>, <c>ContainsKey</c>, <c>Keys</c>, <c>Clear</c>, <c>Length</c>. A collection handed
/// anywhere else keeps its type. The result must compile.
/// </remarks>
internal static class LocalOffsetMapPlanner
{
    /// <summary>
    /// WVA002: the pointer handed to the collection's <c>Add</c>, <c>TryAdd</c>, <c>Enqueue</c>,
    /// <c>Push</c> or indexer; the collection keeps offsets, of the offset's type where it can take
    /// it, else rebased in its own type (<see cref="PlanRebasedForRead"/>).
    /// </summary>
    public static IReadOnlyList<FixEdit>? PlanForStore(FindingContext finding)
    {
        var additional = finding.Diagnostic.AdditionalLocations;
        if (additional.Count == 0 || additional[0].SourceTree != finding.Root.SyntaxTree)
        {
            return null;
        }

        var node = finding.Root.FindNode(additional[0].SourceSpan, getInnermostNodeForTie: true);
        var handed = node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;

        // uploads.Enqueue(((nint)((byte*)memory.GetPointer() + address), length)): the tuple is what is stored.
        while (handed?.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            handed = (ExpressionSyntax)handed.Parent;
        }

        if (handed?.Parent is ArgumentSyntax { Parent: TupleExpressionSyntax tuple })
        {
            handed = tuple;
        }

        ExpressionSyntax? target = handed?.Parent switch
        {
            ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax call } } } => call.Expression,
            AssignmentExpressionSyntax { Left: ElementAccessExpressionSyntax element } assignment when assignment.Right == handed => element.Expression,
            _ => null,
        };

        // Where the collection cannot change its element type (a helper's pointer, a variable of the
        // element's type written out), the pointers are stored rebased: the plan WVA001's finding on
        // the read offers, which repairs this store too.
        return target is not null && finding.Model.GetSymbolInfo(target, finding.CancellationToken).Symbol is ILocalSymbol map
            ? Plan(finding.Model, map, finding.CancellationToken) ?? Plan(finding.Model, map, rebasing: finding, finding.CancellationToken)
            : null;
    }

    /// <summary>WVA001: a value read out of the dictionary after the guest ran.</summary>
    public static IReadOnlyList<FixEdit>? PlanForRead(FindingContext finding)
        => CollectionRead(finding, alsoFilledByACall: false) is { } map ? Plan(finding.Model, map, finding.CancellationToken) : null;

    /// <summary>
    /// WVA001, where the pointers stored do not all read <c>memory.GetPointer() + offset</c> (a
    /// helper's pointer, <c>(nint)Unsafe.AsPointer(ref Entity(id))</c>) or the element type written
    /// elsewhere must stay: each pointer is stored rebased, as its guest offset from the memory it
    /// points into (<c>positions[m] = BoardAddress() - _memory.GetPointer()</c>), taken where it is
    /// stored, while it is fresh, and each value read out is rebased on that memory. The collection
    /// keeps its type (its elements are native integers, which now hold offsets).
    /// </summary>
    public static IReadOnlyList<FixEdit>? PlanRebasedForRead(FindingContext finding)
        => CollectionRead(finding, alsoFilledByACall: true) is { } map ? Plan(finding.Model, map, rebasing: finding, finding.CancellationToken) : null;

    /// <summary>
    /// The local collection the stale value of <paramref name="finding"/> was read out of: an array
    /// indexed at the use, or the collection a local was declared from (or, with
    /// <paramref name="alsoFilledByACall"/>, filled by its <c>TryDequeue(out value)</c>).
    /// </summary>
    private static ILocalSymbol? CollectionRead(FindingContext finding, bool alsoFilledByACall)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        foreach (var name in finding.Location.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            if (model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol { DeclaringSyntaxReferences.Length: 1 } value)
            {
                continue;
            }

            if (value.Type is IArrayTypeSymbol && name.Parent is ElementAccessExpressionSyntax)
            {
                return value;
            }

            var map = MapOf(model, value.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken), cancellationToken)
                      ?? (alsoFilledByACall ? FilledBy(model, value, cancellationToken) : null);
            if (map is not null)
            {
                return map;
            }
        }

        return null;
    }

    /// <summary>The collection whose <c>TryDequeue(out value)</c> (or <c>TryPop</c>, <c>TryPeek</c>) fills a variable declared before it without a value.</summary>
    private static ILocalSymbol? FilledBy(SemanticModel model, ILocalSymbol value, CancellationToken cancellationToken)
    {
        if (value.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer: null } declarator
            || SyntaxHelpers.EnclosingFunction(declarator) is not { } body)
        {
            return null;
        }

        return ViewReacquirePlanner.References(model, value, body, cancellationToken)
            .Select(reference => reference.Parent is ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "TryDequeue" or "TryPop" or "TryPeek", Expression: IdentifierNameSyntax collection } } } }
                ? model.GetSymbolInfo(collection, cancellationToken).Symbol as ILocalSymbol
                : null)
            .FirstOrDefault(collection => collection is not null);
    }

    /// <summary>The dictionary a value variable comes out of: a <c>foreach</c> over it or its <c>Values</c>, or an <c>out var</c> of its <c>TryGetValue</c>.</summary>
    private static ILocalSymbol? MapOf(SemanticModel model, SyntaxNode declaration, CancellationToken cancellationToken)
    {
        var source = declaration switch
        {
            ForEachStatementSyntax loop => loop.Expression,
            SingleVariableDesignationSyntax { Parent: ParenthesizedVariableDesignationSyntax { Parent: DeclarationExpressionSyntax { Parent: ForEachVariableStatementSyntax loop } } } => loop.Expression,
            SingleVariableDesignationSyntax { Parent: DeclarationExpressionSyntax { Parent: ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "TryGetValue" or "TryDequeue" or "TryPop" or "TryPeek" } call } } } } } => call.Expression,
            _ => null,
        };

        if (source is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Values" } values && declaration is ForEachStatementSyntax)
        {
            source = values.Expression;
        }

        return source is IdentifierNameSyntax && model.GetSymbolInfo(source, cancellationToken).Symbol is ILocalSymbol map ? map : null;
    }

    /// <summary>The plan over <paramref name="map"/>; with <paramref name="rebasing"/>, the pointers stored rebased and the collection's type kept.</summary>
    private static IReadOnlyList<FixEdit>? Plan(SemanticModel model, ILocalSymbol map, CancellationToken cancellationToken)
        => Plan(model, map, rebasing: null, cancellationToken);

    private static IReadOnlyList<FixEdit>? Plan(SemanticModel model, ILocalSymbol map, FindingContext? rebasing, CancellationToken cancellationToken)
    {
        var pointerType = map.Type switch
        {
            IArrayTypeSymbol { Rank: 1 } array => array.ElementType,
            INamedTypeSymbol { Name: "Dictionary", Arity: 2, ContainingNamespace: { } containing } dictionary when containing.ToDisplayString() == "System.Collections.Generic" => dictionary.TypeArguments[1],
            INamedTypeSymbol { Name: "Queue" or "Stack" or "List", Arity: 1, ContainingNamespace: { } containing } sequence when containing.ToDisplayString() == "System.Collections.Generic" => sequence.TypeArguments[0],
            _ => null,
        };

        // A queue of (pointer, length) tuples: each pointer element is kept as an offset, the numbers beside it stay.
        var pointerElements = pointerType is INamedTypeSymbol { IsTupleType: true } tupleType ? tupleType.TupleElements.Where(e => IsPointer(e.Type)).ToList() : null;
        if ((pointerElements is null ? !IsPointer(pointerType) : pointerElements.Count == 0)
            || map.DeclaringSyntaxReferences.Length != 1
            || map.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax statement } declaration }
            || SyntaxHelpers.EnclosingFunction(statement) is not { } body)
        {
            return null;
        }

        var stores = new List<ExpressionSyntax>();
        var reads = new List<ExpressionSyntax>();
        foreach (var reference in ViewReacquirePlanner.References(model, map, body, cancellationToken))
        {
            if (!Classify(model, reference, stores, reads, rebasing is not null, cancellationToken))
            {
                return null;
            }
        }

        var replacements = new List<(SyntaxNode Original, SyntaxNode Replacement)>();
        var removals = new List<StatementSyntax>();
        if (rebasing is not null)
        {
            return (pointerElements?.All(e => e.Type.SpecialType == SpecialType.System_IntPtr) ?? pointerType!.SpecialType == SpecialType.System_IntPtr)
                   && reads.Count > 0
                   && reads.All(OffsetSlotPlanner.IsPointerRead)
                   && PointerRebasePlanner.RebasedStores(rebasing, body, stores, reads, replacements) is { } rebasedOn
                ? OffsetSlotPlanner.EditsIfTheyCompile(model, replacements.Concat(reads.Select(read => ((SyntaxNode)read, (SyntaxNode)OffsetSlotPlanner.PointerAgain(model, IdentifierName(rebasedOn.Name), read, model.GetTypeInfo(read, cancellationToken).Type ?? pointerType!)))).ToList(), removals, cancellationToken)
                : null;
        }

        if (!OffsetSlotPlanner.ReplaceByOffsets(model, stores, replacements, removals, out var offsetType, out var memory, cancellationToken))
        {
            return null;
        }

        if (offsetType is null || memory is null || reads.Count == 0 || !reads.All(OffsetSlotPlanner.IsPointerRead))
        {
            return null;
        }

        replacements.AddRange(reads.Select(read => ((SyntaxNode)read, (SyntaxNode)OffsetSlotPlanner.PointerAgain(model, memory, read, model.GetTypeInfo(read, cancellationToken).Type ?? pointerType!))));
        var offsetTypeName = ParseTypeName(offsetType.ToMinimalDisplayString(model, declaration.SpanStart));
        replacements.AddRange(OffsetSlotPlanner.PointerTypesIn(model, declaration, cancellationToken).Select(retyped => ((SyntaxNode)retyped, (SyntaxNode)offsetTypeName.WithTriviaFrom(retyped))));

        return OffsetSlotPlanner.EditsIfTheyCompile(model, replacements, removals, cancellationToken);
    }

    /// <summary>Sorts one use of the dictionary into the pointers it stores or the value reads it leads to; false for a use the plan does not know.</summary>
    private static bool Classify(SemanticModel model, IdentifierNameSyntax reference, List<ExpressionSyntax> stores, List<ExpressionSyntax> reads, bool typeKept, CancellationToken cancellationToken)
    {
        switch (reference.Parent)
        {
            case MemberAccessExpressionSyntax member when member.Expression == reference:
                switch (member.Name.Identifier.ValueText)
                {
                    case "Add" or "TryAdd" when member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 2 } arguments, Parent: ExpressionStatementSyntax }:
                        stores.Add(arguments[1].Expression);
                        return true;
                    case "Add" or "Enqueue" or "Push" when member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments, Parent: ExpressionStatementSyntax }:
                        stores.AddRange(arguments[0].Expression is TupleExpressionSyntax tuple
                            ? tuple.Arguments.Select(a => a.Expression).Where(e => IsPointer(model.GetTypeInfo(e, cancellationToken).Type))
                            : new[] { arguments[0].Expression });
                        return true;
                    case "Dequeue" or "Pop" or "Peek" when member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } taken:
                        return ValueRead(model, taken, reads, cancellationToken);
                    case "TryDequeue" or "TryPop" or "TryPeek" when member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments }
                                                                  && arguments[0] is { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Expression: DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } }:
                        return ReadsOf(model, designation, SyntaxHelpers.EnclosingFunction(member)!, reads, cancellationToken);
                    case "TryDequeue" or "TryPop" or "TryPeek" when typeKept
                                                                  && member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments }
                                                                  && arguments[0] is { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Expression: IdentifierNameSyntax declaredBefore }
                                                                  && model.GetSymbolInfo(declaredBefore, cancellationToken).Symbol is ILocalSymbol { DeclaringSyntaxReferences.Length: 1 } taken
                                                                  && taken.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer: null } declarator:
                        // (nint Start, int Length) slot; while (pending.TryDequeue(out slot)): a variable of the
                        // element's type written out, which keeps it, filled by this call only.
                        return ReadsOf(model, declarator, SyntaxHelpers.EnclosingFunction(member)!, reads, cancellationToken, declaredBefore);
                    case "Values" when member.Parent is ForEachStatementSyntax loop && loop.Expression == member:
                        return ReadsOf(model, loop, loop.Statement, reads, cancellationToken);
                    case "TryGetValue" when member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 2 } arguments }
                                            && arguments[1] is { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Expression: DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } }:
                        return ReadsOf(model, designation, SyntaxHelpers.EnclosingFunction(member)!, reads, cancellationToken);
                    case "Count" or "ContainsKey" or "Keys" or "Clear" or "Length":
                        return true;
                    default:
                        return false;
                }

            case ElementAccessExpressionSyntax element when element.Expression == reference
                                                          && element.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Parent: ExpressionStatementSyntax } assignment
                                                          && assignment.Left == element:
                stores.Add(assignment.Right);
                return true;
            case ElementAccessExpressionSyntax element when element.Expression == reference && !ViewReacquirePlanner.IsWrite(element):
                return ValueRead(model, element, reads, cancellationToken);
            case ForEachStatementSyntax loop when loop.Expression == reference && model.GetTypeInfo(reference, cancellationToken).Type is not INamedTypeSymbol { Name: "Dictionary" }:
                // foreach casts each element to a type written for the variable: only var follows the offset.
                return loop.Type.IsVar && ReadsOf(model, loop, loop.Statement, reads, cancellationToken);
            case ForEachStatementSyntax loop when loop.Expression == reference:
                // foreach (var pair in map): only pair.Key and pair.Value.
                if (model.GetDeclaredSymbol(loop, cancellationToken) is not { } pair)
                {
                    return false;
                }

                foreach (var use in ViewReacquirePlanner.References(model, pair, loop.Statement, cancellationToken))
                {
                    switch (use.Parent)
                    {
                        case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Value" } value when value.Expression == use:
                            reads.Add(value);
                            break;
                        case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Key" } key when key.Expression == use:
                            break;
                        default:
                            return false;
                    }
                }

                return true;
            case ForEachVariableStatementSyntax loop when loop.Expression == reference
                                                        && loop.Variable is DeclarationExpressionSyntax { Designation: ParenthesizedVariableDesignationSyntax { Variables: { Count: 2 } parts } }
                                                        && parts[1] is SingleVariableDesignationSyntax value:
                return ReadsOf(model, value, loop.Statement, reads, cancellationToken);
            default:
                return false;
        }
    }

    /// <summary>The reads of the value variable <paramref name="declaration"/> declares, within <paramref name="scope"/>; false when it is assigned.</summary>
    private static bool ReadsOf(SemanticModel model, SyntaxNode declaration, SyntaxNode scope, List<ExpressionSyntax> reads, CancellationToken cancellationToken, IdentifierNameSyntax? filledBy = null)
    {
        if (model.GetDeclaredSymbol(declaration, cancellationToken) is not ILocalSymbol value)
        {
            return false;
        }

        foreach (var use in ViewReacquirePlanner.References(model, value, scope, cancellationToken))
        {
            if (use == filledBy)
            {
                continue;
            }

            if (ViewReacquirePlanner.IsWrite(use) || !ValueRead(model, use, reads, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A value taken out (<c>value</c>, <c>queue.Dequeue()</c>) as a pointer read, or for a tuple,
    /// its pointer element read by name (<c>upload.Start</c>) or a number beside it; false for a
    /// tuple used whole.
    /// </summary>
    private static bool ValueRead(SemanticModel model, ExpressionSyntax value, List<ExpressionSyntax> reads, CancellationToken cancellationToken)
    {
        if (model.GetTypeInfo(value, cancellationToken).Type is not INamedTypeSymbol { IsTupleType: true })
        {
            reads.Add(value);
            return true;
        }

        if (value.Parent is not MemberAccessExpressionSyntax member
            || member.Expression != value
            || ViewReacquirePlanner.IsWrite(member)
            || model.GetSymbolInfo(member, cancellationToken).Symbol is not IFieldSymbol element)
        {
            return false;
        }

        if (IsPointer(element.Type))
        {
            reads.Add(member);
        }

        return true;
    }

    /// <summary>A pointer or address (a <c>long</c> may as well be a number).</summary>
    private static bool IsPointer(ITypeSymbol? type)
        => OffsetSlotPlanner.IsPointerOrAddress(type) && type!.SpecialType != SpecialType.System_Int64;
}
