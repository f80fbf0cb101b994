using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// Which memory a pointer member of an object was taken from, where every such object is made by
/// one host object over its own memory field and only that host ever holds them: a record or
/// struct (<c>StopRef(string Id, nint Entry)</c>) made only in the host's instance members
/// (<c>new StopRef(id, _memory.GetPointer() + offset)</c>), kept in its lists, dictionaries, fields
/// or locals however they are passed around inside it, and read there (<c>*(int*)stop.Entry</c>):
/// each read obtains the pointer again from the host's <c>_memory</c>.
/// </summary>
internal static partial class OffsetSlotPlanner
{
    /// <summary>
    /// Whether every object of <paramref name="slot"/>'s type that a read of <paramref name="reads"/>
    /// may see was made by the same host object as the read runs on, over <paramref name="memoryField"/>
    /// (an instance field of that host, the memory every store took its pointer from): every store and
    /// every read is in an instance member of the host, and no object of the type can enter a host
    /// from anywhere else.
    /// </summary>
    /// <remarks>
    /// An object can only come from another host through the host's own code, so that code must not
    /// touch another instance's members (<c>other._stops</c>), keep the objects in static state, take
    /// them in through a parameter or settable member others can reach (one of a type they convert
    /// to: <c>object</c>, an interface, a type parameter), or turn another type into them (a cast, a
    /// type pattern); a value the host returns may only be used inside it; and nothing else in the
    /// solution may name the type. Refused where the pointer itself would be seen through its object:
    /// compared (<c>==</c>, <c>Equals</c>, <c>Contains</c>, a set or a dictionary key), hashed or
    /// printed (<c>ToString</c>, an interpolation), and for a struct one that may hold no pointer
    /// (<c>default</c>, <c>new T[n]</c>, <c>FirstOrDefault()</c>), whose 0 would become the memory's base.
    /// </remarks>
    private static bool MadeAndReadByOneHost(SemanticModel model, ISymbol slot, IFieldSymbol memoryField, ExpressionSyntax memory, IReadOnlyList<ExpressionSyntax> storedPointers, IReadOnlyList<SyntaxNode> reads, CancellationToken cancellationToken)
    {
        var host = memoryField.ContainingType;
        var objectType = slot.ContainingType;
        if (memoryField.IsStatic
            || host is not { TypeKind: TypeKind.Class, DeclaringSyntaxReferences.Length: 1 }
            || host.DeclaringSyntaxReferences[0].SyntaxTree != model.SyntaxTree
            || objectType is not { DeclaringSyntaxReferences.Length: 1 }
            || SymbolEqualityComparer.Default.Equals(objectType, host)
            || !storedPointers.All(pointer => SetWhereMade(model, slot, pointer, cancellationToken))
            || !storedPointers.Concat(reads).All(node => RunsOnHost(model, host, node, cancellationToken))
            || !reads.All(read => MemoryReachableAt(model, memory, read, cancellationToken)))
        {
            return false;
        }

        var hostDeclaration = host.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        var objectDeclaration = objectType.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);

        // Nothing else names the type, and what the host hands out of it is used only inside it.
        foreach (var member in host.GetMembers())
        {
            if (member.IsStatic && member is IFieldSymbol or IPropertySymbol && CouldCarry(TypeOf(member), objectType))
            {
                return false;
            }

            if (member.IsImplicitlyDeclared || member.DeclaredAccessibility == Accessibility.Private)
            {
                continue;
            }

            var takesIn = member switch
            {
                IMethodSymbol method => method.Parameters.Any(p => CouldCarry(p.Type, objectType)) || method.IsGenericMethod,
                IPropertySymbol property => property.Parameters.Any(p => CouldCarry(p.Type, objectType)) || (property.SetMethod is { DeclaredAccessibility: not Accessibility.Private } && CouldCarry(property.Type, objectType)),
                IFieldSymbol field => !field.IsReadOnly && !field.IsConst && CouldCarry(field.Type, objectType),
                IEventSymbol @event => CouldCarry(@event.Type, objectType),
                _ => false,
            };

            if (takesIn || (Mentions(TypeOf(member), objectType) && NamedOutside(model, member, hostDeclaration, cancellationToken)))
            {
                return false;
            }
        }

        if (NamedOutside(model, objectType, hostDeclaration, cancellationToken, objectDeclaration))
        {
            return false;
        }

        foreach (var node in hostDeclaration.DescendantNodes())
        {
            // An implicit conversion shares its operand's syntax: it is found as that operand's parent.
            for (var operation = model.GetOperation(node, cancellationToken); operation is not null && operation.Syntax == node; operation = operation.Parent)
            {
                if (!SeesOnlyItsOwnObjects(operation, host, objectType, slot))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Whether <paramref name="pointer"/> is stored where its object is made: a positional argument
    /// or an object initializer of <c>new T(..)</c>, or the initializer of a <c>with</c>. A member set
    /// on an object the host did not make (<c>session.LastPage = p</c>) may be another host's.
    /// </summary>
    private static bool SetWhereMade(SemanticModel model, ISymbol slot, ExpressionSyntax pointer, CancellationToken cancellationToken)
        => CreationSetting(model, slot, pointer, cancellationToken) is not null
           || (pointer.Parent is AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax { Parent: WithExpressionSyntax copy } } assignment
               && assignment.Right == pointer
               && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol, slot)
               && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(copy, cancellationToken).Type, slot.ContainingType));

    /// <summary>Whether <paramref name="node"/> runs in an instance member of <paramref name="host"/> itself (or a lambda in one).</summary>
    private static bool RunsOnHost(SemanticModel model, INamedTypeSymbol host, SyntaxNode node, CancellationToken cancellationToken)
    {
        for (var symbol = model.GetEnclosingSymbol(node.SpanStart, cancellationToken); symbol is not null; symbol = symbol.ContainingSymbol)
        {
            if (symbol.IsStatic)
            {
                return false;
            }

            if (symbol is INamedTypeSymbol type)
            {
                return SymbolEqualityComparer.Default.Equals(type, host);
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="operation"/> keeps to the host's own objects of <paramref name="objectType"/>
    /// and leaves their pointer unseen (see <see cref="MadeAndReadByOneHost"/>).
    /// </summary>
    private static bool SeesOnlyItsOwnObjects(IOperation operation, INamedTypeSymbol host, INamedTypeSymbol objectType, ISymbol slot)
    {
        bool IsObject(ITypeSymbol? type)
            => SymbolEqualityComparer.Default.Equals(type, objectType)
               || (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable && SymbolEqualityComparer.Default.Equals(nullable.TypeArguments[0], objectType));

        bool IsHost(ITypeSymbol? type)
        {
            for (var level = type; level is not null; level = level.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(level, host))
                {
                    return true;
                }
            }

            return false;
        }

        switch (operation)
        {
            case IMemberReferenceOperation { Instance: { } instance } when instance is not IInstanceReferenceOperation && IsHost(instance.Type):
            case IInvocationOperation { Instance: { } receiver } when receiver is not IInstanceReferenceOperation && IsHost(receiver.Type):
                return false;
            case IObjectCreationOperation created when IsHost(created.Type):
                return false;
            case IMemberReferenceOperation { Instance: null, Member: { IsStatic: true } member } when member is IFieldSymbol or IPropertySymbol && Mentions(TypeOf(member), objectType):
                return false;
            case IConversionOperation conversion when conversion.Operand.Type is { } from && conversion.Type is { } to && Mentions(from, objectType) != Mentions(to, objectType):
                return false;
            case IPatternOperation pattern when pattern.InputType is { } input && pattern.NarrowedType is { } narrowed && Mentions(input, objectType) != Mentions(narrowed, objectType):
                return false;
            case IBinaryOperation binary when IsObject(binary.LeftOperand.Type) || IsObject(binary.RightOperand.Type):
            case IInterpolationOperation interpolation when Mentions(interpolation.Expression.Type, objectType):
                return false;
            case IInvocationOperation invocation when invocation.TargetMethod.Name is "Equals" or "GetHashCode" or "ToString" or "Contains" or "ContainsKey" or "ContainsValue" or "IndexOf" or "LastIndexOf" or "Remove" or "Distinct" or "DistinctBy" or "ToHashSet" or "GroupBy" or "Union" or "Intersect" or "Except" or "SequenceEqual" or "ToLookup"
                                                      && (Mentions(invocation.Instance?.Type, objectType) || invocation.Arguments.Any(a => Mentions(a.Value.Type, objectType))):
                return false;
            case IInvocationOperation invocation when objectType.IsValueType && invocation.TargetMethod.Name.EndsWith("OrDefault", System.StringComparison.Ordinal) && Mentions(invocation.Type, objectType):
            case IDefaultValueOperation defaultValue when objectType.IsValueType && IsObject(defaultValue.Type):
            case IObjectCreationOperation { Constructor.Parameters.Length: 0 } creation when objectType.IsValueType && IsObject(creation.Type)
                                                                                              && creation.Initializer?.Initializers.Any(i => i is ISimpleAssignmentOperation { Target: IMemberReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Member, slot)) != true:
            case IArrayCreationOperation { Initializer: null } array when objectType.IsValueType && Mentions(array.Type, objectType):
                return false;
        }

        // A set of the objects, or a dictionary keyed by them, compares what they hold.
        return operation.Type is not INamedTypeSymbol { IsGenericType: true } collection
               || !collection.AllInterfaces.Append(collection).Any(type =>
                   type.Name is "ISet" or "IReadOnlySet" or "IDictionary" or "IReadOnlyDictionary"
                   && type.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic"
                   && Mentions(type.TypeArguments.FirstOrDefault(), objectType));
    }

    /// <summary>Whether any declaration or expression of the solution's documents names <paramref name="symbol"/> outside <paramref name="inside"/> (and <paramref name="alsoInside"/>).</summary>
    private static bool NamedOutside(SemanticModel model, ISymbol symbol, SyntaxNode inside, CancellationToken cancellationToken, SyntaxNode? alsoInside = null)
    {
        foreach (var tree in model.Compilation.SyntaxTrees)
        {
            if (!tree.GetText(cancellationToken).ToString().Contains(symbol.Name))
            {
                continue;
            }

            var treeModel = SyntaxHelpers.ModelOf(model, tree);
            foreach (var name in tree.GetRoot(cancellationToken).DescendantNodes().OfType<SimpleNameSyntax>())
            {
                if (name.Identifier.ValueText == symbol.Name
                    && !(tree == inside.SyntaxTree && inside.Span.Contains(name.Span))
                    && !(alsoInside is not null && tree == alsoInside.SyntaxTree && alsoInside.Span.Contains(name.Span))
                    && SymbolEqualityComparer.Default.Equals(treeModel.GetSymbolInfo(name, cancellationToken).Symbol?.OriginalDefinition, symbol.OriginalDefinition))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static ITypeSymbol? TypeOf(ISymbol member) => member switch
    {
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        IMethodSymbol method => method.ReturnType,
        IEventSymbol @event => @event.Type,
        _ => null,
    };

    /// <summary>Whether <paramref name="type"/> is <paramref name="objectType"/> or is built of it (a list of it, a tuple holding it).</summary>
    private static bool Mentions(ITypeSymbol? type, INamedTypeSymbol objectType) => type switch
    {
        null => false,
        IArrayTypeSymbol array => Mentions(array.ElementType, objectType),
        INamedTypeSymbol { IsAnonymousType: true } anonymous => anonymous.GetMembers().OfType<IPropertySymbol>().Any(p => Mentions(p.Type, objectType)),
        INamedTypeSymbol named => SymbolEqualityComparer.Default.Equals(named, objectType)
                                  || named.TypeArguments.Any(argument => Mentions(argument, objectType))
                                  || (named.ContainingType is { } outer && !SymbolEqualityComparer.Default.Equals(outer, objectType) && outer.IsGenericType && Mentions(outer, objectType)),
        _ => false,
    };

    /// <summary>Whether a value of <paramref name="type"/> may be an object of <paramref name="objectType"/>: of that type, built of it, or of one it converts to.</summary>
    private static bool CouldCarry(ITypeSymbol? type, INamedTypeSymbol objectType)
    {
        if (type is null)
        {
            return false;
        }

        if (Mentions(type, objectType)
            || type.SpecialType is SpecialType.System_Object or SpecialType.System_ValueType
            || type.TypeKind is TypeKind.TypeParameter or TypeKind.Dynamic or TypeKind.Error
            || objectType.AllInterfaces.Contains(type, SymbolEqualityComparer.Default))
        {
            return true;
        }

        for (var level = objectType.BaseType; level is not null; level = level.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(level, type))
            {
                return true;
            }
        }

        return type switch
        {
            IArrayTypeSymbol array => CouldCarry(array.ElementType, objectType),
            INamedTypeSymbol named => named.TypeArguments.Any(argument => CouldCarry(argument, objectType))
                                      || (named.TypeKind == TypeKind.Delegate && named.DelegateInvokeMethod is { } invoke
                                          && (CouldCarry(invoke.ReturnType, objectType) || invoke.Parameters.Any(p => CouldCarry(p.Type, objectType)))),
            _ => false,
        };
    }
}
