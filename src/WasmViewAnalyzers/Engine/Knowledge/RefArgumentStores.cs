using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// Members of the BCL that store one argument into the location another is passed by <c>ref</c>:
/// <c>Interlocked.Exchange(ref _current, p)</c>, <c>Interlocked.CompareExchange(ref _current, p, old)</c>,
/// <c>Volatile.Write(ref _current, p)</c>. The value goes where the <c>ref</c> argument points, as if
/// assigned there. Looked up by symbol once per compilation; the same question about the user's own
/// methods is answered from their bodies (the escape summary's <c>ref</c> parameters).
/// </summary>
internal sealed class RefArgumentStores
{
    private readonly HashSet<IMethodSymbol> _storesSecondIntoFirst = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, int> _storesFactoryResultIntoFirst = new(SymbolEqualityComparer.Default);

    public RefArgumentStores(Compilation compilation)
    {
        Add(compilation, "System.Threading.Interlocked", "Exchange", "CompareExchange");
        Add(compilation, "System.Threading.Volatile", "Write");
        AddFactoryStores(compilation, "System.Threading.LazyInitializer", "EnsureInitialized");
    }

    /// <summary>
    /// Whether <paramref name="method"/> stores its argument <paramref name="value"/> into the location of
    /// its <c>ref</c> argument <paramref name="location"/> (parameter ordinals).
    /// </summary>
    public bool TryGetStore(IMethodSymbol method, out int location, out int value)
    {
        location = 0;
        value = 1;
        return _storesSecondIntoFirst.Contains(method.OriginalDefinition);
    }

    /// <summary>
    /// Whether <paramref name="method"/> stores what its delegate argument <paramref name="factory"/>
    /// returns into the location of its <c>ref</c> argument <paramref name="location"/>
    /// (<c>LazyInitializer.EnsureInitialized(ref _run, () => ...)</c>), and hands that value back.
    /// </summary>
    public bool TryGetFactoryStore(IMethodSymbol method, out int location, out int factory)
    {
        location = 0;
        return _storesFactoryResultIntoFirst.TryGetValue(method.OriginalDefinition, out factory);
    }

    private void AddFactoryStores(Compilation compilation, string metadataName, string name)
    {
        if (compilation.GetTypeByMetadataName(metadataName) is not { } type)
        {
            return;
        }

        foreach (var member in type.GetMembers(name))
        {
            if (member is IMethodSymbol { Parameters.Length: >= 2 } method && method.Parameters[0].RefKind == RefKind.Ref)
            {
                var last = method.Parameters[method.Parameters.Length - 1];
                if (last.Type.TypeKind == TypeKind.Delegate)
                {
                    _storesFactoryResultIntoFirst[method.OriginalDefinition] = last.Ordinal;
                }
            }
        }
    }

    private void Add(Compilation compilation, string metadataName, params string[] names)
    {
        if (compilation.GetTypeByMetadataName(metadataName) is not { } type)
        {
            return;
        }

        foreach (var name in names)
        {
            foreach (var member in type.GetMembers(name))
            {
                if (member is IMethodSymbol { Parameters.Length: >= 2 } method && method.Parameters[0].RefKind == RefKind.Ref)
                {
                    _storesSecondIntoFirst.Add(method.OriginalDefinition);
                }
            }
        }
    }
}
