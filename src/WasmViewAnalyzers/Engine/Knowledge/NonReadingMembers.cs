using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// Members of the BCL's spans, streams, arrays and collections that read no element of what they
/// are called on (<c>Length</c>, <c>Count</c>, <c>Position</c>, <c>Dispose</c>, <c>GetType</c>, ...),
/// and the companion library's own non-reading members (<c>IsStale</c>, <c>ThrowIfStale</c>,
/// <c>Length</c>, <c>Address</c>). Looked up
/// by symbol once per compilation: an override or interface implementation of one of them counts;
/// a method of the user's own that merely has the name does not.
/// </summary>
internal sealed class NonReadingMembers
{
    private readonly HashSet<ISymbol> _members = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, bool> _cache = new(SymbolEqualityComparer.Default);

    public NonReadingMembers(Compilation compilation)
    {
        Add(compilation.GetSpecialType(SpecialType.System_Object), "GetType", "GetHashCode", "Equals");
        Add(compilation.GetSpecialType(SpecialType.System_ValueType), "GetHashCode", "Equals");
        Add(compilation.GetSpecialType(SpecialType.System_IDisposable), "Dispose");
        Add(compilation.GetSpecialType(SpecialType.System_Array), "Length", "LongLength");
        Add(compilation.GetSpecialType(SpecialType.System_Collections_Generic_ICollection_T), "Count");
        Add(compilation.GetSpecialType(SpecialType.System_Collections_Generic_IReadOnlyCollection_T), "Count");
        Add(compilation, "System.IAsyncDisposable", "DisposeAsync");
        Add(compilation, "System.IEquatable`1", "Equals");
        Add(compilation, "System.Collections.ICollection", "Count");
        Add(compilation, "System.Linq.Enumerable", "Count");
        foreach (var span in new[] { "System.Span`1", "System.ReadOnlySpan`1", "System.Memory`1", "System.ReadOnlyMemory`1", "System.Buffers.ReadOnlySequence`1" })
        {
            Add(compilation, span, "Length", "IsEmpty", "Equals", "GetHashCode");
        }

        Add(compilation, "System.ArraySegment`1", "Count");
        Add(compilation, "System.IO.Stream", "Length", "Position", "CanRead", "CanSeek", "CanWrite", "Close", "Dispose", "DisposeAsync");
        Add(compilation, "System.IO.MemoryStream", "Capacity");
        foreach (var closeable in new[] { "System.IO.TextReader", "System.IO.TextWriter", "System.IO.BinaryReader", "System.IO.BinaryWriter" })
        {
            Add(compilation, closeable, "Close", "Dispose");
        }

        foreach (var collection in new[]
                 {
                     "System.Collections.Generic.List`1", "System.Collections.Generic.Queue`1", "System.Collections.Generic.Stack`1",
                     "System.Collections.Generic.HashSet`1", "System.Collections.Generic.Dictionary`2", "System.Collections.Generic.PriorityQueue`2",
                     "System.Collections.Concurrent.ConcurrentQueue`1", "System.Collections.Concurrent.ConcurrentStack`1",
                     "System.Collections.Concurrent.ConcurrentBag`1", "System.Collections.Concurrent.ConcurrentDictionary`2",
                     "System.Collections.Immutable.ImmutableArray`1", "System.Collections.Immutable.ImmutableArray`1+Builder",
                 })
        {
            Add(compilation, collection, "Count", "Capacity", "IsEmpty");
        }
    }

    /// <summary>
    /// Whether <paramref name="member"/> is, overrides or implements one of the table's members, or
    /// is a freshness check of a runtime-checked view.
    /// </summary>
    public bool Contains(ISymbol member)
        => _cache.TryGetValue(member, out var known) ? known : _cache.GetOrAdd(member, Compute(member));

    private bool Compute(ISymbol member)
    {
        // A guarded view's freshness checks, its length and its address read no guest memory.
        if (member.Name is "IsStale" or "ThrowIfStale" or "Length" or "Address" && ViewTypeClassifier.IsRuntimeChecked(member.ContainingType))
        {
            return true;
        }

        for (var current = member.OriginalDefinition; current is not null; current = Overridden(current)?.OriginalDefinition)
        {
            if (_members.Contains(current))
            {
                return true;
            }
        }

        if (member.IsStatic || member.ContainingType is not { } type)
        {
            return false;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            foreach (var interfaceMember in @interface.GetMembers(member.Name))
            {
                if (_members.Contains(interfaceMember.OriginalDefinition)
                    && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(interfaceMember)?.OriginalDefinition, member.OriginalDefinition))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static ISymbol? Overridden(ISymbol member) => member switch
    {
        IMethodSymbol method => method.OverriddenMethod,
        IPropertySymbol property => property.OverriddenProperty,
        _ => null,
    };

    private void Add(Compilation compilation, string metadataName, params string[] names)
        => Add(compilation.GetTypeByMetadataName(metadataName), names);

    private void Add(INamedTypeSymbol? type, params string[] names)
    {
        if (type is null || type.TypeKind == TypeKind.Error)
        {
            return;
        }

        foreach (var name in names)
        {
            foreach (var member in type.GetMembers(name))
            {
                _members.Add(member.OriginalDefinition);
            }
        }
    }
}
