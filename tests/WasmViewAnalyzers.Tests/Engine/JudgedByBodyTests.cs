using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Members judged by their bodies, everywhere (issue 21): a member, a callee, a lambda that only
/// reads a length (or nothing of the view) is not a use of it, whatever it is declared on; one that
/// reads through it is. The runtime library's non-reading members are never uses. A stale view
/// captured by a delegate is read stale whenever the delegate runs, now or after it escapes.
/// </summary>
public sealed class JudgedByBodyTests
{
    private const string Types = """
        sealed unsafe class Frame
        {
            private readonly nint _address;
            private readonly int _length;

            public Frame(nint address, int length)
            {
                _address = address;
                _length = length;
            }

            public int Length => _length;

            public bool IsNull => _address == 0;

            public byte First => *(byte*)_address;

            public int Size { get; set; }
        }

        ref struct SpanFrame
        {
            private readonly Span<byte> _bytes;
            private readonly int _tag;

            public SpanFrame(Span<byte> bytes, int tag)
            {
                _bytes = bytes;
                _tag = tag;
            }

            public int Size => _bytes.Length;

            public int Tag => _tag;

            public byte First => _bytes[0];

            public void Clear() => _bytes.Clear();
        }

        static unsafe class Measure
        {
            public static int Size(scoped ReadOnlySpan<byte> view) => view.Length;

            public static int SizeOrZero(ReadOnlySpan<byte> view) => view.IsEmpty ? 0 : view.Length;

            public static int Sum(ReadOnlySpan<byte> view)
            {
                var total = 0;
                for (var i = 0; i < view.Length; i++)
                {
                    total += view[i];
                }

                return total;
            }

            public static bool IsNull(byte* p) => p == null;

            public static int Peek(byte* p) => *p;

            public static ReadOnlySpan<byte> Tail(ReadOnlySpan<byte> view) => view[1..];
        }
        """;

    public static TheoryData<string> Constructs() => new(Rows.Keys);

    [Theory]
    [MemberData(nameof(Constructs))]
    public void Construct(string name) => MarkedHostCode.Verify(Rows[name]);

    private static readonly Dictionary<string, HostConstruct> Rows = new()
    {
        ["a class's members"] = new("""
            int Fires()
            {
                var frame = new Frame(memory.GetPointer(), 8);
                convert(1);
                return frame.First; // expect: WVA001
            }

            int Safe()
            {
                var frame = new Frame(memory.GetPointer(), 8);
                convert(1);
                frame.Size = 3;
                return frame.Length + (frame.IsNull ? 0 : frame.Size);
            }
            """, Types),

        ["a ref struct's members"] = new("""
            int Fires()
            {
                var frame = new SpanFrame(memory.GetSpan(0, 8), 1);
                convert(1);
                frame.Clear(); // expect: WVA001
                return frame.First; // expect: WVA001
            }

            int Safe()
            {
                var frame = new SpanFrame(memory.GetSpan(0, 8), 1);
                convert(1);
                return frame.Size + frame.Tag;
            }
            """, Types),

        ["a reference into guest memory passed by ref or out to a callee that calls the guest first"] = new("""
            ref int Slot(int address) => ref MemoryMarshal.AsRef<int>(memory.GetSpan(address, 4));

            void Wait(out int events) { var got = convert(1); events = got; }

            void Add(ref int events) { var got = convert(1); events += got; }

            void Forward(out int events) { reset(); Count(out events); }

            static void Count(out int n) => n = 3;

            void WriteFirst(out int events) { events = 0; reset(); }

            void Fires(int address)
            {
                Wait(out Slot(address)); // expect: WVA001
                Add(ref Slot(address)); // expect: WVA001
                Forward(out Slot(address)); // expect: WVA001
            }

            void Safe(int address)
            {
                WriteFirst(out Slot(address));
                Wait(out var local);
                Slot(address) = local;
                Count(out Slot(address));

                // An element of the host's own array, overwritten: not a location in guest memory.
                var slots = new nint[2];
                slots[0] = (nint)memory.GetPointer();
                reset();
                Fill(out slots[0]);
            }

            static void Fill(out nint pointer) => pointer = 0;
            """),

        ["a callee's parameters, scoped or not"] = new("""
            int Fires()
            {
                var view = memory.GetSpan(0, 8);
                convert(1);
                return Measure.Sum(view); // expect: WVA001
            }

            int Safe()
            {
                var view = memory.GetSpan(0, 8);
                convert(1);
                return Measure.Size(view) + Measure.SizeOrZero(view);
            }
            """, Types),

        ["a callee's pointer parameter"] = new("""
            int Fires()
            {
                var p = (byte*)memory.GetPointer();
                convert(1);
                return Measure.Peek(p); // expect: WVA001
            }

            int Safe()
            {
                var p = (byte*)memory.GetPointer();
                convert(1);
                return Measure.IsNull(p) ? 0 : 1;
            }
            """, Types),

        ["a callee that hands the view back unread"] = new("""
            int Fires()
            {
                var view = memory.GetSpan(0, 8);
                convert(1);
                var tail = Measure.Tail(view);
                return tail[0]; // expect: WVA001
            }

            int Safe()
            {
                var view = memory.GetSpan(0, 8);
                convert(1);
                return Measure.Tail(view).Length;
            }
            """, Types),

        ["a callee handed a view that returns a span of its own"] = new("""
            int Fires(IEcho echo)
            {
                var reply = echo.Call(memory.GetSpan(0, 8));
                convert(1);
                return reply[0]; // expect: WVA001
            }

            int FiresByRef(int address)
            {
                // A reference handed by ref may come back as itself, whatever the body does with values.
                ref var chosen = ref Choose.First(ref MemoryMarshal.AsRef<int>(memory.GetSpan(address, 4)), ref MemoryMarshal.AsRef<int>(memory.GetSpan(address + 4, 4)));
                convert(1);
                return chosen; // expect: WVA001
            }

            int Safe(IReply replies, OwnBuffer own)
            {
                // Each returns a buffer of its own, not the view it was given: nothing to go stale.
                var viaInterface = replies.Call(memory.GetSpan(0, 8));
                var viaClass = own.Call(memory.GetSpan(0, 8));
                var viaScoped = ScopedReply.Call(memory.GetSpan(0, 8));
                convert(1);
                return viaInterface[0] + viaClass[0] + viaScoped[0];
            }
            """, """
            interface IEcho
            {
                ReadOnlySpan<byte> Call(ReadOnlySpan<byte> request);
            }

            sealed class Echo : IEcho
            {
                public ReadOnlySpan<byte> Call(ReadOnlySpan<byte> request) => request[..2];
            }

            interface IReply
            {
                ReadOnlySpan<byte> Call(ReadOnlySpan<byte> request);
            }

            sealed class OwnBuffer : IReply
            {
                private readonly byte[] _reply = new byte[8];

                public ReadOnlySpan<byte> Call(ReadOnlySpan<byte> request)
                {
                    request.CopyTo(_reply);
                    return _reply;
                }
            }

            static class Choose
            {
                public static ref int First(ref int a, ref int b) => ref a;
            }

            static class ScopedReply
            {
                private static readonly byte[] s_reply = new byte[8];

                // The compiler keeps a scoped parameter out of the result, whatever the body is.
                public static ReadOnlySpan<byte> Call(scoped ReadOnlySpan<byte> request) => s_reply;
            }
            """),

        ["the runtime library's guarded view"] = new("""
            private readonly WasmViewAnalyzers.Runtime.GuestMemoryGuard guard = null!;

            int Fires()
            {
                var view = guard.GetView(0, 8);
                convert(1);
                return view.Span[0]; // expect: WVA001
            }

            long Safe()
            {
                var view = guard.GetView(0, 8);
                convert(1);
                return view.Length + view.Address + (view.IsStale ? 1 : 0);
            }
            """),

        ["a lambda run now"] = new("""
            int Fires(List<int> items)
            {
                var p = memory.GetPointer();
                convert(1);
                var total = 0;
                items.ForEach(i => total += ((byte*)p)[i]); // expect: WVA001
                return total;
            }

            int Safe(List<int> items)
            {
                var p = memory.GetPointer();
                convert(1);
                var total = 0;
                items.ForEach(i => total += p == 0 ? 0 : i);
                return total;
            }
            """),

        ["a stale view captured by a delegate that escapes"] = new("""
            private Action? _later;
            private readonly List<Func<int>> _pending = new();

            void Fires()
            {
                var p = memory.GetPointer();
                convert(1);
                _later = () => Console.WriteLine(*(byte*)p); // expect: WVA001, WVA002
                _pending.Add(() => *(byte*)p); // expect: WVA001, WVA002
            }

            void FreshButEscaping()
            {
                var p = memory.GetPointer();
                _later = () => Console.WriteLine(*(byte*)p); // expect: WVA002
            }

            void Safe()
            {
                var first = *(byte*)memory.GetPointer();
                convert(1);
                _later = () => Console.WriteLine(first);
            }
            """),
    };
}
