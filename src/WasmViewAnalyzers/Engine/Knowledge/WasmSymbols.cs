using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// The one table of the Wasmtime and BCL symbols that the engine and the code fixes reason about,
/// looked up once per compilation and asking nothing but the compilation. A type defined in two
/// references (a polyfill beside the BCL's) is resolved the way the compiler would see it.
/// </summary>
internal sealed class WasmSymbols
{
    private const string AnnotationNamespace = "WasmViewAnalyzers";

    private static readonly ConditionalWeakTable<Compilation, WasmSymbols?[]> Tables = new();

    private readonly ConcurrentDictionary<string, INamedTypeSymbol?> _types = new();
    private NonReadingMembers? _nonReadingMembers;
    private ViewMemberEffects? _effects;

    private WasmSymbols(Compilation compilation, INamedTypeSymbol memory)
    {
        Compilation = compilation;
        Memory = memory;
        WasmtimeAssembly = memory.ContainingAssembly;
        Caller = GetType("Wasmtime.Caller");
        Function = GetType("Wasmtime.Function");
        Instance = GetType("Wasmtime.Instance");
        Linker = GetType("Wasmtime.Linker");
        Span = GetType("System.Span`1");
        ReadOnlySpan = GetType("System.ReadOnlySpan`1");
        MemoryOfT = GetType("System.Memory`1");
        ReadOnlyMemoryOfT = GetType("System.ReadOnlyMemory`1");
        Stream = GetType("System.IO.Stream");
        UnmanagedMemoryStream = GetType("System.IO.UnmanagedMemoryStream");
        MemoryStream = GetType("System.IO.MemoryStream");
        MemoryManager = GetType("System.Buffers.MemoryManager`1");
        MemoryMarshal = GetType("System.Runtime.InteropServices.MemoryMarshal");
        MemoryExtensions = GetType("System.MemoryExtensions");
        Unsafe = GetType("System.Runtime.CompilerServices.Unsafe");
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

    public INamedTypeSymbol? UnmanagedMemoryStream { get; }

    public INamedTypeSymbol? MemoryStream { get; }

    public INamedTypeSymbol? MemoryManager { get; }

    public INamedTypeSymbol? MemoryMarshal { get; }

    public INamedTypeSymbol? MemoryExtensions { get; }

    public INamedTypeSymbol? Unsafe { get; }

    public INamedTypeSymbol IEnumerableOfT { get; }

    public INamedTypeSymbol IEnumeratorOfT { get; }

    public INamedTypeSymbol IDisposable { get; }

    /// <summary>The BCL members that read no element of the span, stream or collection they are called on.</summary>
    public NonReadingMembers NonReadingMembers
        => Volatile.Read(ref _nonReadingMembers) ?? LazyInitializer.EnsureInitialized(ref _nonReadingMembers, () => new NonReadingMembers(Compilation))!;

    /// <summary>What the BCL's span, memory and pointer helpers do to a view: write it, only read it, compute a new one from it.</summary>
    public ViewMemberEffects Effects
        => Volatile.Read(ref _effects) ?? LazyInitializer.EnsureInitialized(ref _effects, () => new ViewMemberEffects(this))!;

    /// <summary>
    /// The table of <paramref name="compilation"/>, built once; <see langword="null"/> when the
    /// compilation does not reference Wasmtime: then nothing is analyzed.
    /// </summary>
    public static WasmSymbols? TryCreate(Compilation compilation)
        => Tables.GetValue(compilation, static c => new[] { FindType(c, "Wasmtime.Memory") is { } memory ? new WasmSymbols(c, memory) : null })[0];

    /// <summary>The type named <paramref name="metadataName"/> as this compilation sees it, looked up once.</summary>
    public INamedTypeSymbol? GetType(string metadataName)
        => _types.TryGetValue(metadataName, out var type) ? type : _types.GetOrAdd(metadataName, FindType(Compilation, metadataName));

    /// <summary>
    /// <see cref="Compilation.GetTypeByMetadataName"/> answers nothing when two references define the
    /// name; the compiler then binds to the compilation's own type, or to the one accessible
    /// definition among the references it sees without an <c>extern alias</c>. So does this.
    /// </summary>
    private static INamedTypeSymbol? FindType(Compilation compilation, string metadataName)
    {
        if (compilation.GetTypeByMetadataName(metadataName) is { } unique)
        {
            return unique;
        }

        INamedTypeSymbol? found = null;
        foreach (var candidate in compilation.GetTypesByMetadataName(metadataName))
        {
            if (SymbolEqualityComparer.Default.Equals(candidate.ContainingAssembly, compilation.Assembly))
            {
                return candidate;
            }

            if (!IsAccessibleFrom(candidate, compilation.Assembly) || !IsInGlobalNamespace(compilation, candidate.ContainingAssembly))
            {
                continue;
            }

            if (found is not null)
            {
                return null;
            }

            found = candidate;
        }

        return found;
    }

    /// <summary>Whether the code names types of <paramref name="assembly"/> without an <c>extern alias</c>.</summary>
    private static bool IsInGlobalNamespace(Compilation compilation, IAssemblySymbol assembly)
        => compilation.GetMetadataReference(assembly) is not { } reference
           || reference.Properties.Aliases.IsEmpty
           || reference.Properties.Aliases.Contains(MetadataReferenceProperties.GlobalAlias);

    private static bool IsAccessibleFrom(INamedTypeSymbol type, IAssemblySymbol assembly)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility != Accessibility.Public && !current.ContainingAssembly.GivesAccessTo(assembly))
            {
                return false;
            }
        }

        return true;
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

    /// <summary><c>Span&lt;T&gt;</c> or <c>Memory&lt;T&gt;</c>: whoever is given one may write through it.</summary>
    public bool IsWritableView(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
           && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Span)
               || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, MemoryOfT));

    /// <summary><c>ReadOnlySpan&lt;T&gt;</c> or <c>ReadOnlyMemory&lt;T&gt;</c>.</summary>
    public bool IsReadOnlyView(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
           && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlySpan)
               || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlyMemoryOfT));

    /// <summary><c>UnmanagedMemoryStream</c> or a type derived from it.</summary>
    public bool IsUnmanagedMemoryStream(ITypeSymbol? type) => DerivesFrom(type, UnmanagedMemoryStream);

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
