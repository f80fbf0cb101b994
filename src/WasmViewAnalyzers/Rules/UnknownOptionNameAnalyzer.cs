using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Rules;

/// <summary>
/// WVA005: an entry of <c>wasm_view_analyzers.guest_calls</c>, <c>view_sources</c>,
/// <c>deferred_sinks</c> or <c>escape_sinks</c> names no method or property of the project or its
/// references. The rules ignore such an entry, so a typo silently turns off the protection it was
/// written for.
/// </summary>
/// <remarks>
/// Options have no place in source, so the diagnostic has no location (<see cref="Location.None"/>)
/// and is reported once per compilation, by a compilation action (which runs at the compilation's
/// end); the message names the option and the entry.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnknownOptionNameAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.UnknownOptionName,
        title: "Option names a method or property that does not exist",
        messageFormat: "{0}: '{1}' {2}; the analyzers ignore this entry, so what it was meant to cover goes unchecked",
        RuleIdentifiers.ConfigurationCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "An entry of wasm_view_analyzers.guest_calls, view_sources, deferred_sinks or escape_sinks that matches no method or property of the project or its references is ignored: a misspelt guest call or view source disables the check it was written for. Correct the entry; if it names a member of an assembly this project does not reference, list that assembly in wasm_view_analyzers.optional_assemblies.",
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
            context.ReportDiagnostic(Diagnostic.Create(Rule, Location.None, unresolved.Option, unresolved.Entry, unresolved.Reason));
        }
    }
}
