using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// The WVA001 fixes. Every test applies the fix one diagnostic at a time and through Fix All (in
/// document, project and solution scope), and the fixed code must compile with no diagnostics left.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    // The first fix a finding offers carries the first-fix key: the copy wherever it keeps meaning,
    // else obtaining the view again, else making the guest calls first.
    private const string First = StaleViewAfterGuestCallFixer.FirstFixKey;
    private const string Lease = StaleViewAfterGuestCallFixer.LeaseCopyKey;

    private const string Copy = "Copy the view when it is obtained";
    private const string ObtainAgain = "Obtain the view again after the call";

    private const string Invocation = """
        struct Invocation
        {
            public int Target;
            public int Argument;
            public int Result;
        }

        """;

    private static Task VerifyMembers(string members, string fixedMembers, string key = First, bool withRuntimeLibrary = false)
        => Verify.VerifyCodeFixAsync(
            HostCode.WithMembers(members),
            key == Lease ? HostCode.WithMembers(fixedMembers, "WasmViewAnalyzers.Runtime") : HostCode.WithMembers(fixedMembers),
            key,
            withRuntimeLibrary);

    // ------------------------------------------------------------------ .ToArray()

    [Fact]
    public Task VarDeclaration_BecomesArrayCopy() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            function.Invoke(1);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """, """
        void Run()
        {
            var view = memory.GetSpan(0, 16).ToArray();
            function.Invoke(1);
            Console.WriteLine(view[0]);
        }
        """);

    [Fact]
    public Task VarDeclarationUsedAsSpan_SpellsOutSpanType() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            convert(1);
            var payload = view.Slice(4);
            Console.WriteLine({|WVA001:payload|}[0]);
        }
        """, """
        void Run()
        {
            Span<byte> view = memory.GetSpan(0, 16).ToArray();
            convert(1);
            var payload = view.Slice(4);
            Console.WriteLine(payload[0]);
        }
        """);

    [Fact]
    public Task ExplicitReadOnlySpan_KeepsItsType() => VerifyMembers("""
        string Run()
        {
            ReadOnlySpan<byte> text = memory.GetSpan(0, 16);
            convert(1);
            return Encoding.UTF8.GetString({|WVA001:text|});
        }
        """, """
        string Run()
        {
            ReadOnlySpan<byte> text = memory.GetSpan(0, 16).ToArray();
            convert(1);
            return Encoding.UTF8.GetString(text);
        }
        """);

    [Fact]
    public Task GenericSpan_CopiesElements() => VerifyMembers("""
        int Run()
        {
            var words = memory.GetSpan<int>(0, 4);
            reset();
            return {|WVA001:words|}[1];
        }
        """, """
        int Run()
        {
            var words = memory.GetSpan<int>(0, 4).ToArray();
            reset();
            return words[1];
        }
        """);

    [Fact]
    public Task Cast_CopiesTheOutermostSpan() => VerifyMembers("""
        int Run()
        {
            var words = MemoryMarshal.Cast<byte, int>(memory.GetSpan(0, 16));
            convert(1);
            return {|WVA001:words|}[0];
        }
        """, """
        int Run()
        {
            var words = MemoryMarshal.Cast<byte, int>(memory.GetSpan(0, 16)).ToArray();
            convert(1);
            return words[0];
        }
        """);

    [Fact]
    public Task NewSpanOverPointer_CopiesTheSpan() => VerifyMembers("""
        byte Run(int length)
        {
            var span = new Span<byte>((void*)memory.GetPointer(), length);
            convert(1);
            return {|WVA001:span|}[0];
        }
        """, """
        byte Run(int length)
        {
            var span = new Span<byte>((void*)memory.GetPointer(), length).ToArray();
            convert(1);
            return span[0];
        }
        """);

    [Fact]
    public Task Reassignment_IsCopied() => VerifyMembers("""
        void Run(int count)
        {
            Span<byte> view = default;
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    Console.WriteLine({|WVA001:view|}[0]);
                }

                view = memory.GetSpan(convert(i), 16);
                reset();
            }
        }
        """, """
        void Run(int count)
        {
            Span<byte> view = default;
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    Console.WriteLine(view[0]);
                }

                view = memory.GetSpan(convert(i), 16).ToArray();
                reset();
            }
        }
        """);

    [Fact]
    public Task HelperReturningView_CopiedAtTheCallSite() => VerifyMembers("""
        Span<byte> Output(int address) => memory.GetSpan(address, 16);

        byte Run()
        {
            var output = Output(convert(1));
            convert(2);
            return {|WVA001:output|}[0];
        }
        """, """
        Span<byte> Output(int address) => memory.GetSpan(address, 16);

        byte Run()
        {
            var output = Output(convert(1)).ToArray();
            convert(2);
            return output[0];
        }
        """);

    [Fact]
    public Task QueuedManagerMemory_CopiedBeforeQueuing() => Verify.VerifyCodeFixAsync(
        HostCode.WithMembers("""
            void ConvertAll(int[] inputs, Stream archive)
            {
                var outputs = new List<Memory<byte>>();
                foreach (var input in inputs)
                {
                    var address = convert(input);
                    outputs.Add(new PointerManager((byte*)memory.GetPointer() + address, 64).Memory);
                }

                foreach (var output in outputs)
                {
                    archive.Write({|WVA001:output|}.Span);
                }
            }
            """) + PointerMemoryManager.Source,
        HostCode.WithMembers("""
            void ConvertAll(int[] inputs, Stream archive)
            {
                var outputs = new List<Memory<byte>>();
                foreach (var input in inputs)
                {
                    var address = convert(input);
                    outputs.Add(new PointerManager((byte*)memory.GetPointer() + address, 64).Memory.ToArray());
                }

                foreach (var output in outputs)
                {
                    archive.Write(output.Span);
                }
            }
            """) + PointerMemoryManager.Source,
        First);

    // A tuple element or an anonymous type's member takes its type from the view: an array there
    // would leave pair.Body.Span without a meaning, so the copy keeps the view's type.
    [Fact]
    public Task ViewInATupleOrAnonymousType_CopyKeepsTheViewsType() => Verify.VerifyCodeFixAsync(
        HostCode.WithMembers("""
            Memory<byte> Segment(int address) => new PointerManager((byte*)memory.GetPointer() + address, 64).Memory;

            void ServePair(Stream output)
            {
                var pair = (Key: "a", Body: Segment(convert(1)));
                convert(2);
                output.Write({|WVA001:pair|}.Body.Span);
            }

            void ServeAnonymous(Stream output)
            {
                var item = new { Key = "b", Body = Segment(convert(3)) };
                convert(4);
                output.Write({|WVA001:item|}.Body.Span);
            }
            """) + PointerMemoryManager.Source,
        HostCode.WithMembers("""
            Memory<byte> Segment(int address) => new PointerManager((byte*)memory.GetPointer() + address, 64).Memory;

            void ServePair(Stream output)
            {
                var pair = (Key: "a", Body: new Memory<byte>(Segment(convert(1)).ToArray()));
                convert(2);
                output.Write(pair.Body.Span);
            }

            void ServeAnonymous(Stream output)
            {
                var item = new { Key = "b", Body = new Memory<byte>(Segment(convert(3)).ToArray()) };
                convert(4);
                output.Write(item.Body.Span);
            }
            """) + PointerMemoryManager.Source,
        First);

    [Fact]
    public Task ViewHandedToAReaderThatCallsTheGuestFirst_CopiedAtTheArgument() => VerifyMembers("""
        void Print(ReadOnlySpan<byte> output)
        {
            convert(1);
            Console.WriteLine(output[0]);
        }

        void Run()
        {
            Print({|WVA001:memory.GetSpan(0, 16)|});
        }
        """, """
        void Print(ReadOnlySpan<byte> output)
        {
            convert(1);
            Console.WriteLine(output[0]);
        }

        void Run()
        {
            Print(memory.GetSpan(0, 16).ToArray());
        }
        """);

    [Fact]
    public Task SeveralUsesOfOneView_OneCopy() => VerifyMembers("""
        int Run()
        {
            var view = memory.GetSpan(0, 16);
            convert(1);
            return {|WVA001:view|}[0] + {|WVA001:view|}[1];
        }
        """, """
        int Run()
        {
            var view = memory.GetSpan(0, 16).ToArray();
            convert(1);
            return view[0] + view[1];
        }
        """);

    [Fact]
    public Task FixAll_FixesEveryMethodAndDocument()
    {
        var test = new Verify.Test
        {
            CodeActionEquivalenceKey = First,

            // One pass fixes the project or solution; in document scope, one pass per document.
            NumberOfFixAllIterations = 1,
            NumberOfFixAllInDocumentIterations = 2,
        };
        test.TestState.Sources.Add(("Host.cs", HostCode.WithMembers("""
            byte First()
            {
                var a = memory.GetSpan(0, 4);
                convert(1);
                return {|WVA001:a|}[0];
            }

            byte Second(int count)
            {
                var b = memory.GetSpan<byte>(8, 4);
                for (var i = 0; i < count; i++)
                {
                    Console.WriteLine({|WVA001:b|}[i]);
                    reset();
                }

                return 0;
            }
            """)));
        test.TestState.Sources.Add(("Other.cs", """
            using Wasmtime;

            static class Other
            {
                public static string Read(Memory memory, Function function)
                {
                    System.ReadOnlySpan<byte> text = memory.GetSpan(0, 8);
                    function.Invoke();
                    return System.Text.Encoding.UTF8.GetString({|WVA001:text|});
                }
            }
            """));
        test.FixedState.Sources.Add(("Host.cs", HostCode.WithMembers("""
            byte First()
            {
                var a = memory.GetSpan(0, 4).ToArray();
                convert(1);
                return a[0];
            }

            byte Second(int count)
            {
                var b = memory.GetSpan<byte>(8, 4).ToArray();
                for (var i = 0; i < count; i++)
                {
                    Console.WriteLine(b[i]);
                    reset();
                }

                return 0;
            }
            """)));
        test.FixedState.Sources.Add(("Other.cs", """
            using Wasmtime;

            static class Other
            {
                public static string Read(Memory memory, Function function)
                {
                    System.ReadOnlySpan<byte> text = memory.GetSpan(0, 8).ToArray();
                    function.Invoke();
                    return System.Text.Encoding.UTF8.GetString(text);
                }
            }
            """));
        return test.RunAsync();
    }

    /// <summary>
    /// What <c>dotnet format analyzers --diagnostics WVA001</c> does: it registers the fixes of the
    /// first finding it meets and asks Fix All for the key of the first one, or for no key when that
    /// finding has none. Either way each finding gets its own first fix: a copy, obtaining the view
    /// again where the view is written through, nothing where no fix keeps the meaning.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(First)]
    public async Task FixAllAsDotnetFormatAsksIt_AppliesEachFindingsFirstFix(string? key)
    {
        var source = HostCode.WithMembers("""
            void NoFix(int address)
            {
                var view = memory.GetSpan(address, 16);
                view = view.Slice(4);
                convert(1);
                view[0] = 1;
            }

            byte Copied()
            {
                var view = memory.GetSpan(0, 16);
                convert(1);
                return view[0];
            }

            void WrittenThrough(int address)
            {
                var view = memory.GetSpan(address, 16);
                convert(1);
                view[0] = 1;
            }
            """);
        var expected = HostCode.WithMembers("""
            void NoFix(int address)
            {
                var view = memory.GetSpan(address, 16);
                view = view.Slice(4);
                convert(1);
                view[0] = 1;
            }

            byte Copied()
            {
                var view = memory.GetSpan(0, 16).ToArray();
                convert(1);
                return view[0];
            }

            void WrittenThrough(int address)
            {
                var view = memory.GetSpan(address, 16);
                convert(1);
                view = memory.GetSpan(address, 16);
                view[0] = 1;
            }
            """);

        // The first finding (a view given another one before the call) has no fix: dotnet format then asks with no key.
        Assert.Empty((await Verify.GetFixesPerDiagnosticAsync(source))[0].Fixes);

        using var workspace = new AdhocWorkspace();
        var document = workspace.AddProject("Test", LanguageNames.CSharp)
            .WithCompilationOptions(new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true))
            .WithMetadataReferences(Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(TestProject.Wasmtime))
            .AddDocument("Test.cs", source);
        var compilation = (await document.Project.GetCompilationAsync())!;
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(new WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        Assert.Equal(3, diagnostics.Length);
        var fixer = new StaleViewAfterGuestCallFixer();
        var context = new Microsoft.CodeAnalysis.CodeFixes.FixAllContext(
            document, fixer, Microsoft.CodeAnalysis.CodeFixes.FixAllScope.Solution, key!, fixer.FixableDiagnosticIds, new FixedDiagnostics(diagnostics), CancellationToken.None);
        var action = await fixer.GetFixAllProvider()!.GetFixAsync(context);
        var operations = await action!.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<Microsoft.CodeAnalysis.CodeActions.ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;
        Assert.Equal(expected, (await changed.GetTextAsync()).ToString());
    }

    private sealed class FixedDiagnostics : Microsoft.CodeAnalysis.CodeFixes.FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        public FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics)
        {
            _diagnostics = diagnostics;
        }

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult(Enumerable.Empty<Diagnostic>());
    }

    [Fact]
    public Task TabIndentedFile_FixIndentedWithTabs() => Verify.VerifyCodeFixAsync(
        "using Wasmtime;\n\nclass Host\n{\n\tprivate readonly Memory memory = null!;\n\tprivate readonly Function function = null!;\n\n\tbool Ready()\n\t{\n\t\tfunction.Invoke();\n\t\treturn true;\n\t}\n\n\tvoid Fill(int address)\n\t{\n\t\tvar view = memory.GetSpan(address, 16);\n\t\tif (Ready())\n\t\t\t{|WVA001:view|}[0] = 1;\n\t}\n}\n",
        "using Wasmtime;\n\nclass Host\n{\n\tprivate readonly Memory memory = null!;\n\tprivate readonly Function function = null!;\n\n\tbool Ready()\n\t{\n\t\tfunction.Invoke();\n\t\treturn true;\n\t}\n\n\tvoid Fill(int address)\n\t{\n\t\tvar view = memory.GetSpan(address, 16);\n\t\tif (Ready())\n\t\t{\n\t\t\tview = memory.GetSpan(address, 16);\n\t\t\tview[0] = 1;\n\t\t}\n\t}\n}\n",
        First);

    [Fact]
    public Task TopLevelStatements_AreFixed() => Verify.VerifyCodeFixAsync("""
        using System;
        using Wasmtime;

        using var engine = new Engine();
        using var module = Module.FromText(engine, "m", "(module (memory (export \"memory\") 1))");
        using var store = new Store(engine);
        var instance = new Instance(store, module);
        var memory = instance.GetMemory("memory")!;
        var render = instance.GetFunction<int, int>("render")!;

        var first = memory.GetSpan(render(1), 16);
        render(2);
        Console.WriteLine({|WVA001:first|}[0]);
        """, """
        using System;
        using Wasmtime;

        using var engine = new Engine();
        using var module = Module.FromText(engine, "m", "(module (memory (export \"memory\") 1))");
        using var store = new Store(engine);
        var instance = new Instance(store, module);
        var memory = instance.GetMemory("memory")!;
        var render = instance.GetFunction<int, int>("render")!;

        var first = memory.GetSpan(render(1), 16).ToArray();
        render(2);
        Console.WriteLine(first[0]);
        """, First, outputKind: OutputKind.ConsoleApplication);

    // ------------------------------------------------------------------ foreach

    private const string Records = """
        IEnumerable<ReadOnlyMemory<byte>> Records()
        {
            for (var i = 0; i < 3; i++)
            {
                yield return RecordAt(i);
            }
        }

        async IAsyncEnumerable<ReadOnlyMemory<byte>> RecordsAsync()
        {
            for (var i = 0; i < 3; i++)
            {
                yield return RecordAt(i);
                await Task.Yield();
            }
        }

        async IAsyncEnumerable<Memory<byte>> WritableRecordsAsync()
        {
            await Task.Yield();
            yield return WritableAt(0);
        }

        """;

    private const string RecordViews = """
        ReadOnlyMemory<byte> RecordAt(int i) => new PointerManager((byte*)memory.GetPointer() + i * 4, 4).Memory;

        Memory<byte> WritableAt(int i) => new PointerManager((byte*)memory.GetPointer() + i * 4, 4).Memory;
        """;

    [Fact]
    public Task ReadOnlyViewAForEachHandsItsBody_CopiedFirstInTheBody() => Verify.VerifyCodeFixAsync(
        HostCode.WithSafeMembers(Records + """
            async Task<int> CountAsync(Stream audit)
            {
                var errors = 0;
                await foreach (ReadOnlyMemory<byte> record in RecordsAsync())
                {
                    await audit.WriteAsync(new byte[1]);
                    if ({|WVA001:record|}.Span[0] == 69) errors++;
                }

                return errors;
            }
            """, RecordViews) + PointerMemoryManager.Source,
        HostCode.WithSafeMembers(Records + """
            async Task<int> CountAsync(Stream audit)
            {
                var errors = 0;
                await foreach (ReadOnlyMemory<byte> recordView in RecordsAsync())
                {
                    ReadOnlyMemory<byte> record = recordView.ToArray();
                    await audit.WriteAsync(new byte[1]);
                    if (record.Span[0] == 69) errors++;
                }

                return errors;
            }
            """, RecordViews) + PointerMemoryManager.Source,
        First);

    [Fact]
    public async Task WritableViewAForEachHandsItsBody_NotCopied()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithSafeMembers(Records + """
            async Task Clear()
            {
                await foreach (var record in WritableRecordsAsync())
                {
                    reset();
                    record.Span[0] = 0;
                }
            }
            """, RecordViews) + PointerMemoryManager.Source);

        // The body writes guest memory through the view; a copy would take the write.
        var finding = Assert.Single(findings);
        Assert.DoesNotContain(finding.Fixes, fix => fix.Title == Copy);
    }

    [Fact]
    public async Task CollectionFilledByTwoStatements_CopyWhereOneIsObtainedNotOffered()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            Memory<byte> Render(int i)
            {
                var offset = convert(i);
                return new PointerManager((byte*)memory.GetPointer() + offset, 16).Memory;
            }

            int Both(int zoom)
            {
                var byZoom = new Dictionary<int, Memory<byte>>();
                byZoom.Add(zoom, Render(zoom));
                byZoom.Add(zoom + 1, Render(zoom + 1));
                reset();
                return System.Linq.Enumerable.Sum(byZoom.Values, tile => tile.Span[0]);
            }

            int One(int zoom)
            {
                var byZoom = new Dictionary<int, Memory<byte>>();
                byZoom.Add(zoom, Render(zoom));
                reset();
                return byZoom.ContainsKey(zoom) ? byZoom[zoom].Span[0] : 0;
            }
            """) + PointerMemoryManager.Source);

        // Copying the first view leaves the second one stale; with one store the copy is the fix.
        Assert.Equal(2, findings.Length);
        Assert.DoesNotContain(findings[0].Fixes, fix => fix.Title == Copy);
        Assert.Contains(findings[1].Fixes, fix => fix.Title == Copy);
    }

    [Fact]
    public async Task ObjectBuiltOverAHelperView_NotObtainedAgainByMakingTheHelperCallFirst()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            Memory<byte> Render(int i)
            {
                var offset = convert(i);
                return new PointerManager((byte*)memory.GetPointer() + offset, 16).Memory;
            }

            int Late(int x)
            {
                Tile tile = new(x, Render(x));
                reset();
                return tile.Pixels.Span[0];
            }
            """) + PointerMemoryManager.Source + """

            sealed record Tile(int X, Memory<byte> Pixels);
            """);

        // Making Render first and assigning its result again would keep the view obtained before reset().
        var finding = Assert.Single(findings);
        Assert.DoesNotContain(finding.Fixes, fix => fix.Title == ObtainAgain);
        Assert.Contains(finding.Fixes, fix => fix.Title == Copy);
    }

    // ------------------------------------------------------------------ pattern variables

    [Fact]
    public Task PointerDeclaredByAPattern_ObtainedAgainAfterTheCall() => VerifyMembers("""
        int Peek(int address)
        {
            if (memory.GetPointer() is var basePointer && basePointer != IntPtr.Zero)
            {
                reset();
                return *((byte*){|WVA001:basePointer|} + address);
            }

            return -1;
        }

        int PeekTyped(int address)
        {
            if (memory.GetPointer() is nint start)
            {
                convert(address);
                return *((byte*){|WVA001:start|} + address);
            }

            return -1;
        }
        """, """
        int Peek(int address)
        {
            if (memory.GetPointer() is var basePointer && basePointer != IntPtr.Zero)
            {
                reset();
                basePointer = memory.GetPointer();
                return *((byte*)basePointer + address);
            }

            return -1;
        }

        int PeekTyped(int address)
        {
            if (memory.GetPointer() is nint start)
            {
                convert(address);
                start = memory.GetPointer();
                return *((byte*)start + address);
            }

            return -1;
        }
        """);

    [Fact]
    public async Task PointerDeclaredByAPatternOverAGuestCall_NotObtainedAgain()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            int Peek(int address)
            {
                if (memory.GetPointer() + convert(address) is var pointer)
                {
                    reset();
                    return *(byte*)pointer;
                }

                return -1;
            }
            """));

        // Evaluating the pattern's input again would call the guest again.
        var finding = Assert.Single(findings);
        Assert.DoesNotContain(finding.Fixes, fix => fix.Title == ObtainAgain);
    }

    // ------------------------------------------------------------------ Caller.TryGetMemorySpan

    [Fact]
    public Task TryGetMemorySpan_AsStatement_CopiesAfterTheCall() => VerifyMembers("""
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
            {
                caller.TryGetMemorySpan<byte>("memory", address, length, out var text);
                caller.GetFunction("notify")!.Invoke();
                Console.WriteLine(Encoding.UTF8.GetString({|WVA001:text|}));
            });
        }
        """, """
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
            {
                caller.TryGetMemorySpan<byte>("memory", address, length, out var text);
                text = text.ToArray();
                caller.GetFunction("notify")!.Invoke();
                Console.WriteLine(Encoding.UTF8.GetString(text));
            });
        }
        """);

    [Fact]
    public Task TryGetMemorySpan_InIfCondition_CopiesFirstInTheBranch() => VerifyMembers("""
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
            {
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var text))
                {
                    caller.GetFunction("notify")!.Invoke();
                    Console.WriteLine(Encoding.UTF8.GetString({|WVA001:text|}));
                }
            });
        }
        """, """
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
            {
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var text))
                {
                    text = text.ToArray();
                    caller.GetFunction("notify")!.Invoke();
                    Console.WriteLine(Encoding.UTF8.GetString(text));
                }
            });
        }
        """);

    [Fact]
    public Task TryGetMemorySpan_NegatedGuard_CopiesAfterTheGuard() => VerifyMembers("""
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
            {
                if (!caller.TryGetMemorySpan<byte>("memory", address, length, out var text))
                {
                    return;
                }

                caller.GetFunction("notify")!.Invoke();
                Console.WriteLine(Encoding.UTF8.GetString({|WVA001:text|}));
            });
        }
        """, """
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
            {
                if (!caller.TryGetMemorySpan<byte>("memory", address, length, out var text))
                {
                    return;
                }
                text = text.ToArray();

                caller.GetFunction("notify")!.Invoke();
                Console.WriteLine(Encoding.UTF8.GetString(text));
            });
        }
        """);

    // ------------------------------------------------------------------ pooled lease copy

    [Fact]
    public Task Lease_DeclarationBecomesUsingLease() => VerifyMembers("""
        void Run(Stream archive)
        {
            var output = memory.GetSpan(convert(1), 64);
            reset();
            archive.Write({|WVA001:output|});
        }
        """, """
        void Run(Stream archive)
        {
            using var outputLease = memory.GetSpan(convert(1), 64).LeaseCopy();
            var output = outputLease.Span;
            reset();
            archive.Write(output);
        }
        """, Lease, withRuntimeLibrary: true);

    [Fact]
    public Task Lease_FixAllAcrossMethods() => VerifyMembers("""
        int First()
        {
            var a = memory.GetSpan(0, 4);
            convert(1);
            return {|WVA001:a|}[0];
        }

        int Second()
        {
            ReadOnlySpan<int> b = memory.GetSpan<int>(8, 4);
            reset();
            return {|WVA001:b|}[0];
        }
        """, """
        int First()
        {
            using var aLease = memory.GetSpan(0, 4).LeaseCopy();
            var a = aLease.Span;
            convert(1);
            return a[0];
        }

        int Second()
        {
            using var bLease = memory.GetSpan<int>(8, 4).LeaseCopy();
            ReadOnlySpan<int> b = bLease.Span;
            reset();
            return b[0];
        }
        """, Lease, withRuntimeLibrary: true);

    [Fact]
    public async Task Lease_OfferedOnlyWithTheRuntimeLibrary()
    {
        var source = HostCode.WithMembers("""
            byte Run()
            {
                var view = memory.GetSpan(0, 16);
                convert(1);
                return view[0];
            }
            """);

        var without = await Verify.GetOfferedFixesAsync(source, withRuntimeLibrary: false);
        var with = await Verify.GetOfferedFixesAsync(source, withRuntimeLibrary: true);

        Assert.Equal(new[] { Copy, ObtainAgain, ReadBefore }, without);
        Assert.Equal(new[] { Copy, "Use a pooled lease copy", ObtainAgain, ReadBefore }, with);
    }

    [Fact]
    public async Task Lease_NotOfferedWhenTheViewOutlivesItsDeclaration()
    {
        // The reassigned view lives outside the block that obtained it: a lease disposed at the end
        // of that block would be read after it went back to the pool.
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            byte Run(int count)
            {
                Span<byte> view = default;
                for (var i = 0; i < count; i++)
                {
                    view = memory.GetSpan(convert(i), 16);
                }

                reset();
                return view[0];
            }
            """), withRuntimeLibrary: true);

        Assert.Equal(new[] { "Copy the view when it is obtained" }, offered);
    }

    // ------------------------------------------------------------------ no copy where a copy breaks meaning or does not compile

    [Fact]
    public async Task NoCopy_WhenTheViewIsWrittenThrough()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            void Indexer()
            {
                var view = memory.GetSpan(0, 16);
                convert(1);
                view[0] = 1;
            }

            void Destination(byte[] source)
            {
                var view = memory.GetSpan(0, 16);
                convert(1);
                source.CopyTo(view);
            }

            void RefLocal()
            {
                var view = memory.GetSpan(0, 16);
                ref var first = ref view[0];
                convert(1);
                first = 2;
            }

            void Fill()
            {
                var view = memory.GetSpan(0, 16);
                convert(1);
                view.Fill(0);
            }

            void WritableSpanArgument(Stream input)
            {
                var view = memory.GetSpan(0, 16);
                convert(1);
                input.Read(view);
            }

            void Fill(Span<byte> output)
            {
                convert(1);
                output[0] = 1;
            }

            void HandedToAWriter()
            {
                Fill(memory.GetSpan(0, 16));
            }

            void StructFieldWrittenThroughElement()
            {
                var headers = MemoryMarshal.Cast<byte, long>(memory.GetSpan(0, 16));
                convert(1);
                headers[0]++;
            }
            """), withRuntimeLibrary: true);

        // Obtaining the view again keeps the writes; it is all that is offered.
        Assert.All(offered, title => Assert.Equal(ObtainAgain, title));
    }

    [Fact]
    public async Task NoCopy_ForBarePointers_StreamsCopiedWhereCreated()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            byte Pointer()
            {
                var p = (byte*)memory.GetPointer();
                convert(1);
                return p[0];
            }

            void Stream(Stream sink)
            {
                using var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), 16);
                convert(1);
                stream.CopyTo(sink);
            }
            """), withRuntimeLibrary: true);

        // The pointer is obtained again; the stream becomes a MemoryStream over a copy where it is
        // created (a new stream over guest memory would start at another position).
        Assert.Equal(new[] { ObtainAgain, ReadBefore, Copy }, offered);
    }

    // ------------------------------------------------------------------ obtain the view again after the call

    [Fact]
    public Task StaleRefRebound_AfterGuestCall_Fixes() => VerifyMembers(Invocation + """
        int Dispatch(int target, int argument)
        {
            var ptr = convert(12);
            ref var inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(ptr, 12));
            inv.Target = target;
            inv.Argument = argument;
            reset();
            return {|WVA001:inv|}.Result;
        }
        """, Invocation + """
        int Dispatch(int target, int argument)
        {
            var ptr = convert(12);
            ref var inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(ptr, 12));
            inv.Target = target;
            inv.Argument = argument;
            reset();
            inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(ptr, 12));
            return inv.Result;
        }
        """, First);

    [Fact]
    public Task StaleRefDerivedFromASpan_BothObtainedAgain() => VerifyMembers(Invocation + """
        void Acknowledge(int slot)
        {
            var span = memory.GetSpan(slot, 12);
            ref var inv = ref MemoryMarshal.AsRef<Invocation>(span);
            reset();
            {|WVA001:inv|}.Argument++;
        }
        """, Invocation + """
        void Acknowledge(int slot)
        {
            var span = memory.GetSpan(slot, 12);
            ref var inv = ref MemoryMarshal.AsRef<Invocation>(span);
            reset();
            span = memory.GetSpan(slot, 12);
            inv = ref MemoryMarshal.AsRef<Invocation>(span);
            inv.Argument++;
        }
        """, First);

    [Fact]
    public Task RefLocalOnlyRead_FromAHelperThatCallsTheGuest_CopiesTheStructWhereObtained_FixAll() => VerifyMembers(Invocation + """
        ref Invocation Next(int slot)
        {
            convert(slot);
            return ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(slot, 12));
        }

        int Compare(int a, int b)
        {
            ref Invocation first = ref Next(a);
            ref readonly Invocation second = ref Next(b);
            return {|WVA001:first|}.Result - second.Result;
        }

        bool Ready(int slot)
        {
            ref var pending = ref Next(slot);
            reset();
            return {|WVA001:pending|}.Target == 0;
        }
        """, Invocation + """
        ref Invocation Next(int slot)
        {
            convert(slot);
            return ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(slot, 12));
        }

        int Compare(int a, int b)
        {
            Invocation first = Next(a);
            ref readonly Invocation second = ref Next(b);
            return first.Result - second.Result;
        }

        bool Ready(int slot)
        {
            var pending = Next(slot);
            reset();
            return pending.Target == 0;
        }
        """);

    [Fact]
    public async Task RefLocalWrittenOrPassedByIn_StructNotCopied()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers(Invocation + """
            ref Invocation Next(int slot)
            {
                convert(slot);
                return ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(slot, 12));
            }

            int Written(int a)
            {
                ref Invocation call = ref Next(a);
                reset();
                call.Result++;
                return call.Target + Describe(in call.Argument);
            }

            int Describe(in int value) => value;
            """), withRuntimeLibrary: false);

        Assert.DoesNotContain("Copy the struct when it is obtained", offered);
    }

    [Fact]
    public async Task StaleRefWrittenThrough_OnlyObtainingAgainIsOffered()
    {
        // A copy under the ref does not compile (CS8329 where AsRef takes the read-only span) and
        // would drop the writes the guest reads.
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers(Invocation + """
            int Dispatch(int target)
            {
                var ptr = convert(12);
                ref var inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(ptr, 12));
                inv.Target = target;
                reset();
                return inv.Result;
            }
            """), withRuntimeLibrary: true);

        Assert.Equal(new[] { ObtainAgain }, offered);
    }

    [Fact]
    public Task StalePointer_AfterGuestCall_ObtainedAgain() => VerifyMembers("""
        void Patch(int address, byte value)
        {
            var target = (byte*)memory.GetPointer() + address;
            convert(8);
            *{|WVA001:target|} = value;
        }
        """, """
        void Patch(int address, byte value)
        {
            var target = (byte*)memory.GetPointer() + address;
            convert(8);
            target = (byte*)memory.GetPointer() + address;
            *target = value;
        }
        """, First);

    [Fact]
    public Task StaleSpanWrittenInLoop_ObtainedAgainOnceBeforeTheLoop() => VerifyMembers("""
        void Gain(int address, int frames, float gain)
        {
            var samples = memory.GetSpan<float>(address, frames);
            reset();
            for (var i = 0; i < frames; i++)
            {
                {|WVA001:samples|}[i] *= gain;
            }
        }
        """, """
        void Gain(int address, int frames, float gain)
        {
            var samples = memory.GetSpan<float>(address, frames);
            reset();
            samples = memory.GetSpan<float>(address, frames);
            for (var i = 0; i < frames; i++)
            {
                samples[i] *= gain;
            }
        }
        """, First);

    [Fact]
    public Task StaleSpanInLoopThatCallsTheGuest_ObtainedAgainInTheLoop() => VerifyMembers("""
        void Encode(int[] ids, Stream output)
        {
            var message = memory.GetSpan(64, 4);
            foreach (var id in ids)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian({|WVA001:message|}, id);
                output.WriteByte((byte)convert(4));
            }
        }
        """, """
        void Encode(int[] ids, Stream output)
        {
            var message = memory.GetSpan(64, 4);
            foreach (var id in ids)
            {
                message = memory.GetSpan(64, 4);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(message, id);
                output.WriteByte((byte)convert(4));
            }
        }
        """, First);

    [Fact]
    public Task StaleTryGetMemorySpan_WrittenThrough_CalledAgain() => VerifyMembers("""
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "upper", (Caller caller, int address, int length) =>
            {
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var bytes))
                {
                    caller.GetFunction("before_upper")!.Invoke();
                    for (var i = 0; i < length; i++)
                    {
                        {|WVA001:bytes|}[i] = (byte)char.ToUpperInvariant((char){|WVA001:bytes|}[i]);
                    }
                }
            });
        }
        """, """
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "upper", (Caller caller, int address, int length) =>
            {
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var bytes))
                {
                    caller.GetFunction("before_upper")!.Invoke();
                    caller.TryGetMemorySpan<byte>("memory", address, length, out bytes);
                    for (var i = 0; i < length; i++)
                    {
                        bytes[i] = (byte)char.ToUpperInvariant((char)bytes[i]);
                    }
                }
            });
        }
        """, First);

    [Fact]
    public Task ObtainAgain_FixAllAcrossUsesAndMethods() => VerifyMembers("""
        int Twice(int address)
        {
            var view = memory.GetSpan(address, 16);
            convert(1);
            var first = {|WVA001:view|}[0];
            if (convert(2) > first)
                {|WVA001:view|}[1] = 0;
            return first;
        }

        void Clear(int address)
        {
            Span<byte> header = memory.GetSpan(address, 8);
            reset();
            {|WVA001:header|}.Clear();
        }
        """, """
        int Twice(int address)
        {
            var view = memory.GetSpan(address, 16);
            convert(1);
            view = memory.GetSpan(address, 16);
            var first = view[0];
            if (convert(2) > first)
            {
                view = memory.GetSpan(address, 16);
                view[1] = 0;
            }
            return first;
        }

        void Clear(int address)
        {
            Span<byte> header = memory.GetSpan(address, 8);
            reset();
            header = memory.GetSpan(address, 8);
            header.Clear();
        }
        """, First);

    [Fact]
    public async Task ReadOnlyView_ObtainingAgainOfferedBesideTheCopy()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            byte Run(int address)
            {
                var view = memory.GetSpan(address, 16);
                convert(1);
                return view[0];
            }
            """));

        Assert.Equal(new[] { Copy, ObtainAgain, ReadBefore }, offered);
    }

    [Fact]
    public Task ObtainAgain_PointerDeclaredFirstAndAssignedItsSourceLater_AssignedAgainAfterTheCall() => VerifyMembers("""
        int Peak(int a)
        {
            nint? lastPacket = null;
            int output = convert(a);
            lastPacket = memory.GetPointer() + output;
            int peak = *(byte*)lastPacket.Value;
            convert(a);
            if (lastPacket.HasValue)
            {
                peak = Math.Max(peak, *(byte*){|WVA001:lastPacket|}.Value);
            }

            return peak;
        }

        int Plain(int a)
        {
            byte* last = null;
            int output = convert(a);
            last = (byte*)memory.GetPointer() + output;
            convert(a);
            return *{|WVA001:last|} + {|WVA001:last|}[1];
        }
        """, """
        int Peak(int a)
        {
            nint? lastPacket = null;
            int output = convert(a);
            lastPacket = memory.GetPointer() + output;
            int peak = *(byte*)lastPacket.Value;
            convert(a);
            lastPacket = memory.GetPointer() + output;
            if (lastPacket.HasValue)
            {
                peak = Math.Max(peak, *(byte*)lastPacket.Value);
            }

            return peak;
        }

        int Plain(int a)
        {
            byte* last = null;
            int output = convert(a);
            last = (byte*)memory.GetPointer() + output;
            convert(a);
            last = (byte*)memory.GetPointer() + output;
            return *last + last[1];
        }
        """);

    [Fact]
    public async Task ObtainAgain_NoFixWhereThePointerIsAssignedOnSomePathsOrTwice()
    {
        // Assigned again after the call on every path, the pointer would be set where it was not
        // (null before, HasValue true after); assigned twice, which value reaches the use depends on the path.
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            int Branch(int a, bool b)
            {
                byte* p = null;
                if (b)
                {
                    p = (byte*)memory.GetPointer() + a;
                }

                convert(a);
                return p == null ? 0 : *p;
            }

            int Twice(int a, bool b)
            {
                nint p = memory.GetPointer();
                p = memory.GetPointer() + a;
                if (b)
                {
                    p = memory.GetPointer() + 2 * a;
                }

                convert(a);
                return *(byte*)p;
            }
            """));

        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == ObtainAgain);
    }

    [Fact]
    public Task PointersOfAPrivateCollectionReadAfterTheCall_KeepTheOffsets() => VerifyMembers("""
        private readonly Stack<nint> _replay = new();

        int Replay(int address, int count)
        {
            for (var i = 0; i < count; i++)
            {
                _replay.Push(memory.GetPointer() + address + i * 8);
            }

            reset();
            var sum = 0;
            while (_replay.Count > 0)
            {
                sum += *(byte*){|WVA001:_replay|}.Pop();
            }

            return sum;
        }
        """, """
        private readonly Stack<int> _replay = new();

        int Replay(int address, int count)
        {
            for (var i = 0; i < count; i++)
            {
                _replay.Push(address + i * 8);
            }

            reset();
            var sum = 0;
            while (_replay.Count > 0)
            {
                sum += *(byte*)(memory.GetPointer() + _replay.Pop());
            }

            return sum;
        }
        """);

    [Fact]
    public async Task PointersOfACollectionOthersSee_KeepTheirType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            internal readonly Stack<nint> Replay = new();

            int Drain(int address)
            {
                Replay.Push(memory.GetPointer() + address);
                reset();
                return *(byte*)Replay.Pop();
            }
            """) + """

            unsafe class Reader
            {
                int Peek(Host host) => *(byte*)host.Replay.Peek();
            }
            """);

        // The reader reads another host's stack: its memory may not be the one the pointers came from.
        Assert.Contains(findings, f => f.Diagnostic.Id == "WVA001");
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public Task PointerInANullableLocalFilledInABranch_KeepsTheOffset() => VerifyMembers("""
        float Life(int emitter, bool fill)
        {
            nint? cached = null;
            if (fill)
            {
                var address = convert(emitter);
                cached = memory.GetPointer() + address;
            }

            convert(0);
            return cached.HasValue ? *(float*){|WVA001:cached|}.GetValueOrDefault() : 0;
        }

        int First(int a)
        {
            nint? start = null;
            if (a > 0)
            {
                start = (nint)((byte*)memory.GetPointer() + a);
            }

            convert(a);
            return start == null ? -1 : *(byte*){|WVA001:start|}.Value;
        }
        """, """
        float Life(int emitter, bool fill)
        {
            int? cached = null;
            if (fill)
            {
                var address = convert(emitter);
                cached = address;
            }

            convert(0);
            return cached.HasValue ? *(float*)(memory.GetPointer() + cached.GetValueOrDefault()) : 0;
        }

        int First(int a)
        {
            int? start = null;
            if (a > 0)
            {
                start = a;
            }

            convert(a);
            return start == null ? -1 : *(byte*)(memory.GetPointer() + start.Value);
        }
        """);

    [Fact]
    public async Task ObtainAgain_NoFixWhenTheViewIsReassigned()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            void ViewReassigned(int address)
            {
                var view = memory.GetSpan(address, 16);
                view = view.Slice(4);
                convert(1);
                view[0] = 1;
            }
            """));

        Assert.Empty(offered);
    }

    [Fact]
    public Task ObtainAgain_InputsThatChangeOrCallTheGuest_MadeFirstIntoLocals() => VerifyMembers("""
        private int _offset;

        void Advance() => _offset += 16;

        void Reassigned(int address)
        {
            var view = memory.GetSpan(address, 16);
            convert(1);
            address += 16;
            {|WVA001:view|}[0] = 1;
        }

        void MutableField()
        {
            var view = memory.GetSpan(_offset, 16);
            convert(1);
            {|WVA001:view|}[0] = 1;
        }

        void SourceCallsTheGuest()
        {
            var view = memory.GetSpan(convert(0), 16);
            convert(1);
            {|WVA001:view|}[0] = 1;
        }
        """, """
        private int _offset;

        void Advance() => _offset += 16;

        void Reassigned(int address)
        {
            var viewAddress = address;
            var view = memory.GetSpan(viewAddress, 16);
            convert(1);
            address += 16;
            view = memory.GetSpan(viewAddress, 16);
            view[0] = 1;
        }

        void MutableField()
        {
            var address = _offset;
            var view = memory.GetSpan(address, 16);
            convert(1);
            view = memory.GetSpan(address, 16);
            view[0] = 1;
        }

        void SourceCallsTheGuest()
        {
            var address = convert(0);
            var view = memory.GetSpan(address, 16);
            convert(1);
            view = memory.GetSpan(address, 16);
            view[0] = 1;
        }
        """);

    [Fact]
    public Task ObtainAgain_TwoViewsOfOneMethodEachWithInputsMadeFirst_GetTheirOwnNames() => VerifyMembers("""
        void Frame(int buttons)
        {
            var frame = memory.GetSpan(convert(buttons), 16);
            var samples = memory.GetSpan(convert(2), 8);
            reset();
            {|WVA001:frame|}[0] = 1;
            {|WVA001:samples|}[0] = 2;
        }
        """, """
        void Frame(int buttons)
        {
            var address = convert(buttons);
            var frame = memory.GetSpan(address, 16);
            var samplesAddress = convert(2);
            var samples = memory.GetSpan(samplesAddress, 8);
            reset();
            frame = memory.GetSpan(address, 16);
            samples = memory.GetSpan(samplesAddress, 8);
            frame[0] = 1;
            samples[0] = 2;
        }
        """);

    [Fact]
    public Task ObtainAgain_InputMadeFirst_NotNamedAfterALocalANestedScopeDeclaresLater() => VerifyMembers("""
        void ForEachVariable()
        {
            var view = memory.GetSpan(convert(0), 16);
            convert(1);
            {|WVA001:view|}[0] = 1;
            foreach (var address in new[] { 1, 2 })
            {
                convert(address);
            }
        }

        void OutVariable(System.Collections.Generic.Dictionary<int, int> map)
        {
            var view = memory.GetSpan(convert(0), 16);
            convert(1);
            {|WVA001:view|}[0] = 1;
            if (map.Count > 0)
            {
                map.TryGetValue(1, out var address);
                convert(address);
            }
        }

        void PatternAndCatch(object value)
        {
            var view = memory.GetSpan(convert(0), 16);
            convert(1);
            {|WVA001:view|}[0] = 1;
            if (value is int address)
            {
                convert(address);
            }

            try
            {
                convert(2);
            }
            catch (System.Exception address2)
            {
                System.Console.WriteLine(address2.Message);
            }
        }
        """, """
        void ForEachVariable()
        {
            var viewAddress = convert(0);
            var view = memory.GetSpan(viewAddress, 16);
            convert(1);
            view = memory.GetSpan(viewAddress, 16);
            view[0] = 1;
            foreach (var address in new[] { 1, 2 })
            {
                convert(address);
            }
        }

        void OutVariable(System.Collections.Generic.Dictionary<int, int> map)
        {
            var viewAddress = convert(0);
            var view = memory.GetSpan(viewAddress, 16);
            convert(1);
            view = memory.GetSpan(viewAddress, 16);
            view[0] = 1;
            if (map.Count > 0)
            {
                map.TryGetValue(1, out var address);
                convert(address);
            }
        }

        void PatternAndCatch(object value)
        {
            var viewAddress = convert(0);
            var view = memory.GetSpan(viewAddress, 16);
            convert(1);
            view = memory.GetSpan(viewAddress, 16);
            view[0] = 1;
            if (value is int address)
            {
                convert(address);
            }

            try
            {
                convert(2);
            }
            catch (System.Exception address2)
            {
                System.Console.WriteLine(address2.Message);
            }
        }
        """);

    [Fact]
    public Task ObtainAgain_AfterAForeachWhoseIteratorCallsTheGuest_NotAboveTheLoop() => VerifyMembers("""
        IEnumerable<int> Children(int count)
        {
            for (var i = 0; i < count; i++)
            {
                yield return convert(i);
            }
        }

        void Count(int address)
        {
            var header = memory.GetSpan(address, 16);
            var total = 0;
            foreach (var child in Children(3))
            {
                total += child;
            }

            {|WVA001:header|}[0] = (byte)total;
        }
        """, """
        IEnumerable<int> Children(int count)
        {
            for (var i = 0; i < count; i++)
            {
                yield return convert(i);
            }
        }

        void Count(int address)
        {
            var header = memory.GetSpan(address, 16);
            var total = 0;
            foreach (var child in Children(3))
            {
                total += child;
            }
            header = memory.GetSpan(address, 16);

            header[0] = (byte)total;
        }
        """);

    private const string Entities = """
        struct Vec
        {
            public float X;
            public float Y;
        }

        struct EntityState
        {
            public Vec Position;
            public int Flags;
        }

        ref EntityState Entity(int slot) => ref MemoryMarshal.AsRef<EntityState>(memory.GetSpan(1024 + slot * 12, 12));

        ref Vec PositionOf(int slot) => ref Entity(slot).Position;

        ref int FlagsOf(int slot)
        {
            return ref Entity(slot).Flags;
        }

        """;

    [Fact]
    public Task RefFromAHelperThatRefersToAFieldOfAnotherHelpersRef_ObtainedAgainThroughTheHelper() => VerifyMembers(Entities + """
        float Height(int slot)
        {
            ref var position = ref PositionOf(slot);
            reset();
            return {|WVA001:position|}.Y;
        }

        void Flag(int slot)
        {
            ref var flags = ref FlagsOf(slot);
            reset();
            {|WVA001:flags|} |= 1;
        }
        """, Entities + """
        float Height(int slot)
        {
            ref var position = ref PositionOf(slot);
            reset();
            position = ref PositionOf(slot);
            return position.Y;
        }

        void Flag(int slot)
        {
            ref var flags = ref FlagsOf(slot);
            reset();
            flags = ref FlagsOf(slot);
            flags |= 1;
        }
        """);

    [Fact]
    public async Task RefFromAHelperThatReadsTheGuestsMemory_NotObtainedAgain()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(Entities + """
            ref Vec Indirect(int slot) => ref Entity(memory.ReadInt32(slot)).Position;

            float Height(int slot)
            {
                ref var position = ref Indirect(slot);
                reset();
                return position.Y;
            }
            """));

        // The slot's index is read out of guest memory, which the call may have rewritten.
        var finding = Assert.Single(findings);
        Assert.DoesNotContain(finding.Fixes, fix => fix.Title == ObtainAgain);
    }

    [Fact]
    public Task GuestCallOnTheRightOfAWriteThroughTheRef_MadeFirstThenTheRefObtainedAgain() => VerifyMembers(Invocation + """
        int CopyArgs(int count) => convert(count);

        void Prepare(int address)
        {
            ref var inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 12));
            {|WVA001:inv|}.Argument = CopyArgs(4);
        }
        """, Invocation + """
        int CopyArgs(int count) => convert(count);

        void Prepare(int address)
        {
            ref var inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 12));
            var copyArgs = CopyArgs(4);
            inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 12));
            inv.Argument = copyArgs;
        }
        """);

    [Fact]
    public Task RefReboundOnlyAfterTheUse_ObtainedAgainBeforeIt() => VerifyMembers(Invocation + """
        int CopyArgs(int count) => convert(count);

        int Prepare(int address)
        {
            ref var inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 12));
            {|WVA001:inv|}.Argument = CopyArgs(4);
            reset();
            inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address + 12, 12));
            return inv.Result;
        }
        """, Invocation + """
        int CopyArgs(int count) => convert(count);

        int Prepare(int address)
        {
            ref var inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 12));
            var copyArgs = CopyArgs(4);
            inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 12));
            inv.Argument = copyArgs;
            reset();
            inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address + 12, 12));
            return inv.Result;
        }
        """);

    [Fact]
    public async Task RefReboundLaterInALoopAroundTheUse_NotObtainedAgain()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(Invocation + """
            int CopyArgs(int count) => convert(count);

            void Prepare(int address)
            {
                ref var inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 12));
                for (var i = 0; i < 2; i++)
                {
                    inv.Argument = CopyArgs(i);
                    inv = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address + 12 * i, 12));
                }
            }
            """));

        // From the second turn on, the ref at the write is the one bound at the end of the turn before.
        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == ObtainAgain);
    }

    [Fact]
    public Task WriteThroughTheRefOfAValueThatReadsAChangingMember_TheWholeValueMadeFirst() => VerifyMembers(Invocation + """
        sealed class Handle
        {
            public int Value { get; private set; }

            public void Release() => Value = 0;
        }

        int CopyArgs(int count) => convert(count);

        void Prepare(int address, object? target)
        {
            var invocationStruct = memory.GetSpan(address, 12);
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(invocationStruct);
            {|WVA001:invocation|} = new()
            {
                Target = target is Handle handle ? handle.Value : 0,
                Argument = CopyArgs(4),
            };
        }
        """, Invocation + """
        sealed class Handle
        {
            public int Value { get; private set; }

            public void Release() => Value = 0;
        }

        int CopyArgs(int count) => convert(count);

        void Prepare(int address, object? target)
        {
            var invocationStruct = memory.GetSpan(address, 12);
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(invocationStruct);
            Invocation invocationValue = new()
            {
                Target = target is Handle handle ? handle.Value : 0,
                Argument = CopyArgs(4),
            };
            invocationStruct = memory.GetSpan(address, 12);
            invocation = ref MemoryMarshal.AsRef<Invocation>(invocationStruct);
            invocation = invocationValue;
        }
        """);

    [Fact]
    public Task FixAll_TwoViewsOneCallLeftStale_ObtainedAgainTogetherUnderTheCall() => VerifyMembers("""
        void WriteBack(int pointers, int lengths, string[] strings)
        {
            Span<int> addresses = memory.GetSpan<int>(pointers, strings.Length);
            Span<int> sizes = memory.GetSpan<int>(lengths, strings.Length);
            for (int i = 0; i < strings.Length; i++)
            {
                int length = strings[i].Length;
                int address = convert(length * sizeof(char));
                memory.WriteString(address, strings[i]);
                {|WVA001:addresses|}[i] = address;
                {|WVA001:sizes|}[i] = length;
            }
        }
        """, """
        void WriteBack(int pointers, int lengths, string[] strings)
        {
            Span<int> addresses = memory.GetSpan<int>(pointers, strings.Length);
            Span<int> sizes = memory.GetSpan<int>(lengths, strings.Length);
            for (int i = 0; i < strings.Length; i++)
            {
                int length = strings[i].Length;
                int address = convert(length * sizeof(char));
                addresses = memory.GetSpan<int>(pointers, strings.Length);
                sizes = memory.GetSpan<int>(lengths, strings.Length);
                memory.WriteString(address, strings[i]);
                addresses[i] = address;
                sizes[i] = length;
            }
        }
        """);

    [Fact]
    public async Task SpanEnumeratedByAForeachWhoseBodyCallsTheGuest_NotObtainedAgainBeforeTheLoop()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            int Sum(int address)
            {
                var view = memory.GetSpan(address, 16);
                view[0] = 1;
                var sum = 0;
                foreach (var b in view)
                {
                    sum += convert(b);
                }

                return sum;
            }
            """));

        // The loop reads the span on every turn, after the guest calls of the turns before.
        Assert.DoesNotContain(ObtainAgain, offered);
    }

    [Fact]
    public Task FixAll_ObtainsTheViewAgainOnceOnEachPath() => VerifyMembers("""
        int Branches(int address, bool fast)
        {
            var view = memory.GetSpan(address, 16);
            view[0] = 1;
            convert(1);
            if (fast)
            {
                reset();
                {|WVA001:view|}[1] = 2;
            }
            else
            {
                {|WVA001:view|}[2] = 3;
            }

            {|WVA001:view|}[3] = 4;
            return view.Length;
        }
        """, """
        int Branches(int address, bool fast)
        {
            var view = memory.GetSpan(address, 16);
            view[0] = 1;
            convert(1);
            view = memory.GetSpan(address, 16);
            if (fast)
            {
                reset();
                view = memory.GetSpan(address, 16);
                view[1] = 2;
            }
            else
            {
                view[2] = 3;
            }

            view[3] = 4;
            return view.Length;
        }
        """);

    [Fact]
    public Task CallFirst_InAnExpressionBodiedMethod_GivesItABody() => VerifyMembers("""
        private Stream Open(int address) => {|WVA001:new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, convert(address))|};
        """, """
        private Stream Open(int address)
        {
            var convert2 = convert(address);
            return new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, convert2);
        }
        """, StaleViewAfterGuestCallFixer.CallFirstKey);

    [Fact]
    public async Task LoopConditionAfterTheBodysGuestCall_OnlyObtainedAgainInPlace()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            void InLoopCondition(int address, Stream input)
            {
                var frame = memory.GetSpan(address, 64);
                while (input.Read(frame) > 0)
                {
                    convert(1);
                }
            }
            """));

        // No statement before the loop helps (the condition reads the view on every turn), and the
        // stream writes into it (no copy): the source is evaluated in the condition itself.
        Assert.Equal(new[] { ObtainAgain }, offered);
    }

    // ------------------------------------------------------------------ copies where the view is taken

    [Fact]
    public Task LocalThatOutlivesTheCall_CopiedWhereItTakesTheView() => VerifyMembers("""
        void Crossfade(int blocks, Span<float> output)
        {
            Span<float> previous = default;
            for (var i = 0; i < blocks; i++)
            {
                var block = memory.GetSpan<float>(convert(i), 64);
                if (!previous.IsEmpty)
                {
                    Blend({|WVA001:previous|}, block);
                }

                previous = block;
            }
        }

        static void Blend(ReadOnlySpan<float> tail, Span<float> head) => head[0] += tail[^1];
        """, """
        void Crossfade(int blocks, Span<float> output)
        {
            Span<float> previous = default;
            for (var i = 0; i < blocks; i++)
            {
                var block = memory.GetSpan<float>(convert(i), 64);
                if (!previous.IsEmpty)
                {
                    Blend(previous, block);
                }

                previous = block.ToArray();
            }
        }

        static void Blend(ReadOnlySpan<float> tail, Span<float> head) => head[0] += tail[^1];
        """);

    [Fact]
    public Task ViewStream_CopiedWhereCreated_ItsLocalRetyped() => VerifyMembers("""
        long Export(Stream destination, int address, int length)
        {
            UnmanagedMemoryStream? state = null;
            state ??= new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            reset();
            {|WVA001:state|}.CopyTo(destination);
            return state.Length;
        }
        """, """
        long Export(Stream destination, int address, int length)
        {
            MemoryStream? state = null;
            state ??= new MemoryStream(memory.GetSpan(address, length).ToArray());
            reset();
            state.CopyTo(destination);
            return state.Length;
        }
        """);

    [Fact]
    public Task ViewStreamWithAGuestCallInItsLength_CopiedFromTheSpanObtainedAfterTheCall() => VerifyMembers("""
        void Export(Stream destination, int address)
        {
            {|WVA001:new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, convert(address))|}.CopyTo(destination);
        }
        """, """
        void Export(Stream destination, int address)
        {
            new MemoryStream(memory.GetSpan(address, convert(address)).ToArray()).CopyTo(destination);
        }
        """);

    [Fact]
    public async Task CopyThatAGuestCallOfTheSameExpressionWouldMakeTooLate_NotOffered()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            int Render() => convert(0);

            byte Read(int address)
            {
                var p = (byte*)memory.GetPointer();
                return new ReadOnlySpan<byte>(p + Render(), convert(1))[0];
            }
            """));

        // The span is built after both calls: a copy of it would copy what the calls left there.
        Assert.DoesNotContain(Copy, offered);
    }

    // ------------------------------------------------------------------ copy in the helper

    [Fact]
    public Task ViewFromAHelperInAnotherFile_TheHelperReturnsACopy()
    {
        // The helper's copy is the one fix here: offered first, under the first-fix key.
        var test = new Verify.Test { CodeActionEquivalenceKey = First };
        test.TestState.Sources.Add(("Host.cs", HostCode.WithMembers("""
            void Pack(Stream destination, int address, int length)
            {
                var content = Outputs.Open(memory, address, length);
                reset();
                {|WVA001:content|}.CopyTo(destination);
            }
            """)));
        test.TestState.Sources.Add(("Outputs.cs", """
            using System.IO;
            using Wasmtime;

            static unsafe class Outputs
            {
                public static UnmanagedMemoryStream Open(Memory memory, int address, int length)
                    => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
            }
            """));
        test.FixedState.Sources.Add(("Host.cs", HostCode.WithMembers("""
            void Pack(Stream destination, int address, int length)
            {
                var content = Outputs.Open(memory, address, length);
                reset();
                content.CopyTo(destination);
            }
            """)));
        test.FixedState.Sources.Add(("Outputs.cs", """
            using System.IO;
            using Wasmtime;

            static unsafe class Outputs
            {
                public static MemoryStream Open(Memory memory, int address, int length)
                    => new MemoryStream(memory.GetSpan(address, length).ToArray());
            }
            """));
        return test.RunAsync();
    }

    [Fact]
    public async Task HelperReturningAWritableViewACallerWritesThrough_NoCopyInTheHelper()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            private Span<byte> Output(int address) => memory.GetSpan(address, 16);

            void Fill(int address)
            {
                var output = Output(address);
                reset();
                {|WVA001:output|}[0] = 1;
            }
            """));

        Assert.DoesNotContain("Make the helper return a copy", offered);
    }

    // A shadow stack's slot (DotNetIsolator's ShadowStack.Push): a struct of the host's over a
    // writable view of guest memory, with the slot's guest address beside it.
    private const string ShadowSlot = """

        readonly ref struct Slot
        {
            private readonly Span<int> _value;
            public readonly int Address;

            public Slot(Span<int> value, int address)
            {
                _value = value;
                Address = address;
            }

            public ref int Value => ref _value[0];
        }
        """;

    private const string ShadowPush = """
        private int _top = 1024;

        private Slot Push()
        {
            var address = _top;
            _top += 4;
            return new Slot(MemoryMarshal.Cast<byte, int>(memory.GetSpan(address, 4)), address);
        }

        """;

    [Fact]
    public async Task SlotWhoseAddressTheGuestIsGivenToWriteItsResult_NoCopyInTheHelper()
    {
        // The guest writes its result at error.Address and the caller reads it after the call: a
        // copy made in Push would hold what was there before (zero), so the error would be lost.
        var fixes = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(ShadowPush + """
            int Instantiate()
            {
                var error = Push();
                convert(error.Address);
                return error.Value;
            }
            """) + ShadowSlot);

        Assert.DoesNotContain("Make the helper return a copy", fixes.Single().Fixes.Select(f => f.Title));
    }

    [Fact]
    public async Task SlotWhoseAddressAnotherCallerGivesTheGuest_NoCopyInTheHelper()
    {
        // Peek alone would keep its meaning with a copy, but the copy is made in Push, for every
        // caller: Instantiate would read its copy instead of the guest's result.
        var fixes = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(ShadowPush + """
            int Peek()
            {
                var slot = Push();
                reset();
                return slot.Value;
            }

            int Instantiate()
            {
                var error = Push();
                convert(error.Address);
                return error.Value;
            }
            """) + ShadowSlot);

        Assert.Equal(2, fixes.Length);
        Assert.All(fixes, finding => Assert.DoesNotContain("Make the helper return a copy", finding.Fixes.Select(f => f.Title)));
    }

    [Fact]
    public async Task SlotReadForWhatWasThereBeforeTheCall_CopyInTheHelperOffered()
    {
        // The near miss: no caller gives the slot's address to the guest or writes through it, so
        // every caller reads what was there when it pushed, as a copy does.
        var fixes = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(ShadowPush + """
            int Peek()
            {
                var slot = Push();
                reset();
                return slot.Value;
            }
            """) + ShadowSlot);

        Assert.Contains("Make the helper return a copy", fixes.Single().Fixes.Select(f => f.Title));
    }

    [Fact]
    public async Task SlotWhoseAddressTheGuestIsGiven_NotReadBeforeTheCall()
    {
        // DotNetIsolator's _lookupDotNetMethod(CopyValue(name), ..., errorMessageParam.Address), in a
        // lambda: the guest writes the error at the slot's address, so reading the slot before the
        // call would always read zero.
        var fixes = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            private int _top = 1024;

            private RefSlot<T> Push<T>() where T : unmanaged
            {
                var address = _top;
                _top += Unsafe.SizeOf<T>();
                return new RefSlot<T>(ref MemoryMarshal.AsRef<T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
            }

            private void Pop(int address) => _top = address;

            private int CopyValue(string value)
            {
                var bytes = Encoding.UTF8.GetBytes(value);
                var address = convert(bytes.Length);
                bytes.CopyTo(memory.GetSpan(address, bytes.Length));
                return address;
            }

            private readonly Dictionary<string, int> _methods = new();

            int Lookup(string name)
            {
                if (_methods.TryGetValue(name, out var known))
                {
                    return known;
                }

                // In a lambda, as DotNetIsolator's lookups are (a cache's GetOrAdd).
                Func<string, int> lookup = key =>
                {
                    var error = Push<int>();
                    try
                    {
                        var method = function.Invoke(CopyValue(key), error.Address);
                        if (error.Value != 0)
                        {
                            throw new InvalidOperationException(memory.ReadString(error.Value, 16));
                        }

                        return (int)method!;
                    }
                    finally
                    {
                        Pop(error.Address);
                    }
                };

                return _methods[name] = lookup(name);
            }
            """) + """

            readonly ref struct RefSlot<T> where T : unmanaged
            {
                public readonly ref T Value;
                public readonly int Address;

                public RefSlot(ref T value, int address)
                {
                    Value = ref value;
                    Address = address;
                }
            }
            """);

        Assert.All(fixes, finding =>
        {
            var titles = finding.Fixes.Select(f => f.Title).ToList();
            Assert.DoesNotContain("Read the value before the call", titles);
            Assert.DoesNotContain("Make the helper return a copy", titles);
        });
        Assert.NotEmpty(fixes);
    }

    // ------------------------------------------------------------------ views captured by local functions

    [Fact]
    public Task PointerReadByALocalFunctionCalledAfterTheCall_ObtainedWhereItRuns() => VerifyMembers("""
        int Read(int address)
        {
            var values = (int*)((byte*)memory.GetPointer() + address);
            int First() => values[0];

            var before = First();
            convert(before);
            return before + {|WVA001:First()|};
        }
        """, """
        int Read(int address)
        {
            int First() => ((int*)((byte*)memory.GetPointer() + address))[0];

            var before = First();
            convert(before);
            return before + First();
        }
        """);

    // ------------------------------------------------------------------ call the guest before obtaining the view

    /// <summary>
    /// Two findings on one pointer local: its push onto a stack (obtained again after the call) and the
    /// read of what was popped (the stack keeps the offset instead, which removes the local's
    /// declaration). Fix All applies one of them, not both: obtaining again a local whose declaration
    /// another fix removed would not compile.
    /// </summary>
    [Fact]
    public Task FixAll_ObtainAgainAndKeepTheOffsetOfOneLocal_AppliesOnlyOne()
    {
        var test = new Verify.Test
        {
            CodeActionEquivalenceKey = First,
            TestCode = HostCode.WithMembers("""
                void Flush(System.IO.Stream file)
                {
                    var pending = new Stack<nint>();
                    var firstAt = convert(0);
                    var first = memory.GetPointer() + firstAt;
                    reset();
                    pending.Push({|WVA001:first|});
                    while (pending.TryPop(out var p))
                    {
                        file.Write(new ReadOnlySpan<byte>((void*){|WVA001:p|}, 16));
                    }
                }
                """),

            // One finding at a time: the pointer obtained again before the push leaves the popped one fresh.
            FixedCode = HostCode.WithMembers("""
                void Flush(System.IO.Stream file)
                {
                    var pending = new Stack<nint>();
                    var firstAt = convert(0);
                    var first = memory.GetPointer() + firstAt;
                    reset();
                    first = memory.GetPointer() + firstAt;
                    pending.Push(first);
                    while (pending.TryPop(out var p))
                    {
                        file.Write(new ReadOnlySpan<byte>((void*)p, 16));
                    }
                }
                """),

            // Fix All: the stack keeps the offset (the edit that comes first), and the pointer is not also obtained again.
            BatchFixedCode = HostCode.WithMembers("""
                void Flush(System.IO.Stream file)
                {
                    var pending = new Stack<int>();
                    var firstAt = convert(0);
                    reset();
                    pending.Push(firstAt);
                    while (pending.TryPop(out var p))
                    {
                        file.Write(new ReadOnlySpan<byte>((void*)(memory.GetPointer() + p), 16));
                    }
                }
                """),
        };
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task PointersInALocalDictionaryOrArrayReadAfterTheGuestRan_KeepTheOffsets_FixAll() => VerifyMembers("""
        long SumValues(string[] keys)
        {
            var local = new Dictionary<string, nint>(keys.Length);
            foreach (var key in keys)
            {
                var offset = convert(16);
                local.TryAdd(key, memory.GetPointer() + offset);
            }

            long sum = 0;
            foreach (var value in local.Values) sum += *(short*){|WVA001:value|} + *(byte*){|WVA001:value|};
            return sum;
        }

        int FirstOfRing(int count)
        {
            var ring = new nint[count];
            for (var i = 0; i < count; i++)
            {
                ring[i] = (nint)((byte*)memory.GetPointer() + convert(32));
            }

            return *(byte*){|WVA001:ring|}[0] + ring.Length;
        }
        """, """
        long SumValues(string[] keys)
        {
            var local = new Dictionary<string, int>(keys.Length);
            foreach (var key in keys)
            {
                var offset = convert(16);
                local.TryAdd(key, offset);
            }

            long sum = 0;
            foreach (var value in local.Values) sum += *(short*)(memory.GetPointer() + value) + *(byte*)(memory.GetPointer() + value);
            return sum;
        }

        int FirstOfRing(int count)
        {
            var ring = new int[count];
            for (var i = 0; i < count; i++)
            {
                ring[i] = convert(32);
            }

            return *(byte*)(memory.GetPointer() + ring[0]) + ring.Length;
        }
        """);

    [Fact]
    public Task DeclarationBeforeAGuestCall_CapturedByALambdaThatRunsLater_MovedBelowTheCall_FixAll() => VerifyMembers("""
        void Publish(int address)
        {
            var output = (byte*)memory.GetPointer() + address;
            var length = convert(address);
            convert(length); // the guest may grow the memory
            Task.Run(() => Console.WriteLine({|WVA001:output|}[0] + output[length]));
        }

        void Clear(int address)
        {
            var output = memory.GetPointer() + address;
            var length = convert(address);
            Task.Run(() => new Span<byte>((void*){|WVA001:output|}, length).Clear());
        }
        """, """
        void Publish(int address)
        {
            var length = convert(address);
            convert(length); // the guest may grow the memory
            var output = (byte*)memory.GetPointer() + address;
            Task.Run(() => Console.WriteLine(output[0] + output[length]));
        }

        void Clear(int address)
        {
            var length = convert(address);
            var output = memory.GetPointer() + address;
            Task.Run(() => new Span<byte>((void*)output, length).Clear());
        }
        """);

    [Fact]
    public async Task DeclarationBeforeAGuestCall_NotMovedWhenReadOrItsInputsChangeOnTheWay()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            void ReadOnTheWay(int address)
            {
                var output = (byte*)memory.GetPointer() + address;
                var length = convert(output[0]);
                Task.Run(() => Console.WriteLine(output[length]));
            }

            void InputChanged(int address)
            {
                var output = (byte*)memory.GetPointer() + address;
                var at = address;
                address = convert(address);
                Task.Run(() => Console.WriteLine(output[at]));
            }

            int ReadThroughALocalFunctionOnTheWay(int address, int other)
            {
                var run = memory.GetPointer() + address;
                var first = Width();
                convert(other);
                return first + Width();

                int Width() => ((int*)run)[1];
            }

            int ReadThroughTwoLocalFunctionsOnTheWay(int address, int other)
            {
                var run = memory.GetPointer() + address;
                var first = Twice();
                convert(other);
                return first + Width();

                int Twice() => 2 * Width();
                int Width() => ((int*)run)[1];
            }
            """));

        Assert.Equal(4, findings.Length);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Call the guest before obtaining the view");
    }

    [Fact]
    public Task GuestCallInALaterArgument_MadeFirst_FixAll() => VerifyMembers("""
        Stream OpenInBody(int address)
        {
            return {|WVA001:new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, convert(address))|};
        }

        void Copy(Stream sink, int address)
        {
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, convert(address));
            {|WVA001:content|}.CopyTo(sink);
        }
        """, """
        Stream OpenInBody(int address)
        {
            var convert2 = convert(address);
            return new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, convert2);
        }

        void Copy(Stream sink, int address)
        {
            var convert2 = convert(address);
            var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, convert2);
            content.CopyTo(sink);
        }
        """, StaleViewAfterGuestCallFixer.CallFirstKey);

    [Fact]
    public async Task GuestCallInALaterArgument_NotMadeFirstWhenOrderMatters()
    {
        var offered = await Verify.GetOfferedFixesAsync(HostCode.WithMembers("""
            private int _count;

            int Next() => ++_count;

            Stream Impure(int address)
            {
                return new UnmanagedMemoryStream((byte*)memory.GetPointer() + Next(), convert(address));
            }

            Stream CalledAgainLater(int address)
            {
                var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, convert(address));
                reset();
                return content;
            }
            """));

        Assert.DoesNotContain("Call the guest before obtaining the view", offered);
    }
}
