using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>What of a <c>wasm_view_analyzers.*</c> setting the analyzers ignore (WVA005).</summary>
internal enum UnresolvedOptionPart
{
    /// <summary>One entry of a list of members: <c>Hosting.IGuestSession.Stpe</c>.</summary>
    Entry,

    /// <summary>The key itself: <c>wasm_view_analyzers.guest_call</c>.</summary>
    Key,

    /// <summary>The value of an option that takes one of a few words: <c>unknown_delegates = guest_calls</c>.</summary>
    Value,
}

/// <summary>A <c>wasm_view_analyzers.*</c> key, entry or value that the analyzers cannot use (WVA005).</summary>
internal sealed class UnresolvedOptionEntry
{
    public UnresolvedOptionEntry(string option, UnresolvedOptionPart part, string problem, string? suggestion)
    {
        Option = option;
        Part = part;
        Problem = problem;
        Suggestion = suggestion;
    }

    /// <summary>The key as written, e.g. <c>wasm_view_analyzers.guest_calls</c>.</summary>
    public string Option { get; }

    public UnresolvedOptionPart Part { get; }

    /// <summary>
    /// What is wrong, as a message says it: <c>'Hosting.IGuestSesion.Step' names the type ...</c>,
    /// <c>no such option</c>.
    /// </summary>
    public string Problem { get; }

    /// <summary>The known name closest to what was written, when one is close enough to be what was meant.</summary>
    public string? Suggestion { get; }
}

/// <summary>
/// Checks the <c>wasm_view_analyzers.*</c> settings against what the analyzers read: every key
/// (a misspelt key is never read), the value of <c>unknown_delegates</c>, and every entry of the
/// four member lists against the compilation, with the same lookups <see cref="ConfiguredMethods"/>
/// resolves them with (documentation-comment IDs, <c>GetTypeByMetadataName</c> and the type's
/// members), so that an entry reported here is exactly one the rules ignore. Runs once per
/// compilation, over the settings only.
/// </summary>
/// <remarks>
/// <c>wasm_view_analyzers.optional_assemblies</c> lists assemblies that some projects sharing the
/// configuration do not reference. In a project that lacks one of them, an entry whose type (or
/// documentation-comment ID) is not found may come from it and is not reported; an entry whose type
/// is found but has no such member is still a typo and is reported.
/// </remarks>
internal static class ConfiguredNameCheck
{
    public const string Prefix = "wasm_view_analyzers.";

    public const string OptionalAssembliesKey = Prefix + "optional_assemblies";

    /// <summary>Every key the analyzers read, in the order the documentation lists them.</summary>
    public static readonly ImmutableArray<string> KnownKeys = ImmutableArray.Create(
        WasmViewOptions.GuestCallsKey,
        WasmViewOptions.ViewSourcesKey,
        WasmViewOptions.DeferredSinksKey,
        WasmViewOptions.EscapeSinksKey,
        WasmViewOptions.UnknownDelegatesKey,
        OptionalAssembliesKey);

    private static readonly ImmutableArray<string> UnknownDelegatesValues = ImmutableArray.Create(WasmViewOptions.UnknownDelegatesAsGuestCalls, WasmViewOptions.UnknownDelegatesIgnored);

    public static ImmutableArray<UnresolvedOptionEntry> FindUnresolved(Compilation compilation, AnalyzerOptions? options)
    {
        if (options?.AnalyzerConfigOptionsProvider is not { } provider)
        {
            return ImmutableArray<UnresolvedOptionEntry>.Empty;
        }

        var results = ImmutableArray.CreateBuilder<UnresolvedOptionEntry>();
        var sources = new List<AnalyzerConfigOptions> { provider.GlobalOptions };
        sources.AddRange(compilation.SyntaxTrees.Select(provider.GetOptions));
        CheckKeys(sources, results);
        CheckUnknownDelegates(sources, results);

        var parsed = WasmViewOptions.Read(options, compilation);
        if (parsed.IsEmpty)
        {
            return results.ToImmutable();
        }

        var typeMayBeMissing = LacksAnOptionalAssembly(compilation, sources);
        foreach (var (key, entries) in new[]
        {
            (WasmViewOptions.GuestCallsKey, parsed.GuestCalls),
            (WasmViewOptions.ViewSourcesKey, parsed.ViewSources),
            (WasmViewOptions.DeferredSinksKey, parsed.DeferredSinks),
            (WasmViewOptions.EscapeSinksKey, parsed.EscapeSinks),
        })
        {
            foreach (var entry in entries)
            {
                if (Check(entry, compilation, typeMayBeMissing) is { } problem)
                {
                    results.Add(new UnresolvedOptionEntry(key, UnresolvedOptionPart.Entry, "'" + entry + "' " + problem.Text, problem.Suggestion));
                }
            }
        }

        return results.ToImmutable();
    }

    /// <summary>
    /// Keys under <see cref="Prefix"/> that the analyzers do not read, and keys a typo away from one
    /// they read (<c>wasm_view_analyzer.guest_calls</c>): both are ignored without a word otherwise.
    /// </summary>
    private static void CheckKeys(List<AnalyzerConfigOptions> sources, ImmutableArray<UnresolvedOptionEntry>.Builder results)
    {
        var seen = new HashSet<string>(AnalyzerConfigOptions.KeyComparer);
        // Files in the same sections may share one instance of options: look at each instance once.
        foreach (var source in sources.Distinct())
        {
            foreach (var key in KeysOf(source))
            {
                if (!seen.Add(key) || KnownKeys.Contains(key, AnalyzerConfigOptions.KeyComparer))
                {
                    continue;
                }

                if (key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
                {
                    var name = key.Substring(Prefix.Length);
                    var suggestion = ClosestName.Find(name, KnownKeys.Select(known => known.Substring(Prefix.Length)));
                    results.Add(new UnresolvedOptionEntry(
                        key,
                        UnresolvedOptionPart.Key,
                        suggestion is null ? "no such option (the options are " + string.Join(", ", KnownKeys.Select(known => known.Substring(Prefix.Length))) + ")" : "no such option",
                        suggestion));
                }
                else if (key.IndexOf('.') > 0 && ClosestName.Find(key, KnownKeys, maxDistance: 2) is { } fullKey)
                {
                    results.Add(new UnresolvedOptionEntry(key, UnresolvedOptionPart.Key, "no such option", fullKey));
                }
            }
        }
    }

    /// <summary>
    /// The keys of one set of options. Every provider the compiler and the IDEs hand analyzers lists
    /// them; one that does not (<see cref="NotImplementedException"/>) has no keys to check.
    /// </summary>
    private static IEnumerable<string> KeysOf(AnalyzerConfigOptions options)
    {
        try
        {
            return options.Keys.ToList();
        }
        catch (NotImplementedException)
        {
            return Array.Empty<string>();
        }
    }

    private static void CheckUnknownDelegates(List<AnalyzerConfigOptions> sources, ImmutableArray<UnresolvedOptionEntry>.Builder results)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in sources)
        {
            if (source.TryGetValue(WasmViewOptions.UnknownDelegatesKey, out var raw)
                && raw.Trim() is var value
                && !UnknownDelegatesValues.Contains(value, StringComparer.OrdinalIgnoreCase)
                && seen.Add(value))
            {
                results.Add(new UnresolvedOptionEntry(
                    WasmViewOptions.UnknownDelegatesKey,
                    UnresolvedOptionPart.Value,
                    "'" + value + "' is not one of its values, " + string.Join(" or ", UnknownDelegatesValues),
                    ClosestName.Find(value, UnknownDelegatesValues)));
            }
        }
    }

    /// <summary>Why <paramref name="entry"/> matches nothing, or <see langword="null"/> when it matches a method or property.</summary>
    private static (string Text, string? Suggestion)? Check(string entry, Compilation compilation, bool typeMayBeMissing)
    {
        if (entry.Length > 2 && entry[1] == ':')
        {
            if (DocumentationCommentId.GetSymbolsForDeclarationId(entry, compilation).Any(s => s is IMethodSymbol or IPropertySymbol))
            {
                return null;
            }

            return typeMayBeMissing ? null : ("is a documentation-comment ID that matches no method or property of this project or its references", null);
        }

        var dot = entry.LastIndexOf('.');
        if (dot <= 0 || dot == entry.Length - 1)
        {
            return ("is not of the form Namespace.Type.Member or a documentation-comment ID (M:Namespace.Type.Method(System.Int32))", null);
        }

        var typeName = entry.Substring(0, dot);
        var memberName = entry.Substring(dot + 1);
        var type = ConfiguredMethods.FindType(compilation, typeName);
        if (type is null)
        {
            if (ConfiguredMethods.FindType(compilation, entry) is not null)
            {
                return ("names a type, not a method or property: name its members ('" + entry + ".Method')", null);
            }

            if (typeMayBeMissing)
            {
                return null;
            }

            return compilation.GetTypesByMetadataName(typeName).Length > 1
                ? ("names the type '" + typeName + "', which several referenced assemblies define, so it cannot be told apart", null)
                : ("names the type '" + typeName + "', which is not in this project or its references", ClosestTypeName(compilation, typeName));
        }

        if (DeclaredMembers(type, memberName).Any())
        {
            return null;
        }

        var declaringType = type.AllInterfaces.Cast<INamedTypeSymbol>()
            .Concat(BaseTypes(type))
            .FirstOrDefault(candidate => DeclaredMembers(candidate, memberName).Any());
        return declaringType is not null
            ? ("names '" + memberName + "', which '" + type.ToDisplayString() + "' inherits without overriding it: name it on '" + declaringType.OriginalDefinition.ToDisplayString() + "'", null)
            : ("names no method or property '" + memberName + "' of '" + type.ToDisplayString() + "'", ClosestName.Find(memberName, NamedMembers(type)));
    }

    private static IEnumerable<ISymbol> DeclaredMembers(INamedTypeSymbol type, string name)
        => type.GetMembers(name).Where(member => member is IMethodSymbol or IPropertySymbol);

    /// <summary>The names an entry could mean on <paramref name="type"/>: its methods and properties, not accessors, constructors or operators.</summary>
    private static IEnumerable<string> NamedMembers(INamedTypeSymbol type)
        => type.GetMembers()
            .Where(member => member.CanBeReferencedByName && member is IMethodSymbol { MethodKind: MethodKind.Ordinary } or IPropertySymbol { IsIndexer: false })
            .Select(member => member.Name);

    /// <summary>
    /// A type of the same namespace (or containing type) close to the misspelt one:
    /// <c>Hosting.IGuestSesion</c> → <c>Hosting.IGuestSession</c>. The namespace itself is taken as written.
    /// </summary>
    private static string? ClosestTypeName(Compilation compilation, string typeName)
    {
        var dot = typeName.LastIndexOf('.');
        var containerName = dot < 0 ? string.Empty : typeName.Substring(0, dot);
        var name = typeName.Substring(dot + 1);
        IEnumerable<INamedTypeSymbol> candidates;
        if (FindNamespace(compilation.GlobalNamespace, containerName) is { } @namespace)
        {
            candidates = @namespace.GetTypeMembers();
        }
        else if (ConfiguredMethods.FindType(compilation, containerName) is { } containingType)
        {
            candidates = containingType.GetTypeMembers();
        }
        else
        {
            return null;
        }

        var closest = ClosestName.Find(name, candidates.Where(type => type.CanBeReferencedByName).Select(type => type.MetadataName));
        return closest is null ? null : (containerName.Length == 0 ? closest : containerName + "." + closest);
    }

    private static INamespaceSymbol? FindNamespace(INamespaceSymbol global, string name)
    {
        var current = global;
        if (name.Length == 0)
        {
            return current;
        }

        foreach (var part in name.Split('.'))
        {
            current = current.GetNamespaceMembers().FirstOrDefault(n => n.Name == part);
            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    private static IEnumerable<INamedTypeSymbol> BaseTypes(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            yield return current;
        }
    }

    /// <summary>Whether the project lacks an assembly named in <c>wasm_view_analyzers.optional_assemblies</c>.</summary>
    private static bool LacksAnOptionalAssembly(Compilation compilation, List<AnalyzerConfigOptions> sources)
    {
        var optional = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in sources)
        {
            if (source.TryGetValue(OptionalAssembliesKey, out var value))
            {
                optional.UnionWith(WasmViewOptions.Split(value));
            }
        }

        if (optional.Count == 0)
        {
            return false;
        }

        var present = new HashSet<string>(compilation.ReferencedAssemblyNames.Select(identity => identity.Name), StringComparer.OrdinalIgnoreCase)
        {
            compilation.AssemblyName ?? string.Empty,
        };
        return optional.Any(name => !present.Contains(name));
    }
}

/// <summary>
/// The known name a misspelt one was most likely meant to be, by edit distance (insertions,
/// deletions, substitutions and swaps of neighbours, ignoring case), or none when no name is close
/// enough for the suggestion to help rather than mislead.
/// </summary>
internal static class ClosestName
{
    /// <param name="written">What the user wrote.</param>
    /// <param name="candidates">The names it may have been meant to be.</param>
    /// <param name="maxDistance">
    /// The most edits allowed; by default one per three characters written, at least one, and none
    /// for one or two characters: <c>Stpe</c> → <c>Step</c>, <c>guest_call</c> → <c>guest_calls</c>,
    /// but not <c>Run</c> → <c>Add</c> or <c>Output</c> → <c>Input</c>.
    /// </param>
    public static string? Find(string written, IEnumerable<string> candidates, int? maxDistance = null)
    {
        var limit = maxDistance ?? (written.Length <= 2 ? 0 : Math.Max(1, written.Length / 3));
        string? best = null;
        var bestDistance = int.MaxValue;
        var bestExactDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            if (string.Equals(candidate, written, StringComparison.Ordinal))
            {
                continue;
            }

            var distance = Distance(written.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance > limit)
            {
                continue;
            }

            // Between equally close names, the one that also matches the case written, then a stable order.
            var exactDistance = Distance(written, candidate);
            if (distance < bestDistance
                || (distance == bestDistance && (exactDistance < bestExactDistance || (exactDistance == bestExactDistance && string.CompareOrdinal(candidate, best) < 0))))
            {
                best = candidate;
                bestDistance = distance;
                bestExactDistance = exactDistance;
            }
        }

        return best;
    }

    /// <summary>The optimal string alignment distance: edits to turn one into the other, a swap of neighbours counting one.</summary>
    internal static int Distance(string a, string b)
    {
        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    current[j] = Math.Min(current[j], previous2[j - 2] + 1);
                }
            }

            (previous2, previous, current) = (previous, current, previous2);
        }

        return previous[b.Length];
    }
}
