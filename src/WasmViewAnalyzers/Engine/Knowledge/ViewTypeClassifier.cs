using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// Decides which types can carry a view into guest memory: a value of such a type that was
/// computed from a view is itself a view (a slice, a cast, a pointer, a stream over it, a
/// container holding views). Values of other types (integers, strings, arrays, ...) are copies.
/// </summary>
internal sealed class ViewTypeClassifier
{

    private readonly WasmSymbols _symbols;
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _cache = new(SymbolEqualityComparer.Default);
    private readonly List<INamedTypeSymbol> _adapters = new();

    public ViewTypeClassifier(WasmSymbols symbols)
    {
        _symbols = symbols;
        foreach (var name in new[]
                 {
                     "System.IO.TextReader", "System.IO.TextWriter", "System.IO.BinaryReader", "System.IO.BinaryWriter",
                     "System.Buffers.ReadOnlySequence`1", "System.Buffers.MemoryHandle",
                 })
        {
            if (symbols.Compilation.GetTypeByMetadataName(name) is { TypeKind: not TypeKind.Error } adapter)
            {
                _adapters.Add(adapter);
            }
        }
    }

    public bool CanHoldView(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        return _cache.TryGetValue(type, out var cached) ? cached : _cache.GetOrAdd(type, Compute(type, depth: 0));
    }

    /// <summary>
    /// Whether <paramref name="type"/> holds views as parts of a value rather than being one: a
    /// collection, a tuple, a <c>KeyValuePair</c>, a <c>Nullable</c>, a <c>Task</c>, a record or
    /// class of the user's that keeps a pointer. Reading a plain part of it (a key, a count, a flag)
    /// reads no guest memory; reading a view part out of it derives a view.
    /// </summary>
    public bool IsContainerOfViews(ITypeSymbol? type)
        => type is not null
           && type.TypeKind is TypeKind.Class or TypeKind.Struct or TypeKind.Interface or TypeKind.Array
           && type.SpecialType is not (SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
           && !type.IsRefLikeType
           && !IsViewItself(type)
           && CanHoldView(type);

    /// <summary>A type whose values point into memory themselves: spans, memories, streams, memory managers, guarded views.</summary>
    private bool IsViewItself(ITypeSymbol type)
        => _symbols.IsSpanLike(type)
           || _symbols.IsMemoryLike(type)
           || _symbols.DerivesFrom(type, _symbols.Stream)
           || IsAdapter(type)
           || _symbols.DerivesFrom(type, _symbols.MemoryManager)
           || IsRuntimeChecked(type);

    /// <summary>Whether <paramref name="type"/> is a collection (or enumerator) whose elements can be views.</summary>
    public bool IsCollectionOfViews(ITypeSymbol? type)
        => type is not null
           && !_symbols.IsSpanLike(type)
           && !_symbols.IsMemoryLike(type)
           && !_symbols.DerivesFrom(type, _symbols.Stream)
           && type.TypeKind is TypeKind.Class or TypeKind.Struct or TypeKind.Interface or TypeKind.Array
           && !type.IsRefLikeType
           && CanHoldView(type)
           && ImplementsEnumerable(type);

    private bool ImplementsEnumerable(ITypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Array)
        {
            return true;
        }

        // Enumerators count too: moving one along reads no guest memory.
        if (_symbols.IsEnumerableOrEnumerator(type))
        {
            return true;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            if (_symbols.IsEnumerableOrEnumerator(@interface))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A runtime-checked view (the companion library's guarded view) checks itself when read.</summary>
    public static bool IsRuntimeChecked(ITypeSymbol? type)
        => type is not null && WasmSymbols.HasRuntimeCheckedViewAttribute(type.OriginalDefinition);

    private bool Compute(ITypeSymbol type, int depth)
    {
        if (depth > 4)
        {
            return false;
        }

        switch (type.TypeKind)
        {
            case TypeKind.Pointer:
                return true;
            case TypeKind.Array:
                return Compute(((IArrayTypeSymbol)type).ElementType, depth + 1);
            case TypeKind.TypeParameter:
                // Generic code may be handed a view as its T (Store<T>(ref T slot, T value) with a nint).
                return true;
            case TypeKind.Error:
            case TypeKind.Dynamic:
            case TypeKind.Enum:
            case TypeKind.Delegate:
            case TypeKind.FunctionPointer:
                return false;
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_IntPtr:
            case SpecialType.System_UIntPtr:
                return true;
            case SpecialType.System_Nullable_T:
                return Compute(((INamedTypeSymbol)type).TypeArguments[0], depth + 1);
            case SpecialType.System_Object:
            case SpecialType.System_String:
            case SpecialType.System_ValueType:
            case SpecialType.None:
                break;
            default:
                return false;
        }

        if (type.IsRefLikeType
            || _symbols.IsSpanLike(type)
            || _symbols.IsMemoryLike(type)
            || _symbols.DerivesFrom(type, _symbols.Stream)
            || _symbols.DerivesFrom(type, _symbols.MemoryManager)
            || IsAdapter(type)
            || IsRuntimeChecked(type))
        {
            return true;
        }

        if (type.SpecialType != SpecialType.None)
        {
            return false;
        }

        if (type is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            foreach (var element in tuple.TupleElements)
            {
                if (Compute(element.Type, depth + 1))
                {
                    return true;
                }
            }

            return false;
        }

        // Collections and enumerators of views hold views: a queue of pending outputs is the
        // classic way a view outlives the guest call that produced it.
        foreach (var candidate in SelfAndInterfaces(type))
        {
            if (candidate is INamedTypeSymbol { IsGenericType: true } generic
                && _symbols.IsEnumerableOrEnumerator(generic)
                && Compute(generic.TypeArguments[0], depth + 1))
            {
                return true;
            }
        }

        if (type is INamedTypeSymbol { IsAnonymousType: true } anonymous)
        {
            // new { Name = name, Address = p }: its members are read-only properties.
            foreach (var member in anonymous.GetMembers())
            {
                if (member is IPropertySymbol property && Compute(property.Type, depth + 1))
                {
                    return true;
                }
            }

            return false;
        }

        // A type of the user's own code that stores a pointer, a span or a memory in an instance
        // field carries the view with it (e.g. a record of (nint Address, int Length)).
        if (type.Locations.Length > 0 && type.Locations[0].IsInSource && type is INamedTypeSymbol named)
        {
            foreach (var member in named.GetMembers())
            {
                if (member is IFieldSymbol { IsStatic: false, IsConst: false } field
                    && !SymbolEqualityComparer.Default.Equals(field.Type, type)
                    && Compute(field.Type, depth + 1))
                {
                    return true;
                }
            }

            return CapturesViewParameter(named, depth);
        }

        // A generic type of a library holds its values in its type parameters: KeyValuePair<string,
        // nint>, Tuple<nint, int>, Task<nint>, Lazy<Memory<byte>>, IAsyncEnumerable<nint>; a type
        // nested in one in its container's (the enumerator of ConfigureAwait's sequence).
        for (var wrapper = type as INamedTypeSymbol; wrapper is not null; wrapper = wrapper.ContainingType)
        {
            foreach (var argument in wrapper.TypeArguments)
            {
                if (Compute(argument, depth + 1))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// A class or struct whose members read a parameter of its primary constructor keeps that
    /// parameter in a field the compiler makes and Roslyn does not list (<c>class Window(Memory&lt;byte&gt;
    /// bytes) { public byte Kind =&gt; bytes.Span[0]; }</c>). A parameter read only by initializers is
    /// not kept. Names are compared as written, which can only add a parameter that is not kept.
    /// </summary>
    private bool CapturesViewParameter(INamedTypeSymbol type, int depth)
    {
        if (PrimaryConstructorOf(type) is not { } constructor)
        {
            return false;
        }

        foreach (var parameter in constructor.Parameters)
        {
            if (Compute(parameter.Type, depth + 1) && IsReadByMembers(type, parameter.Name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The primary constructor of a class or struct of the compilation (<c>class Window(Memory&lt;byte&gt;
    /// bytes)</c>), whose parameters its members may read; a record's become properties instead.
    /// </summary>
    public static IMethodSymbol? PrimaryConstructorOf(INamedTypeSymbol type)
    {
        foreach (var constructor in type.InstanceConstructors)
        {
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is TypeDeclarationSyntax { ParameterList: not null } and not RecordDeclarationSyntax)
                {
                    return constructor;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// A parameter of a primary constructor read from another member of its type (<paramref name="reader"/>):
    /// a field of the object in all but name.
    /// </summary>
    public static bool IsKeptPrimaryParameter(IParameterSymbol parameter, ISymbol? reader)
        => parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
           && !SymbolEqualityComparer.Default.Equals(constructor, reader);

    private static bool IsReadByMembers(INamedTypeSymbol type, string name)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration)
            {
                continue;
            }

            foreach (var member in declaration.Members)
            {
                foreach (var identifier in member.DescendantNodes().OfType<IdentifierNameSyntax>())
                {
                    if (identifier.Identifier.ValueText == name && !IsInInitializer(identifier, member))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>A field's or auto-property's initializer runs once, in the constructor.</summary>
    private static bool IsInInitializer(SyntaxNode node, MemberDeclarationSyntax member)
        => member is FieldDeclarationSyntax
           || (member is PropertyDeclarationSyntax property && property.Initializer is { } initializer && initializer.Span.Contains(node.Span));

    /// <summary>
    /// A library type that reads or writes the memory of the view it is built over whenever it is
    /// used: a reader or writer over a stream (<c>BinaryReader</c>, <c>StreamReader</c>,
    /// <c>StreamWriter</c>, any <c>TextReader</c> or <c>TextWriter</c>), a <c>ReadOnlySequence</c>
    /// over a memory, the <c>MemoryHandle</c> that pins one (its <c>Pointer</c>).
    /// </summary>
    private bool IsAdapter(ITypeSymbol type)
    {
        foreach (var adapter in _adapters)
        {
            if (_symbols.DerivesFrom(type, adapter))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<ITypeSymbol> SelfAndInterfaces(ITypeSymbol type)
    {
        yield return type;
        foreach (var @interface in type.AllInterfaces)
        {
            yield return @interface;
        }
    }
}
