using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Table 2 of issue 21, what runs: every way C# runs a method, written or implicit (<c>MethodsRun</c>),
/// one row per construct: the form whose method calls the guest makes a view stale, its safe twin (the
/// same form running a method that does not) leaves it fresh. A new form is a new row.
/// </summary>
public sealed class CallTableTests
{
    private const string Types = """
        static class Guest
        {
            public static Func<int, int> Convert = null!;

            public static void Bind(Instance instance) => Convert = instance.GetFunction<int, int>("convert")!;
        }

        readonly struct Money
        {
            public readonly int Value;

            public Money(int value) => Value = value;

            public static Money operator +(Money a, Money b) => new(Guest.Convert(a.Value + b.Value));
            public static Money operator -(Money a, Money b) => new(a.Value - b.Value);
            public static Money operator ~(Money a) => new(Guest.Convert(a.Value));
            public static Money operator -(Money a) => new(-a.Value);
            public static Money operator ++(Money a) => new(Guest.Convert(a.Value));
            public static Money operator --(Money a) => new(a.Value - 1);
            public static implicit operator int(Money m) => Guest.Convert(m.Value);
            public static explicit operator long(Money m) => m.Value;
        }

        sealed class Pair
        {
            public void Deconstruct(out int a, out int b) => (a, b) = (Guest.Convert(1), 2);
        }

        sealed class PlainPair
        {
            public void Deconstruct(out int a, out int b) => (a, b) = (1, 2);
        }

        sealed class Batch : IEnumerable<int>
        {
            public IEnumerator<int> GetEnumerator()
            {
                Guest.Convert(0);
                return new List<int> { 1 }.GetEnumerator();
            }

            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }

        sealed class Session
        {
            public Session() => Guest.Convert(0);
        }

        sealed class Lease : IDisposable
        {
            public void Dispose() => Guest.Convert(-1);
        }

        sealed class PlainLease : IDisposable
        {
            public void Dispose()
            {
            }
        }

        sealed class Registry : IEnumerable<int>
        {
            public void Add(int x) => Guest.Convert(x);

            public IEnumerator<int> GetEnumerator() => new List<int>().GetEnumerator();

            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }

        sealed class Counter
        {
            public int this[int i] { get => Guest.Convert(i); set => Guest.Convert(value); }

            public int Next => Guest.Convert(0);

            public int Plain => 3;

            public int Value { get => 0; set => Guest.Convert(value); }

            public int Stored { get; set; }
        }

        [InterpolatedStringHandler]
        ref struct GuestHandler
        {
            public GuestHandler(int literalLength, int formattedCount)
            {
            }

            public void AppendLiteral(string s) => Guest.Convert(s.Length);

            public void AppendFormatted<T>(T value) => Guest.Convert(1);
        }

        static class Log
        {
            public static void Write(ref GuestHandler handler)
            {
            }
        }

        abstract class Stage
        {
            public virtual void Prepare()
            {
            }
        }

        sealed class ResettingStage : Stage
        {
            public override void Prepare() => Guest.Convert(0);
        }

        sealed class IdleStage : Stage
        {
        }

        struct ResettingValue
        {
            public override string ToString()
            {
                Guest.Convert(0);
                return "reset";
            }
        }

        abstract class Shape
        {
            public virtual int Sides() => 0;
        }

        sealed class Square : Shape
        {
            public override int Sides() => 4;
        }

        interface IBackend
        {
            void Reset();

            string Name { get; }
        }

        sealed class WasmBackend : IBackend
        {
            public void Reset() => Guest.Convert(0);

            public string Name => "wasm";
        }
        """;

    public static TheoryData<string> Constructs() => new(Rows.Keys);

    [Theory]
    [MemberData(nameof(Constructs))]
    public void Construct(string name) => MarkedHostCode.Verify(Rows[name]);

    private static readonly Dictionary<string, HostConstruct> Rows = new()
    {
        ["an invocation"] = new("""
            byte Fires()
            {
                var view = memory.GetSpan(0, 8);
                convert(1);
                return view[0]; // expect: WVA001
            }

            byte Safe()
            {
                var view = memory.GetSpan(0, 8);
                Math.Abs(1);
                return view[0];
            }
            """, Types),

        ["a constructor"] = new("""
            byte Fires()
            {
                var view = memory.GetSpan(0, 8);
                _ = new Session();
                return view[0]; // expect: WVA001
            }

            byte Safe()
            {
                var view = memory.GetSpan(0, 8);
                _ = new PlainLease();
                return view[0];
            }
            """, Types),

        ["a property's getter and setter"] = new("""
            int Fires(Counter counter)
            {
                var view = memory.GetSpan(0, 8);
                var next = counter.Next;
                var first = view[0]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                counter.Value = 3;
                return first + next + view[1]; // expect: WVA001
            }

            int Safe(Counter counter)
            {
                var view = memory.GetSpan(0, 8);
                counter.Stored = counter.Plain;
                return view[0];
            }
            """, Types),

        ["an indexer's getter and setter"] = new("""
            int Fires(Counter counter)
            {
                var view = memory.GetSpan(0, 8);
                var n = counter[3];
                var first = view[0]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                counter[3] = 4;
                return first + n + view[1]; // expect: WVA001
            }

            int Safe(int[] counts)
            {
                var view = memory.GetSpan(0, 8);
                counts[0] = counts[1];
                return view[0];
            }
            """, Types),

        ["a user-defined binary, unary and increment operator"] = new("""
            int Fires(Money a, Money b)
            {
                var view = memory.GetSpan(0, 8);
                var sum = a + b;
                var first = view[0]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                var inverted = ~a;
                var second = view[1]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                a++;
                return first + second + view[2] + sum.Value + inverted.Value; // expect: WVA001
            }

            int Safe(Money a, Money b)
            {
                var view = memory.GetSpan(0, 8);
                var difference = a - b;
                var negated = -a;
                a--;
                return view[0] + difference.Value + negated.Value + a.Value;
            }
            """, Types),

        ["a user-defined compound assignment"] = new("""
            int Fires(Money a, Money b)
            {
                var view = memory.GetSpan(0, 8);
                a += b;
                return view[0] + a.Value; // expect: WVA001
            }

            int Safe(Money a, Money b)
            {
                var view = memory.GetSpan(0, 8);
                a -= b;
                return view[0] + a.Value;
            }
            """, Types),

        ["a user-defined conversion"] = new("""
            int Fires(Money a)
            {
                var view = memory.GetSpan(0, 8);
                int n = a;
                return view[0] + n; // expect: WVA001
            }

            long Safe(Money a)
            {
                var view = memory.GetSpan(0, 8);
                var n = (long)a;
                return view[0] + n;
            }
            """, Types),

        ["Deconstruct, in an assignment and in foreach"] = new("""
            int Fires(Pair pair, List<Pair> pairs)
            {
                var view = memory.GetSpan(0, 8);
                var (x, y) = pair;
                var first = view[0]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                foreach (var (a, b) in pairs)
                {
                    x += a + b;
                }

                return first + x + y + view[1]; // expect: WVA001
            }

            int Safe(PlainPair pair, List<PlainPair> pairs)
            {
                var view = memory.GetSpan(0, 8);
                var (x, y) = pair;
                foreach (var (a, b) in pairs)
                {
                    x += a + b;
                }

                return view[0] + x + y;
            }
            """, Types),

        ["foreach's GetEnumerator"] = new("""
            int Fires(Batch batch)
            {
                var view = memory.GetSpan(0, 8);
                var total = 0;
                foreach (var x in batch)
                {
                    total += x;
                }

                return total + view[0]; // expect: WVA001
            }

            int Safe(List<int> batch)
            {
                var view = memory.GetSpan(0, 8);
                var total = 0;
                foreach (var x in batch)
                {
                    total += x;
                }

                return total + view[0];
            }
            """, Types),

        ["using's Dispose, statement and declaration"] = new("""
            int Fires()
            {
                var view = memory.GetSpan(0, 8);
                using (new Lease())
                {
                }

                var first = view[0]; // expect: WVA001
                var other = memory.GetSpan(0, 8);
                {
                    using var lease = new Lease();
                }

                return first + other[0]; // expect: WVA001
            }

            int Safe()
            {
                var view = memory.GetSpan(0, 8);
                using (new PlainLease())
                {
                }

                {
                    using var lease = new PlainLease();
                }

                return view[0];
            }
            """, Types),

        ["a collection initializer's Add"] = new("""
            byte Fires()
            {
                var view = memory.GetSpan(0, 8);
                _ = new Registry { 1, 2 };
                return view[0]; // expect: WVA001
            }

            byte Safe()
            {
                var view = memory.GetSpan(0, 8);
                _ = new List<int> { 1, 2 };
                return view[0];
            }
            """, Types),

        ["an interpolated string handler"] = new("""
            byte Fires()
            {
                var view = memory.GetSpan(0, 8);
                Log.Write($"step {1}");
                return view[0]; // expect: WVA001
            }

            byte Safe()
            {
                var view = memory.GetSpan(0, 8);
                Console.WriteLine($"step {1}");
                return view[0];
            }
            """, Types),

        ["an event raised, with a handler that calls the guest"] = new("""
            private event Action? Tick;
            private event Action? Tock;

            void Subscribe()
            {
                Tick += () => convert(5);
                Tock += () => Console.WriteLine(5);
            }

            byte Fires()
            {
                var view = memory.GetSpan(0, 8);
                Tick?.Invoke();
                return view[0]; // expect: WVA001
            }

            byte Safe()
            {
                var view = memory.GetSpan(0, 8);
                Tock?.Invoke();
                return view[0];
            }
            """),

        ["a local delegate combined with += and invoked"] = new("""
            byte Fires()
            {
                var view = memory.GetSpan(0, 8);
                Action? run = null;
                run += () => convert(1);
                run();
                return view[0]; // expect: WVA001
            }

            byte Safe()
            {
                var view = memory.GetSpan(0, 8);
                Action? run = null;
                run += () => Console.WriteLine(1);
                run();
                return view[0];
            }
            """),

        ["a guest delegate held by a collection from its creation"] = new("""
            private Action<int>[]? steps;

            void Bind() => steps = new[] { instance.GetAction<int>("step")! };

            byte Fires()
            {
                var named = new Dictionary<string, Func<int, int>> { ["convert"] = convert };
                var listed = new List<Action> { reset };
                Action[] spread = [reset];
                var view = memory.GetSpan(0, 8);
                steps![0](1);
                var first = view[0]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                named["convert"](1);
                var second = view[0]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                listed[0]();
                var third = view[0]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                spread[0]();
                return (byte)(first + second + third + view[0]); // expect: WVA001
            }

            byte Safe()
            {
                var named = new Dictionary<string, Func<int, int>> { ["abs"] = Math.Abs };
                var listed = new List<Action> { () => Console.WriteLine(1) };
                Action<int>[] spread = [Console.WriteLine];
                var view = memory.GetSpan(0, 8);
                named["abs"](1);
                listed[0]();
                spread[0](2);
                return view[0];
            }
            """),

        ["an event's add accessor and a property's setter storing into a backing field, invoked through it"] = new("""
            private Action? _flushed;
            private Action? _onReset;
            private Action? _logged;

            event Action Flushed { add => _flushed += value; remove => _flushed -= value; }

            Action? OnReset { get => _onReset; set => _onReset = value; }

            event Action Logged { add => _logged += value; remove => _logged -= value; }

            void Bind()
            {
                Flushed += () => convert(1);
                OnReset = reset;
                Logged += () => Console.WriteLine(1);
            }

            byte Fires()
            {
                var view = memory.GetSpan(0, 8);
                _flushed?.Invoke();
                var first = view[0]; // expect: WVA001
                view = memory.GetSpan(0, 8);
                _onReset?.Invoke();
                return (byte)(first + view[0]); // expect: WVA001
            }

            byte Safe()
            {
                var view = memory.GetSpan(0, 8);
                _logged?.Invoke();
                return view[0];
            }
            """),

        ["a lambda handed to a method that runs it"] = new("""
            byte Fires(List<int> items)
            {
                var view = memory.GetSpan(0, 8);
                items.ForEach(i => convert(i));
                return view[0]; // expect: WVA001
            }

            byte Safe(List<int> items)
            {
                var view = memory.GetSpan(0, 8);
                items.ForEach(i => Console.WriteLine(i));
                return view[0];
            }
            """),

        ["a virtual method whose override calls the guest"] = new("""
            byte Fires(Stage stage)
            {
                var view = memory.GetSpan(0, 8);
                stage.Prepare();
                return view[0]; // expect: WVA001
            }

            byte Safe(Shape shape)
            {
                var view = memory.GetSpan(0, 8);
                shape.Sides();
                return view[0];
            }
            """, Types),

        ["a virtual method on a receiver of a sealed type: that type's member runs, no other override"] = new("""
            byte Fires(ResettingStage resetting, ResettingValue value)
            {
                var view = memory.GetSpan(0, 8);
                ((Stage)resetting).Prepare();
                var first = view[0]; // expect: WVA001
                _ = value.ToString();
                return (byte)(first + view[1]); // expect: WVA001
            }

            byte Safe(IdleStage idle)
            {
                var view = memory.GetSpan(0, 8);
                idle.Prepare();
                ((Stage)idle).Prepare();
                return view[0];
            }
            """, Types),

        ["an interface method whose implementation calls the guest"] = new("""
            byte Fires(IBackend backend)
            {
                var view = memory.GetSpan(0, 8);
                backend.Reset();
                return view[0]; // expect: WVA001
            }

            byte Safe(IBackend backend)
            {
                var view = memory.GetSpan(0, 8);
                Console.WriteLine(backend.Name);
                return view[0];
            }
            """, Types),

        ["an interface method whose implementation reads the view it is handed after calling the guest"] = new("""
            int Fires(IPoller poller)
            {
                return poller.Poll(memory.GetSpan(0, 8)); // expect: WVA001
            }

            int Safe(IPeeker peeker)
            {
                return peeker.Peek(memory.GetSpan(0, 8));
            }
            """, Types + """
            interface IPoller
            {
                int Poll(ReadOnlySpan<byte> events);
            }

            sealed class AsyncifyPoller : IPoller
            {
                public int Poll(ReadOnlySpan<byte> events)
                {
                    Guest.Convert(0);
                    return events[0];
                }
            }

            interface IPeeker
            {
                int Peek(ReadOnlySpan<byte> events);
            }

            sealed class Peeker : IPeeker
            {
                public int Peek(ReadOnlySpan<byte> events)
                {
                    var first = events[0];
                    return Guest.Convert(first);
                }
            }
            """),

        ["an abstract member whose implementation hands out a view or a guest delegate"] = new("""
            int Fires(GuestMemory guest, GuestFunctions functions)
            {
                var view = guest.Window(0, 8);
                Guest.Convert(1);
                var first = view[0]; // expect: WVA001
                var step = functions.Get("step");
                var again = guest.Window(0, 8);
                step(1);
                return first + again[0]; // expect: WVA001
            }

            int Safe(GuestMemory guest, GuestFunctions functions)
            {
                var copy = guest.Copy(0, 8);
                Guest.Convert(1);
                var first = copy[0];
                var log = functions.Logger();
                var view = guest.Window(0, 8);
                log(1);
                return first + view[0];
            }
            """, Types + """
            abstract class GuestMemory
            {
                public abstract Span<byte> Window(int address, int length);

                public abstract byte[] Copy(int address, int length);
            }

            sealed class WasmtimeGuestMemory(Memory memory) : GuestMemory
            {
                public override Span<byte> Window(int address, int length) => memory.GetSpan(address, length);

                public override byte[] Copy(int address, int length) => memory.GetSpan(address, length).ToArray();
            }

            abstract class GuestFunctions
            {
                public abstract Func<int, int> Get(string name);

                public abstract Action<int> Logger();
            }

            sealed class WasmtimeGuestFunctions(Instance instance) : GuestFunctions
            {
                public override Func<int, int> Get(string name) => instance.GetFunction<int, int>(name)!;

                public override Action<int> Logger() => Console.WriteLine;
            }
            """),

        ["an iterator's sequence walked by a library method"] = new("""
            IEnumerable<int> Steps(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    yield return convert(i);
                }
            }

            byte Fires()
            {
                IEnumerable<int> steps = Steps(2);
                var view = memory.GetSpan(0, 8);
                var total = System.Linq.Enumerable.Sum(steps);
                return (byte)(view[0] + total); // expect: WVA001
            }

            byte Safe()
            {
                // The list was filled once, before the view: summing it runs no iterator.
                var steps = System.Linq.Enumerable.ToList(Steps(2));
                var view = memory.GetSpan(0, 8);
                var total = System.Linq.Enumerable.Sum(steps) + steps.Count;
                return (byte)(view[0] + total);
            }
            """),
    };
}
