using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// The Wasmtime and BCL symbols the engine reasons about, looked up once per compilation.
/// </summary>
internal sealed class WasmSymbols
{
    private const string AnnotationNamespace = "WasmViewAnalyzers";

    private NonReadingMembers? _nonReadingMembers;

    private WasmSymbols(Compilation compilation, INamedTypeSymbol memory)
    {
        Compilation = compilation;
        Memory = memory;
        WasmtimeAssembly = memory.ContainingAssembly;
        Caller = compilation.GetTypeByMetadataName("Wasmtime.Caller");
        Function = compilation.GetTypeByMetadataName("Wasmtime.Function");
        Instance = compilation.GetTypeByMetadataName("Wasmtime.Instance");
        Linker = compilation.GetTypeByMetadataName("Wasmtime.Linker");
        Span = compilation.GetTypeByMetadataName("System.Span`1");
        ReadOnlySpan = compilation.GetTypeByMetadataName("System.ReadOnlySpan`1");
        MemoryOfT = compilation.GetTypeByMetadataName("System.Memory`1");
        ReadOnlyMemoryOfT = compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
        Stream = compilation.GetTypeByMetadataName("System.IO.Stream");
        MemoryManager = compilation.GetTypeByMetadataName("System.Buffers.MemoryManager`1");
        IEnumerableOfT = compilation.GetSpecialType(SpecialType.System_Collections_Generic_IEnumerable_T);
        IEnumeratorOfT = compilation.GetSpecialType(SpecialType.System_Collections_Generic_IEnumerator_T);
        IDisposable = compilation.GetSpecialType(SpecialType.System_IDisposable);
    }

    public Compilation Compilation { get; }

    public IAssemblySymbol WasmtimeAssembly { get; }

    public INamedTypeSymbol Memory { get; }

    public INamedTypeSymbol? Caller { get; }

    public INamedTypeSymbol? Function { get; }

    public INamedTypeSymbol? Instance { get; }

    public INamedTypeSymbol? Linker { get; }

    public INamedTypeSymbol? Span { get; }

    public INamedTypeSymbol? ReadOnlySpan { get; }

    public INamedTypeSymbol? MemoryOfT { get; }

    public INamedTypeSymbol? ReadOnlyMemoryOfT { get; }

    public INamedTypeSymbol? Stream { get; }

    public INamedTypeSymbol? MemoryManager { get; }

    public INamedTypeSymbol IEnumerableOfT { get; }

    public INamedTypeSymbol IEnumeratorOfT { get; }

    public INamedTypeSymbol IDisposable { get; }

    /// <summary>The BCL members that read no element of the span, stream or collection they are called on.</summary>
    public NonReadingMembers NonReadingMembers
        => System.Threading.LazyInitializer.EnsureInitialized(ref _nonReadingMembers, () => new NonReadingMembers(Compilation))!;

    /// <summary>Returns <see langword="null"/> when the compilation does not reference Wasmtime: then nothing is analyzed.</summary>
    public static WasmSymbols? TryCreate(Compilation compilation)
    {
        var memory = compilation.GetTypeByMetadataName("Wasmtime.Memory");
        return memory is null ? null : new WasmSymbols(compilation, memory);
    }

    public bool IsWasmtimeType(ITypeSymbol? type, INamedTypeSymbol? expected)
        => expected is not null && SymbolEqualityComparer.Default.Equals(type?.OriginalDefinition, expected);

    public bool IsSpanLike(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
           && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Span)
               || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlySpan));

    public bool IsSpan(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
           && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Span);

    public bool IsMemoryLike(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
           && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, MemoryOfT)
               || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlyMemoryOfT));

    /// <summary><c>IEnumerable&lt;T&gt;</c> or <c>IEnumerator&lt;T&gt;</c> itself (not a type implementing it).</summary>
    public bool IsEnumerableOrEnumerator(ITypeSymbol type)
        => SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, IEnumerableOfT)
           || SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, IEnumeratorOfT);

    public bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        if (baseType is null)
        {
            return false;
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType))
            {
                return true;
            }
        }

        return false;
    }

    public static bool HasGuestCallAttribute(ISymbol symbol) => HasAnnotation(symbol, "GuestCallAttribute");

    public static bool HasGuestViewSourceAttribute(ISymbol symbol) => HasAnnotation(symbol, "GuestViewSourceAttribute");

    public static bool HasGuestDelegateSourceAttribute(ISymbol symbol) => HasAnnotation(symbol, "GuestDelegateSourceAttribute");

    public static bool HasRuntimeCheckedViewAttribute(ISymbol symbol) => HasAnnotation(symbol, "RuntimeCheckedViewAttribute");

    /// <summary>
    /// Annotations are matched by name rather than by symbol: a project may declare its own copies
    /// (as with the nullable attributes) and also reference the runtime library.
    /// </summary>
    private static bool HasAnnotation(ISymbol symbol, string attributeName)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            var attributeClass = attribute.AttributeClass;
            if (attributeClass is not null
                && attributeClass.Name == attributeName
                && attributeClass.ContainingNamespace is { Name: AnnotationNamespace } ns
                && ns.ContainingNamespace is { IsGlobalNamespace: true })
            {
                return true;
            }
        }

        return false;
    }
}
