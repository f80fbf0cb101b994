using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.ViewEscapesMethodAnalyzer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>WVA002: every way a view outlives the method that obtained it; each with its near miss.</summary>
public sealed class ViewEscapesMethodAnalyzerTests
{
    internal const string Usings = "using System;\nusing System.Collections.Concurrent;\nusing System.Threading;\nusing System.Threading.Channels;\nusing System.Threading.Tasks;\n";

    internal static string Host(string members) => HostCode.WithMembers(members).Replace("using System;\n", Usings);

    private static Task VerifyMembers(string members, bool withRuntimeLibrary = false)
        => Verify.VerifyAnalyzerAsync(Host(members), withRuntimeLibrary, OutputKind.DynamicallyLinkedLibrary);

    // ------------------------------------------------------------------ fields and properties

    [Fact]
    public Task MemoryManagerKeepsThePointerItTakes_ReportedWhereTheManagerIsKept() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Buffers;
        using Wasmtime;

        sealed unsafe class GuestMemory : MemoryManager<byte>
        {
            private readonly byte* _pointer;
            private readonly int _length;

            public GuestMemory(Memory memory, int address, int length)
            {
                _pointer = (byte*)memory.GetPointer() + address;
                _length = length;
            }

            public override Span<byte> GetSpan() => new Span<byte>(_pointer, _length);
            public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);
            public override void Unpin() { }
            protected override void Dispose(bool disposing) { }
        }

        class Host
        {
            private ReadOnlyMemory<byte> _last;

            void Keep(Memory memory, int address)
            {
                _last = {|WVA002:new GuestMemory(memory, address, 8).Memory|};
            }
        }
        """);

    [Fact]
    public Task PointerStoredInInstanceField_Reports() => VerifyMembers("""
        private byte* _last;
        void Run() => _last = {|WVA002:(byte*)memory.GetPointer()|};
        """);

    [Fact]
    public Task AddressStoredInStaticField_Reports() => VerifyMembers("""
        private static nint s_address;
        void Run(int offset)
        {
            var address = memory.GetPointer() + offset;
            s_address = {|WVA002:address|};
        }
        """);

    [Fact]
    public Task AddressStoredInLongFieldThroughThis_Reports() => VerifyMembers("""
        private long _address;
        void Run() => this._address = {|WVA002:(long)memory.GetPointer()|};
        """);

    [Fact]
    public Task StreamStoredInAutoProperty_Reports() => VerifyMembers("""
        public Stream? Output { get; private set; }
        void Run(int length)
        {
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), length);
            Output = {|WVA002:stream|};
        }
        """);

    [Fact]
    public Task ManagerMemoryStoredInStaticProperty_Reports() => VerifyMembers("""
        public static ReadOnlyMemory<byte> Pending { get; set; }
        void Run(int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            Pending = {|WVA002:manager.Memory|};
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task TupleHoldingPointerStoredInField_Reports() => VerifyMembers("""
        private (nint Address, int Length) _pending;
        void Run(int length) => _pending = {|WVA002:(memory.GetPointer(), length)|};
        """);

    [Fact]
    public Task RecordHoldingAddressStoredInField_Reports() => VerifyMembers("""
        private record struct Region(nint Address, int Length);
        private Region _region;
        void Run(int length)
        {
            var region = new Region(memory.GetPointer(), length);
            _region = {|WVA002:region|};
        }
        """);

    [Fact]
    public Task CopyStoredInField_NoDiagnostic() => VerifyMembers("""
        private byte[]? _last;
        private ReadOnlyMemory<byte> _memory;
        private int _first;
        void Run()
        {
            _last = memory.GetSpan(0, 16).ToArray();
            _memory = memory.GetSpan(0, 16).ToArray();
            _first = memory.GetSpan(0, 16)[0];
        }
        """);

    [Fact]
    public Task LengthAndIntStoredInFields_NoDiagnostic() => VerifyMembers("""
        private int _length;
        private long _size;
        void Run(int length)
        {
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), length);
            _length = (int)stream.Length;
            _size = memory.GetLength();
        }
        """);

    [Fact]
    public Task ViewReturned_NoDiagnostic() => VerifyMembers("""
        nint Address(int offset) => memory.GetPointer() + offset;
        Stream Open(int length) => new UnmanagedMemoryStream((byte*)memory.GetPointer(), length);
        (nint, int) Region(int length) { var region = (memory.GetPointer(), length); return region; }
        """);

    [Fact]
    public Task FieldOfLocalHolder_NoDiagnostic() => VerifyMembers("""
        private sealed class Box { public nint Address; }
        int Run()
        {
            var box = new Box();
            box.Address = memory.GetPointer();
            return *(byte*)box.Address;
        }
        """);

    // ------------------------------------------------------------------ collections

    [Fact]
    public Task StreamQueuedInLocalList_Reports() => VerifyMembers("""
        void Run(string name, int length)
        {
            var pending = new List<(string Name, UnmanagedMemoryStream Content)>();
            pending.Add({|WVA002:(name, new UnmanagedMemoryStream((byte*)memory.GetPointer(), length))|});
        }
        """);

    [Fact]
    public Task PointerEnqueuedInFieldQueue_Reports() => VerifyMembers("""
        private readonly Queue<nint> _queue = new();
        void Run() => _queue.Enqueue({|WVA002:memory.GetPointer()|});
        """);

    [Fact]
    public Task MemoryPushedOnStackAndAddedToSet_Reports() => VerifyMembers("""
        void Run(Stack<ReadOnlyMemory<byte>> stack, HashSet<nint> seen, int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            stack.Push({|WVA002:manager.Memory|});
            seen.Add({|WVA002:memory.GetPointer()|});
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task DictionaryIndexerAndAdd_Reports() => VerifyMembers("""
        private readonly Dictionary<string, nint> _byName = new();
        void Run(string name)
        {
            var address = memory.GetPointer();
            _byName[name] = {|WVA002:address|};
            _byName.Add(name + "2", {|WVA002:address|});
        }
        """);

    [Fact]
    public Task CollectionInitializer_Reports() => VerifyMembers("""
        private List<nint>? _addresses;
        void Run()
        {
            var address = memory.GetPointer();
            _addresses = new List<nint> { {|WVA002:address|} };
        }
        """);

    [Fact]
    public Task ConcurrentQueueAndBlockingCollection_Reports() => VerifyMembers("""
        void Run(ConcurrentQueue<nint> queue, BlockingCollection<Stream> outputs, int length)
        {
            var address = memory.GetPointer();
            queue.Enqueue({|WVA002:address|});
            outputs.Add({|WVA002:new UnmanagedMemoryStream((byte*)address, length)|});
        }
        """);

    [Fact]
    public Task ChannelWriter_Reports() => VerifyMembers("""
        ValueTask Run(Channel<ReadOnlyMemory<byte>> channel, int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            var view = manager.Memory;
            channel.Writer.TryWrite({|WVA002:view|});
            return channel.Writer.WriteAsync({|WVA002:view|});
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task OwnCollectionImplementingICollection_Reports() => VerifyMembers("""
        private sealed class Batch : System.Collections.ObjectModel.Collection<nint> { }
        private sealed class Ring : ICollection<nint>
        {
            private readonly List<nint> _items = new();
            public int Count => _items.Count;
            public bool IsReadOnly => false;
            public void Add(nint item) => _items.Add(item);
            public void Clear() => _items.Clear();
            public bool Contains(nint item) => _items.Contains(item);
            public void CopyTo(nint[] array, int index) => _items.CopyTo(array, index);
            public bool Remove(nint item) => _items.Remove(item);
            public IEnumerator<nint> GetEnumerator() => _items.GetEnumerator();
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }

        void Run(Ring ring, Batch batch)
        {
            ring.Add({|WVA002:memory.GetPointer()|});
            batch.Add({|WVA002:memory.GetPointer()|});
        }
        """);

    [Fact]
    public Task CollectionsOfCopiesAndInts_NoDiagnostic() => VerifyMembers("""
        private readonly Queue<byte[]> _outputs = new();
        void Run(List<int> lengths, List<MemoryStream> streams, Dictionary<string, byte[]> byName)
        {
            var view = memory.GetSpan(0, 16);
            lengths.Add(view.Length);
            lengths.Add(view[0]);
            _outputs.Enqueue(view.ToArray());
            streams.Add(new MemoryStream(view.ToArray()));
            byName["a"] = view.ToArray();
        }
        """);

    [Fact]
    public Task UserMethodNamedAddThatIsNotACollection_NoDiagnostic() => VerifyMembers("""
        private sealed class Checksum
        {
            public int Total;
            public void Add(nint address, int length) { for (var i = 0; i < length; i++) Total += ((byte*)address)[i]; }
        }

        int Run(Checksum checksum)
        {
            checksum.Add(memory.GetPointer(), 16);
            return checksum.Total;
        }
        """);

    // ------------------------------------------------------------------ delegates that run later

    [Fact]
    public Task LambdaCapturingPointerToTaskRun_Reports() => VerifyMembers("""
        Task Run(Stream sink, int length)
        {
            var address = memory.GetPointer();
            return Task.Run(() => sink.Write(new ReadOnlySpan<byte>((byte*){|WVA002:address|}, length)));
        }
        """);

    [Fact]
    public Task LambdaCapturingStreamToThreadPoolAndFactory_Reports() => VerifyMembers("""
        void Run(Stream sink, int length)
        {
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), length);
            ThreadPool.QueueUserWorkItem(_ => {|WVA002:stream|}.CopyTo(sink));
            Task.Factory.StartNew(() => {|WVA002:stream|}.CopyTo(sink));
        }
        """);

    [Fact]
    public Task LambdaCapturingMemoryToTimer_Reports() => VerifyMembers("""
        private Timer? _timer;
        void Run(Stream sink, int length)
        {
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            var view = manager.Memory;
            _timer = new Timer(_ => sink.Write({|WVA002:view|}.Span), null, 100, Timeout.Infinite);
        }
        """ + PointerMemoryManager.Source);

    [Fact]
    public Task LambdaSubscribedToEvent_Reports() => VerifyMembers("""
        public event EventHandler? Flushed;
        void Run(System.Timers.Timer timer, Stream sink, int length)
        {
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), length);
            timer.Elapsed += (_, _) => {|WVA002:stream|}.CopyTo(sink);
            Flushed += (_, _) => {|WVA002:stream|}.Position = 0;
        }
        """);

    [Fact]
    public Task LocalFunctionStoredInFieldAndHandedToThread_Reports() => VerifyMembers("""
        private Action? _flush;
        void Run(Stream sink, int length)
        {
            var address = memory.GetPointer();
            void Flush() => sink.Write(new ReadOnlySpan<byte>((byte*)address, length));

            // Each hand-off of the local function is where the captured view escapes.
            _flush = {|WVA002:Flush|};
            new Thread({|WVA002:Flush|}).Start();
        }
        """);

    [Fact]
    public Task DelegateReturnedAndAddedToList_Reports() => VerifyMembers("""
        Func<byte> Reader(List<Action> later)
        {
            var address = memory.GetPointer();
            Action touch = () => Console.WriteLine(address);
            later.Add({|WVA002:touch|});
            return () => *(byte*){|WVA002:address|};
        }
        """);

    [Fact]
    public Task LambdaCapturingOnlyCopies_NoDiagnostic() => VerifyMembers("""
        Task Run(Stream sink, int length)
        {
            var bytes = new ReadOnlySpan<byte>((byte*)memory.GetPointer(), length).ToArray();
            var copy = new MemoryStream(bytes);
            ThreadPool.QueueUserWorkItem(_ => copy.CopyTo(sink));
            return Task.Run(() => sink.Write(bytes));
        }
        """);

    [Fact]
    public Task LambdaRunNowCapturingView_NoDiagnostic() => VerifyMembers("""
        int Run(int[] offsets)
        {
            var address = memory.GetPointer();
            Func<int, byte> read = offset => ((byte*)address)[offset];
            var total = 0;
            foreach (var offset in offsets) total += read(offset);
            Array.ForEach(offsets, offset => total += ((byte*)address)[offset]);
            return total;
        }
        """);

    // ------------------------------------------------------------------ synchronous readers

    [Fact]
    public Task SynchronousReaders_NoDiagnostic() => VerifyMembers("""
        string Run(Stream sink, int length)
        {
            var view = memory.GetSpan(0, length);
            sink.Write(view);
            var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), length);
            stream.CopyTo(sink);
            var manager = new PointerManager((byte*)memory.GetPointer(), length);
            return Encoding.UTF8.GetString(view) + Convert.ToBase64String(manager.Memory.Span);
        }
        """ + PointerMemoryManager.Source);

    // ------------------------------------------------------------------ methods of the compilation

    [Fact]
    public Task HelperThatStoresParameter_ReportsAtCall() => VerifyMembers("""
        private readonly List<nint> _kept = new();
        void Keep(nint address) => _kept.Add(address);
        void Run() => Keep({|WVA002:memory.GetPointer()|});
        """);

    [Fact]
    public Task HelperChainThatStores_ReportsAtOuterCall() => VerifyMembers("""
        private static readonly ConcurrentBag<Stream> s_streams = new();
        static void Remember(Stream stream) => s_streams.Add(stream);
        static void Forward(Stream stream, bool remember) { if (remember) Remember(stream); }
        void Run(int length) => Forward({|WVA002:new UnmanagedMemoryStream((byte*)memory.GetPointer(), length)|}, true);
        """);

    [Fact]
    public Task ConstructorThatStoresInStaticRegistry_Reports() => VerifyMembers("""
        private sealed class Job
        {
            public static readonly Queue<nint> All = new();
            public Job(nint address) => All.Enqueue(address);
        }

        void Run() => _ = new Job({|WVA002:memory.GetPointer()|});
        """);

    [Fact]
    public Task ObjectHoldingViewStoredInField_Reports() => VerifyMembers("""
        private sealed class Output
        {
            private readonly nint _address;
            public Output(nint address) => _address = address;
            public byte First => *(byte*)_address;
        }

        private Output? _output;
        void Run()
        {
            var output = new Output(memory.GetPointer());
            _output = {|WVA002:output|};
        }
        """);

    [Fact]
    public Task MethodStoringIntoThisOfLocalObject_NoDiagnostic() => VerifyMembers("""
        private sealed class Cursor
        {
            private nint _address;
            public void Reset(nint address) => _address = address;
            public byte Read() => *(byte*)_address;
        }

        byte Run()
        {
            var cursor = new Cursor();
            cursor.Reset(memory.GetPointer());
            var output = new Cursor();
            return cursor.Read();
        }
        """);

    [Fact]
    public Task HelperThatOnlyReadsParameter_NoDiagnostic() => VerifyMembers("""
        private int _sum;
        int Sum(nint address, int length) { var total = 0; for (var i = 0; i < length; i++) total += ((byte*)address)[i]; _sum = total; return total; }
        void Copy(Stream stream, List<byte[]> outputs) { var copy = new MemoryStream(); stream.CopyTo(copy); outputs.Add(copy.ToArray()); }
        int Run(List<byte[]> outputs, int length)
        {
            Copy(new UnmanagedMemoryStream((byte*)memory.GetPointer(), length), outputs);
            return Sum(memory.GetPointer(), 16);
        }
        """);

    // ------------------------------------------------------------------ runtime-checked views

    [Fact]
    public Task GuardedViewsKept_NoDiagnostic() => VerifyMembers("""
        private readonly List<WasmViewAnalyzers.Runtime.GuardedView> _views = new();
        private Stream? _stream;
        private ReadOnlyMemory<byte> _memory;
        void Run(WasmViewAnalyzers.Runtime.GuestMemoryGuard guard)
        {
            var view = guard.GetView(0, 16);
            _views.Add(view);
            _stream = guard.OpenStream(0, 16);
            _memory = view.Memory;
            Task.Run(() => Console.WriteLine(view.Span[0]));
        }
        """, withRuntimeLibrary: true);

    [Fact]
    public Task LeaseKept_NoDiagnostic() => VerifyMembers("""
        private readonly List<WasmViewAnalyzers.Runtime.WasmLease<byte>> _leases = new();
        void Run() => _leases.Add(WasmViewAnalyzers.Runtime.LeaseExtensions.LeaseCopy(memory.GetSpan(0, 16)));
        """, withRuntimeLibrary: true);

    // ------------------------------------------------------------------ wrappers named in .editorconfig

    private const string Stage = """

        namespace Acme
        {
            public interface IStage { void Post(nint address); void Inspect(nint address); }
        }
        """;

    [Fact]
    public Task WrapperNamedInEditorConfig_Reports()
    {
        var test = new Verify.Test
        {
            TestCode = Host("""
                void Run(Acme.IStage stage)
                {
                    stage.Post({|WVA002:memory.GetPointer()|});
                    stage.Inspect(memory.GetPointer());
                }
                """) + Stage,
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\nwasm_view_analyzers.escape_sinks = Acme.IStage.Post, Acme.Other.Keep\n"));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task WrapperNotNamedInEditorConfig_NoDiagnostic() => Verify.VerifyAnalyzerAsync(Host("""
        void Run(Acme.IStage stage) => stage.Post(memory.GetPointer());
        """) + Stage);

    // ------------------------------------------------------------------ every form of store

    [Fact]
    public Task StoresIntoFieldsByDeconstructionCoalescingInitializersAndWith_Report() => VerifyMembers("""
        sealed class FrameRef { public nint Address { get; init; } public int Length { get; set; } }
        record Slot(nint Address, int Length);

        private nint _cursor;
        private int _length;
        private Stream? _stream;
        private FrameRef? _frame;
        private Slot _slot = new(0, 0);

        void Deconstruct(int length) => (_cursor, _length) = ({|WVA002:memory.GetPointer()|}, length);

        void Coalesce(int length) => _stream ??= {|WVA002:new UnmanagedMemoryStream((byte*)memory.GetPointer(), length)|};

        void Initializer() => _frame = {|WVA002:new FrameRef { Address = memory.GetPointer(), Length = 4 }|};

        void With() => _slot = {|WVA002:_slot with { Address = memory.GetPointer() }|};
        """);

    [Fact]
    public Task TheSameFormsIntoLocalsOrWithPlainData_NoDiagnostic() => VerifyMembers("""
        sealed class FrameRef { public nint Address { get; init; } public int Length { get; set; } }
        record Slot(nint Address, int Length);

        private nint _cursor;
        private int _length;
        private FrameRef? _frame;
        private Slot _slot = new(0, 0);

        int Locals(int length)
        {
            var (cursor, size) = (memory.GetPointer(), length);
            Stream? stream = null;
            stream ??= new UnmanagedMemoryStream((byte*)cursor, size);
            var frame = new FrameRef { Address = memory.GetPointer(), Length = 4 };
            var slot = _slot with { Address = memory.GetPointer() };
            return stream.ReadByte() + *(byte*)frame.Address + *(byte*)slot.Address;
        }

        void PlainData(int length)
        {
            (_cursor, _length) = (0, length);
            _frame = new FrameRef { Length = length };
            _slot = _slot with { Length = length };
        }
        """);

    [Fact]
    public Task StaleViewKept_ReportsBothRules()
    {
        var test = new MultiRuleTest(
            Host("""
                private nint _cursor;
                private readonly Queue<nint> _pending = new();
                private readonly List<nint> _seen = new();

                void Run()
                {
                    var address = memory.GetPointer();
                    convert(1);
                    _pending.Enqueue({|WVA001:{|WVA002:address|}|});
                    _seen.Add({|WVA001:{|WVA002:address|}|});
                    _cursor = {|WVA001:{|WVA002:address|}|};
                }
                """),
            withRuntimeLibrary: false,
            new StaleViewAfterGuestCallAnalyzer(),
            new ViewEscapesMethodAnalyzer());
        return test.RunAsync(CancellationToken.None);
    }
}
