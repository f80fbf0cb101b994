using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;
using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// The seam between the engine and the code fixes: what each diagnostic carries in its
/// properties, the facts a fix finds again from the cached analysis of the finding's member, the
/// pure-source summary a fix asks before it evaluates a view's source again, and the one symbol
/// table both sides look types up in.
/// </summary>
public sealed class FindingFactsTests
{
    private const string Host = """
        using System;
        using System.IO;
        using System.IO.Compression;
        using Wasmtime;

        unsafe class Host
        {
            private readonly Memory memory;
            private readonly Func<int, int> convert;
            private readonly Func<int, int> malloc;
            private readonly int output;
            private readonly int length;
            private int cursor;
            private int settled;
            private byte* kept;

            public Host(Instance instance)
            {
                memory = instance.GetMemory("memory")!;
                convert = instance.GetFunction<int, int>("convert")!;
                malloc = instance.GetFunction<int, int>("malloc")!;
                output = 64;
                length = 16;
                settled = 8;
            }

            Span<byte> Output() => memory.GetSpan(output, length);

            Span<byte> Allocated() => memory.GetSpan(malloc(length), length);

            Span<byte> Advancing() => memory.GetSpan(cursor++, length);

            Span<byte> AtAddressReadFromTheGuest() => memory.GetSpan(memory.ReadInt32(0), length);

            Span<byte> AtCursor() => memory.GetSpan(cursor, length);

            Span<byte> AtSettled() => memory.GetSpan(settled, length);

            void Move(int to) => cursor = to;

            struct Slot
            {
                public int Count;
            }

            ref Slot Entry(int i) => ref System.Runtime.InteropServices.MemoryMarshal.AsRef<Slot>(memory.GetSpan(i * 4, 4));

            ref int CountOf(int i) => ref Entry(i).Count;

            ref int CountOfInABlock(int i)
            {
                return ref Entry(i).Count;
            }

            ref int CountAtAddressReadFromTheGuest(int i) => ref Entry(memory.ReadInt32(i)).Count;

            int CountRead(int i) => Entry(i).Count;

            record PayloadRef(nint Address, int Length);

            record struct SlotRef(nint Address, int Length);

            record Base(int Length);

            record Based(nint Address, int Length) : Base(Length);

            record Stamped(nint Address)
            {
                public int Stamp { get; } = Guid.NewGuid().GetHashCode();
            }

            sealed class Plain(nint address)
            {
                public nint Address => address;
            }

            PayloadRef PayloadAt(int a) => new(memory.GetPointer() + a, length);

            SlotRef SlotAt(int a) => new SlotRef(memory.GetPointer() + a, length);

            Based BasedAt(int a) => new(memory.GetPointer() + a, length);

            Stamped StampedAt(int a) => new(memory.GetPointer() + a);

            Plain PlainAt(int a) => new(memory.GetPointer() + a);

            int Stale(int address)
            {
                var view = memory.GetSpan(address, 16);
                convert(address);
                return view[0];
            }

            int StaleHelperView()
            {
                var view = Output();
                convert(0);
                return view[1];
            }

            void Escapes(int address) => kept = (byte*)memory.GetPointer() + address;

            void Handover(ZipArchive archive, int address)
            {
                var entry = archive.CreateEntry("data.bin");
                using var stream = entry.Open();
                stream.Write(memory.GetSpan(address, 16));
            }
        }
        """;

    private static ImmutableArray<Diagnostic> Diagnostics(Compilation compilation, string id)
        => CompilationAnalysis.Analyze(compilation).Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();

    [Fact]
    public void StaleUse_CarriesTheViewItsKindAndItsSource()
    {
        var stale = Diagnostics(CompilationAnalysis.Compile(Host), "WVA001");

        Assert.Equal(2, stale.Length);
        Assert.Equal("view", stale[0].Properties[FindingProperties.View]);
        Assert.Equal(nameof(ViewKind.Span), stale[0].Properties[FindingProperties.Kind]);
        Assert.Equal(nameof(AcquisitionKind.GetSpan), stale[0].Properties[FindingProperties.Source]);
        Assert.Equal(AcquisitionKind.Helper, FindingProperties.SourceOf(stale[1]));
        Assert.Equal(ViewKind.Span, FindingProperties.KindOf(stale[1]));
    }

    [Fact]
    public void EscapeAndHandover_CarryTheirProperties()
    {
        var escape = Assert.Single(Diagnostics(CompilationAnalysis.Compile(Host), "WVA002"));
        Assert.Equal(ViewKind.Pointer, FindingProperties.KindOf(escape));
        Assert.Equal(AcquisitionKind.GetPointer, FindingProperties.SourceOf(escape));

        foreach (var diagnostic in CompilationAnalysis.Analyze(CompilationAnalysis.Compile(Host)).Where(d => d.Id is "WVA001" or "WVA002" or "WVA003" or "WVA004"))
        {
            Assert.True(diagnostic.Properties.ContainsKey(FindingProperties.View), diagnostic.ToString());
            Assert.True(diagnostic.Properties.ContainsKey(FindingProperties.Kind), diagnostic.ToString());
            Assert.True(diagnostic.Properties.ContainsKey(FindingProperties.Source), diagnostic.ToString());
        }
    }

    [Fact]
    public void FindFinding_GivesTheAcquisitionAndTheGuestCall_EvenOnAnotherCompilationOfTheSameCode()
    {
        var analyzed = CompilationAnalysis.Compile(Host);
        var diagnostic = Diagnostics(analyzed, "WVA001")[0];

        // The fix comes with a compilation of its own (the IDE's, dotnet format's): the facts are
        // solved again there, for the finding's member only.
        var fresh = CompilationAnalysis.Compile(Host);
        var tree = fresh.SyntaxTrees.Single();
        var moved = Diagnostic.Create(diagnostic.Descriptor, Location.Create(tree, diagnostic.Location.SourceSpan), diagnostic.Properties);
        var facts = CompilationViewAnalysis.For(fresh, null).FindFinding(fresh.GetSemanticModel(tree), moved, CancellationToken.None);

        Assert.NotNull(facts);
        Assert.Equal("WVA001", facts!.RuleId);
        Assert.Equal("view", facts.ViewName);
        Assert.Equal(AcquisitionKind.GetSpan, facts.AcquisitionKind);
        Assert.Equal("memory.GetSpan(address, 16)", facts.Acquisition.Syntax.ToString());
        Assert.NotNull(facts.InvalidatedBy);
        Assert.Contains("convert(address)", facts.InvalidatedBy!.Operation.Syntax.ToString());
    }

    [Fact]
    public void FindFinding_ForAHelpersView_NamesTheHelperCall()
    {
        var compilation = CompilationAnalysis.Compile(Host);
        var diagnostic = Diagnostics(compilation, "WVA001")[1];
        var facts = CompilationViewAnalysis.For(compilation, null).FindFinding(compilation.GetSemanticModel(compilation.SyntaxTrees.Single()), diagnostic, CancellationToken.None);

        Assert.NotNull(facts);
        Assert.Equal(AcquisitionKind.Helper, facts!.AcquisitionKind);
        Assert.Equal("Output()", facts.Acquisition.Syntax.ToString());
    }

    [Theory]
    [InlineData("Output", true)]
    [InlineData("AtSettled", true)]
    [InlineData("Allocated", false)]
    [InlineData("Advancing", false)]
    [InlineData("AtAddressReadFromTheGuest", false)]
    [InlineData("Move", false)]
    [InlineData("CountOf", true)]
    [InlineData("CountOfInABlock", true)]
    [InlineData("CountAtAddressReadFromTheGuest", false)]
    [InlineData("CountRead", false)]
    [InlineData("PayloadAt", true)]
    [InlineData("SlotAt", true)]
    [InlineData("BasedAt", false)]
    [InlineData("StampedAt", false)]
    [InlineData("PlainAt", false)]
    public void PureSources_AHelperIsPureWhenItsBodyIs(string helper, bool pure)
    {
        var compilation = CompilationAnalysis.Compile(Host);
        var semantics = CompilationViewAnalysis.For(compilation, null).Semantics!;
        var method = compilation.GetTypeByMetadataName("Host")!.GetMembers(helper).OfType<IMethodSymbol>().Single();

        Assert.Equal(pure, semantics.PureSources.IsPure(method, null, CancellationToken.None));
    }

    [Theory]
    [InlineData("output", true)]
    [InlineData("settled", true)]
    [InlineData("cursor", false)]
    public void PureSources_AFieldIsStableWhenOnlyConstructionWritesIt(string field, bool stable)
    {
        var compilation = CompilationAnalysis.Compile(Host);
        var semantics = CompilationViewAnalysis.For(compilation, null).Semantics!;
        var symbol = compilation.GetTypeByMetadataName("Host")!.GetMembers(field).OfType<IFieldSymbol>().Single();

        Assert.Equal(stable, semantics.PureSources.IsStableField(symbol, CancellationToken.None));
    }

    [Fact]
    public void PureSources_ASourceReadingAChangedLocalIsNotEvaluatedAgain()
    {
        var compilation = CompilationAnalysis.Compile(Host);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var semantics = CompilationViewAnalysis.For(compilation, null).Semantics!;
        var call = tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>().First(i => i.ToString() == "memory.GetSpan(address, 16)");
        var operation = model.GetOperation(call)!;

        Assert.True(semantics.PureSources.IsReevaluable(operation, _ => false, null, CancellationToken.None));
        Assert.False(semantics.PureSources.IsReevaluable(operation, symbol => symbol.Name == "address", null, CancellationToken.None));
    }

    [Fact]
    public void Symbols_ATypeTwoReferencesDefine_IsTheOneTheCompilerBindsTo()
    {
        // A second assembly that also defines Wasmtime.Caller (a test double, an old binding),
        // referenced under an extern alias: the compiler binds the name to Wasmtime's, and so does
        // the table every rule and fix looks types up in (whatever GetTypeByMetadataName of the
        // compiler that runs the analyzers answers: older ones answer nothing for two definitions).
        var testDouble = CSharpCompilation.Create(
                "Double",
                new[] { CSharpSyntaxTree.ParseText("namespace Wasmtime { public class Caller { } }") },
                Basic.Reference.Assemblies.Net100.References.All,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary))
            .ToMetadataReference(ImmutableArray.Create("double"));
        var compilation = CompilationAnalysis.Compile(Host).AddReferences(testDouble);

        var symbols = WasmSymbols.TryCreate(compilation)!;
        Assert.NotNull(symbols.Caller);
        Assert.Equal(symbols.Memory.ContainingAssembly, symbols.Caller!.ContainingAssembly, SymbolEqualityComparer.Default);
        Assert.Same(symbols, WasmSymbols.TryCreate(compilation));
        Assert.Equal(2, Diagnostics(compilation, "WVA001").Length);
    }
}
