using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// The WVA001 fixes. Every test applies the fix one diagnostic at a time and through Fix All (in
/// document, project and solution scope), and the fixed code must compile with no diagnostics left.
/// </summary>
public sealed class StaleViewAfterGuestCallFixerTests
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

        Assert.Equal(new[] { Copy, ObtainAgain }, without);
        Assert.Equal(new[] { Copy, "Use a pooled lease copy", ObtainAgain }, with);
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
        Assert.Equal(new[] { ObtainAgain, Copy }, offered);
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

        Assert.Equal(new[] { Copy, ObtainAgain }, offered);
    }

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
    public async Task ObtainAgain_NoFixWhenTheStatementCallsTheGuestBeforeTheUse()
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

        Assert.Empty(offered);
    }

    // ------------------------------------------------------------------ call the guest before obtaining the view

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
