using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Engine.Summaries;

namespace WasmViewAnalyzers.Engine;

/// <summary>The host's own wrappers, named in <c>.editorconfig</c> (<see cref="WasmViewOptions"/>), and the archive writers.</summary>
internal sealed partial class WasmViewSemantics
{
    private Lazy<ConfiguredMethods> _configuredGuestCalls = new(() => ConfiguredMethods.None);
    private Lazy<ConfiguredMethods> _configuredViewSources = new(() => ConfiguredMethods.None);
    private Lazy<ConfiguredMethods> _configuredDeferredSinks = new(() => ConfiguredMethods.None);
    private Lazy<ConfiguredMethods> _configuredEscapeSinks = new(() => ConfiguredMethods.None);
    private ArchiveWriters? _archives;

    public WasmViewOptions Options { get; private set; } = WasmViewOptions.Empty;

    /// <summary>The archive and compression writers the compilation references (WVA003, WVA004).</summary>
    public ArchiveWriters Archives => LazyInitializer.EnsureInitialized(ref _archives, () => new ArchiveWriters(this))!;

    /// <summary>Returns <see langword="null"/> for compilations that do not reference Wasmtime.</summary>
    public static WasmViewSemantics? TryCreate(Compilation compilation, WasmViewOptions options)
    {
        var semantics = TryCreate(compilation);
        if (semantics is not null && !options.IsEmpty)
        {
            semantics.Options = options;
            semantics._configuredGuestCalls = new(() => ConfiguredMethods.Resolve(options.GuestCalls, compilation));
            semantics._configuredViewSources = new(() => ConfiguredMethods.Resolve(options.ViewSources, compilation));
            semantics._configuredDeferredSinks = new(() => ConfiguredMethods.Resolve(options.DeferredSinks, compilation));
            semantics._configuredEscapeSinks = new(() => ConfiguredMethods.Resolve(options.EscapeSinks, compilation));
        }

        return semantics;
    }

    /// <summary>Whether <paramref name="method"/>, of the compilation, returns a view it obtained.</summary>
    public bool ReturnsView(IMethodSymbol method, SummaryVisit? visit, CancellationToken cancellationToken)
        => GetViewReturns(method, visit, cancellationToken).ReturnsView;

    /// <summary>Named in <c>wasm_view_analyzers.guest_calls</c>: runs guest code, like <c>[GuestCall]</c>.</summary>
    public bool IsConfiguredGuestCall(ISymbol? member) => _configuredGuestCalls.Value.Contains(member);

    /// <summary>Named in <c>wasm_view_analyzers.view_sources</c>: returns a view, like <c>[GuestViewSource]</c>.</summary>
    public bool IsConfiguredViewSource(ISymbol? member) => _configuredViewSources.Value.Contains(member);

    /// <summary>Named in <c>wasm_view_analyzers.deferred_sinks</c>: keeps what it is given and reads it later (WVA003).</summary>
    public bool IsConfiguredDeferredSink(ISymbol? member) => _configuredDeferredSinks.Value.Contains(member);

    /// <summary>Named in <c>wasm_view_analyzers.escape_sinks</c>: keeps what it is given beyond the call (WVA002).</summary>
    public bool IsConfiguredEscapeSink(ISymbol? member) => _configuredEscapeSinks.Value.Contains(member);
}
