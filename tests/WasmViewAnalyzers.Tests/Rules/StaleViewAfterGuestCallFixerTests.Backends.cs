using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Obtain the view again" through a backend abstraction: a view from an interface or abstract
/// member is obtained again by calling that member again where every implementation the
/// compilation declares is pure. One theory over the shapes of the abstraction and the use, its
/// twin where an implementation allocates, calls the guest, writes state or reads what changes.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string ArenaBackend = """

        interface IArena
        {
            Span<byte> Arena(int offset, int length);
        }

        sealed class WasmArena : IArena
        {
            private readonly Memory _memory;

            public WasmArena(Memory memory) => _memory = memory;

            public Span<byte> Arena(int offset, int length) => _memory.GetSpan(offset, length);
        }

        """;

    private const string FrameBackend = """

        abstract class Frames
        {
            public abstract Span<float> Frame(int index);
        }

        sealed class WasmFrames : Frames
        {
            private readonly Memory _memory;

            public WasmFrames(Memory memory)
            {
                _memory = memory;
            }

            public override Span<float> Frame(int index)
            {
                var bytes = _memory.GetSpan(index * 64, 64);
                return MemoryMarshal.Cast<byte, float>(bytes);
            }
        }

        sealed class MirroredFrames : Frames
        {
            private readonly Memory _memory;
            private readonly int _base;

            public MirroredFrames(Memory memory, int start)
            {
                _memory = memory;
                _base = start;
            }

            public override Span<float> Frame(int index) => MemoryMarshal.Cast<byte, float>(_memory.GetSpan(_base + index * 64, 64));
        }

        """;

    /// <summary>Each shape of abstraction and use, with the code obtaining the view again makes.</summary>
    public static TheoryData<string, string, string> BackendForms() => new()
    {
        {
            "interface member with one implementation, read after the guest was given the address",
            """
            int Status(IArena backend, int address)
            {
                var args = backend.Arena(address, 16);
                args[1] = 7;
                convert(address);
                return args[0];
            }
            """ + ArenaBackend,
            """
            int Status(IArena backend, int address)
            {
                var args = backend.Arena(address, 16);
                args[1] = 7;
                convert(address);
                args = backend.Arena(address, 16);
                return args[0];
            }
            """ + ArenaBackend
        },
        {
            "interface member, written after guest calls in a loop",
            """
            void Mark(IArena backend, int count)
            {
                var header = backend.Arena(0, 16);
                header[0] = (byte)count;
                for (var i = 0; i < count; i++)
                {
                    reset();
                }

                header[1] = 0xFF;
            }
            """ + ArenaBackend,
            """
            void Mark(IArena backend, int count)
            {
                var header = backend.Arena(0, 16);
                header[0] = (byte)count;
                for (var i = 0; i < count; i++)
                {
                    reset();
                }
                header = backend.Arena(0, 16);

                header[1] = 0xFF;
            }
            """ + ArenaBackend
        },
        {
            "abstract member with two pure overrides, written after a guest call",
            """
            void Clear(Frames frames, int index)
            {
                var frame = frames.Frame(index);
                convert(index);
                frame.Clear();
            }
            """ + FrameBackend,
            """
            void Clear(Frames frames, int index)
            {
                var frame = frames.Frame(index);
                convert(index);
                frame = frames.Frame(index);
                frame.Clear();
            }
            """ + FrameBackend
        },
        {
            "interface property whose only implementation is a pure getter",
            """
            void Reset(IWindowed backend)
            {
                var window = backend.Window;
                convert(0);
                window.Clear();
            }
            """ + WindowBackend,
            """
            void Reset(IWindowed backend)
            {
                var window = backend.Window;
                convert(0);
                window = backend.Window;
                window.Clear();
            }
            """ + WindowBackend
        },
    };

    private const string WindowBackend = """

        interface IWindowed
        {
            Span<byte> Window { get; }
        }

        sealed class WasmWindowed : IWindowed
        {
            private readonly Memory _memory;

            public WasmWindowed(Memory memory) => _memory = memory;

            public Span<byte> Window => _memory.GetSpan(64, 16);
        }

        """;

    [Theory]
    [MemberData(nameof(BackendForms))]
    public async Task BackendForm_ObtainedAgainThroughTheAbstraction(string form, string members, string fixedMembers)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members));
        var fix = Assert.Single(findings.SelectMany(f => f.Fixes.Where(fix => fix.Title == ObtainAgain)));
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
        Assert.Equal(HostCode.WithMembers(fixedMembers), text);

        var after = await Verify.GetFixesPerDiagnosticAsync(text);
        Assert.True(findings.Length - 1 == after.Length, form);
    }

    /// <summary>Where calling the abstraction again would do more than give the same view.</summary>
    public static TheoryData<string, string> RefusedBackends() => new()
    {
        {
            "the only implementation allocates through the guest",
            """
            interface IScratch
            {
                Span<byte> Scratch(int length);
            }

            sealed class WasmScratch : IScratch
            {
                private readonly Memory _memory;
                private readonly Function _alloc;

                public WasmScratch(Memory memory, Function alloc)
                {
                    _memory = memory;
                    _alloc = alloc;
                }

                public Span<byte> Scratch(int length) => _memory.GetSpan((int)_alloc.Invoke(length)!, length);
            }

            int First(IScratch backend)
            {
                var scratch = backend.Scratch(16);
                reset();
                return scratch[0];
            }
            """
        },
        {
            "one of two implementations writes state",
            """
            interface IArena
            {
                Span<byte> Arena(int offset, int length);
            }

            sealed class WasmArena : IArena
            {
                private readonly Memory _memory;

                public WasmArena(Memory memory) => _memory = memory;

                public Span<byte> Arena(int offset, int length) => _memory.GetSpan(offset, length);
            }

            sealed class CountingArena : IArena
            {
                private readonly Memory _memory;
                private int _handedOut;

                public CountingArena(Memory memory) => _memory = memory;

                public int HandedOut => _handedOut;

                public Span<byte> Arena(int offset, int length)
                {
                    _handedOut++;
                    return _memory.GetSpan(offset, length);
                }
            }

            int First(IArena backend)
            {
                var args = backend.Arena(0, 16);
                reset();
                return args[0];
            }
            """
        },
        {
            "the implementation reads a field another method changes",
            """
            abstract class Frames
            {
                public abstract Span<float> Frame(int index);
            }

            sealed class RingFrames : Frames
            {
                private readonly Memory _memory;
                private int _head;

                public RingFrames(Memory memory) => _memory = memory;

                public void Advance() => _head += 64;

                public override Span<float> Frame(int index) => MemoryMarshal.Cast<byte, float>(_memory.GetSpan(_head + index * 64, 64));
            }

            float First(Frames frames)
            {
                var frame = frames.Frame(0);
                reset();
                return frame[0];
            }
            """
        },
        {
            "an interface property whose implementation allocates through the guest",
            """
            interface IStaging
            {
                Span<byte> Staging { get; }
            }

            sealed class WasmStaging : IStaging
            {
                private readonly Memory _memory;
                private readonly Function _alloc;

                public WasmStaging(Memory memory, Function alloc)
                {
                    _memory = memory;
                    _alloc = alloc;
                }

                public Span<byte> Staging => _memory.GetSpan((int)_alloc.Invoke(16)!, 16);
            }

            int First(IStaging backend)
            {
                var staging = backend.Staging;
                reset();
                return staging[0];
            }
            """
        },
        {
            "an abstract property whose override reads a field another method changes",
            """
            abstract class Cursor
            {
                public abstract Span<byte> Current { get; }
            }

            sealed class RingCursor : Cursor
            {
                private readonly Memory _memory;
                private int _head;

                public RingCursor(Memory memory) => _memory = memory;

                public void Advance() => _head += 64;

                public override Span<byte> Current => _memory.GetSpan(_head, 64);
            }

            int First(Cursor cursor)
            {
                var current = cursor.Current;
                reset();
                return current[0];
            }
            """
        },
        {
            "a virtual member with a pure body whose override hands out a new area each call",
            """
            class Scratch
            {
                protected readonly Memory _memory;

                public Scratch(Memory memory) => _memory = memory;

                public virtual Span<byte> Area(int length) => _memory.GetSpan(0, length);
            }

            sealed class BumpScratch : Scratch
            {
                private int _next;

                public BumpScratch(Memory memory) : base(memory)
                {
                }

                public override Span<byte> Area(int length)
                {
                    _next += length;
                    return _memory.GetSpan(_next, length);
                }
            }

            int First(Scratch scratch)
            {
                var area = scratch.Area(16);
                reset();
                return area[0];
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RefusedBackends))]
    public async Task RefusedBackend_NotObtainedAgain(string form, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members));
        Assert.NotEmpty(findings);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != ObtainAgain)), form);
    }

    [Fact]
    public Task Backend_FixAll_ObtainsEachViewAgain() => VerifyMembers("""
        int Both(IArena backend, int address)
        {
            var args = backend.Arena(address, 16);
            var header = backend.Arena(0, 4);
            args[0] = 1;
            header[0] = 2;
            convert(address);
            return {|WVA001:args|}[1] + {|WVA001:header|}[1];
        }
        """ + ArenaBackend, """
        int Both(IArena backend, int address)
        {
            var args = backend.Arena(address, 16);
            var header = backend.Arena(0, 4);
            args[0] = 1;
            header[0] = 2;
            convert(address);
            args = backend.Arena(address, 16);
            header = backend.Arena(0, 4);
            return args[1] + header[1];
        }
        """ + ArenaBackend);
}
