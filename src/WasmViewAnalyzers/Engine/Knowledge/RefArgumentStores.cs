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

    public RefArgumentStores(Compilation compilation)
    {
        Add(compilation, "System.Threading.Interlocked", "Exchange", "CompareExchange");
        Add(compilation, "System.Threading.Volatile", "Write");
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
