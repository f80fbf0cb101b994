using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// The <c>.editorconfig</c> options that tell the engine about a host's own wrappers of Wasmtime,
/// for code that cannot carry the runtime library's attributes:
/// <c>wasm_view_analyzers.guest_calls</c> (methods that run guest code),
/// <c>wasm_view_analyzers.view_sources</c> (methods that return views) and
/// <c>wasm_view_analyzers.deferred_sinks</c> (methods that keep a stream or memory and read it later),
/// <c>wasm_view_analyzers.escape_sinks</c> (methods that keep what they are given), and
/// <c>wasm_view_analyzers.unknown_delegates = guest_call</c> (invoking a delegate of unknown origin
/// may re-enter the guest).
/// </summary>
/// <remarks>
/// Values are read from the global options and from every syntax tree's options (a <c>[*.cs]</c>
/// section of an <c>.editorconfig</c> applies per file) and united. Each value lists methods
/// separated by <c>|</c> or <c>,</c>, either by documentation-comment ID
/// (<c>M:Ns.Type.Method(System.Int32)</c>, one overload) or as <c>Ns.Type.Method</c> (every
/// overload). Two readings with the same entries are equal, so the rules of one build share one analysis.
/// </remarks>
internal sealed class WasmViewOptions : IEquatable<WasmViewOptions>
{
    public const string GuestCallsKey = "wasm_view_analyzers.guest_calls";
    public const string ViewSourcesKey = "wasm_view_analyzers.view_sources";
    public const string DeferredSinksKey = "wasm_view_analyzers.deferred_sinks";
    public const string EscapeSinksKey = "wasm_view_analyzers.escape_sinks";
    public const string UnknownDelegatesKey = "wasm_view_analyzers.unknown_delegates";

    /// <summary>The value of <see cref="UnknownDelegatesKey"/> that makes such invocations guest calls.</summary>
    public const string UnknownDelegatesAsGuestCalls = "guest_call";

    /// <summary>The default value of <see cref="UnknownDelegatesKey"/>, which may also be written out.</summary>
    public const string UnknownDelegatesIgnored = "ignore";

    public static readonly WasmViewOptions Empty = new(ImmutableSortedSet<string>.Empty, ImmutableSortedSet<string>.Empty, ImmutableSortedSet<string>.Empty, ImmutableSortedSet<string>.Empty, unknownDelegatesAreGuestCalls: false);

    private static readonly ConditionalWeakTable<Compilation, ConditionalWeakTable<AnalyzerConfigOptionsProvider, WasmViewOptions>> Parsed = new();

    private WasmViewOptions(ImmutableSortedSet<string> guestCalls, ImmutableSortedSet<string> viewSources, ImmutableSortedSet<string> deferredSinks, ImmutableSortedSet<string> escapeSinks, bool unknownDelegatesAreGuestCalls)
    {
        UnknownDelegatesAreGuestCalls = unknownDelegatesAreGuestCalls;
        GuestCalls = guestCalls;
        ViewSources = viewSources;
        DeferredSinks = deferredSinks;
        EscapeSinks = escapeSinks;
    }

    public ImmutableSortedSet<string> GuestCalls { get; }

    public ImmutableSortedSet<string> ViewSources { get; }

    public ImmutableSortedSet<string> DeferredSinks { get; }

    /// <summary>Methods that keep what they are given beyond the call (WVA002), e.g. a pipeline stage's <c>Post</c>.</summary>
    public ImmutableSortedSet<string> EscapeSinks { get; }

    /// <summary>
    /// Invoking a delegate of unknown origin (a delegate parameter, an event raised in the method)
    /// is a guest call: for hosts whose callbacks re-enter the guest.
    /// </summary>
    public bool UnknownDelegatesAreGuestCalls { get; }

    public bool IsEmpty => GuestCalls.IsEmpty && ViewSources.IsEmpty && DeferredSinks.IsEmpty && EscapeSinks.IsEmpty && !UnknownDelegatesAreGuestCalls;

    /// <summary>The options in force for <paramref name="compilation"/>, parsed once per compilation and options provider.</summary>
    public static WasmViewOptions Read(AnalyzerOptions? options, Compilation compilation)
    {
        var provider = options?.AnalyzerConfigOptionsProvider;
        if (provider is null)
        {
            return Empty;
        }

        return Parsed.GetValue(compilation, static _ => new())
            .GetValue(provider, p => Parse(p, compilation));
    }

    private static WasmViewOptions Parse(AnalyzerConfigOptionsProvider provider, Compilation compilation)
    {
        var sources = new List<AnalyzerConfigOptions> { provider.GlobalOptions };
        foreach (var tree in compilation.SyntaxTrees)
        {
            sources.Add(provider.GetOptions(tree));
        }

        var result = new WasmViewOptions(
            Collect(sources, GuestCallsKey),
            Collect(sources, ViewSourcesKey),
            Collect(sources, DeferredSinksKey),
            Collect(sources, EscapeSinksKey),
            sources.Exists(source => source.TryGetValue(UnknownDelegatesKey, out var value)
                                     && string.Equals(value.Trim(), UnknownDelegatesAsGuestCalls, StringComparison.OrdinalIgnoreCase)));
        return result.IsEmpty ? Empty : result;
    }

    private static ImmutableSortedSet<string> Collect(List<AnalyzerConfigOptions> sources, string key)
    {
        var builder = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            if (source.TryGetValue(key, out var value))
            {
                foreach (var entry in Split(value))
                {
                    builder.Add(entry);
                }
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>Splits on <c>|</c>, and on <c>,</c> outside the parameter list of a documentation-comment ID.</summary>
    internal static IEnumerable<string> Split(string value)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= value.Length; i++)
        {
            var c = i < value.Length ? value[i] : '|';
            if (c is '(' or '{' or '[')
            {
                depth++;
            }
            else if (c is ')' or '}' or ']')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (c == '|' || (c == ',' && depth == 0))
            {
                var entry = value.Substring(start, i - start).Trim();
                if (entry.Length > 0)
                {
                    yield return entry;
                }

                start = i + 1;
                depth = 0;
            }
        }
    }

    public bool Equals(WasmViewOptions? other)
        => other is not null
           && GuestCalls.SequenceEqual(other.GuestCalls)
           && ViewSources.SequenceEqual(other.ViewSources)
           && DeferredSinks.SequenceEqual(other.DeferredSinks)
           && EscapeSinks.SequenceEqual(other.EscapeSinks)
           && UnknownDelegatesAreGuestCalls == other.UnknownDelegatesAreGuestCalls;

    public override bool Equals(object? obj) => Equals(obj as WasmViewOptions);

    public override int GetHashCode()
    {
        var hash = UnknownDelegatesAreGuestCalls ? 19 : 17;
        foreach (var entry in GuestCalls.Concat(ViewSources).Concat(DeferredSinks).Concat(EscapeSinks))
        {
            hash = unchecked((hash * 31) + StringComparer.Ordinal.GetHashCode(entry));
        }

        return hash;
    }
}

/// <summary>
/// The methods one option names, resolved against a compilation: documentation-comment IDs to
/// their symbols, <c>Ns.Type.Method</c> to every method of that name on the type.
/// </summary>
internal sealed class ConfiguredMethods
{
    public static readonly ConfiguredMethods None = new(ImmutableHashSet<ISymbol>.Empty, ImmutableHashSet<(ISymbol, string)>.Empty);

    private readonly ImmutableHashSet<ISymbol> _symbols;
    private readonly ImmutableHashSet<(ISymbol Type, string Name)> _byName;

    private ConfiguredMethods(ImmutableHashSet<ISymbol> symbols, ImmutableHashSet<(ISymbol, string)> byName)
    {
        _symbols = symbols;
        _byName = byName;
    }

    public bool IsEmpty => _symbols.IsEmpty && _byName.IsEmpty;

    public static ConfiguredMethods Resolve(ImmutableSortedSet<string> entries, Compilation compilation)
    {
        if (entries.IsEmpty)
        {
            return None;
        }

        var symbols = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
        var byName = ImmutableHashSet.CreateBuilder<(ISymbol, string)>(new TypeAndNameComparer());
        foreach (var entry in entries)
        {
            if (entry.Length > 2 && entry[1] == ':')
            {
                foreach (var symbol in DocumentationCommentId.GetSymbolsForDeclarationId(entry, compilation))
                {
                    symbols.Add(symbol.OriginalDefinition);
                }

                continue;
            }

            var dot = entry.LastIndexOf('.');
            if (dot <= 0 || dot == entry.Length - 1)
            {
                continue;
            }

            var typeName = entry.Substring(0, dot);
            if (FindType(compilation, typeName) is { } type)
            {
                byName.Add((type, entry.Substring(dot + 1)));
            }
        }

        return symbols.Count + byName.Count == 0 ? None : new ConfiguredMethods(symbols.ToImmutable(), byName.ToImmutable());
    }

    /// <summary>Whether <paramref name="member"/> (a method, accessor or property) is one of the configured ones, directly or as an override or implementation of one.</summary>
    public bool Contains(ISymbol? member)
    {
        if (member is null || IsEmpty)
        {
            return false;
        }

        foreach (var candidate in Candidates(member))
        {
            if (_symbols.Contains(candidate.OriginalDefinition)
                || (candidate.ContainingType is { } type && _byName.Contains((type.OriginalDefinition, candidate.Name))))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<ISymbol> Candidates(ISymbol member)
    {
        if (member is IMethodSymbol method)
        {
            method = method.ReducedFrom ?? method;
            method = method.PartialDefinitionPart ?? method;
            if (method.AssociatedSymbol is IPropertySymbol property)
            {
                yield return property;
            }

            for (var current = method; current is not null; current = current.OverriddenMethod)
            {
                yield return current;
            }

            member = method;
        }
        else
        {
            yield return member;
        }

        if (member.ContainingType is { } containing)
        {
            foreach (var @interface in containing.AllInterfaces)
            {
                foreach (var interfaceMember in @interface.GetMembers(member.Name))
                {
                    if (SymbolEqualityComparer.Default.Equals(containing.FindImplementationForInterfaceMember(interfaceMember), member))
                    {
                        yield return interfaceMember;
                    }
                }
            }
        }
    }

    /// <summary>The type an option names, <c>Ns.Type</c> or <c>Ns.Outer.Inner</c> written with dots (the last dot then taken as the nesting separator).</summary>
    public static INamedTypeSymbol? FindType(Compilation compilation, string typeName)
    {
        if (compilation.GetTypeByMetadataName(typeName) is { } type)
        {
            return type;
        }

        var dot = typeName.LastIndexOf('.');
        return dot <= 0 ? null : compilation.GetTypeByMetadataName(typeName.Substring(0, dot) + "+" + typeName.Substring(dot + 1));
    }

    private sealed class TypeAndNameComparer : IEqualityComparer<(ISymbol Type, string Name)>
    {
        public bool Equals((ISymbol Type, string Name) x, (ISymbol Type, string Name) y)
            => SymbolEqualityComparer.Default.Equals(x.Type, y.Type) && x.Name == y.Name;

        public int GetHashCode((ISymbol Type, string Name) obj)
            => SymbolEqualityComparer.Default.GetHashCode(obj.Type) ^ StringComparer.Ordinal.GetHashCode(obj.Name);
    }
}
