using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Build the struct again over the address it holds": a shadow-stack slot (a struct holding a view
/// and the guest address it is over) from a helper that allocates, kept across a guest call. One
/// theory enumerates the slot's kinds (ref field, span field, an owner beside them; the helper's
/// locals) and the positions of the use; its twin where building it again would not give the slot
/// the code held.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string RebuildSlot = "Build the struct again over the address it holds";

    private const string SlotHelpers = """

        struct Pair
        {
            public int Left;
            public int Right;
        }

        public ref struct Slot<T> where T : unmanaged
        {
            public ref T Value;
            public readonly int Address;

            public Slot(ref T value, int address)
            {
                Value = ref value;
                Address = address;
            }
        }

        public readonly ref struct SpanSlot<T> where T : unmanaged
        {
            private readonly Span<T> _value;

            public SpanSlot(Span<T> value, int address)
            {
                _value = value;
                Address = address;
            }

            public ref T Value => ref _value[0];

            public int Address { get; }
        }

        public ref struct OwnedSlot<T> where T : unmanaged
        {
            public ref T Value;
            public readonly int Address;
            private readonly Host _owner;

            public OwnedSlot(Host owner, ref T value, int address)
            {
                _owner = owner;
                Value = ref value;
                Address = address;
            }
        }

        Slot<T> Push<T>() where T : unmanaged
        {
            var address = convert(Unsafe.SizeOf<T>());
            return new Slot<T>(ref MemoryMarshal.AsRef<T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
        }

        SpanSlot<T> Reserve<T>() where T : unmanaged
        {
            var address = convert(Unsafe.SizeOf<T>());
            var bytes = memory.GetSpan(address, Unsafe.SizeOf<T>());
            return new SpanSlot<T>(MemoryMarshal.Cast<byte, T>(bytes), address);
        }

        OwnedSlot<T> Take<T>() where T : unmanaged
        {
            int address = convert(0);
            ref T value = ref MemoryMarshal.AsRef<T>(memory.GetSpan(address, Unsafe.SizeOf<T>()));
            return new OwnedSlot<T>(this, ref value, address);
        }

        public readonly ref struct ScopedSlot<T> where T : unmanaged
        {
            public readonly ref T Value;
            public readonly int Address;
            private readonly Host _owner;

            public ScopedSlot(Host owner, ref T value, int address)
            {
                _owner = owner;
                Value = ref value;
                Address = address;
            }

            public void Dispose() => _owner.Leave(Address);
        }

        ScopedSlot<T> Enter<T>() where T : unmanaged
        {
            var address = convert(Unsafe.SizeOf<T>());
            return new ScopedSlot<T>(this, ref MemoryMarshal.AsRef<T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
        }

        void Leave(int address) => reset();

        """;

    /// <summary>Each kind of slot and position of the use, with the code the fix makes.</summary>
    public static TheoryData<string, string, string> SlotForms() => new()
    {
        {
            "a slot declared by `using var` (disposed by a pattern Dispose) whose address the guest is given: its disposal moves to a copy",
            """
            int Lookup()
            {
                using var error = Enter<int>();
                convert(error.Address);
                return error.Value;
            }
            """,
            """
            int Lookup()
            {
                var error = Enter<int>();
                using var errorScope = error;
                convert(error.Address);
                error = new ScopedSlot<int>(this, ref MemoryMarshal.AsRef<int>(memory.GetSpan(error.Address, Unsafe.SizeOf<int>())), error.Address);
                return error.Value;
            }
            """
        },
        {
            "ref local bound to a ref-field slot's value, read after the call",
            """
            int Result()
            {
                var slot = Push<Pair>();
                ref var pair = ref slot.Value;
                reset();
                return pair.Left;
            }
            """,
            """
            int Result()
            {
                var slot = Push<Pair>();
                ref var pair = ref slot.Value;
                reset();
                slot = new Slot<Pair>(ref MemoryMarshal.AsRef<Pair>(memory.GetSpan(slot.Address, Unsafe.SizeOf<Pair>())), slot.Address);
                pair = ref slot.Value;
                return pair.Left;
            }
            """
        },
        {
            "ref local bound to a span slot's ref property, written with a guest call on the right",
            """
            void Fill(int left)
            {
                var result = Reserve<Pair>();
                ref Pair pair = ref result.Value;
                pair.Left = convert(left);
            }
            """,
            """
            void Fill(int left)
            {
                var result = Reserve<Pair>();
                ref Pair pair = ref result.Value;
                var convert2 = convert(left);
                result = new SpanSlot<Pair>(MemoryMarshal.Cast<byte, Pair>(memory.GetSpan(result.Address, Unsafe.SizeOf<Pair>())), result.Address);
                pair = ref result.Value;
                pair.Left = convert2;
            }
            """
        },
        {
            "ref-field slot written after a second push",
            """
            void Spawn(int left)
            {
                var args = Push<Pair>();
                var flags = Push<int>();
                args.Value.Left = left;
                flags.Value = 1;
            }
            """,
            """
            void Spawn(int left)
            {
                var args = Push<Pair>();
                var flags = Push<int>();
                args = new Slot<Pair>(ref MemoryMarshal.AsRef<Pair>(memory.GetSpan(args.Address, Unsafe.SizeOf<Pair>())), args.Address);
                args.Value.Left = left;
                flags.Value = 1;
            }
            """
        },
        {
            "span-field slot read after the guest call that fills it",
            """
            long Result()
            {
                var result = Reserve<long>();
                reset();
                return result.Value;
            }
            """,
            """
            long Result()
            {
                var result = Reserve<long>();
                reset();
                result = new SpanSlot<long>(MemoryMarshal.Cast<byte, long>(memory.GetSpan(result.Address, Unsafe.SizeOf<long>())), result.Address);
                return result.Value;
            }
            """
        },
        {
            "slot with its owner, from a ref local of the helper, read in an if",
            """
            int Status()
            {
                OwnedSlot<int> status = Take<int>();
                reset();
                if (status.Value != 0)
                {
                    return status.Address;
                }

                return 0;
            }
            """,
            """
            int Status()
            {
                OwnedSlot<int> status = Take<int>();
                reset();
                status = new OwnedSlot<int>(this, ref MemoryMarshal.AsRef<int>(memory.GetSpan(status.Address, Unsafe.SizeOf<int>())), status.Address);
                if (status.Value != 0)
                {
                    return status.Address;
                }

                return 0;
            }
            """
        },
        {
            "slot of a stack object the method's type made over its own memory, read after the guest fills it",
            """
            sealed class Invoker
            {
                private readonly Memory _memory;
                private readonly ShadowStack _stack;
                private readonly PrimaryStack _primary;
                private readonly Action<int> _run;

                public Invoker(Instance instance)
                {
                    _memory = instance.GetMemory("memory")!;
                    _run = instance.GetAction<int>("run")!;
                    _stack = new ShadowStack(_memory);
                    _primary = new PrimaryStack(_memory, instance.GetFunction<int, int>("malloc")!);
                }

                public long Run()
                {
                    var result = _stack.Push<long>();
                    _run(result.Address);
                    return result.Value;
                }
            }

            sealed class ShadowStack
            {
                private readonly Memory _memory;
                private int _top = 1024;

                public ShadowStack(Memory memory)
                {
                    _memory = memory;
                }

                public Slot<T> Push<T>() where T : unmanaged
                {
                    var address = _top;
                    _top += Unsafe.SizeOf<T>();
                    return new Slot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }

            sealed class PrimaryStack(Memory memory, Func<int, int> malloc)
            {
                public SpanSlot<T> Push<T>() where T : unmanaged
                {
                    int address = malloc(Unsafe.SizeOf<T>());
                    return new SpanSlot<T>(MemoryMarshal.Cast<byte, T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }
            """,
            """
            sealed class Invoker
            {
                private readonly Memory _memory;
                private readonly ShadowStack _stack;
                private readonly PrimaryStack _primary;
                private readonly Action<int> _run;

                public Invoker(Instance instance)
                {
                    _memory = instance.GetMemory("memory")!;
                    _run = instance.GetAction<int>("run")!;
                    _stack = new ShadowStack(_memory);
                    _primary = new PrimaryStack(_memory, instance.GetFunction<int, int>("malloc")!);
                }

                public long Run()
                {
                    var result = _stack.Push<long>();
                    _run(result.Address);
                    result = new Slot<long>(ref MemoryMarshal.AsRef<long>(_memory.GetSpan(result.Address, Unsafe.SizeOf<long>())), result.Address);
                    return result.Value;
                }
            }

            sealed class ShadowStack
            {
                private readonly Memory _memory;
                private int _top = 1024;

                public ShadowStack(Memory memory)
                {
                    _memory = memory;
                }

                public Slot<T> Push<T>() where T : unmanaged
                {
                    var address = _top;
                    _top += Unsafe.SizeOf<T>();
                    return new Slot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }

            sealed class PrimaryStack(Memory memory, Func<int, int> malloc)
            {
                public SpanSlot<T> Push<T>() where T : unmanaged
                {
                    int address = malloc(Unsafe.SizeOf<T>());
                    return new SpanSlot<T>(MemoryMarshal.Cast<byte, T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }
            """
        },
        {
            "span slot of a stack with a primary constructor, written after the next push",
            """
            sealed class Invoker
            {
                private readonly Memory _memory;
                private readonly ShadowStack _stack;
                private readonly PrimaryStack _primary;
                private readonly Action<int> _run;

                public Invoker(Instance instance)
                {
                    _memory = instance.GetMemory("memory")!;
                    _run = instance.GetAction<int>("run")!;
                    _stack = new ShadowStack(_memory);
                    _primary = new PrimaryStack(_memory, instance.GetFunction<int, int>("malloc")!);
                }

                public void Both(int value)
                {
                    var first = _primary.Push<int>();
                    var second = _primary.Push<int>();
                    first.Value = value;
                    _run(second.Address);
                }
            }

            sealed class ShadowStack
            {
                private readonly Memory _memory;
                private int _top = 1024;

                public ShadowStack(Memory memory)
                {
                    _memory = memory;
                }

                public Slot<T> Push<T>() where T : unmanaged
                {
                    var address = _top;
                    _top += Unsafe.SizeOf<T>();
                    return new Slot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }

            sealed class PrimaryStack(Memory memory, Func<int, int> malloc)
            {
                public SpanSlot<T> Push<T>() where T : unmanaged
                {
                    int address = malloc(Unsafe.SizeOf<T>());
                    return new SpanSlot<T>(MemoryMarshal.Cast<byte, T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }
            """,
            """
            sealed class Invoker
            {
                private readonly Memory _memory;
                private readonly ShadowStack _stack;
                private readonly PrimaryStack _primary;
                private readonly Action<int> _run;

                public Invoker(Instance instance)
                {
                    _memory = instance.GetMemory("memory")!;
                    _run = instance.GetAction<int>("run")!;
                    _stack = new ShadowStack(_memory);
                    _primary = new PrimaryStack(_memory, instance.GetFunction<int, int>("malloc")!);
                }

                public void Both(int value)
                {
                    var first = _primary.Push<int>();
                    var second = _primary.Push<int>();
                    first = new SpanSlot<int>(MemoryMarshal.Cast<byte, int>(_memory.GetSpan(first.Address, Unsafe.SizeOf<int>())), first.Address);
                    first.Value = value;
                    _run(second.Address);
                }
            }

            sealed class ShadowStack
            {
                private readonly Memory _memory;
                private int _top = 1024;

                public ShadowStack(Memory memory)
                {
                    _memory = memory;
                }

                public Slot<T> Push<T>() where T : unmanaged
                {
                    var address = _top;
                    _top += Unsafe.SizeOf<T>();
                    return new Slot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }

            sealed class PrimaryStack(Memory memory, Func<int, int> malloc)
            {
                public SpanSlot<T> Push<T>() where T : unmanaged
                {
                    int address = malloc(Unsafe.SizeOf<T>());
                    return new SpanSlot<T>(MemoryMarshal.Cast<byte, T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(SlotForms))]
    public async Task SlotForm_BuiltAgainOverItsAddress(string form, string members, string fixedMembers)
    {
        var source = HostCode.WithMembers(members + "\n" + SlotHelpers);
        var findings = await Verify.GetFixesPerDiagnosticAsync(source);
        var fix = Assert.Single(findings.SelectMany(f => f.Fixes.Where(fix => fix.Title == RebuildSlot)));
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
        Assert.Equal(HostCode.WithMembers(fixedMembers + "\n" + SlotHelpers), text);

        // The result compiles (the helper refuses code that does not) and the finding is gone.
        Assert.True(findings.Length - 1 == (await Verify.GetFixesPerDiagnosticAsync(text)).Length, form);
    }

    /// <summary>
    /// DotNetIsolator's shape: the stack and its slot are declared under usings the caller's code does
    /// not have (another file there; a namespace of its own here), so the rebuilt slot names what the
    /// helper named (<c>Unsafe</c>, <c>MemoryMarshal</c>) as the caller's code can see it. The stack's
    /// constructor is expression-bodied (<c>=&gt; _memory = memory;</c>).
    /// </summary>
    [Fact]
    public async Task SlotOfAStackUnderOtherUsings_NamesTheHelpersTypesAsTheUseSeesThem()
    {
        const string Stack = """
            namespace Stacks
            {
                using System.Runtime.CompilerServices;
                using System.Runtime.InteropServices;
                using Wasmtime;

                public ref struct Slot<T> where T : unmanaged
                {
                    public ref T Value;
                    public readonly int Address;

                    public Slot(ref T value, int address)
                    {
                        Value = ref value;
                        Address = address;
                    }
                }

                public sealed class ShadowStack
                {
                    private readonly Memory _memory;
                    private int _top = 1024;

                    public ShadowStack(Memory memory) => _memory = memory;

                    public Slot<T> Push<T>() where T : unmanaged
                    {
                        var address = _top;
                        _top += Unsafe.SizeOf<T>();
                        return new Slot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                    }
                }
            }
            """;
        const string Caller = """
            namespace Hosting
            {
                using System;
                using Stacks;
                using Wasmtime;

                public sealed class Invoker
                {
                    private readonly Memory _memory;
                    private readonly ShadowStack _stack;
                    private readonly Action<int> _run;

                    public Invoker(Instance instance)
                    {
                        _memory = instance.GetMemory("memory")!;
                        _run = instance.GetAction<int>("run")!;
                        _stack = new ShadowStack(_memory);
                    }

                    public long Run()
                    {
                        var result = _stack.Push<long>();
                        _run(result.Address);
                        return result.Value;
                    }
                }
            }
            """;
        var findings = await Verify.GetFixesPerDiagnosticAsync(Caller + "\n" + Stack);
        var fix = Assert.Single(findings.SelectMany(f => f.Fixes.Where(fix => fix.Title == RebuildSlot)));
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();

        Assert.Contains(
            "result = new Slot<long>(ref System.Runtime.InteropServices.MemoryMarshal.AsRef<long>(_memory.GetSpan(result.Address, System.Runtime.CompilerServices.Unsafe.SizeOf<long>())), result.Address);",
            text);
        Assert.True(findings.Length - 1 == (await Verify.GetFixesPerDiagnosticAsync(text)).Length);
    }

    /// <summary>Where building the slot again would not give the slot the code held, or cannot be written.</summary>
    public static TheoryData<string, string> RefusedSlotRebuilds() => new()
    {
        {
            "a slot of a using statement: its variable cannot be assigned and its disposal has no declaration to move to",
            """
            int Lookup()
            {
                using (var error = Enter<int>())
                {
                    convert(error.Address);
                    return error.Value;
                }
            }
            """
        },
        {
            "a ref local bound to the slot's value and, on one path, to something else",
            """
            int Either(int pick, ref Pair other)
            {
                var slot = Push<Pair>();
                ref var pair = ref slot.Value;
                if (pick > 0)
                {
                    pair = ref other;
                }

                reset();
                return pair.Left;
            }
            """
        },
        {
            "a slot of another object of the helper's type: its memory cannot be named here",
            """
            int Other(Host other)
            {
                var slot = other.Push<int>();
                reset();
                return slot.Value;
            }
            """
        },
        {
            "the view built over a field the helper moves, not over the address",
            """
            int top;

            Slot<T> PushAtTop<T>() where T : unmanaged
            {
                var address = convert(top);
                return new Slot<T>(ref MemoryMarshal.AsRef<T>(memory.GetSpan(top, Unsafe.SizeOf<T>())), address);
            }

            int Top()
            {
                var slot = PushAtTop<int>();
                reset();
                return slot.Value;
            }
            """
        },
        {
            "the view from a helper of the user's, which may do anything",
            """
            ref T At<T>(int address) where T : unmanaged => ref MemoryMarshal.AsRef<T>(memory.GetSpan(address, Unsafe.SizeOf<T>()));

            Slot<T> PushAt<T>() where T : unmanaged
            {
                var address = convert(0);
                return new Slot<T>(ref At<T>(address), address);
            }

            int Indirect()
            {
                var slot = PushAt<int>();
                reset();
                return slot.Value;
            }
            """
        },
        {
            "a slot assigned again: which one the use holds depends on the path",
            """
            int Again(bool twice)
            {
                var slot = Push<int>();
                if (twice)
                {
                    slot = Push<int>();
                }

                reset();
                return slot.Value;
            }
            """
        },
        {
            "the ref field re-bound by the method: building the slot again would undo it",
            """
            int Rebound(ref int other)
            {
                var slot = Push<int>();
                reset();
                slot.Value = ref other;
                convert(1);
                return slot.Value + slot.Address;
            }
            """
        },
        {
            "a constructor that computes what it keeps",
            """
            public ref struct Shifted
            {
                public ref int Value;
                public readonly int Address;

                public Shifted(ref int value, int address)
                {
                    Value = ref value;
                    Address = address + 4;
                }
            }

            Shifted PushShifted()
            {
                var address = convert(8);
                return new Shifted(ref MemoryMarshal.AsRef<int>(memory.GetSpan(address, 4)), address);
            }

            int Read()
            {
                var slot = PushShifted();
                reset();
                return slot.Value;
            }
            """
        },
        {
            "a stack object given a memory the method's type does not keep",
            """
            sealed class Invoker
            {
                private readonly ShadowStack _stack;
                private readonly Action<int> _run;

                public Invoker(Instance instance)
                {
                    _run = instance.GetAction<int>("run")!;
                    _stack = new ShadowStack(instance.GetMemory("memory")!);
                }

                public long Run()
                {
                    var result = _stack.Push<long>();
                    _run(result.Address);
                    return result.Value;
                }
            }

            sealed class ShadowStack
            {
                private readonly Memory _memory;
                private int _top = 1024;

                public ShadowStack(Memory memory)
                {
                    _memory = memory;
                }

                public Slot<T> Push<T>() where T : unmanaged
                {
                    var address = _top;
                    _top += Unsafe.SizeOf<T>();
                    return new Slot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }

            sealed class PrimaryStack(Memory memory, Func<int, int> malloc)
            {
                public SpanSlot<T> Push<T>() where T : unmanaged
                {
                    int address = malloc(Unsafe.SizeOf<T>());
                    return new SpanSlot<T>(MemoryMarshal.Cast<byte, T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }
            """
        },
        {
            "a stack object held in a field that is not readonly: another stack may be there by the use",
            """
            sealed class Invoker
            {
                private readonly Memory _memory;
                private ShadowStack _stack;
                private readonly Action<int> _run;

                public Invoker(Instance instance)
                {
                    _memory = instance.GetMemory("memory")!;
                    _run = instance.GetAction<int>("run")!;
                    _stack = new ShadowStack(_memory);
                }

                public long Run()
                {
                    var result = _stack.Push<long>();
                    _run(result.Address);
                    return result.Value;
                }
            }

            sealed class ShadowStack
            {
                private readonly Memory _memory;
                private int _top = 1024;

                public ShadowStack(Memory memory)
                {
                    _memory = memory;
                }

                public Slot<T> Push<T>() where T : unmanaged
                {
                    var address = _top;
                    _top += Unsafe.SizeOf<T>();
                    return new Slot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }

            sealed class PrimaryStack(Memory memory, Func<int, int> malloc)
            {
                public SpanSlot<T> Push<T>() where T : unmanaged
                {
                    int address = malloc(Unsafe.SizeOf<T>());
                    return new SpanSlot<T>(MemoryMarshal.Cast<byte, T>(memory.GetSpan(address, Unsafe.SizeOf<T>())), address);
                }
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RefusedSlotRebuilds))]
    public async Task RefusedSlotRebuild_NotOffered(string form, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members + "\n" + SlotHelpers));
        Assert.True(findings.Length > 0, form);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != RebuildSlot)), form);
    }

    [Fact]
    public Task RebuildSlot_FixAll_OncePerUse() => VerifyMembers("""
        void Both(int left)
        {
            var args = Push<Pair>();
            var flags = Push<int>();
            {|WVA001:args|}.Value.Left = left;
            reset();
            {|WVA001:args|}.Value.Right = left;
            {|WVA001:flags|}.Value = 1;
        }
        """ + SlotHelpers, """
        void Both(int left)
        {
            var args = Push<Pair>();
            var flags = Push<int>();
            args = new Slot<Pair>(ref MemoryMarshal.AsRef<Pair>(memory.GetSpan(args.Address, Unsafe.SizeOf<Pair>())), args.Address);
            args.Value.Left = left;
            reset();
            args = new Slot<Pair>(ref MemoryMarshal.AsRef<Pair>(memory.GetSpan(args.Address, Unsafe.SizeOf<Pair>())), args.Address);
            flags = new Slot<int>(ref MemoryMarshal.AsRef<int>(memory.GetSpan(flags.Address, Unsafe.SizeOf<int>())), flags.Address);
            args.Value.Right = left;
            flags.Value = 1;
        }
        """ + SlotHelpers, StaleViewAfterGuestCallFixer.FirstFixKey);

    /// <summary>
    /// DotNetIsolator's forks: two slots declared by <c>using var</c>, their addresses given to the
    /// guest, each read twice after the call. Every finding of a slot shares the one move of its
    /// disposal, and the copies are disposed in the order the slots were (the reverse of declaration).
    /// </summary>
    [Fact]
    public Task RebuildSlot_FixAll_UsingSlots() => VerifyMembers("""
        int Instantiate()
        {
            using var klass = Enter<int>();
            using var error = Enter<int>();
            var handle = convert(klass.Address + error.Address);
            if ({|WVA001:error|}.Value != 0)
            {
                return -{|WVA001:error|}.Value;
            }

            return handle + {|WVA001:klass|}.Value + {|WVA001:klass|}.Value;
        }
        """ + SlotHelpers, """
        int Instantiate()
        {
            var klass = Enter<int>();
            using var klassScope = klass;
            var error = Enter<int>();
            using var errorScope = error;
            var handle = convert(klass.Address + error.Address);
            error = new ScopedSlot<int>(this, ref MemoryMarshal.AsRef<int>(memory.GetSpan(error.Address, Unsafe.SizeOf<int>())), error.Address);
            klass = new ScopedSlot<int>(this, ref MemoryMarshal.AsRef<int>(memory.GetSpan(klass.Address, Unsafe.SizeOf<int>())), klass.Address);
            if (error.Value != 0)
            {
                return -error.Value;
            }

            return handle + klass.Value + klass.Value;
        }
        """ + SlotHelpers, StaleViewAfterGuestCallFixer.FirstFixKey);

    [Fact]
    public Task RebuildSlot_FixAll_RefLocalBoundToTheSlot() => VerifyMembers("""
        void Call(int left)
        {
            var slot = Push<Pair>();
            ref var pair = ref slot.Value;
            pair.Left = left;
            reset();
            {|WVA001:pair|}.Right = left;
            reset();
            {|WVA001:pair|}.Left = {|WVA001:pair|}.Right;
        }
        """ + SlotHelpers, """
        void Call(int left)
        {
            var slot = Push<Pair>();
            ref var pair = ref slot.Value;
            pair.Left = left;
            reset();
            slot = new Slot<Pair>(ref MemoryMarshal.AsRef<Pair>(memory.GetSpan(slot.Address, Unsafe.SizeOf<Pair>())), slot.Address);
            pair = ref slot.Value;
            pair.Right = left;
            reset();
            slot = new Slot<Pair>(ref MemoryMarshal.AsRef<Pair>(memory.GetSpan(slot.Address, Unsafe.SizeOf<Pair>())), slot.Address);
            pair = ref slot.Value;
            pair.Left = pair.Right;
        }
        """ + SlotHelpers, StaleViewAfterGuestCallFixer.FirstFixKey);
}
