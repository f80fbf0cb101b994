using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>An entry of a <c>wasm_view_analyzers.*</c> option that names nothing the engine can match (WVA005).</summary>
internal sealed class UnresolvedOptionEntry
{
    public UnresolvedOptionEntry(string option, string entry, string reason)
    {
        Option = option;
        Entry = entry;
        Reason = reason;
    }

    /// <summary>The option's key, e.g. <c>wasm_view_analyzers.guest_calls</c>.</summary>
    public string Option { get; }

    /// <summary>The entry as the user wrote it.</summary>
    public string Entry { get; }

    /// <summary>Why it matches nothing, as a message says it: <c>names no type 'Hosting.IGuestSesion' ...</c>.</summary>
    public string Reason { get; }
}

/// <summary>
/// Checks every entry of the four <see cref="WasmViewOptions"/> against the compilation with the
/// same lookups <see cref="ConfiguredMethods"/> resolves them with (documentation-comment IDs,
/// <c>GetTypeByMetadataName</c> and the type's members), so that an entry reported here is exactly
/// one the rules ignore. Runs once per compilation, over the entries only.
/// </summary>
/// <remarks>
/// <c>wasm_view_analyzers.optional_assemblies</c> lists assemblies that some projects sharing the
/// configuration do not reference. In a project that lacks one of them, an entry whose type (or
/// documentation-comment ID) is not found may come from it and is not reported; an entry whose type
/// is found but has no such member is still a typo and is reported.
/// </remarks>
internal static class ConfiguredNameCheck
{
    public const string OptionalAssembliesKey = "wasm_view_analyzers.optional_assemblies";

    public static ImmutableArray<UnresolvedOptionEntry> FindUnresolved(Compilation compilation, AnalyzerOptions? options)
    {
        var parsed = WasmViewOptions.Read(options, compilation);
        if (parsed.IsEmpty)
        {
            return ImmutableArray<UnresolvedOptionEntry>.Empty;
        }

        var typeMayBeMissing = LacksAnOptionalAssembly(compilation, options!.AnalyzerConfigOptionsProvider);
        var results = ImmutableArray.CreateBuilder<UnresolvedOptionEntry>();
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
                if (Check(entry, compilation, typeMayBeMissing) is { } reason)
                {
                    results.Add(new UnresolvedOptionEntry(key, entry, reason));
                }
            }
        }

        return results.ToImmutable();
    }

    /// <summary>Why <paramref name="entry"/> matches nothing, or <see langword="null"/> when it matches a method or property.</summary>
    private static string? Check(string entry, Compilation compilation, bool typeMayBeMissing)
    {
        if (entry.Length > 2 && entry[1] == ':')
        {
            if (DocumentationCommentId.GetSymbolsForDeclarationId(entry, compilation).Any(s => s is IMethodSymbol or IPropertySymbol))
            {
                return null;
            }

            return typeMayBeMissing ? null : "is a documentation-comment ID that matches no method or property of this project or its references";
        }

        var dot = entry.LastIndexOf('.');
        if (dot <= 0 || dot == entry.Length - 1)
        {
            return "is not of the form Namespace.Type.Member or a documentation-comment ID (M:Namespace.Type.Method(System.Int32))";
        }

        var typeName = entry.Substring(0, dot);
        var memberName = entry.Substring(dot + 1);
        var type = ConfiguredMethods.FindType(compilation, typeName);
        if (type is null)
        {
            if (ConfiguredMethods.FindType(compilation, entry) is not null)
            {
                return "names a type, not a method or property: name its members ('" + entry + ".Method')";
            }

            if (typeMayBeMissing)
            {
                return null;
            }

            return compilation.GetTypesByMetadataName(typeName).Length > 1
                ? "names the type '" + typeName + "', which several referenced assemblies define, so it cannot be told apart"
                : "names the type '" + typeName + "', which is not in this project or its references";
        }

        if (DeclaredMembers(type, memberName).Any())
        {
            return null;
        }

        var declaringType = type.AllInterfaces.Cast<INamedTypeSymbol>()
            .Concat(BaseTypes(type))
            .FirstOrDefault(candidate => DeclaredMembers(candidate, memberName).Any());
        return declaringType is not null
            ? "names '" + memberName + "', which '" + type.ToDisplayString() + "' inherits without overriding it: name it on '" + declaringType.OriginalDefinition.ToDisplayString() + "'"
            : "names no method or property '" + memberName + "' of '" + type.ToDisplayString() + "'";
    }

    private static IEnumerable<ISymbol> DeclaredMembers(INamedTypeSymbol type, string name)
        => type.GetMembers(name).Where(member => member is IMethodSymbol or IPropertySymbol);

    private static IEnumerable<INamedTypeSymbol> BaseTypes(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            yield return current;
        }
    }

    /// <summary>Whether the project lacks an assembly named in <c>wasm_view_analyzers.optional_assemblies</c>.</summary>
    private static bool LacksAnOptionalAssembly(Compilation compilation, AnalyzerConfigOptionsProvider provider)
    {
        var optional = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var sources = new List<AnalyzerConfigOptions> { provider.GlobalOptions };
        sources.AddRange(compilation.SyntaxTrees.Select(provider.GetOptions));
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
