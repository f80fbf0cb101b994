using Microsoft.CodeAnalysis.Testing;
using VerifyCS = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.UnknownOptionNameAnalyzer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// WVA005: an entry of one of the four <c>wasm_view_analyzers.*</c> options that names nothing is
/// reported (once, without a location, naming the option and the entry, and the closest member or
/// type when one is close); entries that name a method or property, of the project or of a
/// referenced assembly (the real Wasmtime), are not; and entries that may come from an assembly the
/// project does not reference are not, when the user lists it in
/// <c>wasm_view_analyzers.optional_assemblies</c>. A key under the prefix that the analyzers do not
/// read, or a typo away from one, and a value <c>unknown_delegates</c> does not take, are reported too.
/// </summary>
public sealed class UnknownOptionNameAnalyzerTests
{
    private const string WrappedHost = """
        using System;
        using System.IO;
        using Wasmtime;

        namespace Hosting
        {
            public interface IGuestSession
            {
                void Step(int input);
                Span<byte> Output(int index);
                int Generation { get; }
            }

            public class ArchiveQueue
            {
                public virtual void Enqueue(string name, Stream content) { }

                public sealed class Batch
                {
                    public void Flush() { }
                }
            }

            public sealed class PriorityQueue : ArchiveQueue
            {
            }

            public sealed class Pipeline<T>
            {
                public void Post(T item) { }
            }

            sealed class Host
            {
                public Memory? Memory { get; set; }
            }
        }
        """;

    private static Task Verify(string config, params DiagnosticResult[] expected)
        => Verify(config, withWasmtime: true, expected);

    private static Task Verify(string config, bool withWasmtime, params DiagnosticResult[] expected)
    {
        var source = withWasmtime
            ? WrappedHost
            : WrappedHost.Replace("using Wasmtime;", string.Empty, StringComparison.Ordinal)
                .Replace("public Memory? Memory { get; set; }", string.Empty, StringComparison.Ordinal);
        var test = new VerifyCS.Test(withWasmtime: withWasmtime) { TestCode = source };
        test.TestState.AnalyzerConfigFiles.Add(config.StartsWith("is_global", StringComparison.Ordinal)
            ? ("/.globalconfig", config)
            : ("/.editorconfig", "root = true\n\n[*.cs]\n" + config));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    private static DiagnosticResult Unknown(string option, string entry, string reason)
        => VerifyCS.Diagnostic("WVA005").WithArguments("wasm_view_analyzers." + option, "'" + entry + "' " + reason, "this entry");

    private static DiagnosticResult NoType(string option, string entry, string typeName, string? suggestion = null)
        => Unknown(option, entry, "names the type '" + typeName + "', which is not in this project or its references" + DidYouMean(suggestion));

    private static DiagnosticResult NoMember(string option, string entry, string member, string type, string? suggestion = null)
        => Unknown(option, entry, "names no method or property '" + member + "' of '" + type + "'" + DidYouMean(suggestion));

    private static DiagnosticResult UnknownKey(string key, string problem)
        => VerifyCS.Diagnostic("WVA005").WithArguments(key, problem, "this key");

    private static DiagnosticResult UnknownValue(string value, string? suggestion)
        => VerifyCS.Diagnostic("WVA005").WithArguments(
            "wasm_view_analyzers.unknown_delegates",
            "'" + value + "' is not one of its values, guest_call or ignore" + DidYouMean(suggestion),
            "this value");

    private static string DidYouMean(string? suggestion) => suggestion is null ? string.Empty : " (did you mean '" + suggestion + "'?)";

    // ------------------------------------------------------------------ a typo in each option

    [Fact]
    public Task GuestCalls_MisspeltMember_ReportsWithTheClosestMember() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Stpe",
        NoMember("guest_calls", "Hosting.IGuestSession.Stpe", "Stpe", "Hosting.IGuestSession", suggestion: "Step"));

    [Fact]
    public Task ViewSources_MisspeltType_ReportsWithTheClosestTypeOfTheNamespace() => Verify(
        "wasm_view_analyzers.view_sources = Hosting.IGuestSesion.Output",
        NoType("view_sources", "Hosting.IGuestSesion.Output", "Hosting.IGuestSesion", suggestion: "Hosting.IGuestSession"));

    [Fact]
    public Task DeferredSinks_MisspeltNamespace_ReportsWithoutGuessing() => Verify(
        "wasm_view_analyzers.deferred_sinks = Hostng.ArchiveQueue.Enqueue",
        NoType("deferred_sinks", "Hostng.ArchiveQueue.Enqueue", "Hostng.ArchiveQueue"));

    [Fact]
    public Task EscapeSinks_DocumentationIdOfNoOverload_Reports() => Verify(
        "wasm_view_analyzers.escape_sinks = M:Hosting.ArchiveQueue.Enqueue(System.String)",
        Unknown("escape_sinks", "M:Hosting.ArchiveQueue.Enqueue(System.String)", "is a documentation-comment ID that matches no method or property of this project or its references"));

    [Fact]
    public Task OnlyTheWrongEntryOfAList_IsReported() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Step | Wasmtime.Memory.Grwo, Wasmtime.Function.Invoke",
        NoMember("guest_calls", "Wasmtime.Memory.Grwo", "Grwo", "Wasmtime.Memory", suggestion: "Grow"));

    [Fact]
    public Task SameTypoInTwoOptions_ReportedForEach() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Stpe\nwasm_view_analyzers.escape_sinks = Hosting.IGuestSession.Stpe",
        NoMember("guest_calls", "Hosting.IGuestSession.Stpe", "Stpe", "Hosting.IGuestSession", suggestion: "Step"),
        NoMember("escape_sinks", "Hosting.IGuestSession.Stpe", "Stpe", "Hosting.IGuestSession", suggestion: "Step"));

    [Fact]
    public Task FromGlobalConfig_Reports() => Verify(
        "is_global = true\nwasm_view_analyzers.guest_calls = Hosting.IGuestSession.Stpe",
        NoMember("guest_calls", "Hosting.IGuestSession.Stpe", "Stpe", "Hosting.IGuestSession", suggestion: "Step"));

    // ------------------------------------------------------------------ how close a suggestion must be

    [Fact]
    public Task MemberWrittenInTheWrongCase_SuggestsItsSpelling() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession.step",
        NoMember("guest_calls", "Hosting.IGuestSession.step", "step", "Hosting.IGuestSession", suggestion: "Step"));

    [Fact]
    public Task MemberOfAGenericType_OneLetterOff_Suggested() => Verify(
        "wasm_view_analyzers.escape_sinks = Hosting.Pipeline`1.Pst",
        NoMember("escape_sinks", "Hosting.Pipeline`1.Pst", "Pst", "Hosting.Pipeline<T>", suggestion: "Post"));

    /// <summary>'Flush' is no typo of 'Step', 'Output' or 'Generation': no suggestion rather than a silly one.</summary>
    [Fact]
    public Task MemberFarFromEveryMember_NoSuggestion() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Flush",
        NoMember("guest_calls", "Hosting.IGuestSession.Flush", "Flush", "Hosting.IGuestSession"));

    /// <summary>A name of two letters is too short to guess from ('Sp' is two edits from 'Step').</summary>
    [Fact]
    public Task ShortMemberTwoEditsAway_NoSuggestion() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Sp",
        NoMember("guest_calls", "Hosting.IGuestSession.Sp", "Sp", "Hosting.IGuestSession"));

    [Fact]
    public Task TypeFarFromEveryTypeOfTheNamespace_NoSuggestion() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.Scheduler.Step",
        NoType("guest_calls", "Hosting.Scheduler.Step", "Hosting.Scheduler"));

    // ------------------------------------------------------------------ keys and values

    [Fact]
    public Task MisspeltKey_ReportsWithTheClosestKey() => Verify(
        "wasm_view_analyzers.guest_call = Hosting.IGuestSession.Step",
        UnknownKey("wasm_view_analyzers.guest_call", "no such option (did you mean 'guest_calls'?)"));

    [Fact]
    public Task MisspeltKeyInAGlobalConfig_Reports() => Verify(
        "is_global = true\nwasm_view_analyzers.viewsources = Hosting.IGuestSession.Output",
        UnknownKey("wasm_view_analyzers.viewsources", "no such option (did you mean 'view_sources'?)"));

    [Fact]
    public Task UnknownKeyFarFromEveryKey_ListsTheOptions() => Verify(
        "wasm_view_analyzers.strict = true",
        UnknownKey("wasm_view_analyzers.strict", "no such option (the options are guest_calls, view_sources, deferred_sinks, escape_sinks, unknown_delegates, optional_assemblies)"));

    /// <summary>A typo in the prefix hides the key from every prefix check: it is caught by its closeness to a whole key.</summary>
    [Fact]
    public Task MisspeltPrefix_ReportsWithTheWholeKey() => Verify(
        "wasm_view_analyzer.guest_calls = Hosting.IGuestSession.Step",
        UnknownKey("wasm_view_analyzer.guest_calls", "no such option (did you mean 'wasm_view_analyzers.guest_calls'?)"));

    /// <summary>Other tools' keys, even ones that share a word with ours, are theirs.</summary>
    [Fact]
    public Task KeysOfOtherTools_NoDiagnostic() => Verify("""
        dotnet_diagnostic.WVA001.severity = error
        dotnet_code_quality.CA2000.excluded_symbol_names = Step
        my_host.guest_calls = Hosting.IGuestSession.Step
        indent_size = 4
        """);

    [Fact]
    public Task EveryKnownKey_NoDiagnostic() => Verify("""
        wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Step
        wasm_view_analyzers.view_sources = Hosting.IGuestSession.Output
        wasm_view_analyzers.deferred_sinks = Hosting.ArchiveQueue.Enqueue
        wasm_view_analyzers.escape_sinks = Hosting.Pipeline`1.Post
        wasm_view_analyzers.unknown_delegates = ignore
        wasm_view_analyzers.optional_assemblies = Wasmtime.Dotnet
        """);

    [Fact]
    public Task UnknownDelegatesValueMisspelt_ReportsWithTheClosestValue() => Verify(
        "wasm_view_analyzers.unknown_delegates = guest_calls",
        UnknownValue("guest_calls", suggestion: "guest_call"));

    [Fact]
    public Task UnknownDelegatesValueFarFromBoth_ReportsTheValues() => Verify(
        "wasm_view_analyzers.unknown_delegates = true",
        UnknownValue("true", suggestion: null));

    [Fact]
    public Task UnknownDelegatesValueInAnotherCase_NoDiagnostic() => Verify(
        "wasm_view_analyzers.unknown_delegates = Guest_Call");

    [Fact]
    public Task WithoutWasmtime_KeysAreNotCheckedEither() => Verify(
        "wasm_view_analyzers.guest_call = Hosting.IGuestSession.Step",
        withWasmtime: false);

    // ------------------------------------------------------------------ entries that name something

    [Fact]
    public Task MethodsAndPropertiesOfSourceTypes_NoDiagnostic() => Verify("""
        wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Step | M:Hosting.IGuestSession.Step(System.Int32)
        wasm_view_analyzers.view_sources = Hosting.IGuestSession.Output, Hosting.IGuestSession.Generation, P:Hosting.IGuestSession.Generation, Hosting.Host.Memory
        wasm_view_analyzers.deferred_sinks = Hosting.ArchiveQueue.Enqueue | M:Hosting.ArchiveQueue.Enqueue(System.String,System.IO.Stream)
        wasm_view_analyzers.escape_sinks = Hosting.ArchiveQueue.Batch.Flush | Hosting.Pipeline`1.Post
        """);

    [Fact]
    public Task MembersOfTheReferencedWasmtimeAssembly_NoDiagnostic() => Verify("""
        wasm_view_analyzers.guest_calls = Wasmtime.Memory.Grow | Wasmtime.Function.Invoke | M:Wasmtime.Memory.Grow(System.Int64)
        wasm_view_analyzers.view_sources = Wasmtime.Memory.GetSpan | Wasmtime.Memory.GetPointer
        """);

    [Fact]
    public Task MembersOfTheFramework_NoDiagnostic() => Verify(
        "wasm_view_analyzers.escape_sinks = System.Collections.Generic.List`1.Add | System.Threading.Channels.ChannelWriter`1.TryWrite");

    [Fact]
    public Task NoOptions_NoDiagnostic() => Verify(string.Empty);

    // ------------------------------------------------------------------ entries that name the wrong thing

    [Fact]
    public Task InheritedMemberNamedOnDerivedType_ReportsWhereItIsDeclared() => Verify(
        "wasm_view_analyzers.deferred_sinks = Hosting.PriorityQueue.Enqueue",
        Unknown("deferred_sinks", "Hosting.PriorityQueue.Enqueue", "names 'Enqueue', which 'Hosting.PriorityQueue' inherits without overriding it: name it on 'Hosting.ArchiveQueue'"));

    [Fact]
    public Task TypeWithoutMember_Reports() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession",
        Unknown("guest_calls", "Hosting.IGuestSession", "names a type, not a method or property: name its members ('Hosting.IGuestSession.Method')"));

    [Fact]
    public Task MemberWithoutType_Reports() => Verify(
        "wasm_view_analyzers.guest_calls = Step",
        Unknown("guest_calls", "Step", "is not of the form Namespace.Type.Member or a documentation-comment ID (M:Namespace.Type.Method(System.Int32))"));

    [Fact]
    public Task MalformedDocumentationId_ReportsWithoutThrowing() => Verify(
        "wasm_view_analyzers.guest_calls = M:)(Hosting",
        Unknown("guest_calls", "M:)(Hosting", "is a documentation-comment ID that matches no method or property of this project or its references"));

    // ------------------------------------------------------------------ optional_assemblies

    [Fact]
    public Task OptionalAssemblyNotReferenced_UnknownTypeNotReported() => Verify("""
        wasm_view_analyzers.optional_assemblies = Hosting.Abstractions
        wasm_view_analyzers.guest_calls = Hosting.Sessions.IRemoteSession.Step | M:Hosting.Sessions.IRemoteSession.Run(System.Int32)
        """);

    [Fact]
    public Task OptionalAssemblyNotReferenced_MisspeltMemberOfKnownTypeStillReported() => Verify(
        "wasm_view_analyzers.optional_assemblies = Hosting.Abstractions\nwasm_view_analyzers.guest_calls = Hosting.IGuestSession.Stpe",
        NoMember("guest_calls", "Hosting.IGuestSession.Stpe", "Stpe", "Hosting.IGuestSession", suggestion: "Step"));

    /// <summary>The Wasmtime package's assembly is Wasmtime.Dotnet: listed and referenced, so every entry must match.</summary>
    [Fact]
    public Task OptionalAssemblyReferenced_UnknownTypeReported() => Verify(
        "wasm_view_analyzers.optional_assemblies = Wasmtime.Dotnet\nwasm_view_analyzers.guest_calls = Hosting.IGuestSesion.Step",
        NoType("guest_calls", "Hosting.IGuestSesion.Step", "Hosting.IGuestSesion", suggestion: "Hosting.IGuestSession"));

    // ------------------------------------------------------------------ projects without Wasmtime

    [Fact]
    public Task WithoutWasmtime_NothingToCheck() => Verify(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Stpe",
        withWasmtime: false);
}
