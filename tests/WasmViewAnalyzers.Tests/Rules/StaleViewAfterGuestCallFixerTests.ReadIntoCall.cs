using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Obtain the view again" where the statement that reads the view also calls the guest, but only
/// after the read: the read is a by-value argument of that call (<c>var verdict =
/// validate(header.First);</c>), so the view obtained again before the statement is fresh where it
/// is read. One theory enumerates the views and positions, its twin the shapes where the guest runs
/// before the read (or the read is the view itself, handed to code that calls the guest first).
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string EntityHelpers = """

        struct Entity
        {
            public int Health;
            public int Armor;
        }

        ref Entity EntityAt(int id) => ref MemoryMarshal.AsRef<Entity>(memory.GetSpan(64 + id * Unsafe.SizeOf<Entity>(), Unsafe.SizeOf<Entity>()));

        ref struct EntityHandle
        {
            private ref Entity _entity;
            private readonly int _id;

            public EntityHandle(ref Entity entity, int id)
            {
                _entity = ref entity;
                _id = id;
            }

            public int Health => _entity.Health;
        }
        """;

    public static TheoryData<string, string, string> ReadBeforeItsCallForms() => new()
    {
        {
            "ref from a pure helper, read as the argument of the guest call in a declaration",
            """
            int Verdict(int id)
            {
                ref var entity = ref EntityAt(id);
                reset();
                var verdict = convert(entity.Health);
                return verdict;
            }
            """,
            """
            int Verdict(int id)
            {
                ref var entity = ref EntityAt(id);
                reset();
                entity = ref EntityAt(id);
                var verdict = convert(entity.Health);
                return verdict;
            }
            """
        },
        {
            "span element as the argument of the guest call in an expression statement",
            """
            void Forward()
            {
                var view = memory.GetSpan<int>(0, 4);
                reset();
                convert(view[1]);
            }
            """,
            """
            void Forward()
            {
                var view = memory.GetSpan<int>(0, 4);
                reset();
                view = memory.GetSpan<int>(0, 4);
                convert(view[1]);
            }
            """
        },
        {
            "pointer dereference in the argument of the guest call, returned",
            """
            int Forward(int at)
            {
                var p = (int*)memory.GetPointer() + at;
                reset();
                return convert(*p + 1);
            }
            """,
            """
            int Forward(int at)
            {
                var p = (int*)memory.GetPointer() + at;
                reset();
                p = (int*)memory.GetPointer() + at;
                return convert(*p + 1);
            }
            """
        },
        {
            "argument of the guest call in an if condition whose branch calls the guest",
            """
            void Check(int id)
            {
                ref var entity = ref EntityAt(id);
                reset();
                if (convert(entity.Armor) > 0)
                {
                    reset();
                }
            }
            """,
            """
            void Check(int id)
            {
                ref var entity = ref EntityAt(id);
                reset();
                entity = ref EntityAt(id);
                if (convert(entity.Armor) > 0)
                {
                    reset();
                }
            }
            """
        },
        {
            "a ref struct built over a pure helper's ref, read as the argument",
            """
            int Forward(int id)
            {
                var handle = new EntityHandle(ref EntityAt(id), id);
                reset();
                return convert(handle.Health);
            }
            """,
            """
            int Forward(int id)
            {
                var handle = new EntityHandle(ref EntityAt(id), id);
                reset();
                handle = new EntityHandle(ref EntityAt(id), id);
                return convert(handle.Health);
            }
            """
        },
        {
            "a ref struct built over a pure helper's ref, read after the call",
            """
            int HealthAfter(int id)
            {
                var handle = new EntityHandle(ref EntityAt(id), id);
                reset();
                return handle.Health;
            }
            """,
            """
            int HealthAfter(int id)
            {
                var handle = new EntityHandle(ref EntityAt(id), id);
                reset();
                handle = new EntityHandle(ref EntityAt(id), id);
                return handle.Health;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(ReadBeforeItsCallForms))]
    public async Task ReadBeforeItsCall_ObtainedAgainBeforeTheStatement(string form, string members, string fixedMembers)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members + EntityHelpers));
        Assert.True(findings.Length > 0, form);
        var fix = findings[0].Fixes.First(fix => fix.Title == ObtainAgain);
        var text = await FixedTextAsync(fix);
        Assert.Equal(HostCode.WithMembers(fixedMembers + EntityHelpers), text);
        var left = await Verify.GetFixesPerDiagnosticAsync(text);
        Assert.True(left.Length == 0, form + ": " + string.Join("; ", left.Select(l => l.Diagnostic.ToString())));
    }

    public static TheoryData<string, string, string> GuestRunsBeforeTheRead() => new()
    {
        {
            "another argument calls the guest before the read",
            """
            int Both(int id)
            {
                ref var entity = ref EntityAt(id);
                reset();
                return Math.Max(convert(1), {|#0:entity|}.Health);
            }
            """,
            "entity = ref EntityAt(id);\n"
        },
        {
            "the view itself is passed to a helper that calls the guest before it writes",
            """
            void Stamp()
            {
                var view = memory.GetSpan<int>(0, 4);
                reset();
                Fill({|#0:view|});
            }

            void Fill(Span<int> target)
            {
                reset();
                target[0] = 1;
            }
            """,
            "view = memory.GetSpan<int>(0, 4);\n"
        },
    };

    [Theory]
    [MemberData(nameof(GuestRunsBeforeTheRead))]
    public async Task GuestRunsBeforeTheRead_NotObtainedAgainBeforeTheStatement(string form, string members, string reacquisition)
    {
        // Obtained again in place of the read (after the guest call) keeps the meaning; a statement before it does not.
        var source = HostCode.WithMembers(members + EntityHelpers);
        var marked = source.IndexOf("{|#0:", StringComparison.Ordinal);
        source = source.Replace("{|#0:", string.Empty).Replace("|}", string.Empty);
        var finding = (await Verify.GetFixesPerDiagnosticAsync(source)).Single(f => f.Diagnostic.Location.SourceSpan.Start == marked);
        foreach (var fix in finding.Fixes.Where(fix => fix.Title == ObtainAgain))
        {
            var text = await FixedTextAsync(fix);
            Assert.True(CountOf(text, reacquisition) == CountOf(source, reacquisition), form);
        }

        static int CountOf(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
    }

    /// <summary>A <c>ref</c> over guest memory at an address a guest call returns: the address kept in a local first, the ref obtained again from it.</summary>
    public static TheoryData<string, string, string> RefAtAGuestAddressForms() => new()
    {
        {
            "AsRef over GetSpan at the address",
            """
            int Count(int handle)
            {
                ref var header = ref MemoryMarshal.AsRef<Entity>(memory.GetSpan(convert(handle), 16));
                header.Armor = 1;
                reset();
                return header.Health;
            }
            """,
            """
            int Count(int handle)
            {
                var address = convert(handle);
                ref var header = ref MemoryMarshal.AsRef<Entity>(memory.GetSpan(address, 16));
                header.Armor = 1;
                reset();
                header = ref MemoryMarshal.AsRef<Entity>(memory.GetSpan(address, 16));
                return header.Health;
            }
            """
        },
        {
            "element of a Cast at the address, written after the call",
            """
            void Mark(int handle)
            {
                ref var header = ref MemoryMarshal.Cast<byte, Entity>(memory.GetSpan(convert(handle), 16))[0];
                reset();
                header.Armor = 2;
            }
            """,
            """
            void Mark(int handle)
            {
                var address = convert(handle);
                ref var header = ref MemoryMarshal.Cast<byte, Entity>(memory.GetSpan(address, 16))[0];
                reset();
                header = ref MemoryMarshal.Cast<byte, Entity>(memory.GetSpan(address, 16))[0];
                header.Armor = 2;
            }
            """
        },
        {
            "pointer taken before the guest call that gives its offset, in the same argument",
            """
            int Compare(int at)
            {
                var relaxed = new ReadOnlySpan<byte>((byte*)memory.GetPointer() + convert(at), 16);
                var strict = convert(at + 1);
                return relaxed[0] + strict;
            }
            """,
            """
            int Compare(int at)
            {
                var relaxedConvert = convert(at);
                var relaxed = new ReadOnlySpan<byte>((byte*)memory.GetPointer() + relaxedConvert, 16);
                var strict = convert(at + 1);
                relaxed = new ReadOnlySpan<byte>((byte*)memory.GetPointer() + relaxedConvert, 16);
                return relaxed[0] + strict;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RefAtAGuestAddressForms))]
    public async Task RefAtAGuestAddress_AddressFirstThenObtainedAgain(string form, string members, string fixedMembers)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members + EntityHelpers));
        var finding = Assert.Single(findings);
        var fix = finding.Fixes.First(fix => fix.Title == ObtainAgain);
        var text = await FixedTextAsync(fix);
        Assert.Equal(HostCode.WithMembers(fixedMembers + EntityHelpers), text);
        Assert.True((await Verify.GetFixesPerDiagnosticAsync(text)).Length == 0, form);
    }

    [Fact]
    public async Task PointerStaleOnlyByItsOwnStatement_CallsFirstNotKeptBesideThePointer()
    {
        // Only the statement's own call makes it stale: making the call first is the whole fix.
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            int Peek(int at)
            {
                var p = (int*)((byte*)memory.GetPointer() + convert(at));
                return *p;
            }
            """));
        var finding = Assert.Single(findings);
        Assert.Contains(finding.Fixes, fix => fix.Title == "Call the guest before obtaining the view");
        Assert.DoesNotContain(finding.Fixes, fix => fix.EquivalenceKey == StaleViewAfterGuestCallFixer.ReacquireFromKeptInputsKey);
    }

    [Fact]
    public async Task RefFromAnAllocatingHelper_NotObtainedAgain()
    {
        // Push moves the stack pointer: neither it nor a copy of what it returns can stand in for the slot.
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers("""
            int top = 1024;

            ref Entity Push()
            {
                top -= 16;
                return ref MemoryMarshal.AsRef<Entity>(memory.GetSpan(top, 16));
            }

            int Call()
            {
                ref var frame = ref Push();
                reset();
                return frame.Health;
            }
            """ + EntityHelpers));
        var finding = Assert.Single(findings);
        Assert.DoesNotContain(finding.Fixes, fix => fix.Title == ObtainAgain);
    }

    /// <summary>A view over a memory field set after construction (<c>Bind(instance)</c>): the memory object kept in a local where the view is obtained, the view obtained again from it.</summary>
    public static TheoryData<string, string, string> MemoryBoundLaterForms() => new()
    {
        {
            "span written after the call",
            """
            private Memory _bound = null!;

            void Bind(Instance instance) => _bound = instance.GetMemory("memory")!;

            void Mark(int at)
            {
                var header = _bound.GetSpan(at, 16);
                header.Clear();
                reset();
                header[0] = 1;
            }
            """,
            """
            private Memory _bound = null!;

            void Bind(Instance instance) => _bound = instance.GetMemory("memory")!;

            void Mark(int at)
            {
                var bound = _bound;
                var header = bound.GetSpan(at, 16);
                header.Clear();
                reset();
                header = bound.GetSpan(at, 16);
                header[0] = 1;
            }
            """
        },
        {
            "pointer read after the call",
            """
            private Memory _bound = null!;

            void Bind(Instance instance) => _bound = instance.GetMemory("memory")!;

            int Peek(int at)
            {
                var p = (int*)_bound.GetPointer() + at;
                reset();
                return *p;
            }
            """,
            """
            private Memory _bound = null!;

            void Bind(Instance instance) => _bound = instance.GetMemory("memory")!;

            int Peek(int at)
            {
                var bound = _bound;
                var p = (int*)bound.GetPointer() + at;
                reset();
                p = (int*)bound.GetPointer() + at;
                return *p;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(MemoryBoundLaterForms))]
    public async Task MemoryBoundLater_KeptInALocalThenObtainedAgain(string form, string members, string fixedMembers)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members));
        var finding = Assert.Single(findings);
        var text = await FixedTextAsync(finding.Fixes.First(fix => fix.Title == ObtainAgain));
        Assert.Equal(HostCode.WithMembers(fixedMembers), text);
        Assert.True((await Verify.GetFixesPerDiagnosticAsync(text)).Length == 0, form);
    }

    /// <summary>
    /// Fix All keeps the memory once and obtains the view again at each use. Like every
    /// re-acquisition from inputs made first (the same test over <c>memory.GetSpan(convert(at), 16)</c>
    /// on main), it needs a second Fix All pass to reach that.
    /// </summary>
    [Fact]
    public Task MemoryBoundLater_FixAll_KeptOnce() => new Verify.Test(withRuntimeLibrary: false, withArchiveLibraries: false)
    {
        NumberOfFixAllIterations = 2,
        CodeActionEquivalenceKey = StaleViewAfterGuestCallFixer.FirstFixKey,
        TestCode = HostCode.WithMembers("""
        private Memory _bound = null!;

        void Bind(Instance instance) => _bound = instance.GetMemory("memory")!;

        void Mark(int at)
        {
            var header = _bound.GetSpan(at, 16);
            reset();
            {|WVA001:header|}[0] = 1;
            reset();
            {|WVA001:header|}[1] = 2;
        }
        """),
        FixedCode = HostCode.WithMembers("""
        private Memory _bound = null!;

        void Bind(Instance instance) => _bound = instance.GetMemory("memory")!;

        void Mark(int at)
        {
            var bound = _bound;
            var header = bound.GetSpan(at, 16);
            reset();
            header = bound.GetSpan(at, 16);
            header[0] = 1;
            reset();
            header = bound.GetSpan(at, 16);
            header[1] = 2;
        }
        """),
    }.RunAsync(CancellationToken.None);

    [Fact]
    public Task ReadBeforeItsCall_FixAll() => VerifyMembers("""
        int Twice(int id)
        {
            ref var entity = ref EntityAt(id);
            reset();
            var first = convert({|WVA001:entity|}.Health);
            var second = convert({|WVA001:entity|}.Armor);
            return first + second;
        }
        """ + EntityHelpers, """
        int Twice(int id)
        {
            ref var entity = ref EntityAt(id);
            reset();
            entity = ref EntityAt(id);
            var first = convert(entity.Health);
            entity = ref EntityAt(id);
            var second = convert(entity.Armor);
            return first + second;
        }
        """ + EntityHelpers, StaleViewAfterGuestCallFixer.FirstFixKey);

    [Fact]
    public async Task ReadInALoopHeader_NotObtainedAgainBeforeTheLoop()
    {
        var source = HostCode.WithMembers("""
            int Drain()
            {
                var view = memory.GetSpan<int>(0, 4);
                reset();
                var turns = 0;
                while (convert(view[0]) > 0)
                {
                    turns++;
                }

                return turns;
            }
            """ + EntityHelpers);
        var findings = await Verify.GetFixesPerDiagnosticAsync(source);
        Assert.NotEmpty(findings);
        foreach (var fix in findings.SelectMany(f => f.Fixes).Where(fix => fix.Title == ObtainAgain))
        {
            var text = await FixedTextAsync(fix);
            Assert.DoesNotContain("reset();\n        view = memory.GetSpan<int>(0, 4);\n        var turns", text, StringComparison.Ordinal);
        }
    }

    /// <summary>The one document of the solution <paramref name="fix"/> makes, as text.</summary>
    private static async Task<string> FixedTextAsync(CodeAction fix)
    {
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
    }
}
