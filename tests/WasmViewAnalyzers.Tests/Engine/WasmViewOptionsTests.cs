using Microsoft.CodeAnalysis.Testing;
using WasmViewAnalyzers.Tests.Verifiers;
using Stale = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;
using Deferred = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.ViewHandedToDeferredArchiveWriterAnalyzer>;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// The <c>.editorconfig</c> options that describe a host's own wrappers: each one changes what
/// the rules see, named by documentation-comment ID (one overload) or <c>Ns.Type.Method</c> (all),
/// from an <c>.editorconfig</c> section or a global config.
/// </summary>
public sealed class WasmViewOptionsTests
{
    /// <summary>A host that talks to the guest through interfaces the analyzer cannot see into.</summary>
    private const string WrappedHost = """
        using System;
        using System.IO;
        using Wasmtime;

        namespace Hosting
        {
            public interface IGuestSession
            {
                void Step(int input);
                void Step(string input);
                Span<byte> Output(int index);
                Span<byte> Output(string name);
            }

            public interface IArchiveQueue
            {
                void Enqueue(string name, Stream content);
                void Enqueue(string name, byte[] content);
            }

            unsafe sealed class Batch
            {
                private readonly Memory _memory;
                public Batch(Memory memory) => _memory = memory;

                public int StepThenRead(IGuestSession session)
                {
                    var view = _memory.GetSpan(0, 16);
                    session.Step(1);
                    return {|#0:view|}[0];
                }

                public int ReadWrappedOutput(IGuestSession session, Memory memory)
                {
                    var output = session.Output(0);
                    memory.Grow(1);
                    return {|#1:output|}[0];
                }

                public void Queue(IArchiveQueue queue, int address, int length)
                {
                    {|#2:queue.Enqueue("out.png", new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length))|};
                }
            }
        }
        """;

    /// <summary>A host whose callbacks may re-enter the guest: a delegate parameter, an event.</summary>
    private const string CallbackHost = """
        using System;
        using Wasmtime;

        namespace Hosting
        {
            sealed class Callbacks
            {
                private readonly Memory _memory;

                public Callbacks(Memory memory) => _memory = memory;

                public event Action? Progress;

                public int Parameter(Action<int> onChunk)
                {
                    var view = _memory.GetSpan(0, 16);
                    onChunk(1);
                    return {|#0:view|}[0];
                }

                public int Event()
                {
                    var view = _memory.GetSpan(0, 16);
                    Progress?.Invoke();
                    return {|#1:view|}[0];
                }

                public int OwnDelegate()
                {
                    var view = _memory.GetSpan(0, 16);
                    Action<int> log = Console.WriteLine;
                    log(1);
                    return view[0];
                }
            }
        }
        """;

    private static Task VerifyStale(string config, params DiagnosticResult[] expected)
        => Verify(new Stale.Test(), config, expected);

    private static Task VerifyCallbacks(string config, params DiagnosticResult[] expected)
        => Verify(new Stale.Test(), CallbackHost, config, expected);

    private static Task VerifyDeferred(string config, params DiagnosticResult[] expected)
        => Verify(new Deferred.Test(withArchiveLibraries: true), config, expected);

    private static Task Verify<TTest>(TTest test, string config, DiagnosticResult[] expected)
        where TTest : AnalyzerTest<DefaultVerifier>
        => Verify(test, WrappedHost, config, expected);

    private static Task Verify<TTest>(TTest test, string code, string config, DiagnosticResult[] expected)
        where TTest : AnalyzerTest<DefaultVerifier>
    {
        test.TestCode = code;
        if (config.Length > 0)
        {
            test.TestState.AnalyzerConfigFiles.Add(config.StartsWith("is_global", StringComparison.Ordinal)
                ? ("/.globalconfig", config)
                : ("/.editorconfig", "root = true\n\n[*.cs]\n" + config));
        }

        test.ExpectedDiagnostics.AddRange(expected.Select(d => d.WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)));
        return test.RunAsync(CancellationToken.None);
    }

    private static DiagnosticResult StaleAt(int location) => location == 0
        ? Stale.Diagnostic("WVA001").WithLocation(0).WithArguments("view", "was obtained from Memory.GetSpan", "the call to 'session.Step'")
        : Stale.Diagnostic("WVA001").WithLocation(1).WithArguments("output", "was obtained from IGuestSession.Output", "the call to 'memory.Grow'");

    private static DiagnosticResult QueuedForLater() => Deferred.Diagnostic("WVA003")
        .WithLocation(2)
        .WithArguments("new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length)", "'IArchiveQueue.Enqueue'", "later (it is a deferred sink in wasm_view_analyzers.deferred_sinks)");

    // ------------------------------------------------------------------ guest_calls

    [Fact]
    public Task WithoutOptions_WrappersAreOpaque() => VerifyStale(string.Empty);

    [Fact]
    public Task GuestCalls_ByTypeAndName_CoversEveryOverload() => VerifyStale(
        "wasm_view_analyzers.guest_calls = Hosting.IGuestSession.Step",
        StaleAt(0));

    [Fact]
    public Task GuestCalls_ByDocumentationId_CoversThatOverloadOnly() => VerifyStale(
        "wasm_view_analyzers.guest_calls = M:Hosting.IGuestSession.Step(System.Int32)",
        StaleAt(0));

    [Fact]
    public Task GuestCalls_OtherOverloadByDocumentationId_NoDiagnostic() => VerifyStale(
        "wasm_view_analyzers.guest_calls = M:Hosting.IGuestSession.Step(System.String)");

    [Fact]
    public Task GuestCalls_FromGlobalConfig() => VerifyStale(
        "is_global = true\nwasm_view_analyzers.guest_calls = Hosting.IGuestSession.Step",
        StaleAt(0));

    // ------------------------------------------------------------------ view_sources

    [Fact]
    public Task ViewSources_ByTypeAndName() => VerifyStale(
        "wasm_view_analyzers.view_sources = Hosting.IGuestSession.Output",
        StaleAt(1));

    [Fact]
    public Task ViewSources_AndGuestCalls_Together_SeparatedByBar() => VerifyStale(
        "wasm_view_analyzers.view_sources = M:Hosting.IGuestSession.Output(System.Int32) | M:Hosting.IGuestSession.Output(System.String)\nwasm_view_analyzers.guest_calls = M:Hosting.IGuestSession.Step(System.Int32),Hosting.Unknown.Method",
        StaleAt(0),
        StaleAt(1));

    // ------------------------------------------------------------------ deferred_sinks

    [Fact]
    public Task WithoutOptions_OwnQueueIsNotADeferredSink() => VerifyDeferred(string.Empty);

    [Fact]
    public Task DeferredSinks_ByTypeAndName() => VerifyDeferred(
        "wasm_view_analyzers.deferred_sinks = Hosting.IArchiveQueue.Enqueue",
        QueuedForLater());

    [Fact]
    public Task DeferredSinks_ByDocumentationId() => VerifyDeferred(
        "wasm_view_analyzers.deferred_sinks = M:Hosting.IArchiveQueue.Enqueue(System.String,System.IO.Stream)",
        QueuedForLater());

    [Fact]
    public Task DeferredSinks_OtherOverloadByDocumentationId_NoDiagnostic() => VerifyDeferred(
        "wasm_view_analyzers.deferred_sinks = M:Hosting.IArchiveQueue.Enqueue(System.String,System.Byte[])");

    [Fact]
    public Task DeferredSinks_FromGlobalConfig() => VerifyDeferred(
        "is_global = true\nwasm_view_analyzers.deferred_sinks = Hosting.IArchiveQueue.Enqueue",
        QueuedForLater());

    // ------------------------------------------------------------------ unknown_delegates

    [Fact]
    public Task WithoutOptions_UnknownDelegatesAreNotGuestCalls() => VerifyCallbacks(string.Empty);

    [Fact]
    public Task UnknownDelegates_Ignore_NoDiagnostic() => VerifyCallbacks("wasm_view_analyzers.unknown_delegates = ignore");

    [Fact]
    public Task UnknownDelegates_GuestCall_ParametersAndEventsReEnterTheGuest() => VerifyCallbacks(
        "wasm_view_analyzers.unknown_delegates = guest_call",
        Stale.Diagnostic("WVA001").WithLocation(0).WithArguments("view", "was obtained from Memory.GetSpan", "the call to 'onChunk'"),
        Stale.Diagnostic("WVA001").WithLocation(1).WithArguments("view", "was obtained from Memory.GetSpan", "the call to 'Progress?.Invoke'"));

    [Fact]
    public Task UnknownDelegates_GuestCall_FromGlobalConfig() => VerifyCallbacks(
        "is_global = true\nwasm_view_analyzers.unknown_delegates = guest_call",
        Stale.Diagnostic("WVA001").WithLocation(0).WithArguments("view", "was obtained from Memory.GetSpan", "the call to 'onChunk'"),
        Stale.Diagnostic("WVA001").WithLocation(1).WithArguments("view", "was obtained from Memory.GetSpan", "the call to 'Progress?.Invoke'"));
}
