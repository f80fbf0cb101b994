using System.Text;
using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Summaries of the compilation's own methods are solved bottom-up over the call graph: a chain of
/// helpers of any depth is followed to its end, recursion reaches a fixed point, and the result
/// does not depend on which method the compiler happens to analyze first.
/// </summary>
public sealed class InterproceduralSummaryTests
{
    private const string Usings = "using System;\nusing Wasmtime;\n\n";

    private const string Prologue = """
        using System;
        using Wasmtime;

        partial class Chain
        {
            private readonly Memory memory;
            private readonly Func<int, int> convert;

            public Chain(Instance instance)
            {
                memory = instance.GetMemory("memory")!;
                convert = instance.GetFunction<int, int>("convert")!;
            }
        }

        """;

    /// <summary>
    /// Three chains of <paramref name="depth"/> helpers, in as many files: guest calls reached only
    /// at the bottom (<c>Call{i}</c>), views returned from the bottom (<c>View{i}</c>), and views passed
    /// down to a method that reads them after a guest call (<c>Pass{i}</c>). Every
    /// <paramref name="seedEvery"/>th helper holds a view across the next call: one stale use each.
    /// </summary>
    private static (string[] Sources, int Seeded) GenerateChains(int depth, int seedEvery)
    {
        var calls = new StringBuilder(Usings + "partial class Chain\n{\n    int Call0(int x) => convert(x);\n");
        var views = new StringBuilder(Usings + "partial class Chain\n{\n    Span<byte> View0(int x) => memory.GetSpan(x, 16);\n");
        var passes = new StringBuilder(Usings + "partial class Chain\n{\n    int Pass0(Span<byte> view) { convert(0); return view[0]; }\n");
        var seeded = 0;
        for (var i = 1; i <= depth; i++)
        {
            if (i % seedEvery == 0)
            {
                calls.Append($"    int Call{i}(int x) {{ var held = memory.GetSpan(x, 4); Call{i - 1}(x); return held[0]; }}\n");
                views.Append($"    Span<byte> View{i}(int x) {{ var v = View{i - 1}(x); convert(x); return View{i - 1}(v[0]); }}\n");
                seeded += 2;
            }
            else
            {
                calls.Append($"    int Call{i}(int x) => Call{i - 1}(x + 1);\n");
                views.Append($"    Span<byte> View{i}(int x) => View{i - 1}(x + 1);\n");
            }

            passes.Append($"    int Pass{i}(Span<byte> view) => Pass{i - 1}(view);\n");
        }

        var top = new StringBuilder(Usings + "partial class Chain\n{\n");
        top.Append($"    int TopView() {{ var v = View{depth}(1); convert(2); return v[0]; }}\n");
        top.Append($"    int TopPass() => Pass{depth}(memory.GetSpan(0, 4));\n");
        top.Append("}\n");
        return (new[] { Prologue, calls + "}\n", views + "}\n", passes + "}\n", top.ToString() }, seeded + 2);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(200)]
    [InlineData(800)]
    [InlineData(2000)]
    public void ChainsOfAnyDepth_ReportEverySeededStaleUse(int depth)
    {
        var (sources, seeded) = GenerateChains(depth, seedEvery: 40);

        var diagnostics = CompilationAnalysis.Analyze(CompilationAnalysis.Compile(sources));

        var stale = diagnostics.Where(d => d.Id == "WVA001").ToList();
        Assert.Equal(seeded, stale.Count);
        Assert.Contains(stale, d => d.GetMessage().Contains("the call to 'Call39'", StringComparison.Ordinal));
        Assert.Contains(stale, d => d.GetMessage().Contains($"View{depth}", StringComparison.Ordinal));
        Assert.Contains(stale, d => d.GetMessage().Contains($"Pass{depth}", StringComparison.Ordinal));
    }

    [Fact]
    public void MutualRecursion_ReachesTheFixedPoint()
    {
        // Ping and Pong only call the guest through each other and the last of a cycle of three;
        // whichever is summarized first, all of them may call the guest.
        var source = Prologue + """
            partial class Chain
            {
                int Ping(int n) => n <= 0 ? 0 : Pong(n - 1);
                int Pong(int n) => n <= 0 ? Tail(n) : Ping(n - 1);
                int Tail(int n) => n < -5 ? convert(n) : Ping(n + 10);
                Span<byte> Even(int n) => n == 0 ? memory.GetSpan(0, 4) : Odd(n - 1);
                Span<byte> Odd(int n) => n == 0 ? default : Even(n - 1);

                int A() { var v = memory.GetSpan(0, 4); Ping(3); return v[0]; }
                int B() { var v = memory.GetSpan(0, 4); Pong(3); return v[0]; }
                int C() { var v = Odd(3); convert(1); return v[0]; }
                int D() { var v = memory.GetSpan(0, 4); var n = Odd(2).Length; return v[0] + n; }
            }
            """;

        var messages = CompilationAnalysis.Describe(CompilationAnalysis.Analyze(CompilationAnalysis.Compile(source)));

        Assert.Equal(3, messages.Length);
        Assert.Contains(messages, m => m.Contains("the call to 'Ping'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("the call to 'Pong'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("Chain.Odd", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SameCompilation_AnalyzedManyTimesConcurrently_GivesTheSameDiagnostics(bool halfTyped)
    {
        var (sources, _) = GenerateChains(300, seedEvery: 7);
        if (halfTyped)
        {
            // Code being typed: files that lost their usings bind to error types.
            sources = sources.Select((source, i) => i % 2 == 0 ? source : source.Replace("using System;", string.Empty, StringComparison.Ordinal)).ToArray();
        }

        var expected = CompilationAnalysis.Describe(CompilationAnalysis.Analyze(CompilationAnalysis.Compile(sources), concurrent: false));

        // Each run is a new compilation (the shared analysis is per compilation) analyzed with
        // concurrent execution, with the files in another order: whichever method is summarized
        // first, on whichever thread, the answer must be the same.
        var runs = Enumerable.Range(0, 12).AsParallel().Select(run =>
        {
            var order = sources.Skip(1).OrderBy(s => (s.GetHashCode() * (run + 1)) & 0xFFFF).Prepend(sources[0]).ToArray();
            return CompilationAnalysis.Describe(CompilationAnalysis.Analyze(CompilationAnalysis.Compile(order)));
        }).ToList();

        Assert.NotEmpty(expected);
        Assert.All(runs, run => Assert.Equal(expected, run));
    }
}
