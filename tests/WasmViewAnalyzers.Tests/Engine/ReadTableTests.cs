using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Table 3 of issue 21, how a stored value comes back: every way a view kept in a container is read
/// out again (an element, an entry, a part, an item yielded or awaited), one row per construct. The
/// view read back after a guest call is stale; its safe twin reads a plain part of the same
/// container (a key, a count, <c>HasValue</c>), or reads the view before the call. A new form is a new row.
/// </summary>
public sealed class ReadTableTests
{
    private const string Types = """
        record Page(nint Address, int Length);

        record struct Slot(nint Address, int Length);
        """;

    public static TheoryData<string> Constructs() => new(Rows.Keys);

    [Theory]
    [MemberData(nameof(Constructs))]
    public void Construct(string name) => MarkedHostCode.Verify(Rows[name]);

    private static readonly Dictionary<string, HostConstruct> Rows = new()
    {
        ["a list's indexer, Dequeue and TryDequeue"] = new("""
            int Fires(List<nint> list, Queue<nint> queue)
            {
                list.Add(memory.GetPointer()); // expect: WVA002
                queue.Enqueue(memory.GetPointer()); // expect: WVA002
                convert(1);
                var first = *(byte*)list[0]; // expect: WVA001
                var second = *(byte*)queue.Dequeue(); // expect: WVA001
                return queue.TryDequeue(out var p) ? first + second + *(byte*)p : 0; // expect: WVA001
            }

            int Safe(List<nint> list)
            {
                list.Add(memory.GetPointer()); // expect: WVA002
                convert(1);
                return list.Count;
            }
            """),

        ["a dictionary's indexer and TryGetValue"] = new("""
            int Fires()
            {
                var map = new Dictionary<string, nint>();
                map["a"] = memory.GetPointer(); // expect: WVA002
                convert(1);
                var first = *(byte*)map["a"]; // expect: WVA001
                return map.TryGetValue("a", out var p) ? first + *(byte*)p : 0; // expect: WVA001
            }

            int Safe()
            {
                var map = new Dictionary<string, nint>();
                map["a"] = memory.GetPointer(); // expect: WVA002
                convert(1);
                return map.ContainsKey("a") ? map.Count : 0;
            }
            """),

        ["a dictionary enumerated: KeyValuePair, its deconstruction, Values"] = new("""
            int Fires()
            {
                var map = new Dictionary<string, nint>();
                map.Add("a", memory.GetPointer()); // expect: WVA002
                convert(1);
                var total = 0;
                foreach (var pair in map)
                {
                    total += *(byte*)pair.Value; // expect: WVA001
                }

                foreach (var (name, p) in map)
                {
                    total += *(byte*)p; // expect: WVA001
                }

                foreach (var p in map.Values)
                {
                    total += *(byte*)p; // expect: WVA001
                }

                return total;
            }

            int Safe()
            {
                var map = new Dictionary<string, nint>();
                map.Add("a", memory.GetPointer()); // expect: WVA002
                convert(1);
                var total = 0;
                foreach (var pair in map)
                {
                    total += pair.Key.Length;
                }

                foreach (var (name, _) in map)
                {
                    total += name.Length;
                }

                return total;
            }
            """),

        ["a tuple's element"] = new("""
            int Fires()
            {
                var t = (Name: "a", Pointer: memory.GetPointer());
                convert(1);
                return *(byte*)t.Pointer; // expect: WVA001
            }

            int Safe()
            {
                var t = (Name: "a", Pointer: memory.GetPointer());
                convert(1);
                return t.Name.Length;
            }
            """),

        ["an anonymous type's member"] = new("""
            int Fires()
            {
                var a = new { Name = "a", Pointer = memory.GetPointer() };
                convert(1);
                return *(byte*)a.Pointer; // expect: WVA001
            }

            int Safe()
            {
                var a = new { Name = "a", Pointer = memory.GetPointer() };
                convert(1);
                return a.Name.Length;
            }
            """),

        ["a record's and a record struct's member"] = new("""
            int Fires()
            {
                var page = new Page(memory.GetPointer(), 8);
                var slot = new Slot(memory.GetPointer(), 8);
                convert(1);
                return *(byte*)page.Address + *(byte*)slot.Address; // expect: WVA001
            }

            int Safe()
            {
                var page = new Page(memory.GetPointer(), 8);
                var slot = new Slot(memory.GetPointer(), 8);
                convert(1);
                return page.Length + slot.Length;
            }
            """, Types),

        ["pattern designations: property and positional"] = new("""
            int Fires()
            {
                var page = new Page(memory.GetPointer(), 8);
                convert(1);
                if (page is { Address: var address })
                {
                    return *(byte*)address; // expect: WVA001
                }

                return page is (var start, > 0) ? *(byte*)start : 0; // expect: WVA001
            }

            int Safe()
            {
                var page = new Page(memory.GetPointer(), 8);
                convert(1);
                return page is { Length: > 4 } and (_, var length) ? length : 0;
            }
            """, Types),

        ["Nullable's Value and GetValueOrDefault"] = new("""
            int Fires()
            {
                nint? p = memory.GetPointer();
                convert(1);
                return *(byte*)p.Value + *(byte*)p.GetValueOrDefault(); // expect: WVA001
            }

            int Safe()
            {
                nint? p = memory.GetPointer();
                convert(1);
                return p.HasValue ? 1 : 0;
            }
            """),

        ["LINQ over a collection of views"] = new("""
            int Fires(List<Memory<byte>> outputs)
            {
                outputs.Add(new Memory<byte>(new byte[4]));
                var views = new List<nint> { memory.GetPointer() }; // expect: WVA002
                convert(1);
                var first = *(byte*)System.Linq.Enumerable.First(views); // expect: WVA001
                return first + System.Linq.Enumerable.Sum(views, v => *(byte*)v); // expect: WVA001
            }

            int Safe()
            {
                var views = new List<nint> { memory.GetPointer() }; // expect: WVA002
                convert(1);
                return System.Linq.Enumerable.Count(views, v => v != 0);
            }
            """),

        ["an iterator's items, enumerated"] = new("""
            IEnumerable<nint> Outputs(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    convert(i);
                    yield return memory.GetPointer() + 16;
                }
            }

            int Fires()
            {
                var kept = new List<nint>();
                foreach (var p in Outputs(3))
                {
                    kept.Add(p); // expect: WVA002
                }

                var all = System.Linq.Enumerable.ToList(Outputs(3));
                return *(byte*)kept[0] + *(byte*)all[0]; // expect: WVA001
            }

            int Safe()
            {
                var total = 0;
                foreach (var p in Outputs(3))
                {
                    total += *(byte*)p;
                }

                return total + *(byte*)System.Linq.Enumerable.First(Outputs(3));
            }
            """),

        ["a view held across an iterator's enumeration"] = new("""
            IEnumerable<int> Steps(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    yield return convert(i);
                }
            }

            IEnumerable<int> Counts(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    yield return i;
                }
            }

            int Fires()
            {
                var view = memory.GetSpan(0, 8);
                var total = 0;
                foreach (var step in Steps(2))
                {
                    total += view[step]; // expect: WVA001
                }

                return total;
            }

            int Safe()
            {
                var view = memory.GetSpan(0, 8);
                var total = 0;
                foreach (var step in Counts(2))
                {
                    total += view[step];
                }

                return total;
            }
            """),

        ["a task's result, awaited"] = new(
            Members: "",
            AsyncMembers: """
            static unsafe int Peek(nint p) => *(byte*)p;

            async Task<int> Fires()
            {
                var p = await Task.FromResult(memory.GetPointer());
                convert(1);
                return Peek(p); // expect: WVA001
            }

            async Task<int> Safe()
            {
                var p = await Task.FromResult(memory.GetPointer());
                return Peek(p);
            }
            """),

        ["an async iterator's items, awaited in foreach"] = new(
            Members: """
            Memory<byte> Output(int length) => new PointerManager((byte*)memory.GetPointer(), length).Memory;
            """,
            AsyncMembers: """
            async IAsyncEnumerable<Memory<byte>> Chunks(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    await Task.Yield();
                    yield return Output(convert(i));
                }
            }

            async Task<int> Fires()
            {
                var kept = new List<Memory<byte>>();
                await foreach (var chunk in Chunks(3))
                {
                    kept.Add(chunk); // expect: WVA002
                }

                return kept[0].Span[0]; // expect: WVA001
            }

            async Task<int> Safe()
            {
                var total = 0;
                await foreach (var chunk in Chunks(3))
                {
                    total += chunk.Span[0];
                }

                return total;
            }
            """,
            Types: PointerMemoryManager.Source),

        ["an async iterator's items through ConfigureAwait and WithCancellation"] = new(
            Members: """
            Memory<byte> Output(int length) => new PointerManager((byte*)memory.GetPointer(), length).Memory;
            """,
            AsyncMembers: """
            async IAsyncEnumerable<Memory<byte>> Chunks(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    await Task.Yield();
                    yield return Output(convert(i));
                }
            }

            async Task<int> Fires(System.Threading.CancellationToken token)
            {
                var kept = new List<Memory<byte>>();
                await foreach (var chunk in Chunks(3).ConfigureAwait(false))
                {
                    kept.Add(chunk); // expect: WVA002
                }

                await foreach (var chunk in Chunks(3).WithCancellation(token).ConfigureAwait(false))
                {
                    kept.Add(chunk); // expect: WVA002
                }

                return kept[0].Span[0]; // expect: WVA001
            }

            async Task<int> Safe()
            {
                var kept = new List<byte[]>();
                await foreach (var chunk in Chunks(3).ConfigureAwait(false))
                {
                    kept.Add(chunk.ToArray());
                }

                return kept[0][0];
            }
            """,
            Types: PointerMemoryManager.Source),

        ["an object keeping a view in its primary constructor's parameter"] = new(
            Members: """
            int Fires(int address)
            {
                var window = new Window(memory.GetSpan(address, 16).ToArray(), new Memory<byte>(new byte[4]));
                var kept = new Window(Output(16), Memory<byte>.Empty);
                convert(1);
                return window.Kind + kept.Kind; // expect: WVA001
            }

            int Safe(int address)
            {
                var kept = new Window(Output(16), Memory<byte>.Empty);
                var kind = kept.Kind;
                convert(1);
                return kind + kept.Size;
            }

            Memory<byte> Output(int length) => new PointerManager((byte*)memory.GetPointer(), length).Memory;
            """,
            Types: PointerMemoryManager.Source + """

            sealed class Window(Memory<byte> bytes, Memory<byte> spare)
            {
                public int Sequence { get; } = spare.Length;

                public int Size => bytes.Length;

                public byte Kind => bytes.Span[0];
            }
            """),

        ["an array element read back by the index it was just stored at"] = new(
            Members: """
            Memory<byte> Output(int length) => new PointerManager((byte*)memory.GetPointer(), length).Memory;

            Memory<byte> Render(int i) => Output(convert(i));

            int Fires(int count)
            {
                var row = new Memory<byte>[count];
                var total = 0;
                for (var i = 0; i < count; i++)
                {
                    row[i] = Render(i);
                    total += row[0].Span[0]; // expect: WVA001
                }

                for (var j = 0; j + 1 < count; j++)
                {
                    row[j] = Render(j);
                    j++;
                    total += row[j].Span[0]; // expect: WVA001
                }

                var k = 0;
                row[k] = Output(8);
                convert(1);
                return total + row[k].Span[0]; // expect: WVA001
            }

            int Safe(int count)
            {
                var row = new Memory<byte>[count];
                var total = 0;
                for (var i = 0; i < count; i++)
                {
                    row[i] = Render(i);
                    total += row[i].Span[0];
                }

                return total;
            }
            """,
            Types: PointerMemoryManager.Source),

        ["a value of a generic type made from a span: built from its bytes, not over them"] = new("""
            T? Fires<T>(int address)
            {
                ReadOnlySpan<byte> json = memory.GetSpan(address, 16);
                convert(1);
                return System.Text.Json.JsonSerializer.Deserialize<T>(json); // expect: WVA001
            }

            T? Safe<T>(int address)
            {
                ReadOnlySpan<byte> json = memory.GetSpan(address, 16);
                T? value = System.Text.Json.JsonSerializer.Deserialize<T>(json);
                convert(1);
                return value;
            }

            T Kept<T>(T[] values)
            {
                T first = values[0];
                convert(1);
                return first;
            }
            """),
    };
}
