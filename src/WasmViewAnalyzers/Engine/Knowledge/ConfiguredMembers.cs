using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// The host's own wrappers, named in <c>.editorconfig</c> (<see cref="WasmViewOptions"/>): each list
/// is resolved to symbols the first time it is asked, once per compilation.
/// </summary>
internal sealed class ConfiguredMembers
{
    private readonly Lazy<ConfiguredMethods> _guestCalls;
    private readonly Lazy<ConfiguredMethods> _viewSources;
    private readonly Lazy<ConfiguredMethods> _deferredSinks;
    private readonly Lazy<ConfiguredMethods> _escapeSinks;

    public ConfiguredMembers(WasmViewOptions options, Compilation compilation)
    {
        Options = options;
        _guestCalls = Resolve(options, o => o.GuestCalls, compilation);
        _viewSources = Resolve(options, o => o.ViewSources, compilation);
        _deferredSinks = Resolve(options, o => o.DeferredSinks, compilation);
        _escapeSinks = Resolve(options, o => o.EscapeSinks, compilation);
    }

    public WasmViewOptions Options { get; }

    /// <summary>Named in <c>wasm_view_analyzers.guest_calls</c>: runs guest code, like <c>[GuestCall]</c>.</summary>
    public bool IsGuestCall(ISymbol? member) => _guestCalls.Value.Contains(member);

    /// <summary>Named in <c>wasm_view_analyzers.view_sources</c>: returns a view, like <c>[GuestViewSource]</c>.</summary>
    public bool IsViewSource(ISymbol? member) => _viewSources.Value.Contains(member);

    /// <summary>Named in <c>wasm_view_analyzers.deferred_sinks</c>: keeps what it is given and reads it later (WVA003).</summary>
    public bool IsDeferredSink(ISymbol? member) => _deferredSinks.Value.Contains(member);

    /// <summary>Named in <c>wasm_view_analyzers.escape_sinks</c>: keeps what it is given beyond the call (WVA002).</summary>
    public bool IsEscapeSink(ISymbol? member) => _escapeSinks.Value.Contains(member);

    private static Lazy<ConfiguredMethods> Resolve(
        WasmViewOptions options,
        Func<WasmViewOptions, ImmutableSortedSet<string>> entries,
        Compilation compilation)
        => options.IsEmpty
            ? new Lazy<ConfiguredMethods>(() => ConfiguredMethods.None)
            : new Lazy<ConfiguredMethods>(() => ConfiguredMethods.Resolve(entries(options), compilation));
}
