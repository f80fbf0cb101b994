using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// An editor asks for one document's diagnostics on a new compilation after every edit: the work of
/// that request follows the document (its methods and what they reach), not the project. These
/// tests count where the engine binds code, never how long it takes.
/// </summary>
public sealed class DocumentRequestTests
{
    private const int Hosts = 24;

    // Every host has delegate members of the same names, as real projects do.
    private static string HostFile(int i) => $$"""
        using System;
        using Wasmtime;

        public sealed class Host{{i}}
        {
            internal readonly Func<int, int> Alloc;
            internal Func<int, int> Digest { get; }
            internal Action Reset { get; private set; }
            internal readonly Memory Memory;

            public Host{{i}}(Instance instance)
            {
                Alloc = instance.GetFunction<int, int>("alloc")!;
                Digest = instance.GetFunction<int, int>("digest")!;
                Reset = instance.GetAction("reset")!;
                Memory = instance.GetMemory("memory")!;
            }

            public int Run(int address)
            {
                var view = Memory.GetSpan(address, 8);
                Alloc(1);
                return view[0];
            }

            public int Apply(Func<int, int> step, int address)
            {
                var view = Memory.GetSpan(address, 8);
                step(1);
                return view[0];
            }

            public int UseApply(int address) => Apply(Digest, address);
        }

        public static class Caller{{i}}
        {
            public static int Reach(Host{{i}} host, int address)
            {
                var view = host.Memory.GetSpan(address, 8);
                host.Reset();
                return view[0];
            }
        }
        """;

    [Fact]
    public void OneDocument_BindsStoresOnlyInThatDocument_AndFindsItsStaleUses()
    {
        var compilation = CompilationAnalysis.Compile(Enumerable.Range(0, Hosts).Select(HostFile).ToArray());
        var semantics = WasmViewSemantics.TryCreate(compilation)!;
        var document = compilation.SyntaxTrees.Single(tree => tree.ToString().Contains("class Host7\n", StringComparison.Ordinal));
        var model = compilation.GetSemanticModel(document);

        // What the rules ask for each method of the document, as an editor request does.
        var staleUses = document.GetRoot().DescendantNodes().OfType<BaseMethodDeclarationSyntax>()
            .Select(method => model.GetOperation(method))
            .Select(body => body switch
            {
                IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor),
                IMethodBodyOperation method => ControlFlowGraph.Create(method),
                _ => throw new InvalidOperationException("not a body: " + body?.Kind),
            })
            .SelectMany(graph => ViewFlowAnalysis.Analyze(semantics, graph, CancellationToken.None).StaleUses)
            .Select(use => use.ViewName)
            .ToArray();

        // Run (Alloc), Apply (step, given Digest by UseApply) and Reach (Reset): three stale reads,
        // found from the stores of Host7 alone, though every host stores into members of the same names.
        Assert.Equal(new[] { "view", "view", "view" }, staleUses);
        Assert.Equal(new[] { document }, semantics.GuestDelegates.Index.TreesBound);
    }
}
