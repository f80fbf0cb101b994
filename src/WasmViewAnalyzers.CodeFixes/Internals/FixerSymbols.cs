using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// The BCL symbols the fixes reason about, looked up once per compilation: a method of the user's
/// called <c>Fill</c> or a type of theirs called <c>MemoryMarshal</c> is not the BCL's.
/// </summary>
internal sealed class FixerSymbols
{
    private static readonly ConditionalWeakTable<Compilation, FixerSymbols> Cache = new();

    private readonly HashSet<IMethodSymbol> _writingMethods = new(SymbolEqualityComparer.Default);
    private readonly HashSet<INamedTypeSymbol> _readingTypes = new(SymbolEqualityComparer.Default);
    private readonly HashSet<IMethodSymbol> _disposals = new(SymbolEqualityComparer.Default);

    private FixerSymbols(Compilation compilation)
    {
        Span = compilation.GetTypeByMetadataName("System.Span`1");
        ReadOnlySpan = compilation.GetTypeByMetadataName("System.ReadOnlySpan`1");
        Memory = compilation.GetTypeByMetadataName("System.Memory`1");
        ReadOnlyMemory = compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
        var memoryExtensions = compilation.GetTypeByMetadataName("System.MemoryExtensions");
        var memoryMarshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.MemoryMarshal");

        // Methods that write the span they are called on or given: Span.Fill/Clear, the in-place
        // MemoryExtensions (Reverse, Sort, Replace, CopyTo's destination), MemoryMarshal.Write.
        AddMethods(_writingMethods, Span, "Fill", "Clear");
        AddMethods(_writingMethods, memoryExtensions, "Reverse", "Sort", "Replace", "CopyTo", "TryCopyTo", "Fill");
        AddMethods(_writingMethods, memoryMarshal, "Write", "TryWrite");

        // Types whose methods taking a writable span only read it or derive from it, but for the writing ones above.
        foreach (var type in new[] { memoryExtensions, memoryMarshal })
        {
            if (type is not null)
            {
                _readingTypes.Add(type);
            }
        }

        var stream = compilation.GetTypeByMetadataName("System.IO.Stream");
        AddMethods(_disposals, stream, "Close", "Dispose", "DisposeAsync");
        AddMethods(_disposals, compilation.GetSpecialType(SpecialType.System_IDisposable), "Dispose");
        AddMethods(_disposals, compilation.GetTypeByMetadataName("System.IAsyncDisposable"), "DisposeAsync");
    }

    public INamedTypeSymbol? Span { get; }

    public INamedTypeSymbol? ReadOnlySpan { get; }

    public INamedTypeSymbol? Memory { get; }

    public INamedTypeSymbol? ReadOnlyMemory { get; }

    public static FixerSymbols For(Compilation compilation) => Cache.GetValue(compilation, c => new FixerSymbols(c));

    /// <summary>Whether <paramref name="method"/> (called on a span, or given one) writes it.</summary>
    public bool IsWritingMethod(IMethodSymbol method) => _writingMethods.Contains(Definition(method));

    /// <summary>Whether <paramref name="method"/> is declared by a type whose span-taking methods only read, unless <see cref="IsWritingMethod"/>.</summary>
    public bool IsOfReadingType(IMethodSymbol method) => method.ContainingType is { } type && _readingTypes.Contains(type.OriginalDefinition);

    /// <summary><c>Stream.Close</c>/<c>Dispose</c>/<c>DisposeAsync</c> (or an override), or an implementation of <c>IDisposable.Dispose</c>/<c>IAsyncDisposable.DisposeAsync</c>.</summary>
    public bool IsDisposal(IMethodSymbol method)
    {
        for (var current = Definition(method); current is not null; current = current.OverriddenMethod)
        {
            if (_disposals.Contains(current))
            {
                return true;
            }
        }

        return method.ContainingType is { } type
               && _disposals.Any(disposal => disposal.ContainingType.TypeKind == TypeKind.Interface
                                             && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(disposal), method));
    }

    /// <summary><c>Span&lt;T&gt;</c> or <c>Memory&lt;T&gt;</c>: a callee given one may write through it.</summary>
    public bool IsWritableView(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
           && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Span) || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Memory));

    /// <summary><c>ReadOnlySpan&lt;T&gt;</c> or <c>ReadOnlyMemory&lt;T&gt;</c>.</summary>
    public bool IsReadOnlyView(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
           && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlySpan) || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlyMemory));

    /// <summary><c>Span&lt;T&gt;</c> or <c>ReadOnlySpan&lt;T&gt;</c>.</summary>
    public bool IsSpanType(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
           && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Span) || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlySpan));

    private static IMethodSymbol Definition(IMethodSymbol method) => (method.ReducedFrom ?? method).OriginalDefinition;

    private static void AddMethods(HashSet<IMethodSymbol> set, INamedTypeSymbol? type, params string[] names)
    {
        if (type is null)
        {
            return;
        }

        foreach (var name in names)
        {
            foreach (var method in type.GetMembers(name).OfType<IMethodSymbol>())
            {
                set.Add(method.OriginalDefinition);
            }
        }
    }
}
