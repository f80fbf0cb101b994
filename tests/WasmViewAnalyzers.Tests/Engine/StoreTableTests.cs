using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Table 1 of issue 21, where a value goes: every way C# stores a value somewhere that outlives the
/// statement (<c>StoreTargets</c>, the storing calls, <c>ref</c> arguments, subscriptions), one row
/// per construct, each with its safe twin. A new form is a new row.
/// </summary>
public sealed class StoreTableTests
{
    private const string Types = """
        sealed class Sink
        {
            public nint Address;
            public int Size;
        }

        sealed class Outer
        {
            public Sink Inner { get; } = new();
        }

        record Frame(nint Address, int Length);

        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        struct Header
        {
            public int Size;
            public int Kind;
        }
        """;

    public static TheoryData<string> Constructs() => new(Rows.Keys);

    [Theory]
    [MemberData(nameof(Constructs))]
    public void Construct(string name) => MarkedHostCode.Verify(Rows[name]);

    private static readonly Dictionary<string, HostConstruct> Rows = new()
    {
        ["a field of this object"] = new("""
            private nint _last;
            private int _count;

            void Fires() => _last = memory.GetPointer(); // expect: WVA002

            void Safe() => _count = convert(1);
            """),

        ["a static field"] = new("""
            private static nint s_last;
            private static int s_count;

            void Fires() => s_last = memory.GetPointer(); // expect: WVA002

            void Safe() => s_count = convert(1);
            """),

        ["an auto-property of this object, read back in the same method"] = new("""
            public nint Current { get; set; }
            public int Offset { get; set; }

            byte Fires()
            {
                Current = memory.GetPointer(); // expect: WVA002
                convert(1);
                return *(byte*)Current; // expect: WVA001
            }

            int Safe()
            {
                Offset = convert(1);
                return Offset;
            }
            """),

        ["a member of a parameter's object"] = new("""
            void Fires(Sink sink) => sink.Address = memory.GetPointer(); // expect: WVA002

            void Safe(Sink sink) => sink.Size = convert(1);
            """, Types),

        ["a member of a call's result"] = new("""
            private readonly Sink _sink = new();

            Sink Current() => _sink;

            void Fires() => Current().Address = memory.GetPointer(); // expect: WVA002

            void Safe() => Current().Size = convert(1);
            """, Types),

        ["a member of an object from elsewhere, held in a local"] = new("""
            private readonly Sink _sink = new();

            object GetData() => _sink;

            void Fires()
            {
                var sink = (Sink)GetData();
                sink.Address = memory.GetPointer(); // expect: WVA002
            }

            void Safe()
            {
                var sink = (Sink)GetData();
                sink.Size = convert(1);
            }
            """, Types),

        ["a member of an object the method created"] = new("""
            private Sink _sink = new();

            bool Safe()
            {
                var sink = new Sink();
                sink.Address = memory.GetPointer();
                return sink.Address == 0;
            }

            void Fires()
            {
                var sink = new Sink();
                sink.Address = memory.GetPointer();
                _sink = sink; // expect: WVA002
            }
            """, Types),

        ["a member of a variable a callback captures"] = new("""
            void Fires(Linker linker)
            {
                var sink = new Sink();
                linker.DefineFunction("env", "watch", (Caller caller, int address) =>
                {
                    sink.Address = caller.GetMemory("memory")!.GetPointer() + address; // expect: WVA002
                });
            }

            void Safe(Linker linker)
            {
                var sink = new Sink();
                linker.DefineFunction("env", "watch", (Caller caller, int address) =>
                {
                    sink.Size = address;
                });
            }
            """, Types),

        ["a nested member initializer"] = new("""
            private Outer _outer = new();

            int Safe()
            {
                var outer = new Outer { Inner = { Address = memory.GetPointer() } };
                return outer.Inner.Size;
            }

            Outer Returned() => new Outer { Inner = { Address = memory.GetPointer() } };

            void Fires() => _outer = new Outer { Inner = { Address = memory.GetPointer() } }; // expect: WVA002
            """, Types),

        ["an element of an array field"] = new("""
            private readonly nint[] _slots = new nint[4];

            void Fires() => _slots[0] = memory.GetPointer(); // expect: WVA002

            byte Safe()
            {
                var slots = new nint[4];
                slots[0] = memory.GetPointer();
                return *(byte*)slots[0];
            }
            """),

        ["an element of a local array: the view, or a value read out of it"] = new("""
            byte Fires()
            {
                var slots = new nint[1];
                slots[0] = memory.GetPointer();
                convert(1);
                return *(byte*)slots[0]; // expect: WVA001
            }

            byte[] Safe(int length)
            {
                // A copy made element by element holds bytes, not the view they came from.
                var bytes = memory.GetSpan(0, length);
                var copy = new byte[length];
                for (var i = 0; i < length; i++)
                {
                    copy[i] = bytes[i];
                }

                var cells = memory.GetSpan<double>(0, 2);
                var values = new double[2];
                values[0] = cells[0];
                var first = (double*)memory.GetPointer();
                values[1] = *first;
                convert(1);
                copy[0] = (byte)(values[0] + values[1]);
                return copy;
            }
            """),

        ["an entry of a dictionary held in a local"] = new("""
            void Fires()
            {
                var map = new Dictionary<int, nint>();
                map[1] = memory.GetPointer(); // expect: WVA002
            }

            void Safe()
            {
                var copies = new Dictionary<int, byte[]>();
                copies[1] = memory.GetSpan(0, 4).ToArray();
            }
            """),

        ["a collection's Add, Enqueue, Push"] = new("""
            void Fires(List<nint> outputs, Queue<nint> queue, Stack<nint> stack)
            {
                outputs.Add(memory.GetPointer()); // expect: WVA002
                queue.Enqueue(memory.GetPointer()); // expect: WVA002
                stack.Push(memory.GetPointer()); // expect: WVA002
            }

            void Safe(List<byte[]> outputs) => outputs.Add(memory.GetSpan(0, 4).ToArray());
            """),

        ["a local collection's Add with an argument evaluated first"] = new("""
            byte Fires(bool wide)
            {
                var frames = new List<Frame>();
                frames.Add(new Frame(memory.GetPointer(), wide ? 16 : 8)); // expect: WVA002
                var pointers = new List<nint>();
                pointers.Add(wide ? memory.GetPointer() + 8 : memory.GetPointer()); // expect: WVA002
                convert(1);
                return (byte)(*(byte*)frames[0].Address + *(byte*)pointers[0]); // expect: WVA001
            }

            int Safe(bool wide)
            {
                var frames = new List<Frame>();
                frames.Add(new Frame(memory.GetPointer(), wide ? 16 : 8)); // expect: WVA002
                convert(1);
                return frames[0].Length + frames.Count;
            }
            """, Types),

        ["a local collection's storing call that returns a value: AddLast, GetOrAdd"] = new("""
            byte Fires()
            {
                var nodes = new LinkedList<nint>();
                nodes.AddLast(memory.GetPointer()); // expect: WVA002
                var cache = new System.Collections.Concurrent.ConcurrentDictionary<int, nint>();
                cache.GetOrAdd(1, memory.GetPointer()); // expect: WVA002
                convert(1);
                var first = *(byte*)nodes.First!.Value; // expect: WVA001
                return (byte)(first + *(byte*)cache[1]); // expect: WVA001
            }

            byte Safe()
            {
                var nodes = new LinkedList<nint>();
                nodes.AddLast(memory.GetPointer()); // expect: WVA002
                var first = *(byte*)nodes.First!.Value;
                convert(1);
                return (byte)(first + nodes.Count);
            }
            """),

        ["a collection initializer stored in a field"] = new("""
            private List<nint> _pending = new();
            private List<int> _lengths = new();

            void Fires() => _pending = new List<nint> { memory.GetPointer() }; // expect: WVA002

            void Safe() => _lengths = new List<int> { convert(1) };
            """),

        ["Interlocked and Volatile, through a ref argument"] = new("""
            private nint _current;
            private static nint s_current;

            void Fires()
            {
                System.Threading.Interlocked.Exchange(ref _current, memory.GetPointer()); // expect: WVA002
                System.Threading.Interlocked.CompareExchange(ref _current, memory.GetPointer(), 0); // expect: WVA002
                System.Threading.Volatile.Write(ref s_current, memory.GetPointer()); // expect: WVA002
            }

            byte Safe()
            {
                nint local = 0;
                System.Threading.Interlocked.Exchange(ref local, memory.GetPointer());
                return *(byte*)local;
            }
            """),

        ["a method of yours storing through its ref parameter"] = new("""
            private nint _current;
            private int _count;

            static void Put<T>(ref T slot, T value) => slot = value;

            void Fires() => Put(ref _current, memory.GetPointer()); // expect: WVA002

            byte FiresStale()
            {
                nint local = 0;
                Put(ref local, memory.GetPointer());
                convert(1);
                return *(byte*)local; // expect: WVA001
            }

            void Safe() => Put(ref _count, convert(1));
            """),

        ["a delegate field combined with +="] = new("""
            private Action? _callbacks;

            void Fires()
            {
                var p = memory.GetPointer();
                _callbacks += () => Console.WriteLine(*(byte*)p); // expect: WVA002
            }

            void Safe()
            {
                var first = *(byte*)memory.GetPointer();
                _callbacks += () => Console.WriteLine(first);
            }
            """),

        ["+= onto a delegate property, another object's property or event"] = new("""
            public Action? Handlers { get; set; }

            void Fires(Peer peer)
            {
                var p = memory.GetPointer();
                Handlers += () => Console.WriteLine(*(byte*)p); // expect: WVA002
                peer.OnData += () => Console.WriteLine(*(byte*)p); // expect: WVA002
                peer.OnAck += () => Console.WriteLine(*(byte*)p); // expect: WVA002
            }

            void Safe(Peer peer)
            {
                var first = *(byte*)memory.GetPointer();
                Handlers += () => Console.WriteLine(first);
                peer.OnAck += () => Console.WriteLine(first);
            }
            """, Types + """

            sealed class Peer
            {
                public event Action? OnAck;

                public Action? OnData { get; set; }

                public void Ack() => OnAck?.Invoke();
            }
            """),

        ["a lambda registered with Wasmtime as a host function"] = new("""
            void Fires(Linker linker, Store store, int offset)
            {
                var p = (byte*)memory.GetPointer() + offset;
                linker.DefineFunction("env", "peek", () => (int)*p); // expect: WVA002
                var q = (nint)memory.GetPointer() + offset;
                linker.Define("env", "where", Function.FromCallback(store, () => (long)q)); // expect: WVA002
            }

            void Safe(Linker linker, int offset)
            {
                var value = *((byte*)memory.GetPointer() + offset);
                var guest = memory;
                linker.DefineFunction("env", "peek", () => value + guest.ReadByte(offset));
            }
            """),

        ["an event subscription"] = new("""
            private event Action? Done;

            void Fires()
            {
                var p = memory.GetPointer();
                Done += () => Console.WriteLine(*(byte*)p); // expect: WVA002
            }

            void Safe()
            {
                var first = *(byte*)memory.GetPointer();
                Done += () => Console.WriteLine(first);
            }
            """),

        ["a deconstruction and ??= into fields"] = new("""
            private nint _cursor;
            private int _length;
            private Stream? _stream;

            void Fires(int length)
            {
                (_cursor, _length) = (memory.GetPointer(), length); // expect: WVA002
                _stream ??= new UnmanagedMemoryStream((byte*)memory.GetPointer(), length); // expect: WVA002
            }

            void Safe(int length) => (_cursor, _length) = (0, length);
            """),

        ["a tuple, a record and a Nullable in fields"] = new("""
            private (nint Address, int Length) _tuple;
            private Frame? _frame;
            private nint? _maybe;
            private int? _maybeLength;

            void Fires()
            {
                _tuple = (memory.GetPointer(), 8); // expect: WVA002
                _frame = new Frame(memory.GetPointer(), 8); // expect: WVA002
                _maybe = memory.GetPointer(); // expect: WVA002
            }

            void Safe() => _maybeLength = convert(8);
            """, Types),

        ["a with expression into a field"] = new("""
            private Frame _frame = new(0, 0);

            void Fires() => _frame = _frame with { Address = memory.GetPointer() }; // expect: WVA002

            byte Safe()
            {
                var frame = _frame with { Address = memory.GetPointer() };
                return *(byte*)frame.Address;
            }
            """, Types),

        ["a with expression that replaces the view of a record holding one"] = new("""
            private Frame _frame = new(0, 0);

            void Fires(int length)
            {
                _frame = new Frame(memory.GetPointer(), length); // expect: WVA002
                _frame = _frame with { Length = length + 1 }; // expect: WVA002
            }

            void Safe(int length)
            {
                _frame = new Frame(memory.GetPointer(), length); // expect: WVA002
                _frame = _frame with { Address = 0, Length = length };
            }
            """, Types),

        ["a reader or writer over a stream in guest memory"] = new("""
            private BinaryReader? _reader;

            int Fires(int offset)
            {
                var reader = new BinaryReader(new UnmanagedMemoryStream((byte*)memory.GetPointer() + offset, 16));
                TextReader text = new StreamReader(new UnmanagedMemoryStream((byte*)memory.GetPointer() + offset, 16));
                using var writer = new StreamWriter(new UnmanagedMemoryStream((byte*)memory.GetPointer(), 16, 16, FileAccess.Write));
                _reader = new BinaryReader(new UnmanagedMemoryStream((byte*)memory.GetPointer(), 16)); // expect: WVA002
                convert(1);
                writer.Write('x'); // expect: WVA001
                return reader.ReadInt32() + text.Read(); // expect: WVA001
            }

            int Safe(int offset)
            {
                var reader = new BinaryReader(new UnmanagedMemoryStream((byte*)memory.GetPointer() + offset, 16));
                var first = reader.ReadInt32();
                var copy = new BinaryReader(new MemoryStream(memory.GetSpan(offset, 16).ToArray()));
                convert(1);
                reader.Dispose();
                return first + copy.ReadInt32();
            }
            """),

        ["a sequence or a pin handle over a memory"] = new("""
            int Fires(int offset)
            {
                var mem = new PointerManager((byte*)memory.GetPointer() + offset, 16).Memory;
                var sequence = new System.Buffers.ReadOnlySequence<byte>(mem);
                using var handle = mem.Pin();
                convert(1);
                return sequence.FirstSpan[0] + *(byte*)handle.Pointer; // expect: WVA001
            }

            long Safe(int offset)
            {
                var mem = new PointerManager((byte*)memory.GetPointer() + offset, 16).Memory;
                var sequence = new System.Buffers.ReadOnlySequence<byte>(mem.ToArray());
                var handle = mem.Pin();
                var first = *(byte*)handle.Pointer;
                convert(1);
                handle.Dispose();
                return sequence.FirstSpan[0] + sequence.Length + first;
            }
            """, PointerMemoryManager.Source),

        ["a compressor kept in a Stream field or property, written in another method"] = new("""
            private Stream? _packed;
            private Stream? _plain;

            Stream? Archive { get; set; }

            void Open(Stream output, Stream file)
            {
                _packed = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest);
                Archive = new System.IO.Compression.DeflateStream(output, System.IO.Compression.CompressionLevel.Fastest);
                _plain = file;
            }

            void Fires(int offset)
            {
                _packed!.Write(memory.GetSpan(offset, 16)); // expect: WVA004
                Archive!.Write(memory.GetSpan(offset, 16)); // expect: WVA004
            }

            void Safe(int offset)
            {
                _plain!.Write(memory.GetSpan(offset, 16));
                _packed!.Write(memory.GetSpan(offset, 16).ToArray());
            }
            """),

        ["a location in guest memory, written through"] = new("""
            void Fires()
            {
                ref var header = ref MemoryMarshal.AsRef<Header>(memory.GetSpan(0, 8));
                convert(1);
                header.Size = 4; // expect: WVA001
            }

            void Safe()
            {
                ref var header = ref MemoryMarshal.AsRef<Header>(memory.GetSpan(0, 8));
                header.Size = 4;
                convert(1);
            }
            """, Types),

        ["a ref or out parameter holding a span, assigned"] = new("""
            bool TryGet(int address, out ReadOnlySpan<byte> text)
            {
                text = address == 0 ? default : memory.GetSpan(address, 4);
                return address != 0;
            }

            string Fires()
            {
                TryGet(8, out var text);
                reset();
                return Encoding.UTF8.GetString(text); // expect: WVA001
            }

            string Safe()
            {
                TryGet(8, out var text);
                return Encoding.UTF8.GetString(text);
            }
            """),
    };
}
