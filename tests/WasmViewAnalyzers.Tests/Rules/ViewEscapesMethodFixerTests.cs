using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.ViewEscapesMethodAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.CopyViewBeforeHandoverFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// 'Copy the view before handing it over' for WVA002. Every test applies the fix one diagnostic at
/// a time and through Fix All (document, project and solution), and the fixed code must compile
/// with no diagnostic left.
/// </summary>
public sealed class ViewEscapesMethodFixerTests
{
    private const string Key = CopyViewBeforeHandoverFixer.CopyKey;
    private const string ObtainInFunctionTitle = "Obtain the view where the lambda runs";

    private static Task VerifyMembers(string members, string fixedMembers)
        => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host(members), ViewEscapesMethodAnalyzerTests.Host(fixedMembers), Key);

    private static Task VerifyMembersWithLinq(string members, string fixedMembers)
        => Verify.VerifyCodeFixAsync(WithLinq(ViewEscapesMethodAnalyzerTests.Host(members)), WithLinq(ViewEscapesMethodAnalyzerTests.Host(fixedMembers)), Key);

    private static string WithLinq(string source) => source.Replace("using System;\n", "using System;\nusing System.Linq;\n");

    private const string ReportBackend = """

        public interface IReports
        {
            Stream Open(int length);
        }

        public sealed unsafe class Reports : IReports
        {
            private readonly Memory _memory;
            public Reports(Memory memory) => _memory = memory;
            public Stream Open(int length) => new UnmanagedMemoryStream((byte*)_memory.GetPointer(), length);
        }
        """;

    [Fact]
    public Task StreamOfAnyTypeKeptInAFieldOrWrappedByAReader_BytesCopiedFirst() => Verify.VerifyCodeFixAsync(
        ViewEscapesMethodAnalyzerTests.Host("""
            private Stream? _pending;
            private BinaryReader? _reader;

            void Keep(Reports reports, int length)
            {
                var output = reports.Open(length);
                _pending = {|WVA002:output|};
                var next = reports.Open(length);
                _reader = {|WVA002:new BinaryReader(next)|};
            }
            """) + ReportBackend,
        ViewEscapesMethodAnalyzerTests.Host("""
            private Stream? _pending;
            private BinaryReader? _reader;

            void Keep(Reports reports, int length)
            {
                var output = reports.Open(length);
                var outputCopy = new MemoryStream();
                output.CopyTo(outputCopy);
                outputCopy.Position = 0;
                _pending = outputCopy;
                var next = reports.Open(length);
                var nextCopy = new MemoryStream();
                next.CopyTo(nextCopy);
                nextCopy.Position = 0;
                _reader = new BinaryReader(nextCopy);
            }
            """) + ReportBackend,
        Key);

    [Fact]
    public Task ManagerMemoryStoredInProperty_BecomesArrayCopy() => VerifyMembers("""
        public static ReadOnlyMemory<byte> Pending { get; set; }
        void Run(int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            Pending = {|WVA002:manager.Memory|};
        }
        """ + PointerMemoryManager.Source, """
        public static ReadOnlyMemory<byte> Pending { get; set; }
        void Run(int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            Pending = manager.Memory.ToArray();
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task MemoriesQueuedAndWrittenToChannel_FixAllCopiesEach() => VerifyMembers("""
        private readonly Queue<Memory<byte>> _queue = new();
        void Run(Channel<ReadOnlyMemory<byte>> channel, int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            var view = manager.Memory;
            _queue.Enqueue({|WVA002:view|});
            channel.Writer.TryWrite({|WVA002:view.Slice(1)|});
        }
        """ + PointerMemoryManager.Source, """
        private readonly Queue<Memory<byte>> _queue = new();
        void Run(Channel<ReadOnlyMemory<byte>> channel, int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            var view = manager.Memory;
            _queue.Enqueue(view.ToArray());
            channel.Writer.TryWrite(view.Slice(1).ToArray());
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task UnmanagedStreamQueuedInTuple_BecomesMemoryStreamOverCopy() => VerifyMembers("""
        void Run(List<(string Name, Stream Content)> pending, string name, int length, long size)
        {
            pending.Add({|WVA002:(name, new UnmanagedMemoryStream((byte*)memory.GetPointer(), length))|});
            pending.Add({|WVA002:(name + "2", new UnmanagedMemoryStream((byte*)memory.GetPointer() + 16, size))|});
        }
        """, """
        void Run(List<(string Name, Stream Content)> pending, string name, int length, long size)
        {
            pending.Add((name, new MemoryStream(memory.GetSpan(0, length).ToArray())));
            pending.Add((name + "2", new MemoryStream(memory.GetSpan(16, checked((int)size)).ToArray())));
        }
        """);

    [Fact]
    public Task UnmanagedStreamVariableStoredInField_CopiedWhereItIsCreated() => VerifyMembers("""
        private Stream? _output;
        void Run(int length)
        {
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), length);
            _output = {|WVA002:stream|};
        }
        """, """
        private Stream? _output;
        void Run(int length)
        {
            var stream = new MemoryStream(memory.GetSpan(0, length).ToArray());
            _output = stream;
        }
        """);

    [Fact]
    public Task CopyThatWouldBindAnotherOverload_KeepsTheMemoryType() => VerifyMembers("""
        private static readonly List<ReadOnlyMemory<byte>> s_memories = new();
        private static readonly List<byte[]> s_arrays = new();
        static void Keep(ReadOnlyMemory<byte> bytes) => s_memories.Add(bytes);
        static void Keep(byte[] bytes) => s_arrays.Add(bytes);
        void Run(int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            Keep({|WVA002:manager.Memory|});
        }
        """ + PointerMemoryManager.Source, """
        private static readonly List<ReadOnlyMemory<byte>> s_memories = new();
        private static readonly List<byte[]> s_arrays = new();
        static void Keep(ReadOnlyMemory<byte> bytes) => s_memories.Add(bytes);
        static void Keep(byte[] bytes) => s_arrays.Add(bytes);
        void Run(int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            Keep(manager.Memory.ToArray().AsMemory());
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task MemoryQueuedThroughConditionalAccess_BecomesArrayCopy() => VerifyMembers("""
        private Queue<ReadOnlyMemory<byte>>? _queue;
        void Run(int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            _queue?.Enqueue({|WVA002:manager.Memory|});
        }
        """ + PointerMemoryManager.Source, """
        private Queue<ReadOnlyMemory<byte>>? _queue;
        void Run(int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            _queue?.Enqueue(manager.Memory.ToArray());
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task MemoriesQueuedInExpressionBodies_FixAllCopiesEach() => VerifyMembers("""
        private static readonly Queue<ReadOnlyMemory<byte>> s_queue = new();
        void Run(int length) => s_queue.Enqueue({|WVA002:new PointerManager((byte*)memory.GetPointer(), length).Memory|});
        void Later(int length)
        {
            void Queue() => s_queue.Enqueue({|WVA002:new PointerManager((byte*)memory.GetPointer(), length).Memory|});
            Queue();
        }
        """ + PointerMemoryManager.Source, """
        private static readonly Queue<ReadOnlyMemory<byte>> s_queue = new();
        void Run(int length) => s_queue.Enqueue(new PointerManager((byte*)memory.GetPointer(), length).Memory.ToArray());
        void Later(int length)
        {
            void Queue() => s_queue.Enqueue(new PointerManager((byte*)memory.GetPointer(), length).Memory.ToArray());
            Queue();
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task MemoryCapturedByLambdasThatRunLater_CopiedBeforeEachLambda() => VerifyMembers("""
        private readonly List<Action<ReadOnlyMemory<byte>>> _subscribers = new();
        Task Run(Stream sink, int length, CancellationToken token)
        {
            var line = new PointerManager((byte*)memory.GetPointer(), length).Memory;
            token.Register(() => Console.WriteLine({|WVA002:line|}.Length > 0 ? line.Span[0] : 0));
            return Task.Run(() =>
            {
                sink.Write({|WVA002:line|}.Span);
                foreach (var subscriber in _subscribers)
                {
                    subscriber(line);
                }
            });
        }
        """ + PointerMemoryManager.Source, """
        private readonly List<Action<ReadOnlyMemory<byte>>> _subscribers = new();
        Task Run(Stream sink, int length, CancellationToken token)
        {
            var line = new PointerManager((byte*)memory.GetPointer(), length).Memory;
            Memory<byte> lineCopy = line.ToArray();
            token.Register(() => Console.WriteLine(lineCopy.Length > 0 ? lineCopy.Span[0] : 0));
            Memory<byte> lineCopy2 = line.ToArray();
            return Task.Run(() =>
            {
                sink.Write(lineCopy2.Span);
                foreach (var subscriber in _subscribers)
                {
                    subscriber(lineCopy2);
                }
            });
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task StreamCapturedByLambdaThatRunsLater_CopiedWhereItIsCreated() => VerifyMembers("""
        void Run(Stream sink, int length)
        {
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), length);
            Task.Run(() => {|WVA002:stream|}.CopyTo(sink));
        }
        """, """
        void Run(Stream sink, int length)
        {
            var stream = new MemoryStream(memory.GetSpan(0, length).ToArray());
            Task.Run(() => stream.CopyTo(sink));
        }
        """);

    [Fact]
    public async Task ViewCapturedAndWrittenOrAPointerQueuedOnce_NoCopyOffered()
    {
        var titles = await Verify.GetOfferedFixesAsync(ViewEscapesMethodAnalyzerTests.Host("""
            Task Written(int length)
            {
                var output = new PointerManager((byte*)memory.GetPointer(), length).Memory;
                return Task.Run(() => output.Span[0] = 1);
            }

            Task Pointer(Stream sink, int length)
            {
                var address = memory.GetPointer();
                return Task.Run(() => sink.Write(new ReadOnlySpan<byte>((byte*)address, length)));
            }

            """ + PointerMemoryManager.Source));

        // The lambda writes through the memory (a copy would drop the write); no copy has the
        // pointer's type. The pointer is obtained where the work runs, as it is read there; a
        // memory manager's constructor stores state, so it is not created again.
        Assert.Equal(new[] { ObtainInFunctionTitle }, titles);
    }

    [Fact]
    public Task MemoryInRecordsAndStoringObjects_CopiedAsArguments() => VerifyMembers("""
        private record Page(int Number, ReadOnlyMemory<byte> Content);
        private record struct Slice(int Number, Memory<byte> Bytes);
        private sealed class Holder
        {
            private readonly ReadOnlyMemory<byte> _bytes;
            public Holder(ReadOnlyMemory<byte> bytes) { _bytes = bytes; }
            public int Length => _bytes.Length;
        }

        private readonly List<Page> _pages = new();
        private readonly List<Holder> _holders = new();
        private Slice _last;
        void Run(int number, int length)
        {
            var content = new PointerManager((byte*)memory.GetPointer(), length).Memory;
            _pages.Add({|WVA002:new Page(number, content)|});
            _last = {|WVA002:new Slice(number, content)|};
            _holders.Add({|WVA002:new Holder(content)|});
        }
        """ + PointerMemoryManager.Source, """
        private record Page(int Number, ReadOnlyMemory<byte> Content);
        private record struct Slice(int Number, Memory<byte> Bytes);
        private sealed class Holder
        {
            private readonly ReadOnlyMemory<byte> _bytes;
            public Holder(ReadOnlyMemory<byte> bytes) { _bytes = bytes; }
            public int Length => _bytes.Length;
        }

        private readonly List<Page> _pages = new();
        private readonly List<Holder> _holders = new();
        private Slice _last;
        void Run(int number, int length)
        {
            var content = new PointerManager((byte*)memory.GetPointer(), length).Memory;
            _pages.Add(new Page(number, content.ToArray()));
            _last = new Slice(number, content.ToArray());
            _holders.Add(new Holder(content.ToArray()));
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public async Task PointerOrRecordSlotThatOnlyTakesTheViewType_NoFixOffered()
    {
        var titles = await Verify.GetOfferedFixesAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private nint _address;
            private record Region(nint Address, int Length);
            private readonly List<Region> _regions = new();
            void Run(int length)
            {
                _address = memory.GetPointer();
                _regions.Add(new Region(memory.GetPointer(), length));
            }
            """));

        Assert.Empty(titles);
    }

    // ------------------------------------------------------------------ keep the guest offset

    /// <summary>
    /// A pointer held in a local and stored later: its offset terms stand at the store only where
    /// they still have the values the pointer was built from, and the local still holds it.
    /// </summary>
    [Theory]
    [InlineData("address = 0;", false)]
    [InlineData("address++;", false)]
    [InlineData("Touch(ref address);", false)]
    [InlineData("p += 4;", false)]
    [InlineData("if (address > 8) { p = (byte*)memory.GetPointer(); }", false)]
    [InlineData("Action reset = () => address = 0; reset();", false)]
    [InlineData("_base = 16;", false)]
    [InlineData("Shift();", false)]
    [InlineData("_count = 1;", true)]
    [InlineData("", true)]
    [InlineData("var copy = address + _base;", true)]
    public async Task PointerHeldInLocal_KeepsTheOffsetOnlyWhereItsTermsAreUnchangedAtTheStore(string between, bool offered)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private byte* _frame;
            private int _base = 8;
            private int _count;
            void Shift() => _base += 8;
            void Remember(int address)
            {
                address += 2;
                var p = (byte*)memory.GetPointer() + _base + address;
                {{between}}
                _frame = p;
            }
            static void Touch(ref int value) => value = 0;
            byte First() => _frame[0];
            """));

        var titles = Assert.Single(findings).Fixes.Select(fix => fix.Title);
        Assert.Equal(offered, titles.Contains("Keep the guest offset instead of the pointer"));
    }

    [Fact]
    public Task PointerInPrivateField_KeepsTheOffset_ReadsObtainThePointerAgain() => VerifyMembers("""
        private byte* _frame;
        private nint _scratch;

        void Remember(int address) => _frame = {|WVA002:(byte*)memory.GetPointer() + address|};

        void Reserve(int size) => _scratch = {|WVA002:memory.GetPointer() + convert(size)|};

        byte First() => _frame[0];
        """, """
        private int _frame;
        private int _scratch;

        void Remember(int address) => _frame = address;

        void Reserve(int size) => _scratch = convert(size);

        byte First() => ((byte*)(memory.GetPointer() + _frame))[0];
        """);

    [Fact]
    public Task PointersInPrivateCollections_KeepTheOffsets() => VerifyMembers("""
        private readonly Queue<(nint Address, int Length)> _uploads = new();
        private readonly HashSet<nint> _seen = new();
        private nint[] _pinned = [];

        void Queue(int address, int length)
        {
            _uploads.Enqueue({|WVA002:(memory.GetPointer() + address, length)|});
            if (_uploads.Count > 8)
            {
                _uploads.Clear();
            }
        }

        bool Mark(int address) => _seen.Add({|WVA002:memory.GetPointer() + address|});

        void Pin(int a, int b)
        {
            var basePointer = memory.GetPointer();
            _pinned = {|WVA002:[basePointer + a, basePointer + b]|};
        }
        """, """
        private readonly Queue<(int Address, int Length)> _uploads = new();
        private readonly HashSet<int> _seen = new();
        private int[] _pinned = [];

        void Queue(int address, int length)
        {
            _uploads.Enqueue((address, length));
            if (_uploads.Count > 8)
            {
                _uploads.Clear();
            }
        }

        bool Mark(int address) => _seen.Add(address);

        void Pin(int a, int b)
        {
            _pinned = [a, b];
        }
        """);

    /// <summary>
    /// A dictionary field of pointers also used by its keys alone: asking for a key, dropping one,
    /// its keys. The offsets change the values only, so each of these sees the keys it saw.
    /// </summary>
    [Theory]
    [InlineData("Dictionary<string, nint>", "Dictionary<string, int>", "bool Has(string key) => _index.ContainsKey(key);")]
    [InlineData("Dictionary<string, nint>", "Dictionary<string, int>", "void Drop(string key) => _index.Remove(key);")]
    [InlineData("Dictionary<string, nint>", "Dictionary<string, int>", "bool Drop(string key) => _index.Remove(key);")]
    [InlineData("Dictionary<string, nint>", "Dictionary<string, int>", "int Longest() { var n = 0; foreach (var key in _index.Keys) n = Math.Max(n, key.Length); return n; }")]
    [InlineData("Dictionary<(int Tile, int Level), nint>", "Dictionary<(int Tile, int Level), int>", "bool Has(int tile) => _index.ContainsKey((tile, 0));")]
    [InlineData("Dictionary<string, (nint Ptr, int Length)>", "Dictionary<string, (int Ptr, int Length)>", "bool Has(string key) => _index.ContainsKey(key);")]
    [InlineData("ConcurrentDictionary<string, nint>", "ConcurrentDictionary<string, int>", "void Drop(string key) => _index.TryRemove(key, out _);")]
    [InlineData("ConcurrentDictionary<string, nint>", "ConcurrentDictionary<string, int>", "bool Drop(string key) => _index.TryRemove(key, out var _);")]
    public Task PointersInADictionaryAlsoUsedByKey_KeepTheOffsets(string type, string fixedType, string keyUse)
    {
        var store = type.EndsWith("int Length)>", StringComparison.Ordinal)
            ? ("_index[key] = {|WVA002:(memory.GetPointer() + address, 16)|};", "_index[key] = (address, 16);")
            : type.Contains("(int Tile", StringComparison.Ordinal)
                ? ("_index[(address, 0)] = {|WVA002:memory.GetPointer() + address|};", "_index[(address, 0)] = address;")
                : ("_index[key] = {|WVA002:memory.GetPointer() + address|};", "_index[key] = address;");
        return VerifyMembers($$"""
            private readonly {{type}} _index = new();

            void Keep(string key, int address) => {{store.Item1}}

            {{keyUse}}
            """, $$"""
            private readonly {{fixedType}} _index = new();

            void Keep(string key, int address) => {{store.Item2}}

            {{keyUse}}
            """);
    }

    /// <summary>
    /// The twins that read or compare what the dictionary holds: keys that are pointers (an offset
    /// key would find another entry), a value taken out by <c>Remove(key, out value)</c> or
    /// <c>TryRemove(key, out value)</c> and handed on, <c>ContainsValue</c> (compares pointers).
    /// </summary>
    [Theory]
    [InlineData("Dictionary<nint, nint>", "bool Has(nint key) => _index.ContainsKey(key);", false)]
    [InlineData("Dictionary<string, nint>", "nint Take(string key) => _index.Remove(key, out var p) ? p : 0;", false)]
    [InlineData("ConcurrentDictionary<string, nint>", "nint Take(string key) => _index.TryRemove(key, out var p) ? p : 0;", false)]
    [InlineData("Dictionary<string, nint>", "bool Holds(nint p) => _index.ContainsValue(p);", false)]
    [InlineData("Dictionary<string, nint>", "bool Has(string key) => _index.ContainsKey(key);", true)]
    [InlineData("Dictionary<string, nint>", "int Size() => _index.Keys.Count;", true)]
    public async Task PointersInADictionaryReadOrComparedByAKeyUse_KeepTheirType(string type, string use, bool offered)
    {
        var key = type.StartsWith("Dictionary<nint", StringComparison.Ordinal) ? "(nint)address" : "key";
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private readonly {{type}} _index = new();

            void Keep(string key, int address) => _index[{{key}}] = memory.GetPointer() + address;

            {{use}}
            """));

        var titles = Assert.Single(findings).Fixes.Select(fix => fix.Title);
        Assert.Equal(offered, titles.Contains("Keep the guest offset instead of the pointer"));
    }

    /// <summary>
    /// A pointer held in a local whose offset is a member of a readonly struct variable
    /// (<c>buffer.Offset</c>, a WASI <c>vec.Buf</c>): the member keeps its value until the variable
    /// is assigned, so the offset read at the store is the one the pointer was built from.
    /// </summary>
    [Theory]
    [InlineData("public readonly record struct Slice(int Offset, int Length);", true)]
    [InlineData("public readonly struct Slice { public readonly int Offset; public Slice(int offset) => Offset = offset; }", true)]
    [InlineData("public readonly struct Slice { public int Offset { get; } public Slice(int offset) => Offset = offset; }", true)]
    [InlineData("public readonly struct Slice { public int Offset { get; init; } }", true)]
    [InlineData("public record struct Slice(int Offset, int Length);", false)]
    [InlineData("public struct Slice { public int Offset; }", false)]
    [InlineData("public sealed class Slice { public int Offset { get; set; } }", false)]
    [InlineData("public readonly struct Slice { public int Offset => System.Environment.TickCount; }", false)]
    public async Task PointerHeldInLocal_OffsetFromAReadOnlyStructMember_KeepsTheOffset(string slice, bool offered)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private nint _last;
            void Keep(Slice slice)
            {
                var p = memory.GetPointer() + slice.Offset;
                Console.WriteLine(p);
                _last = p;
            }
            byte First() => *(byte*)_last;
            }

            {{slice}}

            class Unused
            {
            """));

        var titles = Assert.Single(findings).Fixes.Select(fix => fix.Title);
        Assert.Equal(offered, titles.Contains("Keep the guest offset instead of the pointer"));
    }

    [Fact]
    public Task PointerHeldInLocal_OffsetFromAReadOnlyStructParameter_FixAll() => VerifyMembers("""
        private nint _last;
        private static nint s_last;

        void Keep(Slice slice)
        {
            var p = memory.GetPointer() + slice.Offset;
            Console.WriteLine(*(byte*)p);
            _last = {|WVA002:p|};
            s_last = {|WVA002:p|};
        }

        byte First() => *(byte*)_last;
        }

        public readonly record struct Slice(int Offset, int Length);

        class Unused
        {
        """, """
        private int _last;
        private static int s_last;

        void Keep(Slice slice)
        {
            var p = memory.GetPointer() + slice.Offset;
            Console.WriteLine(*(byte*)p);
            _last = slice.Offset;
            s_last = slice.Offset;
        }

        byte First() => *(byte*)(memory.GetPointer() + _last);
        }

        public readonly record struct Slice(int Offset, int Length);

        class Unused
        {
        """);

    /// <summary>
    /// A record's positional pointer member only compared with 0 (<c>pv.Header != 0</c>), made with
    /// 0 somewhere: a pointer into guest memory is never 0, so it becomes a nullable offset, the
    /// comparison <c>HasValue</c> and the 0 <c>null</c>.
    /// </summary>
    [Theory]
    [InlineData("sealed record")]
    [InlineData("readonly record struct")]
    [InlineData("record struct")]
    public Task PositionalPointerMemberOnlyComparedWithZero_BecomesANullableOffset(string kind) => VerifyMembers($$"""
        private readonly Dictionary<string, PvRef> _recent = new();
        private PvRef _empty = new("", 0, 0);

        void Keep(string fen, int address) => _recent[fen] = {|WVA002:new PvRef(fen, memory.GetPointer() + address, 4)|};

        bool HasHeader(string fen) => _recent.TryGetValue(fen, out var pv) && pv.Header != 0;

        bool Empty => _empty.Header == IntPtr.Zero;

        private {{kind}} PvRef(string Fen, nint Header, int Moves);
        """, $$"""
        private readonly Dictionary<string, PvRef> _recent = new();
        private PvRef _empty = new("", null, 0);

        void Keep(string fen, int address) => _recent[fen] = new PvRef(fen, address, 4);

        bool HasHeader(string fen) => _recent.TryGetValue(fen, out var pv) && pv.Header.HasValue;

        bool Empty => !_empty.Header.HasValue;

        private {{kind}} PvRef(string Fen, int? Header, int Moves);
        """);

    /// <summary>
    /// The twins: a positional member with a default value (a record made without it holds 0 from
    /// the start), and one read as a pointer behind a test (the test may be of another object).
    /// </summary>
    [Theory]
    [InlineData("private sealed record PvRef(string Fen, nint Header = 0);", "bool HasHeader(PvRef pv) => pv.Header != 0;", false)]
    [InlineData("private sealed record PvRef(string Fen, nint Header);", "byte First(PvRef pv) => pv.Header != 0 ? *(byte*)pv.Header : (byte)0;", false)]
    [InlineData("private sealed record PvRef(string Fen, nint Header);", "bool HasHeader(PvRef pv) => pv.Header != 0;", true)]
    public async Task PositionalPointerMemberWithADefaultOrReadBehindATest_KeepsItsType(string record, string use, bool offered)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private PvRef? _last;
            private PvRef _empty = new("", 0);

            void Keep(string fen, int address) => _last = new PvRef(fen, memory.GetPointer() + address);

            {{use}}

            {{record}}
            """));

        var titles = Assert.Single(findings).Fixes.Select(fix => fix.Title);
        Assert.Equal(offered, titles.Contains("Keep the guest offset instead of the pointer"));
    }

    /// <summary>
    /// A pointer taken out of a collection field by a <c>Try</c> method (<c>TryGetValue</c>,
    /// <c>TryDequeue</c>, <c>TryPop</c>, <c>TryPeek</c>) and read where the call said one was there:
    /// the read obtains the pointer again from the offset.
    /// </summary>
    [Theory]
    [InlineData("Dictionary<string, nint>", "_cache[key] = {0};", "byte First(string key) => _cache.TryGetValue(key, out var p) ? *(byte*)p : (byte)0;", "byte First(string key) => _cache.TryGetValue(key, out var p) ? *(byte*)(memory.GetPointer() + p) : (byte)0;")]
    [InlineData("Dictionary<string, nint>", "_cache[key] = {0};", "bool Set(string key) => _cache.TryGetValue(key, out var p) && *(byte*)p != 0;", "bool Set(string key) => _cache.TryGetValue(key, out var p) && *(byte*)(memory.GetPointer() + p) != 0;")]
    [InlineData("ConcurrentDictionary<string, nint>", "_cache[key] = {0};", "byte First(string key)\n{\n    if (_cache.TryGetValue(key, out var p))\n    {\n        return *(byte*)p;\n    }\n\n    return 0;\n}", "byte First(string key)\n{\n    if (_cache.TryGetValue(key, out var p))\n    {\n        return *(byte*)(memory.GetPointer() + p);\n    }\n\n    return 0;\n}")]
    [InlineData("Queue<nint>", "_cache.Enqueue({0});", "byte First() => _cache.TryDequeue(out var p) ? *(byte*)p : (byte)0;", "byte First() => _cache.TryDequeue(out var p) ? *(byte*)(memory.GetPointer() + p) : (byte)0;")]
    [InlineData("Stack<nint>", "_cache.Push({0});", "byte First() => _cache.TryPop(out var p) ? *(byte*)p : (byte)0;", "byte First() => _cache.TryPop(out var p) ? *(byte*)(memory.GetPointer() + p) : (byte)0;")]
    [InlineData("ConcurrentQueue<nint>", "_cache.Enqueue({0});", "byte First() => _cache.TryPeek(out var p) ? ((byte*)p)[1] : (byte)0;", "byte First() => _cache.TryPeek(out var p) ? ((byte*)(memory.GetPointer() + p))[1] : (byte)0;")]
    public Task PointerTakenOutByATryMethod_ReadWhereTheCallSaidOneWasThere_ObtainsItAgain(string type, string store, string read, string fixedRead)
    {
        var fixedType = type.Replace("nint>", "int>", StringComparison.Ordinal);
        return VerifyMembers($$"""
            private readonly {{type}} _cache = new();

            void Keep(string key, int address) => {{string.Format(System.Globalization.CultureInfo.InvariantCulture, store, "{|WVA002:memory.GetPointer() + address|}")}}

            {{read}}
            """, $$"""
            private readonly {{fixedType}} _cache = new();

            void Keep(string key, int address) => {{string.Format(System.Globalization.CultureInfo.InvariantCulture, store, "address")}}

            {{fixedRead}}
            """);
    }

    /// <summary>
    /// The twins: the pointer read where the call may have found none (after it, in its false
    /// branch, behind its negation: the 0 of none would become the memory's base), compared, or
    /// captured by a lambda.
    /// </summary>
    [Theory]
    [InlineData("byte First(string key) { _cache.TryGetValue(key, out var p); return *(byte*)p; }", false)]
    [InlineData("byte First(string key) => _cache.TryGetValue(key, out var p) ? (byte)0 : *(byte*)p;", false)]
    [InlineData("byte First(string key) => !_cache.TryGetValue(key, out var p) ? (byte)0 : *(byte*)p;", false)]
    [InlineData("bool Same(string key, nint other) => _cache.TryGetValue(key, out var p) && p == other;", false)]
    [InlineData("Func<byte> First(string key) => _cache.TryGetValue(key, out var p) ? () => *(byte*)p : () => 0;", false)]
    [InlineData("byte First(string key) => _cache.TryGetValue(key, out var p) ? *(byte*)p : (byte)0;", true)]
    public async Task PointerTakenOutByATryMethod_ReadWhereItMayBeNone_KeepsItsType(string use, bool offered)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private readonly Dictionary<string, nint> _cache = new();

            void Keep(string key, int address) => _cache[key] = memory.GetPointer() + address;

            {{use}}
            """));

        var titles = Assert.Single(findings).Fixes.Select(fix => fix.Title);
        Assert.Equal(offered, titles.Contains("Keep the guest offset instead of the pointer"));
    }

    [Fact]
    public Task PointerSlotOnlyComparedWithZero_KeepsTheOffsetOrNone() => VerifyMembers("""
        private nint _lastBody;
        private byte* _lastFrame;

        void Remember(int address) => _lastBody = {|WVA002:(nint)((byte*)memory.GetPointer() + address)|};

        void Forget() => _lastBody = IntPtr.Zero;

        bool HasBody => _lastBody != 0;

        bool NoBody => IntPtr.Zero == (_lastBody);

        void Frame(int address)
        {
            _lastFrame = {|WVA002:(byte*)memory.GetPointer() + address|};
            if (_lastFrame == null)
            {
                _lastFrame = default;
            }
        }
        """, """
        private int? _lastBody;
        private int? _lastFrame;

        void Remember(int address) => _lastBody = address;

        void Forget() => _lastBody = null;

        bool HasBody => _lastBody.HasValue;

        bool NoBody => !_lastBody.HasValue;

        void Frame(int address)
        {
            _lastFrame = address;
            if (!_lastFrame.HasValue)
            {
                _lastFrame = null;
            }
        }
        """);

    /// <summary>Each way a read of a pointer slot is guarded by its own test with 0, and the read after the fix.</summary>
    public static TheoryData<string, string> GuardedReads() => new()
    {
        { "_frame != null ? *_frame : (byte)0", "_frame.HasValue ? *(byte*)(memory.GetPointer() + _frame.Value) : (byte)0" },
        { "_frame == null ? (byte)0 : _frame[1]", "!_frame.HasValue ? (byte)0 : ((byte*)(memory.GetPointer() + _frame.Value))[1]" },
        { "_frame != null && *_frame > 0 ? (byte)1 : (byte)0", "_frame.HasValue && *(byte*)(memory.GetPointer() + _frame.Value) > 0 ? (byte)1 : (byte)0" },
    };

    [Theory]
    [MemberData(nameof(GuardedReads))]
    public Task PointerSlotReadWhereItsTestSaysItIsKept_KeepsANullableOffset(string read, string fixedRead) => VerifyMembers($$"""
        private byte* _frame;

        void Remember(int address) => _frame = {|WVA002:(byte*)memory.GetPointer() + address|};

        void Forget() => _frame = null;

        byte First => {{read}};

        byte Guarded()
        {
            if (_frame != null)
            {
                return *_frame;
            }
            else
            {
                return 0;
            }
        }
        """, $$"""
        private int? _frame;

        void Remember(int address) => _frame = address;

        void Forget() => _frame = null;

        byte First => {{fixedRead}};

        byte Guarded()
        {
            if (_frame.HasValue)
            {
                return *(byte*)(memory.GetPointer() + _frame.Value);
            }
            else
            {
                return 0;
            }
        }
        """);

    [Fact]
    public Task StructPointerSlotReadWhereItsTestSaysItIsKept_ObtainsItAgainAsItsType() => VerifyMembers("""
        private struct Entity
        {
            public int Health;
        }

        private Entity* _player;

        void Capture(int address) => _player = {|WVA002:(Entity*)((byte*)memory.GetPointer() + address)|};

        int Health => _player != null ? _player->Health : 0;
        """, """
        private struct Entity
        {
            public int Health;
        }

        private int? _player;

        void Capture(int address) => _player = address;

        int Health => _player.HasValue ? ((Entity*)(memory.GetPointer() + _player.Value))->Health : 0;
        """);

    [Fact]
    public async Task PointerSlotReadWhereItsGuardMayNoLongerHold_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private byte* _frame;
            private byte* _other;

            void Remember(int address) => _frame = (byte*)memory.GetPointer() + address;

            void Forget() => _frame = null;

            byte First()
            {
                if (_frame != null)
                {
                    _frame = null;
                    return *_frame;
                }

                return 0;
            }

            void RememberOther(int address) => _other = (byte*)memory.GetPointer() + address;

            byte Second => _other == null ? *_other : (byte)0;
            """));

        // The branch clears the slot before it reads it; the other reads where its test says none is kept.
        Assert.Equal(2, findings.Count(f => f.Diagnostic.Id == "WVA002"));
        Assert.All(findings, f => Assert.Empty(f.Fixes));
    }

    [Fact]
    public async Task PointerSlotComparedOrReadAsElements_KeepsItsType()
    {
        var titles = await Verify.GetOfferedFixesAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private byte* _frame;
            private readonly List<nint> _pending = new();
            private readonly Queue<nint> _queue = new();
            private readonly Stack<nint> _stack = new();
            void Remember(int address) => _frame = (byte*)memory.GetPointer() + address;

            bool HasFrame => _frame != null;

            byte First => HasFrame ? *_frame : (byte)0;

            void Queue(int address) => _pending.Add(memory.GetPointer() + address);

            nint Oldest => _pending.FirstOrDefault();

            void Enqueue(int address) => _queue.Enqueue(memory.GetPointer() + address);

            byte Next => _queue.TryDequeue(out var next) | true ? *(byte*)next : (byte)0;

            void Push(int address) => _stack.Push(memory.GetPointer() + address);

            bool TopIsSet => _stack.Peek() != 0;

            private readonly List<nint> _ring = new();

            void Ring(int address) => _ring.Add(memory.GetPointer() + address);

            int Set => _ring.Count(p => p != 0);

            void Zero()
            {
                foreach (var p in _ring)
                {
                    Console.WriteLine(p == 0);
                }
            }

            private nint _seed = IntPtr.Zero;

            void Seed(int address) => _seed = memory.GetPointer() + address;

            bool Seeded => _seed != 0;
            """));

        // A pointer read where it may be 0 would need an offset that may be missing (nor may a loop
        // or a lambda compare an element with 0); FirstOrDefault's 0
        // for none would become the memory's base, as would TryDequeue's where its result does not
        // guard the read; a pointer compared is no offset; a slot given a value where it is declared holds one from the start.
        Assert.Empty(titles);
    }

    [Fact]
    public Task PointersTakenOutOfAPrivateCollection_KeepTheOffsets_ReadsObtainThePointerAgain() => VerifyMembers("""
        private readonly Stack<nint> _replay = new();
        private readonly List<nint> _pending = new();
        private readonly Queue<(nint Start, int Length)> _uploads = new();

        void Keep(int address, int index)
        {
            _replay.Push({|WVA002:memory.GetPointer() + address|});
            _pending.Add({|WVA002:memory.GetPointer() + address + index * 4|});
            _uploads.Enqueue({|WVA002:((nint)((byte*)memory.GetPointer() + address), 16)|});
            if (_pending.Count > 8)
            {
                _pending.RemoveAt(0);
            }
        }

        int Drain()
        {
            var sum = 0;
            while (_replay.Count > 0)
            {
                sum += *(byte*)_replay.Pop();
            }

            foreach (var upload in _uploads)
            {
                sum += *(byte*)upload.Start + upload.Length;
            }

            foreach (nint pending in _pending)
            {
                sum += ((byte*)pending)[0];
            }

            sum += ((byte*)_uploads.Peek().Start)[1] + _uploads.Dequeue().Length;
            return sum + *(byte*)_pending[0];
        }
        """, """
        private readonly Stack<int> _replay = new();
        private readonly List<int> _pending = new();
        private readonly Queue<(int Start, int Length)> _uploads = new();

        void Keep(int address, int index)
        {
            _replay.Push(address);
            _pending.Add(address + index * 4);
            _uploads.Enqueue((address, 16));
            if (_pending.Count > 8)
            {
                _pending.RemoveAt(0);
            }
        }

        int Drain()
        {
            var sum = 0;
            while (_replay.Count > 0)
            {
                sum += *(byte*)(memory.GetPointer() + _replay.Pop());
            }

            foreach (var upload in _uploads)
            {
                sum += *(byte*)(memory.GetPointer() + upload.Start) + upload.Length;
            }

            foreach (int pending in _pending)
            {
                sum += ((byte*)(memory.GetPointer() + pending))[0];
            }

            sum += ((byte*)(memory.GetPointer() + _uploads.Peek().Start))[1] + _uploads.Dequeue().Length;
            return sum + *(byte*)(memory.GetPointer() + _pending[0]);
        }
        """);

    private const string CreatedTypes = """

        record PagePointer(int Number, nint Address, int Length);

        sealed class State
        {
            public string Name = "";
            public nint Preview;
        }

        record struct Snapshot(nint Start, int Length);
        """;

    [Fact]
    public Task PointerInARecordOrAnObjectInitializer_KeepsTheOffset() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        private readonly List<PagePointer> _pages = new();
        private State _state = new();
        private Snapshot _snapshot;

        void Page(int number, int address, int length) => _pages.Add({|WVA002:new PagePointer(number, memory.GetPointer() + address, length)|});

        void Keep(string name, int address) => _state = {|WVA002:new State { Name = name, Preview = memory.GetPointer() + address }|};

        void Move(int address) => _snapshot = _snapshot with { Start = {|WVA002:memory.GetPointer() + address|} };

        int Pages => _pages.Count + _state.Name.Length + _snapshot.Length;
        """) + CreatedTypes, ViewEscapesMethodAnalyzerTests.Host("""
        private readonly List<PagePointer> _pages = new();
        private State _state = new();
        private Snapshot _snapshot;

        void Page(int number, int address, int length) => _pages.Add(new PagePointer(number, address, length));

        void Keep(string name, int address) => _state = new State { Name = name, Preview = address };

        void Move(int address) => _snapshot = _snapshot with { Start = address };

        int Pages => _pages.Count + _state.Name.Length + _snapshot.Length;
        """) + CreatedTypes.Replace("nint", "int"), Key);

    [Fact]
    public async Task PointerInARecordReadOrTakenApart_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private readonly List<Frame> _frames = new();
            private readonly List<Cell> _cells = new();

            void Add(int address) => _frames.Add(new Frame(memory.GetPointer() + address));

            byte First => *(byte*)_frames[0].Start;

            public void Adopt(Frame frame) => _frames.Add(frame);

            void Put(int address) => _cells.Add(new Cell(memory.GetPointer() + address, 4));

            int Count()
            {
                var (at, count) = _cells[0];
                return count;
            }
            """) + """

            record Frame(nint Start);

            record Cell(nint At, int Count);
            """);

        // A frame is another object, and one may be adopted from elsewhere: where it is read, the
        // reader's memory may not be the writer's.
        // Taking a cell apart reads At through Deconstruct, which the fix cannot change.
        Assert.Equal(2, findings.Length);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    private const string DeconstructedTypes = """

        record PagePointer(int Number, nint Address, int Length);

        record struct Span2(int Start, int Count);
        """;

    /// <summary>
    /// Things taken apart beside a record that keeps a pointer, none of them the record: a tuple, a
    /// dictionary's pairs, a tuple matched by position, another record. They read no member of it.
    /// </summary>
    public static TheoryData<string, string> OtherThingsTakenApart() => new()
    {
        { "tuple deconstructed", "int Sum((int A, int B) pair) { var (a, b) = pair; return a + b; }" },
        { "tuple assigned apart", "int Swap(int a, int b) { (a, b) = (b, a); return a; }" },
        { "dictionary pairs in foreach", "int Sum(Dictionary<string, PagePointer> byName) { var n = 0; foreach (var (name, page) in byName) n += name.Length + page.Number; return n; }" },
        { "tuple matched by position", "bool Small((int A, int B) pair) => pair is (0, _);" },
        { "another record struct taken apart", "int Start(Span2 span) { var (start, _) = span; return start; }" },
        { "another record matched by position", "bool Empty(Span2 span) => span is Span2(_, 0);" },
    };

    [Theory]
    [MemberData(nameof(OtherThingsTakenApart))]
    public Task PointerInARecordBesideOtherThingsTakenApart_KeepsTheOffset(string kind, string other)
    {
        Assert.NotEmpty(kind);
        return Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private readonly List<PagePointer> _pages = new();

            void Page(int number, int address, int length) => _pages.Add({|WVA002:new PagePointer(number, memory.GetPointer() + address, length)|});

            int Pages => _pages.Count;

            {{other}}
            """) + DeconstructedTypes, ViewEscapesMethodAnalyzerTests.Host($$"""
            private readonly List<PagePointer> _pages = new();

            void Page(int number, int address, int length) => _pages.Add(new PagePointer(number, address, length));

            int Pages => _pages.Count;

            {{other}}
            """) + DeconstructedTypes.Replace("nint", "int"), Key);
    }

    /// <summary>The record itself taken apart, at any depth: its <c>Deconstruct</c> reads the pointer where no fix sees it.</summary>
    public static TheoryData<string, string> RecordTakenApart() => new()
    {
        { "deconstructed", "int Last() { var (n, a, l) = _pages[0]; return n + l; }" },
        { "deconstructed in foreach", "int All() { var s = 0; foreach (var (n, a, l) in _pages) s += n; return s; }" },
        { "matched by position", "bool First() => _pages[0] is PagePointer(1, _, _);" },
        { "nested in a tuple deconstructed", "int Nested() { var (k, (n, a, l)) = (1, _pages[0]); return k + n; }" },
    };

    [Theory]
    [MemberData(nameof(RecordTakenApart))]
    public async Task PointerInARecordTakenApart_KeepsItsType(string kind, string use)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private readonly List<PagePointer> _pages = new();

            void Page(int number, int address, int length) => _pages.Add(new PagePointer(number, memory.GetPointer() + address, length));

            {{use}}
            """) + DeconstructedTypes);

        Assert.True(findings.Length == 1, kind);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    private const string MadeTypes = """

        record Frame(nint Start, int Length);

        record struct Cursor(nint Start, int Length);

        sealed class Window
        {
            public nint Start { get; init; }
            public int Length { get; init; }
        }

        struct Block
        {
            public nint Start;
            public int Length;
        }

        sealed class Open
        {
            public nint Start { get; set; }
        }
        """;

    /// <summary>
    /// The kinds of object that keep a pointer where they are made: a positional record class and
    /// record struct, a class with init properties, a struct whose fields an initializer sets. The
    /// type, how one is made over a pointer <c>P</c>, and the declaration of its pointer member.
    /// </summary>
    public static TheoryData<string, string, string> ObjectKinds() => new()
    {
        { "Frame", "new Frame(P, 4)", "record Frame(nint Start, int Length);" },
        { "Cursor", "new Cursor(P, 4)", "record struct Cursor(nint Start, int Length);" },
        { "Window", "new Window { Start = P, Length = 4 }", "public nint Start { get; init; }" },
        { "Block", "new Block { Start = P, Length = 4 }", "public nint Start;" },
    };

    /// <summary>
    /// An object of each kind kept in a field of this object and made in a local over another
    /// memory: each read of its pointer obtains it again from the memory that object was made over
    /// (the field's from this object's memory, the local's from the memory it was made over).
    /// </summary>
    [Theory]
    [MemberData(nameof(ObjectKinds))]
    public Task PointerInAnObjectMadeInSight_EachReadUsesTheMemoryItsObjectWasMadeOver(string type, string make, string declaration) => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
        private {{type}} _kept;

        void Keep(int address) => _kept = {|WVA002:{{make.Replace("P", "memory.GetPointer() + address")}}|};

        byte First() => *(byte*)_kept.Start;

        byte Made(Memory other, int address)
        {
            var made = {{make.Replace("P", "other.GetPointer() + address")}};
            reset();
            return *(byte*)made.Start;
        }
        """) + MadeTypes, ViewEscapesMethodAnalyzerTests.Host($$"""
        private {{type}} _kept;

        void Keep(int address) => _kept = {{make.Replace("P", "address")}};

        byte First() => *(byte*)(memory.GetPointer() + _kept.Start);

        byte Made(Memory other, int address)
        {
            var made = {{make.Replace("P", "address")}};
            reset();
            return *(byte*)(other.GetPointer() + made.Start);
        }
        """) + MadeTypes.Replace(declaration, declaration.Replace("nint", "int")), Key);

    /// <summary>
    /// Where a read cannot tell which memory its object was made over, the pointer stays: the
    /// field written by another object, or with an object from elsewhere; the local written again,
    /// or read in a lambda; the memory parameter written; the object read from a parameter; the
    /// member set after the object was made.
    /// </summary>
    public static TheoryData<string, string> ObjectsOfUnknownMemory() => new()
    {
        { "field written by another object", "void Give(Host other, int address) => other._kept = new Frame(memory.GetPointer() + address, 4);" },
        { "field given an object from elsewhere", "public void Set(Frame frame) => _kept = frame;" },
        { "local written again", "byte Made(Memory other, int address, bool last) { var made = new Frame(other.GetPointer() + address, 4); if (last) made = _kept; return *(byte*)made.Start; }" },
        { "local read in a lambda", "Func<byte> Made(Memory other, int address) { var made = new Frame(other.GetPointer() + address, 4); return () => *(byte*)made.Start; }" },
        { "memory written after", "byte Made(Memory other, int address) { var made = new Frame(other.GetPointer() + address, 4); other = memory; return *(byte*)made.Start; }" },
        { "object read from a parameter", "static byte Of(Frame frame) => *(byte*)frame.Start;" },
        { "object read from another object's field", "byte Of(Host other) => *(byte*)other._kept.Start;" },
    };

    [Theory]
    [MemberData(nameof(ObjectsOfUnknownMemory))]
    public async Task PointerInAnObjectWhoseMemoryAReadCannotTell_KeepsItsType(string kind, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private Frame _kept;

            void Keep(int address) => _kept = new Frame(memory.GetPointer() + address, 4);

            byte First() => *(byte*)_kept.Start;

            {{members}}
            """) + MadeTypes);

        Assert.True(findings.Length >= 1, kind);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public async Task PointerInAnObjectSetAfterItWasMade_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private Open _kept = new();

            void Keep(int address) => _kept = new Open { Start = memory.GetPointer() + address };

            byte Made(Memory other, int address)
            {
                var made = new Open { Start = memory.GetPointer() + address };
                made.Start = other.GetPointer() + address;
                return *(byte*)made.Start;
            }
            """) + MadeTypes);

        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    private const string OffsetInFunctionTitle = "Keep the guest offset and obtain the pointer where the lambda runs";

    private const string LaterMembers = """

        private Action _pending = () => { };
        private Timer? _timer;
        private event Action? Changed;

        static void Touch(byte value) => Console.Write(value);
        """;

    /// <summary>
    /// Lambdas that read a captured pointer when they run, each with a pointer whose offset comes
    /// from a guest call (so its source cannot be evaluated again there): a delegate kept in a
    /// field, a timer's callback, a host function, an event handler, a delegate returned. The code
    /// that captures it (<c>p</c>, <c>P</c> where the fix obtains it again) around the lambda.
    /// </summary>
    public static TheoryData<string, string, string> LambdasThatReadLater() => new()
    {
        { "delegate kept in a field", "_pending = () => Touch(*P);", "_pending = () => Touch(*(byte*)(memory.GetPointer() + pOffset));" },
        { "timer callback", "_timer = new Timer(_ => Touch(P[1]), null, 1000, Timeout.Infinite);", "_timer = new Timer(_ => Touch(((byte*)(memory.GetPointer() + pOffset))[1]), null, 1000, Timeout.Infinite);" },
        { "host function", "_ = Function.FromCallback(store, (int index) => (int)P[index]);", "_ = Function.FromCallback(store, (int index) => (int)((byte*)(memory.GetPointer() + pOffset))[index]);" },
        { "event handler", "Changed += () => Touch(*P);", "Changed += () => Touch(*(byte*)(memory.GetPointer() + pOffset));" },
    };

    [Theory]
    [MemberData(nameof(LambdasThatReadLater))]
    public Task PointerFromAGuestOffsetCapturedByALambdaThatReadsLater_KeepsTheOffset(string kind, string capture, string fixedCapture)
    {
        Assert.NotEmpty(kind);
        return Verify.VerifyCodeFixAsync(
            ViewEscapesMethodAnalyzerTests.Host($$"""
                void Later(Store store, int address)
                {
                    var p = (byte*)memory.GetPointer() + convert(address);
                    {{capture.Replace("P", "{|WVA002:p|}")}}
                }
                """ + LaterMembers),
            ViewEscapesMethodAnalyzerTests.Host($$"""
                void Later(Store store, int address)
                {
                    int pOffset = convert(address);
                    {{fixedCapture}}
                }
                """ + LaterMembers),
            Key);
    }

    /// <summary>
    /// Where the pointer cannot be obtained again the same way when the lambda runs, or the lambda
    /// carries what was there when it was made, no offset: the memory field may be another memory by
    /// then, the memory parameter is written, the local is written, compared or read outside the
    /// lambda, the work is queued once, the source can be evaluated in the lambda (that is the fix).
    /// </summary>
    public static TheoryData<string, string> CapturedPointersKeptAsTheyAre() => new()
    {
        { "memory field written elsewhere", "void Swap(Instance other) => _swappable = other.GetMemory(\"memory\")!;\nvoid Later(int address)\n{\n    var p = (byte*)_swappable.GetPointer() + convert(address);\n    _pending = () => Touch(*p);\n}" },
        { "memory parameter written", "void Later(Memory from, int address)\n{\n    var p = (byte*)from.GetPointer() + convert(address);\n    from = memory;\n    _pending = () => Touch(*p);\n}" },
        { "local written", "void Later(int address)\n{\n    var p = (byte*)memory.GetPointer() + convert(address);\n    p += 4;\n    _pending = () => Touch(*p);\n}" },
        { "local compared", "void Later(int address)\n{\n    var p = (byte*)memory.GetPointer() + convert(address);\n    _pending = () => Touch(p == null ? (byte)0 : *p);\n}" },
        { "work queued once", "void Later(int address)\n{\n    var p = (byte*)memory.GetPointer() + convert(address);\n    Task.Run(() => Touch(*p));\n}" },
        { "local read outside the lambda too", "void Later(int address)\n{\n    var p = (byte*)memory.GetPointer() + convert(address);\n    Touch(*p);\n    _pending = () => Touch(*p);\n}" },
        { "source evaluated again instead", "void Later(int address)\n{\n    var p = (byte*)memory.GetPointer() + address;\n    _pending = () => Touch(*p);\n}" },
    };

    [Theory]
    [MemberData(nameof(CapturedPointersKeptAsTheyAre))]
    public async Task CapturedPointerWhoseMemoryOrUseTheLambdaCannotRepeat_NoOffsetFix(string kind, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host(members + "\n\nprivate Memory _swappable = null!;" + LaterMembers));

        Assert.True(findings.Length >= 1, kind);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == OffsetInFunctionTitle);
    }

    /// <summary>
    /// A channel of pointers (or of tuples holding one) that is written and never read back, or only
    /// asked how many it holds, completed or waited on: each kind of channel and write, its field,
    /// the write (<c>P</c> the pointer, marked where it is reported), and the field and write as fixed.
    /// </summary>
    public static TheoryData<string, string, string, string, string> ChannelsWritten() => new()
    {
        { "unbounded, TryWrite", "private readonly Channel<nint> _sent = Channel.CreateUnbounded<nint>();", "void Send(int address) => _sent.Writer.TryWrite({|WVA002:P|});", "private readonly Channel<int> _sent = Channel.CreateUnbounded<int>();", "void Send(int address) => _sent.Writer.TryWrite(address);" },
        { "bounded, WriteAsync with a token", "private readonly Channel<nint> _sent = Channel.CreateBounded<nint>(16);", "ValueTask Send(int address, CancellationToken token) => _sent.Writer.WriteAsync({|WVA002:P|}, token);", "private readonly Channel<int> _sent = Channel.CreateBounded<int>(16);", "ValueTask Send(int address, CancellationToken token) => _sent.Writer.WriteAsync(address, token);" },
        { "tuple, TryWrite", "private readonly Channel<(nint Start, int Length)> _sent = Channel.CreateUnbounded<(nint, int)>();", "void Send(int address, int length) => _sent.Writer.TryWrite({|WVA002:(P, length)|});", "private readonly Channel<(int Start, int Length)> _sent = Channel.CreateUnbounded<(int, int)>();", "void Send(int address, int length) => _sent.Writer.TryWrite((address, length));" },
    };

    [Theory]
    [MemberData(nameof(ChannelsWritten))]
    public Task PointerWrittenToAChannelNeverReadBack_KeepsTheOffset(string kind, string field, string write, string fixedField, string fixedWrite)
    {
        Assert.NotEmpty(kind);
        const string Uses = """

            void Done() => _sent.Writer.Complete();

            bool Any => _sent.Reader.Count > 0;
            """;
        return Verify.VerifyCodeFixAsync(
            ViewEscapesMethodAnalyzerTests.Host(field + "\n\n" + write.Replace("P", "memory.GetPointer() + address") + Uses),
            ViewEscapesMethodAnalyzerTests.Host(fixedField + "\n\n" + fixedWrite + Uses),
            Key);
    }

    /// <summary>A channel whose pointers are read back (taken out, waited for, looped over) or that is handed elsewhere keeps them.</summary>
    [Theory]
    [InlineData("bool Next(out nint p) => _sent.Reader.TryRead(out p);")]
    [InlineData("ValueTask<nint> Next() => _sent.Reader.ReadAsync();")]
    [InlineData("IAsyncEnumerable<nint> All() => _sent.Reader.ReadAllAsync();")]
    [InlineData("ChannelReader<nint> Reader => _sent.Reader;")]
    [InlineData("Channel<nint> Sent => _sent;")]
    public async Task PointerWrittenToAChannelReadBack_KeepsItsType(string use)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private readonly Channel<nint> _sent = Channel.CreateUnbounded<nint>();

            void Send(int address) => _sent.Writer.TryWrite(memory.GetPointer() + address);

            {{use}}
            """));

        Assert.Single(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public Task PointerStoredByCoalescingIntoANullableField_KeepsTheOffset() => VerifyMembers("""
        private nint? _tail;

        void Mark(int address) => _tail ??= {|WVA002:memory.GetPointer() + address|};

        void Reset() => _tail = null;

        bool Marked => _tail.HasValue;
        """, """
        private int? _tail;

        void Mark(int address) => _tail ??= address;

        void Reset() => _tail = null;

        bool Marked => _tail.HasValue;
        """);

    /// <summary>The value of <c>??=</c> is the pointer kept (or the one stored): a read the offset would change.</summary>
    [Fact]
    public async Task PointerStoredByCoalescingWhoseValueIsUsed_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private nint? _tail;

            nint Mark(int address) => _tail ??= memory.GetPointer() + address;
            """));

        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    private const string PeerTypes = """

        internal sealed class Peer
        {
            public nint LastSnapshot { get; set; }
            internal List<nint> Touched { get; } = new();
        }

        """;

    [Fact]
    public Task PointerInAMemberOfAnotherInternalType_KeepsTheOffset() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        void Receive(Peer peer, int address) => peer.LastSnapshot = {|WVA002:memory.GetPointer() + address|};

        void Resend(Peer peer, int address)
        {
            peer.LastSnapshot = {|WVA002:memory.GetPointer() + address|};
            peer.Touched.Add({|WVA002:memory.GetPointer() + address|});
        }

        int TouchedCount(Peer peer) => peer.Touched.Count;
        """) + PeerTypes, ViewEscapesMethodAnalyzerTests.Host("""
        void Receive(Peer peer, int address) => peer.LastSnapshot = address;

        void Resend(Peer peer, int address)
        {
            peer.LastSnapshot = address;
            peer.Touched.Add(address);
        }

        int TouchedCount(Peer peer) => peer.Touched.Count;
        """) + PeerTypes.Replace("public nint LastSnapshot", "public int LastSnapshot").Replace("List<nint>", "List<int>"), Key);

    [Fact]
    public Task PointerInAMemberOfAnotherInternalTypeFromTheOneStaticMemory_ReadsObtainThePointerAgain() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        private static Memory s_memory = null!;

        void Receive(Peer peer, int address) => peer.LastSnapshot = {|WVA002:s_memory.GetPointer() + address|};

        byte First(Peer peer) => *(byte*)peer.LastSnapshot;
        """) + PeerTypes, ViewEscapesMethodAnalyzerTests.Host("""
        private static Memory s_memory = null!;

        void Receive(Peer peer, int address) => peer.LastSnapshot = address;

        byte First(Peer peer) => *(byte*)(s_memory.GetPointer() + peer.LastSnapshot);
        """) + PeerTypes.Replace("public nint LastSnapshot", "public int LastSnapshot"), Key);

    [Fact]
    public async Task PointerReadWhereTheReadersMemoryMayNotBeTheWritersOne_KeepsItsType()
    {
        var titles = await Verify.GetOfferedFixesAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private static nint s_last;
            private nint _frame;

            void Receive(Peer peer, int address) => peer.LastSnapshot = memory.GetPointer() + address;

            byte First(Peer peer) => *(byte*)peer.LastSnapshot;

            void Share(int address) => s_last = memory.GetPointer() + address;

            byte Last => *(byte*)s_last;

            void Hand(Host other, int address) => other._frame = memory.GetPointer() + address;

            byte Frame => *(byte*)_frame;

            void Keep(Memory scratch, int address) => _frame2 = scratch.GetPointer() + address;

            private nint _frame2;

            byte Frame2(Memory scratch) => *(byte*)_frame2;
            """) + PeerTypes);

        // The peer may be shared with a host over another memory; the static slot is filled by every
        // host; another host's frame is filled from this one's memory; each call may pass another scratch memory.
        Assert.Empty(titles);
    }

    [Fact]
    public async Task PointerInAPublicOrComparedMemberOrOneReadWhereTheMemoryIsOutOfReach_KeepsItsType()
    {
        var titles = await Verify.GetOfferedFixesAsync(ViewEscapesMethodAnalyzerTests.Host("""
            void Receive(Peer peer, int address) => peer.LastSnapshot = memory.GetPointer() + address;

            byte First(Peer peer) => peer.LastSnapshot != 0 ? *(byte*)peer.LastSnapshot : (byte)0;

            void Watch(Watcher watcher, int address) => watcher.Frame = memory.GetPointer() + address;
            """) + """

            internal sealed class Peer
            {
                public nint LastSnapshot { get; set; }
            }

            internal sealed unsafe class Watcher
            {
                public nint Frame { get; set; }

                public byte First => *(byte*)Frame;
            }
            """);

        // An offset of 0 is no null pointer; the watcher reads its frame where the host's memory is out of reach.
        Assert.Empty(titles);
    }

    private const string PublicPeerAndMain = """

        public sealed class PublicPeer
        {
            public nint LastSnapshot { get; set; }
        }

        public static class Program
        {
            public static void Main()
            {
            }
        }

        """;

    [Fact]
    public Task PointerInAPublicMemberOfAnApplication_KeepsTheOffset() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        void Publish(PublicPeer peer, int address) => peer.LastSnapshot = {|WVA002:memory.GetPointer() + address|};

        void Again(PublicPeer peer, int address) => peer.LastSnapshot = {|WVA002:memory.GetPointer() + convert(address)|};
        """) + PublicPeerAndMain, ViewEscapesMethodAnalyzerTests.Host("""
        void Publish(PublicPeer peer, int address) => peer.LastSnapshot = address;

        void Again(PublicPeer peer, int address) => peer.LastSnapshot = convert(address);
        """) + PublicPeerAndMain.Replace("public nint LastSnapshot", "public int LastSnapshot"), Key, outputKind: OutputKind.ConsoleApplication);

    [Theory]
    [InlineData(OutputKind.DynamicallyLinkedLibrary)]
    [InlineData(OutputKind.ConsoleApplication)]
    public async Task PointerInAPublicMemberOfAProjectAnotherProjectReferences_KeepsItsType(OutputKind outputKind)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(
            ViewEscapesMethodAnalyzerTests.Host("""
                void Publish(PublicPeer peer, int address) => peer.LastSnapshot = memory.GetPointer() + address;
                """) + PublicPeerAndMain,
            outputKind: outputKind,
            referencedByAnotherProject: true);

        // The referencing project may read the pointer, and the fix edits this document only.
        var finding = Assert.Single(findings);
        Assert.Empty(finding.Fixes);
    }

    private const string PublicSlotTypes = """

        public sealed class Session
        {
            public nint LastPage;
            public nint Cursor { get; set; }
            public List<nint> Touched { get; } = new();
            public static nint Shared;
            public Report Report;
        }

        public record Frame(nint Start, int Length);

        public struct Report
        {
            public nint Samples;
            public int Frames;
        }

        """;

    /// <summary>
    /// A public member of a public type of a library, of this object or another, that keeps a pointer:
    /// the pointer is the bug for every reader, so the member keeps the offset and its type changes,
    /// under a title that says so. The fixed code of each kind: the store, then the type written.
    /// </summary>
    public static TheoryData<string, string, string, string, string> PublicSlots() => new()
    {
        { "field of another object", "void Keep(Session session, int address) => session.LastPage = {|WVA002:memory.GetPointer() + address|};", "void Keep(Session session, int address) => session.LastPage = address;", "public nint LastPage;", "field 'LastPage'" },
        { "auto-property of another object", "void Keep(Session session, int address) => session.Cursor = {|WVA002:memory.GetPointer() + address|};", "void Keep(Session session, int address) => session.Cursor = address;", "public nint Cursor { get; set; }", "property 'Cursor'" },
        { "static field", "void Keep(int address) => Session.Shared = {|WVA002:memory.GetPointer() + address|};", "void Keep(int address) => Session.Shared = address;", "public static nint Shared;", "field 'Shared'" },
        { "collection element", "void Keep(Session session, int address) => session.Touched.Add({|WVA002:memory.GetPointer() + address|});", "void Keep(Session session, int address) => session.Touched.Add(address);", "public List<nint> Touched { get; } = new();", "property 'Touched'" },
        { "record member", "void Keep(List<Frame> frames, int address, int length) => frames.Add({|WVA002:new Frame(memory.GetPointer() + address, length)|});", "void Keep(List<Frame> frames, int address, int length) => frames.Add(new Frame(address, length));", "public record Frame(nint Start, int Length);", "property 'Start'" },
        { "struct member set by an initializer", "void Keep(Session session, int address, int frames) => session.Report = {|WVA002:new Report { Samples = memory.GetPointer() + address, Frames = frames }|};", "void Keep(Session session, int address, int frames) => session.Report = new Report { Samples = address, Frames = frames };", "public nint Samples;", "field 'Samples'" },
        { "pointers from two memories never read back", "void Keep(Session session, Caller caller, int address)\n{\n    session.LastPage = {|WVA002:memory.GetPointer() + address|};\n    session.LastPage = {|WVA002:caller.GetMemory(\"memory\")!.GetPointer() + address|};\n}", "void Keep(Session session, Caller caller, int address)\n{\n    session.LastPage = address;\n    session.LastPage = address;\n}", "public nint LastPage;", "field 'LastPage'" },
    };

    [Theory]
    [MemberData(nameof(PublicSlots))]
    public async Task PointerInAPublicMemberOfALibrary_KeepsTheOffsetAndSaysItsTypeChanges(string kind, string members, string fixedMembers, string declaration, string named)
    {
        var source = ViewEscapesMethodAnalyzerTests.Host(members) + PublicSlotTypes;
        var fixedSource = ViewEscapesMethodAnalyzerTests.Host(fixedMembers) + PublicSlotTypes.Replace(declaration, declaration.Replace("nint", "int"));
        await Verify.VerifyCodeFixAsync(source, fixedSource, Key);

        var findings = await Verify.GetFixesPerDiagnosticAsync(source.Replace("{|WVA002:", "").Replace("|}", ""));
        Assert.True(findings.Length > 0, kind);
        Assert.All(findings, finding => Assert.Equal($"Keep the guest offset in public {named} instead of the pointer (changes its type)", Assert.Single(finding.Fixes).Title));
    }

    [Fact]
    public Task PointerInAPublicMemberReadWhereTheOneStaticMemoryIsInReach_ReadsObtainThePointerAgain() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        private static Memory s_memory = null!;

        void Keep(int address) => Session.Shared = {|WVA002:s_memory.GetPointer() + address|};

        byte First() => *(byte*)Session.Shared;
        """) + PublicSlotTypes, ViewEscapesMethodAnalyzerTests.Host("""
        private static Memory s_memory = null!;

        void Keep(int address) => Session.Shared = address;

        byte First() => *(byte*)(s_memory.GetPointer() + Session.Shared);
        """) + PublicSlotTypes.Replace("public static nint Shared;", "public static int Shared;"), Key);

    [Fact]
    public async Task PointerInAPublicMemberReadBackWhereItsMemoryIsUnknown_KeepsItsType()
    {
        var titles = await Verify.GetOfferedFixesAsync(ViewEscapesMethodAnalyzerTests.Host("""
            void Keep(Session session, int address) => session.LastPage = memory.GetPointer() + address;

            byte First(Session session) => *(byte*)session.LastPage;

            void Mark(Caller caller, int address)
            {
                Session.Shared = memory.GetPointer() + address;
                Session.Shared = caller.GetMemory("memory")!.GetPointer() + address;
            }

            byte Marked => *(byte*)Session.Shared;

            void Touch(Session session, int address) => session.Touched.Add(memory.GetPointer() + address);

            bool Seen(Session session, nint pointer) => session.Touched.Contains(pointer);
            """) + PublicSlotTypes);

        // The session may come from a host over another memory; the shared pointer may be of either
        // memory; a pointer looked up by value is compared, and an offset of the same bytes is another value.
        Assert.Empty(titles);
    }

    [Fact]
    public async Task PointerInAnInternalMemberOfAnAssemblyThatShowsItsInternals_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            void Receive(Peer peer, int address) => peer.LastSnapshot = memory.GetPointer() + address;
            """).Replace("unsafe partial class Host", "[assembly: InternalsVisibleTo(\"Tests\")]\n\nunsafe partial class Host") + PeerTypes);

        // The other assembly may read the pointer.
        var finding = Assert.Single(findings);
        Assert.Empty(finding.Fixes);
    }

    private const string PluginType = """

        internal sealed unsafe class Plugin
        {
            public Plugin(Memory memory) => Memory = memory;

            public Memory Memory { get; }

            public nint Pointer(int address) => Memory.GetPointer() + address;
        }

        """;

    /// <summary>
    /// A pointer from a helper of yours whose whole body is the memory's pointer plus its parameters
    /// (<c>nint Pointer(int address) =&gt; memory.GetPointer() + address;</c>): the slot keeps the sum
    /// with the call's arguments in their place, and a read obtains the pointer again where the
    /// helper's memory is this object's; a helper of another object fills a slot nothing reads back.
    /// </summary>
    [Fact]
    public Task PointerFromAHelperThatOnlyAddsItsParameters_KeepsTheOffset() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        private nint _last;

        nint Pointer(int address) => memory.GetPointer() + address;

        byte* At(int address, int index)
        {
            return (byte*)memory.GetPointer() + address + index;
        }

        void Keep(int address) => _last = {|WVA002:Pointer(address + 4)|};

        byte Last => *(byte*)_last;

        void Share(Plugin plugin, Peer peer, int address) => peer.LastSnapshot = {|WVA002:plugin.Pointer(address)|};

        void Touch(Peer peer, int address) => peer.Touched.Add({|WVA002:(nint)At(address, 2)|});
        """) + PeerTypes + PluginType, ViewEscapesMethodAnalyzerTests.Host("""
        private int _last;

        nint Pointer(int address) => memory.GetPointer() + address;

        byte* At(int address, int index)
        {
            return (byte*)memory.GetPointer() + address + index;
        }

        void Keep(int address) => _last = address + 4;

        byte Last => *(byte*)(memory.GetPointer() + _last);

        void Share(Plugin plugin, Peer peer, int address) => peer.LastSnapshot = address;

        void Touch(Peer peer, int address) => peer.Touched.Add(address + 2);
        """) + PeerTypes.Replace("public nint LastSnapshot", "public int LastSnapshot").Replace("List<nint>", "List<int>") + PluginType, Key);

    /// <summary>
    /// A helper's pointer the offset cannot be written for: one whose helper calls the guest or reads
    /// a field that may change is fresh where it is stored, so its offset is taken there (the rows
    /// of <see cref="FreshPointerSlots"/>); the plugin's memory is not in reach where its pointer is
    /// read, and a helper whose argument calls the guest is not known to obtain its pointer last.
    /// </summary>
    [Fact]
    public async Task PointerFromAHelperThatCallsTheGuestReadsAFieldOrIsReadBackFromAnotherObject_OnlyTheFreshOnesKeepTheOffset()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private nint _fresh;
            private nint _board;
            private nint _shared;
            private nint _converted;
            private int _boardAddress;

            nint Fresh(int address)
            {
                var at = convert(address);
                return memory.GetPointer() + at;
            }

            nint Board() => memory.GetPointer() + _boardAddress;

            nint Pointer(int address) => memory.GetPointer() + address;

            void Keep(Plugin plugin, int address)
            {
                _fresh = Fresh(address);
                _board = Board();
                _shared = plugin.Pointer(address);
                _converted = Pointer(convert(address));
            }

            int Sum => *(byte*)_fresh + *(byte*)_board + *(byte*)_shared + *(byte*)_converted;
            """) + PluginType);

        var offered = findings.Where(finding => !finding.Fixes.IsEmpty).Select(finding => finding.Diagnostic.GetMessage()).ToList();
        Assert.Equal(2, offered.Count);
        Assert.Contains(offered, message => message.Contains("'Fresh(address)'", StringComparison.Ordinal));
        Assert.Contains(offered, message => message.Contains("'Board()'", StringComparison.Ordinal));
    }

    private const string FreshHelper = """

        nint Board()
        {
            var address = convert(0);
            return memory.GetPointer() + address;
        }

        """;

    /// <summary>
    /// A pointer from a helper of this type that calls the guest and then returns its memory's
    /// pointer plus an address (<c>Board()</c>), which cannot be evaluated again: the slot keeps the
    /// guest offset taken where the pointer is stored, while it is fresh (<c>cells -
    /// memory.GetPointer()</c>), as a native integer, and each read obtains the pointer again. One
    /// row per kind of slot, the pointer stored from the call or from a local declared from it.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string, string> FreshPointerSlots() => new()
    {
        {
            "field, from a local", "private nint _board;", "private nint _board;",
            "void Keep()\n{\n    var cells = Board();\n    _board = {|WVA002:cells|};\n}", "void Keep()\n{\n    var cells = Board();\n    _board = cells - memory.GetPointer();\n}",
            "byte Read() => *(byte*)_board;", "byte Read() => *(byte*)(memory.GetPointer() + _board);"
        },
        {
            "byte pointer field, from a cast call", "private byte* _cells;", "private nint _cells;",
            "void Keep()\n{\n    _cells = {|WVA002:(byte*)Board()|};\n}", "void Keep()\n{\n    _cells = (nint)((byte*)Board()) - memory.GetPointer();\n}",
            "byte Read() => _cells[1];", "byte Read() => ((byte*)(memory.GetPointer() + _cells))[1];"
        },
        {
            "auto-property", "private nint Cells { get; set; }", "private nint Cells { get; set; }",
            "void Keep()\n{\n    Cells = {|WVA002:Board()|};\n}", "void Keep()\n{\n    Cells = Board() - memory.GetPointer();\n}",
            "byte Read() => *(byte*)Cells;", "byte Read() => *(byte*)(memory.GetPointer() + Cells);"
        },
        {
            "list element", "private readonly List<nint> _boards = new();", "private readonly List<nint> _boards = new();",
            "void Keep()\n{\n    _boards.Add({|WVA002:Board()|});\n}", "void Keep()\n{\n    _boards.Add(Board() - memory.GetPointer());\n}",
            "byte Read() => *(byte*)_boards[0];", "byte Read() => *(byte*)(memory.GetPointer() + _boards[0]);"
        },
        {
            "queue element", "private readonly Queue<nint> _boards = new();", "private readonly Queue<nint> _boards = new();",
            "void Keep()\n{\n    var cells = Board();\n    _boards.Enqueue({|WVA002:cells|});\n}", "void Keep()\n{\n    var cells = Board();\n    _boards.Enqueue(cells - memory.GetPointer());\n}",
            "byte Read() => *(byte*)_boards.Dequeue();", "byte Read() => *(byte*)(memory.GetPointer() + _boards.Dequeue());"
        },
        {
            "dictionary value", "private readonly Dictionary<int, nint> _boards = new();", "private readonly Dictionary<int, nint> _boards = new();",
            "void Keep(int move)\n{\n    _boards[move] = {|WVA002:Board()|};\n}", "void Keep(int move)\n{\n    _boards[move] = Board() - memory.GetPointer();\n}",
            "byte Read(int move) => *(byte*)_boards[move];", "byte Read(int move) => *(byte*)(memory.GetPointer() + _boards[move]);"
        },
        {
            "array element", "private readonly nint[] _ring = new nint[4];", "private readonly nint[] _ring = new nint[4];",
            "void Keep(int move)\n{\n    var cells = Board();\n    if (move >= 0)\n    {\n        _ring[move % 4] = {|WVA002:cells|};\n    }\n}", "void Keep(int move)\n{\n    var cells = Board();\n    if (move >= 0)\n    {\n        _ring[move % 4] = cells - memory.GetPointer();\n    }\n}",
            "byte Read() => *(byte*)_ring[0];", "byte Read() => *(byte*)(memory.GetPointer() + _ring[0]);"
        },
        {
            "field in a tuple taken apart", "private nint _board;\nprivate int _move;", "private nint _board;\nprivate int _move;",
            "void Keep(int move)\n{\n    var cells = Board();\n    (_board, _move) = ({|WVA002:cells|}, move);\n}", "void Keep(int move)\n{\n    var cells = Board();\n    (_board, _move) = (cells - memory.GetPointer(), move);\n}",
            "byte Read() => *(byte*)_board;", "byte Read() => *(byte*)(memory.GetPointer() + _board);"
        },
        {
            "field beside an offset written out", "private nint _board;", "private nint _board;",
            "void Keep()\n{\n    _board = {|WVA002:Board()|};\n}\n\nvoid Reset(int address) => _board = {|WVA002:memory.GetPointer() + address|};", "void Keep()\n{\n    _board = Board() - memory.GetPointer();\n}\n\nvoid Reset(int address) => _board = address;",
            "byte Read() => *(byte*)_board;", "byte Read() => *(byte*)(memory.GetPointer() + _board);"
        },
    };

    [Theory]
    [MemberData(nameof(FreshPointerSlots))]
    public Task PointerFromAHelperThatCallsTheGuest_SlotKeepsTheOffsetTakenWhereItIsStored(string kind, string declaration, string fixedDeclaration, string store, string fixedStore, string read, string fixedRead)
    {
        Assert.NotEmpty(kind);
        return Verify.VerifyCodeFixAsync(
            ViewEscapesMethodAnalyzerTests.Host(declaration + "\n" + FreshHelper + store + "\n\n" + read),
            ViewEscapesMethodAnalyzerTests.Host(fixedDeclaration + "\n" + FreshHelper + fixedStore + "\n\n" + fixedRead),
            Key);
    }

    /// <summary>
    /// The twins of <see cref="FreshPointerSlots"/> that keep their type: a guest call between the
    /// local and the store (the pointer may be stale there, so its offset would be wrong), a store
    /// in a loop the local is declared outside of, a local assigned again, a helper of another
    /// object, a set of pointers and a dictionary keyed by them that also hold a pointer of another
    /// memory (two different pointers, equal offsets: <c>Add</c> and <c>Count</c> would tell it),
    /// and a static slot read back by any instance over its own memory.
    /// </summary>
    [Fact]
    public async Task PointerFromAHelperThatCallsTheGuest_StaleAtTheStoreOrInASlotThatTellsPointersApart_KeepsItsType()
    {
        var titles = await Verify.GetOfferedFixesAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private nint _afterCall;
            private nint _inLoop;
            private nint _moved;
            private nint _shared;
            private static nint s_last;
            private readonly HashSet<nint> _seen = new();
            private readonly Dictionary<nint, int> _visits = new();

            void KeepAfterCall()
            {
                var cells = Board();
                reset();
                _afterCall = cells;
            }

            void KeepInLoop(int count)
            {
                var cells = Board();
                for (var i = 0; i < count; i++)
                {
                    _inLoop = cells;
                }
            }

            void KeepMoved(bool next)
            {
                var cells = Board();
                if (next)
                {
                    cells += 4;
                }

                _moved = cells;
            }

            void KeepShared(Other other) => _shared = other.Board();

            void KeepStatic() => s_last = Board();

            void KeepSeen(Caller caller, int address)
            {
                _seen.Add(Board());
                _seen.Add(caller.GetMemory("memory")!.GetPointer() + address);
                _visits.Add(Board(), 1);
                _visits.Add(caller.GetMemory("memory")!.GetPointer() + address, 2);
            }

            int Sum => *(byte*)_afterCall + *(byte*)_inLoop + *(byte*)_moved + *(byte*)_shared + *(byte*)s_last + _seen.Count + _visits.Count;
            """ + FreshHelper) + """

            internal sealed unsafe class Other
            {
                private readonly Memory _memory;
                private readonly Func<int> _next;

                public Other(Memory memory, Func<int> next)
                {
                    _memory = memory;
                    _next = next;
                }

                public nint Board() => _memory.GetPointer() + _next();
            }
            """);

        Assert.DoesNotContain(titles, title => title.StartsWith("Keep the guest offset", StringComparison.Ordinal));
    }

    /// <summary>
    /// A pointer of a wider type moved on by elements (<c>times + 1</c> of a <c>long*</c>) is the
    /// memory's pointer plus the offset and the elements' bytes: the slot keeps that sum.
    /// </summary>
    [Fact]
    public Task PointerOfAWiderTypeMovedOnByElements_KeepsTheOffsetAndTheElementsBytes() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        private readonly List<nint> _recent = new();

        void Keep(int at)
        {
            var times = (long*)((byte*)memory.GetPointer() + at);
            _recent.Add({|WVA002:(nint)(times + 1)|});
        }

        void KeepAt(int at, int index) => _recent.Add({|WVA002:(nint)((long*)((byte*)memory.GetPointer() + at) + index)|});

        long First => *(long*)_recent[0];
        """), ViewEscapesMethodAnalyzerTests.Host("""
        private readonly List<long> _recent = new();

        void Keep(int at)
        {
            _recent.Add(at + 1 * sizeof(long));
        }

        void KeepAt(int at, int index) => _recent.Add(at + (long)index * sizeof(long));

        long First => *(long*)(memory.GetPointer() + _recent[0]);
        """), Key);

    private const string JournalType = """

        internal sealed class Journal
        {
            private readonly List<nint> _recent = new();

            public void Remember(nint occurrence) => _recent.Add(occurrence);

            public int Count => _recent.Count;
        }

        """;

    /// <summary>
    /// A pointer handed to a method of another of your types that a field holds
    /// (<c>_journal.Remember(p)</c>, which adds it to its own list): the helper's slot keeps the
    /// offset, its parameter typed as it, through a private helper of this type too, and a sum over
    /// a wider pointer moved on by an element (<c>times + 1</c> of a <c>long*</c>).
    /// </summary>
    [Fact]
    public Task PointerHandedToAMethodOfAnotherTypeThatStoresIt_ItsSlotKeepsTheOffset() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        private readonly Journal _journal = new();

        private void Track(nint occurrence) => _journal.Remember(occurrence);

        void Keep(int at)
        {
            var times = (long*)((byte*)memory.GetPointer() + at);
            _journal.Remember({|WVA002:(nint)times|});
            Track({|WVA002:(nint)(times + 1)|});
        }
        """) + JournalType, ViewEscapesMethodAnalyzerTests.Host("""
        private readonly Journal _journal = new();

        private void Track(int occurrence) => _journal.Remember(occurrence);

        void Keep(int at)
        {
            var times = (long*)((byte*)memory.GetPointer() + at);
            _journal.Remember(at);
            Track(at + 1 * sizeof(long));
        }
        """) + JournalType.Replace("List<nint>", "List<int>").Replace("Remember(nint", "Remember(int"), Key);

    private const string BlockTypes = """

        internal sealed class Report
        {
            public Block Block { get; } = new();
        }

        internal sealed class Block
        {
            public nint Samples;
            public int Frames;
        }

        internal struct Staged
        {
            public nint Samples;
            public int Frames;
        }

        """;

    /// <summary>
    /// More forms of a private slot: a member a nested initializer sets (<c>Block = { Samples = p }</c>),
    /// a struct made in a local and then kept, and a tuple taken apart where it comes out of a
    /// collection (<c>var (start, length) = _rewind.Pop();</c>), whose pointer is obtained again where
    /// the local is read.
    /// </summary>
    [Fact]
    public Task PointerSetByANestedInitializerMadeInALocalOrTakenApart_KeepsTheOffset() => Verify.VerifyCodeFixAsync(ViewEscapesMethodAnalyzerTests.Host("""
        private Report? _lastReport;
        private Staged _pending;
        private readonly Stack<(nint Start, int Length)> _rewind = new();

        void Render(int address, int frames) => _lastReport = {|WVA002:new Report { Block = { Samples = memory.GetPointer() + address, Frames = frames } }|};

        void Stage(int address, int frames)
        {
            var staged = new Staged { Samples = memory.GetPointer() + address, Frames = frames };
            if (staged.Frames > 0)
            {
                _pending = {|WVA002:staged|};
            }
        }

        void Save(int address, int length) => _rewind.Push({|WVA002:(memory.GetPointer() + address, length)|});

        byte[] Rewind()
        {
            var (start, length) = _rewind.Pop();
            reset();
            return new ReadOnlySpan<byte>((void*)start, length).ToArray();
        }

        int Kept => (_lastReport?.Block.Frames ?? 0) + _pending.Frames;
        """) + BlockTypes, ViewEscapesMethodAnalyzerTests.Host("""
        private Report? _lastReport;
        private Staged _pending;
        private readonly Stack<(int Start, int Length)> _rewind = new();

        void Render(int address, int frames) => _lastReport = new Report { Block = { Samples = address, Frames = frames } };

        void Stage(int address, int frames)
        {
            var staged = new Staged { Samples = address, Frames = frames };
            if (staged.Frames > 0)
            {
                _pending = staged;
            }
        }

        void Save(int address, int length) => _rewind.Push((address, length));

        byte[] Rewind()
        {
            var (start, length) = _rewind.Pop();
            reset();
            return new ReadOnlySpan<byte>((void*)(memory.GetPointer() + start), length).ToArray();
        }

        int Kept => (_lastReport?.Block.Frames ?? 0) + _pending.Frames;
        """) + BlockTypes.Replace("public nint Samples;", "public int Samples;"), Key);

    [Fact]
    public async Task PointerInAStructLocalAssignedAgainOrATupleLocalCompared_KeepsItsType()
    {
        var titles = await Verify.GetOfferedFixesAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private Staged _pending;
            private readonly Stack<(nint Start, int Length)> _rewind = new();

            void Stage(int address, int frames)
            {
                var staged = new Staged { Samples = memory.GetPointer() + address, Frames = frames };
                if (frames > 1)
                {
                    staged = new Staged { Samples = memory.GetPointer() + address + 1, Frames = frames };
                }

                _pending = staged;
            }

            void Save(int address, int length) => _rewind.Push((memory.GetPointer() + address, length));

            bool Rewind()
            {
                var (start, length) = _rewind.Pop();
                return start != 0 && length > 0;
            }

            int Kept => _pending.Frames;
            """) + BlockTypes);

        // The local may hold another struct than the one made where it is declared; an offset of 0 is no null pointer.
        Assert.Empty(titles);
    }

    [Fact]
    public Task PointerInANewCollectionAssignedToAPrivateField_KeepsTheOffset() => VerifyMembers("""
        private List<nint> _watch = new();

        void Watch(int offset)
        {
            var p = memory.GetPointer() + offset;
            _watch = new List<nint> { {|WVA002:p|} };
        }

        int Watched => _watch.Count;
        """, """
        private List<int> _watch = new();

        void Watch(int offset)
        {
            _watch = new List<int> { offset };
        }

        int Watched => _watch.Count;
        """);

    [Fact]
    public Task PointerStoredAtomicallyOrInANullableField_KeepsTheOffset() => VerifyMembers("""
        private static nint s_lastScratch;
        private nint _current;
        private nint? _pinned;

        void Publish(int offset) => Volatile.Write(ref s_lastScratch, {|WVA002:memory.GetPointer() + offset|});

        void Activate(int offset)
        {
            Interlocked.Exchange(ref _current, {|WVA002:memory.GetPointer() + offset|});
        }

        void Pin(int offset) => _pinned = {|WVA002:(nint)((byte*)memory.GetPointer() + offset)|};

        bool IsPinned => _pinned.HasValue;
        """, """
        private static int s_lastScratch;
        private int _current;
        private int? _pinned;

        void Publish(int offset) => Volatile.Write(ref s_lastScratch, offset);

        void Activate(int offset)
        {
            Interlocked.Exchange(ref _current, offset);
        }

        void Pin(int offset) => _pinned = offset;

        bool IsPinned => _pinned.HasValue;
        """);

    [Fact]
    public Task PointerStoredThroughTheHostsOwnStoreHelper_KeepsTheOffset() => VerifyMembers("""
        private static nint s_lastError;
        private nint _current;

        private static void Store<T>(ref T slot, T value) => slot = value;

        private static void Put(ref nint slot, nint value)
        {
            slot = value;
        }

        void Fail(int offset) => Store(ref s_lastError, {|WVA002:memory.GetPointer() + offset|});

        void Activate(int offset)
        {
            Store(ref _current, {|WVA002:memory.GetPointer() + offset|});
            Store(ref _current, {|WVA002:memory.GetPointer() + convert(offset)|});
        }

        byte Current => *(byte*)_current;
        """, """
        private static int s_lastError;
        private int _current;

        private static void Store<T>(ref T slot, T value) => slot = value;

        private static void Put(ref nint slot, nint value)
        {
            slot = value;
        }

        void Fail(int offset) => Store(ref s_lastError, offset);

        void Activate(int offset)
        {
            Store(ref _current, offset);
            Store(ref _current, convert(offset));
        }

        byte Current => *(byte*)(memory.GetPointer() + _current);
        """);

    [Fact]
    public Task PointerHandedThroughTheHostsOwnHelpersIntoAField_KeepsTheOffset() => VerifyMembers("""
        private readonly List<nint> _recent = new();
        private byte* _last;

        void Record(int offset) => Track({|WVA002:memory.GetPointer() + offset|});

        void RecordAt(int offset, int index)
        {
            var pointer = memory.GetPointer() + offset + index;
            Track({|WVA002:pointer|});
        }

        private void Track(nint pointer) => Remember(pointer);

        private void Remember(nint pointer)
        {
            if (_recent.Count == 64)
            {
                _recent.RemoveAt(0);
            }

            _recent.Add(pointer);
        }

        void Keep(int offset)
        {
            void Store(byte* source) => _last = source;
            Store({|WVA002:(byte*)memory.GetPointer() + offset|});
        }

        byte Last => *_last;
        """, """
        private readonly List<int> _recent = new();
        private int _last;

        void Record(int offset) => Track(offset);

        void RecordAt(int offset, int index)
        {
            Track(offset + index);
        }

        private void Track(int offset) => Remember(offset);

        private void Remember(int offset)
        {
            if (_recent.Count == 64)
            {
                _recent.RemoveAt(0);
            }

            _recent.Add(offset);
        }

        void Keep(int offset)
        {
            void Store(int source) => _last = source;
            Store(offset);
        }

        byte Last => *(byte*)(memory.GetPointer() + _last);
        """);

    [Fact]
    public async Task PointerHandedToHelpersThatReadItOrAreCalledOtherwise_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private readonly List<nint> _seen = new();
            private readonly List<nint> _marked = new();
            private readonly List<nint> _noted = new();
            private readonly List<nint> _mixed = new();

            void See(int offset) => Peek(memory.GetPointer() + offset);

            private void Peek(nint pointer)
            {
                Console.WriteLine(*(byte*)pointer);
                _seen.Add(pointer);
            }

            void Mark(int offset) => Keep(memory.GetPointer() + offset);

            private void Keep(nint pointer) => _marked.Add(pointer);

            Action<nint> Marker => Keep;

            void Note(int offset) => NoteAt(memory.GetPointer() + offset);

            protected virtual void NoteAt(nint pointer) => _noted.Add(pointer);

            void Mix(int offset) => Put(memory.GetPointer() + offset);

            void MixNumber(int offset) => Put(offset);

            private void Put(nint pointer) => _mixed.Add(pointer);
            """));

        // Peek reads the pointer itself; Keep is also a delegate its callers do not pass an offset to;
        // NoteAt may be overridden; Put is also handed a plain number, which would become an offset.
        Assert.Equal(4, findings.Length);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public async Task PointerHandedToAHelperThatDoesMoreThanStoreIt_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private nint _current;
            private nint _previous;

            private static void Put(ref nint slot, nint value) => slot = value;

            private static long Swap(ref nint slot, nint value)
            {
                var moved = value - slot;
                slot = value;
                return moved;
            }

            private void Keep(ref nint slot, nint value) => slot = value + 1;

            void Activate(int offset) => Put(ref _current, memory.GetPointer() + offset);

            long Move(int offset) => Swap(ref _current, memory.GetPointer() + offset);

            void Step(int offset) => Keep(ref _previous, memory.GetPointer() + offset);
            """));

        // Put takes a pointer, not the offset (the fix would not compile); Swap subtracts pointers; Keep stores another value.
        Assert.Equal(3, findings.Length);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public async Task PointerExchangedForTheOldOneOrANullableReadAsAValue_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private nint _current;
            private nint? _pinned;

            nint Swap(int offset) => Interlocked.Exchange(ref _current, memory.GetPointer() + offset);

            void Pin(int offset) => _pinned = memory.GetPointer() + offset;

            byte First => *(byte*)_pinned!.Value;
            """));

        // The old pointer Exchange returns would be an offset; a nullable's value read would be one too.
        Assert.Equal(2, findings.Length);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public Task PointersInALocalDictionary_KeepTheOffsets_ReadsObtainThePointerAgain() => VerifyMembers("""
        long SumHot(string[] keys)
        {
            var local = new Dictionary<string, nint>();
            foreach (var key in keys)
            {
                var offset = convert(64);
                local.Add(key, {|WVA002:(nint)((byte*)memory.GetPointer() + offset)|});
            }

            long sum = 0;
            foreach (var pair in local) sum += *(byte*)pair.Value + pair.Key.Length;
            foreach (var (name, value) in local) sum += *(short*)value;
            return sum;
        }

        int PeekTag(string key)
        {
            var slots = new Dictionary<string, nint>();
            slots[key] = {|WVA002:memory.GetPointer() + convert(8)|};
            convert(0);
            return slots.TryGetValue(key, out var slot) ? *(int*)slot : slots.Count;
        }
        """, """
        long SumHot(string[] keys)
        {
            var local = new Dictionary<string, int>();
            foreach (var key in keys)
            {
                var offset = convert(64);
                local.Add(key, offset);
            }

            long sum = 0;
            foreach (var pair in local) sum += *(byte*)(memory.GetPointer() + pair.Value) + pair.Key.Length;
            foreach (var (name, value) in local) sum += *(short*)(memory.GetPointer() + value);
            return sum;
        }

        int PeekTag(string key)
        {
            var slots = new Dictionary<string, int>();
            slots[key] = convert(8);
            convert(0);
            return slots.TryGetValue(key, out var slot) ? *(int*)(memory.GetPointer() + slot) : slots.Count;
        }
        """);

    [Fact]
    public Task PointersInALocalQueueOrStack_KeepTheOffsets_ReadsObtainThePointerAgain() => VerifyMembers("""
        int DrainUploads(int address)
        {
            var uploads = new Queue<(nint Start, int Length)>();
            uploads.Enqueue({|WVA002:((nint)((byte*)memory.GetPointer() + address), 16)|});
            var total = 0;
            while (uploads.TryDequeue(out var upload))
            {
                total += *(byte*)upload.Start + upload.Length;
            }

            return total + uploads.Count;
        }

        int Replay(int address, int count)
        {
            var pending = new Stack<nint>();
            for (var i = 0; i < count; i++)
            {
                pending.Push({|WVA002:memory.GetPointer() + address + i|});
            }

            var sum = 0;
            foreach (var p in pending)
            {
                sum += *(byte*)p;
            }

            return sum + *(byte*)pending.Pop();
        }
        """, """
        int DrainUploads(int address)
        {
            var uploads = new Queue<(int Start, int Length)>();
            uploads.Enqueue((address, 16));
            var total = 0;
            while (uploads.TryDequeue(out var upload))
            {
                total += *(byte*)(memory.GetPointer() + upload.Start) + upload.Length;
            }

            return total + uploads.Count;
        }

        int Replay(int address, int count)
        {
            var pending = new Stack<int>();
            for (var i = 0; i < count; i++)
            {
                pending.Push(address + i);
            }

            var sum = 0;
            foreach (var p in pending)
            {
                sum += *(byte*)(memory.GetPointer() + p);
            }

            return sum + *(byte*)(memory.GetPointer() + pending.Pop());
        }
        """);

    [Fact]
    public async Task PointersInALocalQueueTakenOutWholeOrWithATypedLoop_KeepTheirType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            (nint, int) Whole(int address)
            {
                var uploads = new Queue<(nint Start, int Length)>();
                uploads.Enqueue((memory.GetPointer() + address, 16));
                return uploads.Dequeue();
            }

            int Typed(int address)
            {
                var pending = new List<nint>();
                pending.Add(memory.GetPointer() + address);
                var sum = 0;
                foreach (nint p in pending)
                {
                    sum += *(byte*)p;
                }

                return sum;
            }
            """));

        // A tuple handed on whole would carry an offset where a pointer is expected; a loop variable
        // with a written type casts each element to it.
        Assert.Equal(2, findings.Length);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public async Task PointersInALocalDictionaryHandedOnOrCompared_KeepTheirType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            long Handed(string key)
            {
                var local = new Dictionary<string, nint>();
                local.Add(key, memory.GetPointer() + convert(8));
                convert(0);
                return Sum(local);
            }

            bool Compared(string key)
            {
                var local = new Dictionary<string, nint>();
                local[key] = memory.GetPointer() + convert(8);
                convert(0);
                foreach (var value in local.Values)
                {
                    if (value == 0)
                    {
                        return false;
                    }
                }

                return true;
            }

            static long Sum(Dictionary<string, nint> map) => map.Count;
            """));

        // A dictionary handed on is read by code the fix does not see; an offset of 0 is no null pointer.
        Assert.Equal(2, findings.Length);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public Task PointersInALocalCollectionThatKeepsItsType_StoredAsOffsetsInIt_ReadsObtainThePointerAgain() => VerifyMembers("""
        nint Cell(int i)
        {
            var address = convert(i);
            return memory.GetPointer() + address;
        }

        long FromAHelper(string[] names)
        {
            var cells = new Dictionary<string, nint>();
            for (var i = 0; i < names.Length; i++)
            {
                cells[names[i]] = {|WVA002:Cell(i)|};
            }

            cells["last"] = {|WVA002:Cell(names.Length)|};
            convert(0);
            long sum = 0;
            foreach (var cell in cells.Values) sum += *(byte*)cell;
            return cells.TryGetValue("last", out var last) ? sum + *(byte*)last : sum;
        }

        double WrittenPairType(string[] names, int address)
        {
            Dictionary<string, IntPtr> cells = new Dictionary<string, IntPtr>();
            foreach (string name in names)
            {
                cells.Add(name, {|WVA002:memory.GetPointer() + address|});
            }

            convert(0);
            double sum = 0;
            foreach (KeyValuePair<string, IntPtr> pair in cells) sum += *(double*)pair.Value;
            return sum;
        }

        int WrittenTupleType(int slots)
        {
            Queue<(nint Start, int Length)> pending = new Queue<(nint Start, int Length)>();
            for (int i = 0; i < slots; i++)
            {
                int blob = convert(i);
                pending.Enqueue({|WVA002:(memory.GetPointer() + blob, 4)|});
            }

            int total = 0;
            (nint Start, int Length) slot;
            while (pending.TryDequeue(out slot))
            {
                total += *(byte*)slot.Start + slot.Length;
            }

            return total;
        }

        int StackAndList(int count)
        {
            var stack = new Stack<nint>();
            var list = new List<nint>();
            for (var i = 0; i < count; i++)
            {
                stack.Push({|WVA002:Cell(i)|});
                list.Add({|WVA002:Cell(i + 1)|});
            }

            convert(0);
            return *(int*)stack.Pop() + *(int*)list[0] + list.Count;
        }
        """, """
        nint Cell(int i)
        {
            var address = convert(i);
            return memory.GetPointer() + address;
        }

        long FromAHelper(string[] names)
        {
            var cells = new Dictionary<string, nint>();
            for (var i = 0; i < names.Length; i++)
            {
                cells[names[i]] = Cell(i) - memory.GetPointer();
            }

            cells["last"] = Cell(names.Length) - memory.GetPointer();
            convert(0);
            long sum = 0;
            foreach (var cell in cells.Values) sum += *(byte*)(memory.GetPointer() + cell);
            return cells.TryGetValue("last", out var last) ? sum + *(byte*)(memory.GetPointer() + last) : sum;
        }

        double WrittenPairType(string[] names, int address)
        {
            Dictionary<string, IntPtr> cells = new Dictionary<string, IntPtr>();
            foreach (string name in names)
            {
                cells.Add(name, address);
            }

            convert(0);
            double sum = 0;
            foreach (KeyValuePair<string, IntPtr> pair in cells) sum += *(double*)(memory.GetPointer() + pair.Value);
            return sum;
        }

        int WrittenTupleType(int slots)
        {
            Queue<(nint Start, int Length)> pending = new Queue<(nint Start, int Length)>();
            for (int i = 0; i < slots; i++)
            {
                int blob = convert(i);
                pending.Enqueue((blob, 4));
            }

            int total = 0;
            (nint Start, int Length) slot;
            while (pending.TryDequeue(out slot))
            {
                total += *(byte*)(memory.GetPointer() + slot.Start) + slot.Length;
            }

            return total;
        }

        int StackAndList(int count)
        {
            var stack = new Stack<nint>();
            var list = new List<nint>();
            for (var i = 0; i < count; i++)
            {
                stack.Push(Cell(i) - memory.GetPointer());
                list.Add(Cell(i + 1) - memory.GetPointer());
            }

            convert(0);
            return *(int*)(memory.GetPointer() + stack.Pop()) + *(int*)(memory.GetPointer() + list[0]) + list.Count;
        }
        """);

    [Fact]
    public async Task PointersInALocalCollectionThatKeepsItsType_OfTwoMemoriesComparedStaleOrHandedOn_NoOffsetKept()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            nint Cell(int i)
            {
                var address = convert(i);
                return memory.GetPointer() + address;
            }

            int TwoMemories(Memory other, int count)
            {
                var list = new List<nint>();
                list.Add(Cell(count));
                list.Add(other.GetPointer() + count);
                convert(0);
                return *(int*)list[0] + *(int*)list[1];
            }

            bool Compared(string key)
            {
                var local = new Dictionary<string, nint>();
                local[key] = Cell(1);
                convert(0);
                return local.TryGetValue(key, out var p) && p != 0;
            }

            int StaleWhenStored(int count)
            {
                var list = new List<nint>();
                list.Add(Cell(count) + convert(count));
                return *(int*)list[0];
            }

            int HandedOn(int count)
            {
                var list = new List<nint>();
                list.Add(Cell(count));
                convert(0);
                return Sum(list);
            }

            static int Sum(List<nint> pointers) => pointers.Count;
            """));

        // Offsets of two memories may be equal where their pointers differ; an offset of 0 is no
        // null pointer; a pointer stale when it is stored has no offset to take; a list handed on is
        // read by code the fix does not see.
        Assert.Equal(5, findings.Length);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public Task PointerFromAnOutHelperOrAHelperThatAsksAnotherForTheOffset_StoredRebasedWhileFresh() => VerifyMembers("""
        private nint _lastRun;

        int OffsetOf(int i) => convert(i);

        nint Lookup(int i)
        {
            var at = OffsetOf(i);
            return memory.GetPointer() + at;
        }

        bool TryCell(int i, out nint cell)
        {
            var at = convert(i);
            cell = memory.GetPointer() + at;
            return at != 0;
        }

        long FromALookup(string[] names)
        {
            var local = new Dictionary<string, nint>();
            for (var i = 0; i < names.Length; i++)
            {
                local[names[i]] = {|WVA002:Lookup(i)|};
            }

            if (local.TryGetValue("UTC", out var utc))
            {
                return *(long*)utc;
            }

            return 0;
        }

        int PeekAfterUndo(int box)
        {
            var stack = new Stack<nint>();
            TryCell(box, out var run);
            stack.Push({|WVA002:run|});
            var held = Lookup(box + 1);
            stack.Push({|WVA002:held|});
            convert(box);
            return *(int*)stack.Peek();
        }

        void Remember(int box)
        {
            TryCell(box, out var run);
            _lastRun = {|WVA002:run|};
        }

        int LastRunFirst => *(int*)_lastRun;
        """, """
        private nint _lastRun;

        int OffsetOf(int i) => convert(i);

        nint Lookup(int i)
        {
            var at = OffsetOf(i);
            return memory.GetPointer() + at;
        }

        bool TryCell(int i, out nint cell)
        {
            var at = convert(i);
            cell = memory.GetPointer() + at;
            return at != 0;
        }

        long FromALookup(string[] names)
        {
            var local = new Dictionary<string, nint>();
            for (var i = 0; i < names.Length; i++)
            {
                local[names[i]] = Lookup(i) - memory.GetPointer();
            }

            if (local.TryGetValue("UTC", out var utc))
            {
                return *(long*)(memory.GetPointer() + utc);
            }

            return 0;
        }

        int PeekAfterUndo(int box)
        {
            var stack = new Stack<nint>();
            TryCell(box, out var run);
            stack.Push(run - memory.GetPointer());
            var held = Lookup(box + 1);
            stack.Push(held - memory.GetPointer());
            convert(box);
            return *(int*)(memory.GetPointer() + stack.Peek());
        }

        void Remember(int box)
        {
            TryCell(box, out var run);
            _lastRun = run - memory.GetPointer();
        }

        int LastRunFirst => *(int*)(memory.GetPointer() + _lastRun);
        """);

    [Fact]
    public async Task PointerFromAnOutHelperThatMayGiveNoneOrStaleBeforeItIsStored_NoOffsetKept()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private nint _lastRun;

            bool TryCell(int i, out nint cell)
            {
                if (i < 0)
                {
                    cell = 0;
                    return false;
                }

                cell = memory.GetPointer() + convert(i);
                return true;
            }

            nint Lookup(int i)
            {
                var at = convert(i);
                return memory.GetPointer() + at;
            }

            int MayBeNone(int box)
            {
                var stack = new Stack<nint>();
                TryCell(box, out var run);
                stack.Push(run);
                convert(box);
                return *(int*)stack.Peek();
            }

            int NoneWhenNotFound(int box)
            {
                var stack = new Stack<nint>();
                stack.Push(box > 0 ? Lookup(box) : 0);
                convert(box);
                return *(int*)stack.Peek();
            }

            int StaleWhenPushed(int box)
            {
                var stack = new Stack<nint>();
                var held = Lookup(box);
                convert(box);
                stack.Push(held);
                return *(int*)stack.Peek();
            }

            void RememberStale(int box)
            {
                var held = Lookup(box);
                convert(box);
                _lastRun = held;
            }

            int LastRunFirst => *(int*)_lastRun;
            """));

        // A helper (or a conditional) that gives 0 for none: the offset of 0 would become the memory's base. A pointer
        // a guest call may have moved before it is stored has no offset to take.
        Assert.Equal(4, findings.Count(f => f.Diagnostic.Id == "WVA002"));
        Assert.DoesNotContain(findings.Where(f => f.Diagnostic.Id == "WVA002").SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    [Fact]
    public Task RecordsHoldingAPointerInALocalList_KeepTheOffset_ReadsOfItsObjectsObtainThePointerAgain() => VerifyMembers("""
        private sealed record Hunk(int Start, int Length, nint Text);

        List<string> Diff(int count)
        {
            var hunks = new List<Hunk>();
            for (var i = 0; i < count; i++)
            {
                var text = convert(i);
                hunks.Add({|WVA002:new Hunk(i, 4, memory.GetPointer() + text)|});
            }

            convert(0);
            var lines = new List<string>();
            foreach (var hunk in hunks)
            {
                lines.Add(Encoding.UTF8.GetString((byte*)hunk.Text, hunk.Length));
            }

            return lines;
        }

        int First(int at)
        {
            var hunks = new List<Hunk>();
            hunks.Add({|WVA002:new Hunk(0, 1, memory.GetPointer() + at)|});
            convert(0);
            return hunks.Count + *(byte*)hunks[0].Text;
        }
        """, """
        private sealed record Hunk(int Start, int Length, int Text);

        List<string> Diff(int count)
        {
            var hunks = new List<Hunk>();
            for (var i = 0; i < count; i++)
            {
                var text = convert(i);
                hunks.Add(new Hunk(i, 4, text));
            }

            convert(0);
            var lines = new List<string>();
            foreach (var hunk in hunks)
            {
                lines.Add(Encoding.UTF8.GetString((byte*)(memory.GetPointer() + hunk.Text), hunk.Length));
            }

            return lines;
        }

        int First(int at)
        {
            var hunks = new List<Hunk>();
            hunks.Add(new Hunk(0, 1, at));
            convert(0);
            return hunks.Count + *(byte*)(memory.GetPointer() + hunks[0].Text);
        }
        """);

    [Fact]
    public async Task RecordsHoldingAPointerInALocalListReturnedGivenAnotherObjectOrOfTwoMemories_KeepTheirType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private sealed record Returned(int Start, nint Text);
            private sealed record Given(int Start, nint Text);
            private sealed record TwoMemories(int Start, nint Text);
            private sealed record InALambda(int Start, nint Text);

            List<Returned> ReturnedList(int at)
            {
                var hunks = new List<Returned>();
                hunks.Add(new Returned(0, memory.GetPointer() + at));
                convert(0);
                foreach (var hunk in hunks) Console.WriteLine(*(byte*)hunk.Text);
                return hunks;
            }

            int GivenAnother(Given other, int at)
            {
                var hunks = new List<Given>();
                hunks.Add(new Given(0, memory.GetPointer() + at));
                hunks.Add(other);
                convert(0);
                return *(byte*)hunks[0].Text;
            }

            int OfTwoMemories(Memory other, int at)
            {
                var hunks = new List<TwoMemories>();
                hunks.Add(new TwoMemories(0, memory.GetPointer() + at));
                hunks.Add(new TwoMemories(1, other.GetPointer() + at));
                convert(0);
                return *(byte*)hunks[0].Text;
            }

            int ReadInALambda(int at)
            {
                var hunks = new List<InALambda>();
                hunks.Add(new InALambda(0, memory.GetPointer() + at));
                convert(0);
                var sum = 0;
                hunks.ForEach(h => sum += *(byte*)h.Text);
                return sum;
            }
            """));

        // Objects made over another memory do not say which memory their offsets are in. The list
        // handed back by a private method, the object given to one and the lambda's parameter are
        // not followed back to the list, but every one of these records is made and read by this
        // host alone, over its memory: the host-wide change keeps the offset in them.
        Assert.Equal(5, findings.Length);
        var refused = findings.Where(f => f.Fixes.All(fix => fix.Title != "Keep the guest offset instead of the pointer")).ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, f => Assert.Contains("TwoMemories", f.Diagnostic.Location.SourceTree!.GetText().GetSubText(f.Diagnostic.Location.SourceSpan).ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public Task RecordsHoldingAPointerMadeAndReadOnlyByTheirHost_KeepTheOffset_EveryReadObtainsThePointerAgain() => VerifyMembersWithLinq("""
        private sealed record StopRef(string Id, nint Entry, int Transfers);
        private struct Glyph { public int Code; public byte* Pixels; }
        private readonly List<StopRef> _stops = new();
        private readonly Dictionary<string, StopRef> _byId = new();
        private readonly Queue<Glyph> _glyphs = new();

        public void Index(string id, int offset)
        {
            var stop = new StopRef(id, memory.GetPointer() + offset, 1);
            _stops.Add({|WVA002:stop|});
            _byId[id] = {|WVA002:stop|};
            _glyphs.Enqueue({|WVA002:new Glyph { Code = offset, Pixels = (byte*)memory.GetPointer() + offset }|});
        }

        public int FirstEntry()
        {
            convert(0);
            return *(int*)_stops[0].Entry + _stops.Count;
        }

        public int EntryOf(string id) => _byId.TryGetValue(id, out var stop) ? *(int*)stop.Entry : 0;

        public int Sum()
        {
            var sum = 0;
            foreach (var stop in _stops.Where(s => s.Transfers > 0))
            {
                sum += *(int*)stop.Entry;
            }

            return sum + _stops.Sum(s => *(byte*)s.Entry);
        }

        public byte NextPixel() => _glyphs.Dequeue().Pixels[0];
        """, """
        private sealed record StopRef(string Id, int Entry, int Transfers);
        private struct Glyph { public int Code; public int Pixels; }
        private readonly List<StopRef> _stops = new();
        private readonly Dictionary<string, StopRef> _byId = new();
        private readonly Queue<Glyph> _glyphs = new();

        public void Index(string id, int offset)
        {
            var stop = new StopRef(id, offset, 1);
            _stops.Add(stop);
            _byId[id] = stop;
            _glyphs.Enqueue(new Glyph { Code = offset, Pixels = offset });
        }

        public int FirstEntry()
        {
            convert(0);
            return *(int*)(memory.GetPointer() + _stops[0].Entry) + _stops.Count;
        }

        public int EntryOf(string id) => _byId.TryGetValue(id, out var stop) ? *(int*)(memory.GetPointer() + stop.Entry) : 0;

        public int Sum()
        {
            var sum = 0;
            foreach (var stop in _stops.Where(s => s.Transfers > 0))
            {
                sum += *(int*)(memory.GetPointer() + stop.Entry);
            }

            return sum + _stops.Sum(s => *(byte*)(memory.GetPointer() + s.Entry));
        }

        public byte NextPixel() => ((byte*)(memory.GetPointer() + _glyphs.Dequeue().Pixels))[0];
        """);

    /// <summary>A host of its own around <paramref name="members"/>, which keep <c>Stop(int Id, nint Entry)</c> records in <c>_stops</c>.</summary>
    private static string StopHost(string name, string members) => $$"""

        sealed unsafe class {{name}}
        {
            private sealed record Stop(int Id, nint Entry);
            private readonly Memory _memory;
            private readonly Memory _other;
            private readonly Func<int, int> _call;
            private readonly List<Stop> _stops = new();

            public {{name}}(Instance instance)
            {
                _memory = instance.GetMemory("memory")!;
                _other = instance.GetMemory("other")!;
                _call = instance.GetFunction<int, int>("call")!;
            }

        {{members}}
        }
        """;

    [Theory]
    [InlineData("FromAnother", "public int Read(FromAnother other) { _stops.AddRange(other._stops); return *(byte*)_stops[0].Entry; }")]
    [InlineData("TakenIn", "public void Take(object item) => _stops.Add((Stop)item);\npublic int Read() => *(byte*)_stops[0].Entry;")]
    [InlineData("Compared", "public int Read() => _stops[0] == _stops[^1] ? 0 : *(byte*)_stops[0].Entry;")]
    [InlineData("Contained", "public int Read(int id) => _stops.Contains(new Stop(id, 0)) ? 0 : *(byte*)_stops[0].Entry;")]
    [InlineData("Printed", "public string Read() => $\"{_stops[0]}\" + *(byte*)_stops[0].Entry;")]
    [InlineData("Boxed", "public object Last => _stops[0];\npublic int Read() => *(byte*)_stops[0].Entry;")]
    [InlineData("InStatic", "private static readonly List<Stop> s_all = new();\npublic int Read() { s_all.AddRange(_stops); return *(byte*)s_all[0].Entry; }")]
    [InlineData("TwoMemories", "public void KeepOther(int offset) => _stops.Add(new Stop(1, _other.GetPointer() + offset));\npublic int Read() => *(byte*)_stops[0].Entry;")]
    [InlineData("MadeElsewhere", "public int Read() => *(byte*)_stops[0].Entry;\nprivate static Stop Made(Memory memory) => new(2, memory.GetPointer());")]
    public async Task RecordsHoldingAPointerThatMayComeFromAnotherHostOrShowTheirPointer_KeepTheirType(string name, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("") + StopHost(name, """
            public void Keep(int offset)
            {
                _stops.Add(new Stop(0, _memory.GetPointer() + offset));
                _call(0);
            }

            """ + members.Replace("\n", "\n    ", StringComparison.Ordinal)));

        // Another host's objects are over its memory, and an object taken in as object or kept in
        // static state may be another host's; a comparison and a string see the pointer; a boxed
        // object may come back; an object made over another memory, or outside the host's
        // instance, does not say which memory its offset is in.
        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title.StartsWith("Keep the guest offset", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RecordsHoldingAPointerMadeAndReadOnlyByTheirHost_TheTwinOfTheNearMisses_KeepTheOffset()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("") + StopHost("Kept", """
            public void Keep(int offset)
            {
                _stops.Add(new Stop(0, _memory.GetPointer() + offset));
                _call(0);
            }

            public int Read() => *(byte*)_stops[0].Entry;
            """));

        // The near-misses above differ from this host by one member each: it is what refuses them.
        Assert.Contains(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Keep the guest offset instead of the pointer");
    }

    // ------------------------------------------------------------------ obtain the view where the lambda runs

    [Fact]
    public Task PointerReadByHandlersThatRunLater_ObtainedWhereTheyRun() => VerifyMembers("""
        public event Action? Sent;
        private Func<int>? _pendingRead;

        void Watch(int address, CancellationToken token)
        {
            var flag = (int*)((byte*)memory.GetPointer() + address);
            token.Register(() => Console.WriteLine(*{|WVA002:flag|}));
        }

        void OnSend(int address)
        {
            var header = (byte*)memory.GetPointer() + address;
            Sent += () => Console.WriteLine({|WVA002:header|}[0]);
        }

        void Arm(int address)
        {
            var value = (int*)((byte*)memory.GetPointer() + address);
            _pendingRead = () =>
            {
                var current = *{|WVA002:value|};
                return current + 1;
            };
            Console.WriteLine(*value);
        }
        """, """
        public event Action? Sent;
        private Func<int>? _pendingRead;

        void Watch(int address, CancellationToken token)
        {
            token.Register(() => Console.WriteLine(*(int*)((byte*)memory.GetPointer() + address)));
        }

        void OnSend(int address)
        {
            Sent += () => Console.WriteLine(((byte*)memory.GetPointer() + address)[0]);
        }

        void Arm(int address)
        {
            var value = (int*)((byte*)memory.GetPointer() + address);
            _pendingRead = () =>
            {
                var current = *(int*)((byte*)memory.GetPointer() + address);
                return current + 1;
            };
            Console.WriteLine(*value);
        }
        """);

    /// <summary>Each way of queueing work once, and its form with a source that cannot be evaluated again.</summary>
    public static TheoryData<string, string> QueuedOnce() => new()
    {
        { "Task.Run(() => Console.WriteLine(Sum({|WVA002:p|})));", "Task.Run(() => Console.WriteLine(Sum((int*)((byte*)memory.GetPointer() + address))));" },
        { "Task.Factory.StartNew(() => Console.WriteLine(Sum({|WVA002:p|})));", "Task.Factory.StartNew(() => Console.WriteLine(Sum((int*)((byte*)memory.GetPointer() + address))));" },
        { "ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(Sum({|WVA002:p|})));", "ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(Sum((int*)((byte*)memory.GetPointer() + address))));" },
        { "new Thread(() => Console.WriteLine(Sum({|WVA002:p|}))).Start();", "new Thread(() => Console.WriteLine(Sum((int*)((byte*)memory.GetPointer() + address)))).Start();" },
        { "_work.Add(() => *{|WVA002:p|} = 1);", "_work.Add(() => *(int*)((byte*)memory.GetPointer() + address) = 1);" },
        { "Action work = () => Console.WriteLine(Sum(p)); _work.Add({|WVA002:work|});", "Action work = () => Console.WriteLine(Sum((int*)((byte*)memory.GetPointer() + address))); _work.Add(work);" },
    };

    [Theory]
    [MemberData(nameof(QueuedOnce))]
    public Task PointerInWorkQueuedOnce_ObtainedWhereTheWorkRuns(string queue, string fixedQueue) => VerifyMembers($$"""
        private readonly List<Action> _work = new();

        static int Sum(int* values) => values[0] + values[1];

        void Later(int address)
        {
            var p = (int*)((byte*)memory.GetPointer() + address);
            {{queue}}
        }
        """, $$"""
        private readonly List<Action> _work = new();

        static int Sum(int* values) => values[0] + values[1];

        void Later(int address)
        {
            {{fixedQueue}}
        }
        """);

    [Theory]
    [MemberData(nameof(QueuedOnce))]
    public async Task PointerInWorkQueuedOnce_FromASourceThatMayChangeOrCallsTheGuest_NotObtainedWhereTheWorkRuns(string queue, string unused)
    {
        _ = unused;

        // The address is assigned after the work is queued, or the pointer comes from a helper that
        // calls the guest (evaluated again, it would run the guest on the worker).
        queue = System.Text.RegularExpressions.Regex.Replace(queue, @"\{\|WVA002:(\w+)\|\}", "$1");
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host($$"""
            private readonly List<Action> _work = new();

            static int Sum(int* values) => values[0] + values[1];

            void Later(int address)
            {
                var p = (int*)((byte*)memory.GetPointer() + address);
                {{queue}}
                address++;
            }

            int* Allocated() => (int*)((byte*)memory.GetPointer() + (int)instance.GetFunction("alloc")!.Invoke(4)!);

            void Allocating()
            {
                var p = Allocated();
                {{queue}}
            }
            """));

        Assert.Equal(2, findings.Count(f => f.Diagnostic.Id == "WVA002"));
        Assert.All(findings, f => Assert.DoesNotContain(ObtainInFunctionTitle, f.Fixes.Select(a => a.Title)));
    }

    [Fact]
    public Task PointerReadByAHostFunctionCallback_ObtainedEachTimeTheGuestCallsIt() => VerifyMembers("""
        void Link(Store store, Linker linker, long offset)
        {
            nint configBase = (nint)((byte*)memory.GetPointer() + offset);
            linker.Define("child", "config_byte", Function.FromCallback(store, (int index) => (int)((byte*){|WVA002:configBase|})[index]));
            var table = (byte*)memory.GetPointer() + offset;
            linker.DefineFunction("child", "table_byte", (int index) => (int){|WVA002:table|}[index]);
        }
        """, """
        void Link(Store store, Linker linker, long offset)
        {
            linker.Define("child", "config_byte", Function.FromCallback(store, (int index) => (int)((byte*)(nint)((byte*)memory.GetPointer() + offset))[index]));
            linker.DefineFunction("child", "table_byte", (int index) => (int)((byte*)memory.GetPointer() + offset)[index]);
        }
        """);

    [Fact]
    public Task PointerInWorkQueuedOnce_TheValueItReadsIsReadWhereTheWorkIsQueued() => VerifyMembers("""
        private readonly List<Action> _flushers = new();

        void Later(int address)
        {
            var header = (long*)((byte*)memory.GetPointer() + address);
            ThreadPool.QueueUserWorkItem(_ => Console.WriteLine({|WVA002:header|}[0] + header[0]));
            var counter = (nint)((byte*)memory.GetPointer() + address);
            _flushers.Add(() => Console.WriteLine(*(int*){|WVA002:counter|}));
        }
        """, """
        private readonly List<Action> _flushers = new();

        void Later(int address)
        {
            var header = (long*)((byte*)memory.GetPointer() + address);
            var headerValue = header[0];
            ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(headerValue + headerValue));
            var counter = (nint)((byte*)memory.GetPointer() + address);
            var counterValue = *(int*)counter;
            _flushers.Add(() => Console.WriteLine(counterValue));
        }
        """);

    [Fact]
    public Task PointerInWorkQueuedOnce_TheBytesItReadsIntoAStringOrArrayAreReadWhereTheWorkIsQueued() => VerifyMembers("""
        private readonly List<Action> _flushers = new();

        void Later(int address, int length)
        {
            var start = (byte*)memory.GetPointer() + address;
            _flushers.Add(() => Console.Out.Write(System.Text.Encoding.UTF8.GetString({|WVA002:start|}, length)));
            var text = memory.GetPointer() + address;
            Task.Run(() => Console.WriteLine(System.Runtime.InteropServices.Marshal.PtrToStringUTF8({|WVA002:text|}, length)));
            var bytes = (byte*)memory.GetPointer() + address;
            ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(new ReadOnlySpan<byte>({|WVA002:bytes|}, length).ToArray().Length + 1));
        }
        """, """
        private readonly List<Action> _flushers = new();

        void Later(int address, int length)
        {
            var start = (byte*)memory.GetPointer() + address;
            var startValue = System.Text.Encoding.UTF8.GetString(start, length);
            _flushers.Add(() => Console.Out.Write(startValue));
            var text = memory.GetPointer() + address;
            var textValue = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(text, length);
            Task.Run(() => Console.WriteLine(textValue));
            var bytes = (byte*)memory.GetPointer() + address;
            var bytesValue = new ReadOnlySpan<byte>(bytes, length).ToArray();
            ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(bytesValue.Length + 1));
        }
        """);

    [Fact]
    public async Task PointerInWorkQueuedOnce_NoCopyOfTheBytesWhereTheLengthMayChangeBeforeItRuns()
    {
        // The length is the lambda's own parameter, assigned after the work is queued, or a field
        // that may change meanwhile: read where the work is queued, the bytes would not be the same.
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            private int _length;
            private readonly List<Func<int, string>> _readers = new();

            void Later(int address, int length)
            {
                var start = (byte*)memory.GetPointer() + address;
                _readers.Add(n => System.Text.Encoding.UTF8.GetString(start, n));
                var text = memory.GetPointer() + address;
                Task.Run(() => Console.WriteLine(System.Runtime.InteropServices.Marshal.PtrToStringUTF8(text, length)));
                length++;
                var bytes = (byte*)memory.GetPointer() + address;
                Task.Run(() => Console.WriteLine(new ReadOnlySpan<byte>(bytes, _length).ToArray().Length));
            }
            """));

        // The pointer itself does not depend on the length: the work obtains it where it runs.
        Assert.Equal(3, findings.Count(f => f.Diagnostic.Id == "WVA002"));
        Assert.All(findings, f => Assert.Equal(new[] { ObtainInFunctionTitle }, f.Fixes.Select(a => a.Title)));
    }

    [Fact]
    public async Task PointerInWorkQueuedOnce_NoCopyWhereTheWorkWritesOrReadsMoreThanOneValue()
    {
        // No value read before the work where it writes through the pointer, reads at an index it
        // computes, or reads two different values: it obtains the pointer where it runs, which
        // reads and writes what it did, unless the local is assigned again (moved = null).
        var findings = await Verify.GetFixesPerDiagnosticAsync(ViewEscapesMethodAnalyzerTests.Host("""
            void Later(int address, int index)
            {
                var header = (long*)((byte*)memory.GetPointer() + address);
                ThreadPool.QueueUserWorkItem(_ => header[0] = 1);
                var start = (byte*)memory.GetPointer() + address;
                ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(start[index]));
                var pair = (int*)((byte*)memory.GetPointer() + address);
                ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(pair[0] + pair[1]));
                var moved = (byte*)memory.GetPointer() + address;
                Task.Run(() => Console.WriteLine(*moved));
                moved = null;
            }
            """));

        Assert.Equal(4, findings.Count(f => f.Diagnostic.Id == "WVA002"));
        Assert.Equal(new[] { 1, 1, 1, 0 }, findings.OrderBy(f => f.Diagnostic.Location.SourceSpan.Start).Select(f => f.Fixes.Count(a => a.Title == ObtainInFunctionTitle)));
        Assert.All(findings, f => Assert.All(f.Fixes, a => Assert.Equal(ObtainInFunctionTitle, a.Title)));
    }

    // ------------------------------------------------------------------ copies in helpers and initializers

    [Fact]
    public Task RecordsFromAHelper_TheHelperReturnsCopies() => VerifyMembers("""
        private sealed record Output(string Name, ReadOnlyMemory<byte> Bytes, int Count);

        private Output Render(string name, int address, int count)
            => new Output(name, new PointerManager((byte*)memory.GetPointer() + address, count).Memory, count);

        void Collect(Dictionary<string, Output> outputs, string name, int address)
        {
            outputs.Add(name, {|WVA002:Render(name, address, convert(address))|});
        }

        void Replace(Dictionary<string, Output> outputs, string name, int address)
        {
            outputs[name] = {|WVA002:Render(name, address, 16)|};
        }
        """ + PointerMemoryManager.Source, """
        private sealed record Output(string Name, ReadOnlyMemory<byte> Bytes, int Count);

        private Output Render(string name, int address, int count)
            => new Output(name, new PointerManager((byte*)memory.GetPointer() + address, count).Memory.ToArray(), count);

        void Collect(Dictionary<string, Output> outputs, string name, int address)
        {
            outputs.Add(name, Render(name, address, convert(address)));
        }

        void Replace(Dictionary<string, Output> outputs, string name, int address)
        {
            outputs[name] = Render(name, address, 16);
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task MemoryInAnObjectInitializer_CopiedAsTheMembersValue() => VerifyMembers("""
        private struct Cached
        {
            public ReadOnlyMemory<byte> Bytes;
            public long Version;
        }

        private readonly Dictionary<int, Cached> _versions = new();

        void Keep(int key, int length, long version)
        {
            _versions[key] = {|WVA002:new Cached { Bytes = new PointerManager((byte*)memory.GetPointer(), length).Memory, Version = version }|};
        }
        """ + PointerMemoryManager.Source, """
        private struct Cached
        {
            public ReadOnlyMemory<byte> Bytes;
            public long Version;
        }

        private readonly Dictionary<int, Cached> _versions = new();

        void Keep(int key, int length, long version)
        {
            _versions[key] = new Cached { Bytes = new PointerManager((byte*)memory.GetPointer(), length).Memory.ToArray(), Version = version };
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task ViewStreamInAPrivateSlotTypedUnmanagedMemoryStream_SlotRetypedToStream() => VerifyMembers("""
        private readonly List<(string Name, UnmanagedMemoryStream Content)> _pending = new();

        void Queue(string name, int address, int length)
        {
            _pending.Add({|WVA002:(name, new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length))|});
        }

        void Flush(Stream destination)
        {
            foreach (var (_, content) in _pending)
            {
                content.CopyTo(destination);
            }
        }
        """, """
        private readonly List<(string Name, Stream Content)> _pending = new();

        void Queue(string name, int address, int length)
        {
            _pending.Add((name, new MemoryStream(memory.GetSpan(address, length).ToArray())));
        }

        void Flush(Stream destination)
        {
            foreach (var (_, content) in _pending)
            {
                content.CopyTo(destination);
            }
        }
        """);
}
