using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Rules;

/// <summary>
/// WVA005: a <c>wasm_view_analyzers.*</c> setting the analyzers cannot use: a key they do not read
/// (<c>guest_call</c> for <c>guest_calls</c>), a value <c>unknown_delegates</c> does not take, or an
/// entry of <c>guest_calls</c>, <c>view_sources</c>, <c>deferred_sinks</c> or <c>escape_sinks</c>
/// that names no method or property of the project or its references. The rules ignore such a
/// setting, so a typo silently turns off the protection it was written for.
/// </summary>
/// <remarks>
/// Options have no place in source, so the diagnostic has no location (<see cref="Location.None"/>)
/// and is reported once per compilation, by a compilation action (which runs at the compilation's
/// end); the message names the option, what is wrong, and the closest known name when one is close.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnknownOptionNameAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.UnknownOptionName,
        title: "Unknown option, or option entry that names no method or property",
        messageFormat: "{0}: {1}; the analyzers ignore {2}, so what it was meant to cover goes unchecked",
        RuleIdentifiers.ConfigurationCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A wasm_view_analyzers.* key the analyzers do not read, a value of unknown_delegates other than guest_call or ignore, and an entry of guest_calls, view_sources, deferred_sinks or escape_sinks that matches no method or property of the project or its references are ignored: a misspelt guest call or view source disables the check it was written for. Correct it by hand in .editorconfig or the global config (dotnet format does not edit those); if an entry names a member of an assembly this project does not reference, list that assembly in wasm_view_analyzers.optional_assemblies.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.UnknownOptionName),
        customTags: WellKnownDiagnosticTags.CompilationEnd);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationAction(ReportUnresolvedEntries);
    }

    private static void ReportUnresolvedEntries(CompilationAnalysisContext context)
    {
        // Without Wasmtime the options change nothing, so there is nothing to check.
        if (WasmSymbols.TryCreate(context.Compilation) is null)
        {
            return;
        }

        foreach (var unresolved in ConfiguredNameCheck.FindUnresolved(context.Compilation, context.Options))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            context.ReportDiagnostic(Diagnostic.Create(Rule, Location.None, unresolved.Option, Describe(unresolved), Ignored(unresolved.Part)));
        }
    }

    private static string Describe(UnresolvedOptionEntry unresolved)
        => unresolved.Suggestion is { } suggestion
            ? unresolved.Problem + " (did you mean '" + suggestion + "'?)"
            : unresolved.Problem;

    private static string Ignored(UnresolvedOptionPart part) => part switch
    {
        UnresolvedOptionPart.Key => "this key",
        UnresolvedOptionPart.Value => "this value",
        _ => "this entry",
    };
}
