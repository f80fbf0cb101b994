using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Which memory a pointer member of an object was taken from, told apart per object where one
/// memory cannot be said for all of them: a record or class made in several places, over several
/// memories (<c>new CallFrame(memory.GetPointer() + ptr, ...)</c> in one method,
/// <c>new CallFrame(_memory.GetPointer() + at, ...)</c> in another).
/// </summary>
internal static partial class OffsetSlotPlanner
{
    /// <summary>
    /// For each read of <paramref name="slot"/> (<c>frame.Calldata</c>), the memory the object it
    /// reads was made over, written as the read can name it; null where a read's object may have been
    /// made elsewhere. An object is followed back only to where it was made in sight of the read:
    /// a local declared from <c>new T(..)</c> (or <c>new T { M = .. }</c>) and never written again,
    /// read in the same function; or a field of the reader's own object, read on <c>this</c>, that
    /// only this object writes and only with objects so made (or <c>null</c>, or a <c>with</c> that
    /// leaves the member as it was). Each of those objects must take its pointer from one memory:
    /// a parameter or local not written in that function, or a field of this object or a static one.
    /// </summary>
    /// <remarks>
    /// Only for a member every store sets where its object is made (a positional argument, an
    /// object initializer): a member set again later (<c>frame.Calldata = p</c>) may hold a pointer
    /// into another memory than the one its object was made over.
    /// </remarks>
    private static IReadOnlyList<ExpressionSyntax>? MemoriesWhereRead(SemanticModel model, Project project, ISymbol slot, IReadOnlyList<ExpressionSyntax> storedPointers, IReadOnlyList<SyntaxNode> reads, CancellationToken cancellationToken)
    {
        if (slot.IsStatic || !storedPointers.All(pointer => CreationSetting(model, slot, pointer, cancellationToken) is not null))
        {
            return null;
        }

        var memories = new List<ExpressionSyntax>();
        foreach (var read in reads)
        {
            if (read is not MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access
                || MemoryOfObject(model, project, slot, access.Expression, read, storedPointers, cancellationToken) is not { } memory
                || !MemoryReachableAt(model, memory, read, cancellationToken))
            {
                return null;
            }

            memories.Add(memory);
        }

        return memories;
    }

    /// <summary>The creation of the slot's type whose argument or initializer stores <paramref name="pointer"/> into the slot.</summary>
    private static BaseObjectCreationExpressionSyntax? CreationSetting(SemanticModel model, ISymbol slot, ExpressionSyntax pointer, CancellationToken cancellationToken)
    {
        var creation = pointer.Parent switch
        {
            ArgumentSyntax { NameColon: null, Parent: ArgumentListSyntax { Parent: BaseObjectCreationExpressionSyntax created } } => created,
            AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax { RawKind: (int)SyntaxKind.ObjectInitializerExpression, Parent: BaseObjectCreationExpressionSyntax created } } assignment
                when assignment.Right == pointer && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol, slot) => created,
            _ => null,
        };

        return creation is not null && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(creation, cancellationToken).Type, slot.ContainingType) ? creation : null;
    }

    /// <summary>The memory the object <paramref name="receiver"/> evaluates to was made over, or null where it cannot be told.</summary>
    private static ExpressionSyntax? MemoryOfObject(SemanticModel model, Project project, ISymbol slot, ExpressionSyntax receiver, SyntaxNode read, IReadOnlyList<ExpressionSyntax> storedPointers, CancellationToken cancellationToken)
    {
        while (receiver is ParenthesizedExpressionSyntax or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression })
        {
            receiver = receiver is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((PostfixUnaryExpressionSyntax)receiver).Operand;
        }

        var symbol = model.GetSymbolInfo(receiver, cancellationToken).Symbol;
        if (symbol is ILocalSymbol { IsRef: false, DeclaringSyntaxReferences.Length: 1 } local
            && receiver is IdentifierNameSyntax
            && local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: { } made } declarator
            && SyntaxHelpers.EnclosingFunction(declarator) is { } body
            && SyntaxHelpers.EnclosingFunction(read) == body
            && !ViewReacquirePlanner.References(model, local, body, cancellationToken).Any(ViewReacquirePlanner.IsWrite))
        {
            return MemoryMadeOver(model, slot, made, storedPointers, cancellationToken);
        }

        // foreach (var hunk in hunks), hunks[i]: an object of a local list this function fills with
        // objects it makes, each over the same memory.
        var list = receiver switch
        {
            IdentifierNameSyntax when symbol is ILocalSymbol { IsRef: false, DeclaringSyntaxReferences.Length: 1 } element
                                      && element.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is ForEachStatementSyntax { Expression: IdentifierNameSyntax listName } loop
                                      && !ViewReacquirePlanner.References(model, element, loop.Statement, cancellationToken).Any(ViewReacquirePlanner.IsWrite)
                => model.GetSymbolInfo(listName, cancellationToken).Symbol as ILocalSymbol,
            ElementAccessExpressionSyntax { Expression: IdentifierNameSyntax listName, ArgumentList.Arguments.Count: 1 } => model.GetSymbolInfo(listName, cancellationToken).Symbol as ILocalSymbol,
            _ => null,
        };

        if (list is not null)
        {
            return MemoryOfLocalList(model, slot, list, read, storedPointers, cancellationToken);
        }

        if (symbol is not (IFieldSymbol { IsStatic: false } or IPropertySymbol { IsStatic: false, IsIndexer: false })
            || !(receiver is IdentifierNameSyntax || receiver is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax })
            || model.GetEnclosingSymbol(read.SpanStart, cancellationToken) is not { IsStatic: false } reader
            || !SymbolEqualityComparer.Default.Equals(reader.ContainingType, symbol.ContainingType)
            || !IsHiddenFromOtherAssemblies(symbol, project)
            || symbol.DeclaringSyntaxReferences.Length != 1
            || symbol.DeclaringSyntaxReferences[0].SyntaxTree != model.SyntaxTree
            || (symbol is IPropertySymbol property && !IsAutoProperty(property, cancellationToken))
            || ReferencedInAnotherDocument(model, symbol, cancellationToken))
        {
            return null;
        }

        // Every value the field is given, by this object: each made over the same memory.
        ISymbol? memorySymbol = null;
        ExpressionSyntax? memory = null;
        var given = new List<ExpressionSyntax>();
        if (symbol.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: { } initial })
        {
            given.Add(initial);
        }
        else if (symbol.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is PropertyDeclarationSyntax { Initializer.Value: { } propertyInitial })
        {
            given.Add(propertyInitial);
        }

        foreach (var reference in ViewReacquirePlanner.References(model, symbol, model.SyntaxTree.GetRoot(cancellationToken), cancellationToken))
        {
            ExpressionSyntax access = reference.Parent is MemberAccessExpressionSyntax qualified && qualified.Name == reference ? qualified : reference;
            if (!ViewReacquirePlanner.IsWrite(access))
            {
                continue;
            }

            if (access is MemberAccessExpressionSyntax { Expression: not ThisExpressionSyntax }
                || access.Parent is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression or (int)SyntaxKind.CoalesceAssignmentExpression } assignment)
            {
                return null;
            }

            given.Add(assignment.Right);
        }

        foreach (var value in given)
        {
            if (IsZero(model, value, cancellationToken))
            {
                continue;
            }

            // _current with { Version = 2 }: a copy of this field's object, the pointer as it was.
            if (value is WithExpressionSyntax { Expression: var copied } with
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(copied, cancellationToken).Symbol, symbol)
                && (copied is IdentifierNameSyntax || copied is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax })
                && !with.Initializer.Expressions.Any(e => e is AssignmentExpressionSyntax set && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(set.Left, cancellationToken).Symbol, slot)))
            {
                continue;
            }

            if (MemoryMadeOver(model, slot, value, storedPointers, cancellationToken) is not { } madeOver
                || model.GetSymbolInfo(madeOver, cancellationToken).Symbol is not IFieldSymbol field
                || (!field.IsStatic && model.GetOperation(madeOver, cancellationToken) is not IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } })
                || (memorySymbol is not null && !SymbolEqualityComparer.Default.Equals(memorySymbol, field)))
            {
                return null;
            }

            memorySymbol = field;
            memory ??= madeOver;
        }

        return memory;
    }

    /// <summary>
    /// The memory every object of <paramref name="list"/> was made over: a <c>List&lt;T&gt;</c> declared
    /// empty in the function that reads it, only given objects it makes there (<c>hunks.Add(new
    /// Hunk(start, length, _memory.GetPointer() + text))</c>) and otherwise only counted or looped
    /// over; null where it is handed anywhere, given another object, or made over two memories.
    /// </summary>
    private static ExpressionSyntax? MemoryOfLocalList(SemanticModel model, ISymbol slot, ILocalSymbol list, SyntaxNode read, IReadOnlyList<ExpressionSyntax> storedPointers, CancellationToken cancellationToken)
    {
        if (list.DeclaringSyntaxReferences.Length != 1
            || list.Type is not INamedTypeSymbol { Name: "List", Arity: 1, ContainingNamespace: { } containing } listType
            || containing.ToDisplayString() != "System.Collections.Generic"
            || !SymbolEqualityComparer.Default.Equals(listType.TypeArguments[0], slot.ContainingType)
            || list.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: BaseObjectCreationExpressionSyntax { Initializer: null, ArgumentList.Arguments.Count: 0 } } declarator
            || SyntaxHelpers.EnclosingFunction(declarator) is not { } body
            || SyntaxHelpers.EnclosingFunction(read) != body)
        {
            return null;
        }

        ExpressionSyntax? memory = null;
        ISymbol? memorySymbol = null;
        foreach (var reference in ViewReacquirePlanner.References(model, list, body, cancellationToken))
        {
            switch (reference.Parent)
            {
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Add", Parent: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments, Parent: ExpressionStatementSyntax } } add when add.Expression == reference:
                    if (MemoryMadeOver(model, slot, arguments[0].Expression, storedPointers, cancellationToken) is not { } madeOver
                        || model.GetSymbolInfo(madeOver, cancellationToken).Symbol is not { } each
                        || (memorySymbol is not null && !SymbolEqualityComparer.Default.Equals(memorySymbol, each)))
                    {
                        return null;
                    }

                    memorySymbol = each;
                    memory ??= madeOver;
                    break;
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Count" } count when count.Expression == reference:
                case ForEachStatementSyntax loop when loop.Expression == reference:
                case ElementAccessExpressionSyntax element when element.Expression == reference && !ViewReacquirePlanner.IsWrite(element):
                    break;
                default:
                    return null;
            }
        }

        return memory;
    }

    /// <summary>
    /// The memory whose pointer <paramref name="made"/> (a creation of the slot's type that sets the
    /// slot) stores: written as a field, or as a parameter or local its function never writes.
    /// </summary>
    private static ExpressionSyntax? MemoryMadeOver(SemanticModel model, ISymbol slot, ExpressionSyntax made, IReadOnlyList<ExpressionSyntax> storedPointers, CancellationToken cancellationToken)
    {
        var pointer = storedPointers.FirstOrDefault(p => CreationSetting(model, slot, p, cancellationToken) == made);
        if (pointer is null || Decompose(model, pointer, cancellationToken) is not { MemoryOfAnotherObject: false } parts)
        {
            return null;
        }

        var symbol = model.GetSymbolInfo(parts.Memory, cancellationToken).Symbol;
        return symbol switch
        {
            IFieldSymbol => parts.Memory,
            ILocalSymbol or IParameterSymbol when IsUnwrittenVariable(model, parts.Memory, symbol, cancellationToken) => parts.Memory,
            _ => null,
        };
    }

    /// <summary>
    /// Whether <paramref name="name"/> names <paramref name="symbol"/>, a local or parameter that is not
    /// a <c>ref</c>, declared once and never written in the function that declares it: it names the
    /// same value wherever that function, or a lambda of it, reads it.
    /// </summary>
    internal static bool IsUnwrittenVariable(SemanticModel model, ExpressionSyntax name, ISymbol? symbol, CancellationToken cancellationToken)
        => symbol is ILocalSymbol { IsRef: false } or IParameterSymbol { RefKind: RefKind.None }
           && name is IdentifierNameSyntax
           && symbol.DeclaringSyntaxReferences.Length == 1
           && SyntaxHelpers.EnclosingFunction(symbol.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken)) is { } declaredIn
           && !ViewReacquirePlanner.References(model, symbol, declaredIn, cancellationToken).Any(ViewReacquirePlanner.IsWrite);

    private static bool IsAutoProperty(IPropertySymbol property, CancellationToken cancellationToken)
        => property.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is PropertyDeclarationSyntax { ExpressionBody: null, AccessorList.Accessors: var accessors }
           && accessors.All(a => a.Body is null && a.ExpressionBody is null);
}
