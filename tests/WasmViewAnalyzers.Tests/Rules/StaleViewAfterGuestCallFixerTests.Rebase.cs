using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Rebase the pointer on the memory after the call": a pointer, address or ref from a source that
/// cannot run again keeps its guest offset. One theory enumerates the kinds of view, the helpers
/// they come from and the positions of the use; its twin where rebasing would change what the code
/// does or cannot be written.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string Rebase = "Rebase the pointer on the memory after the call";

    private const string RebaseHelpers = """

        struct Entry
        {
            public int Count;
            public int Flags;
        }

        byte* Slot(int size)
        {
            var address = convert(size);
            return (byte*)memory.GetPointer() + address;
        }

        nint BoardAddress()
        {
            var address = convert(0);
            return memory.GetPointer() + address;
        }

        nint Board() => BoardAddress() + 16;

        ref Entry EntryAt(int id) => ref MemoryMarshal.AsRef<Entry>(memory.GetSpan(convert(id), 8));

        """;

    /// <summary>Each kind of view and source, and each position of the use, with the code the fix makes.</summary>
    public static TheoryData<string, string, string> RebaseForms() => new()
    {
        {
            "byte pointer from a helper that allocates, read after a guest call",
            """
            int First()
            {
                var slot = Slot(8);
                reset();
                return *slot;
            }
            """,
            """
            int First()
            {
                var slot = Slot(8);
                var slotOffset = (nint)slot - memory.GetPointer();
                reset();
                slot = (byte*)(memory.GetPointer() + slotOffset);
                return *slot;
            }
            """
        },
        {
            "address from a helper of a helper, read after a guest call",
            """
            int Stone()
            {
                var board = Board();
                reset();
                return *(byte*)board;
            }
            """,
            """
            int Stone()
            {
                var board = Board();
                var boardOffset = board - memory.GetPointer();
                reset();
                board = memory.GetPointer() + boardOffset;
                return *(byte*)board;
            }
            """
        },
        {
            "int pointer written through in an if after the call",
            """
            void Mark(bool on)
            {
                var cells = (int*)Slot(16);
                reset();
                if (on)
                {
                    cells[1] = 1;
                }
            }
            """,
            """
            void Mark(bool on)
            {
                var cells = (int*)Slot(16);
                var cellsOffset = (nint)cells - memory.GetPointer();
                reset();
                cells = (int*)(memory.GetPointer() + cellsOffset);
                if (on)
                {
                    cells[1] = 1;
                }
            }
            """
        },
        {
            "nullable address read with GetValueOrDefault (none stays none)",
            """
            long Cached()
            {
                nint? cached = BoardAddress();
                reset();
                return *(long*)cached.GetValueOrDefault();
            }
            """,
            """
            long Cached()
            {
                nint? cached = BoardAddress();
                var cachedOffset = cached - memory.GetPointer();
                reset();
                cached = memory.GetPointer() + cachedOffset;
                return *(long*)cached.GetValueOrDefault();
            }
            """
        },
        {
            "pointer from a helper, read in a loop after the call",
            """
            int Indirect(int n)
            {
                var p = Slot(n);
                var total = 0;
                for (var i = 0; i < n; i++)
                {
                    convert(i);
                    total += p[i];
                }

                return total;
            }
            """,
            """
            int Indirect(int n)
            {
                var p = Slot(n);
                var pOffset = (nint)p - memory.GetPointer();
                var total = 0;
                for (var i = 0; i < n; i++)
                {
                    convert(i);
                    p = (byte*)(memory.GetPointer() + pOffset);
                    total += p[i];
                }

                return total;
            }
            """
        },
        {
            "ref to a struct in unsafe code, written with a guest call on the right",
            """
            void Count(int id)
            {
                ref Entry entry = ref EntryAt(id);
                entry.Count = convert(entry.Flags);
            }
            """,
            """
            void Count(int id)
            {
                ref Entry entry = ref EntryAt(id);
                var entryOffset = (nint)Unsafe.AsPointer(ref entry) - memory.GetPointer();
                var convert2 = convert(entry.Flags);
                entry = ref Unsafe.AsRef<Entry>((void*)(memory.GetPointer() + entryOffset));
                entry.Count = convert2;
            }
            """
        },
        {
            "ref to a struct read after the call",
            """
            int Flags(int id)
            {
                ref Entry entry = ref EntryAt(id);
                entry.Flags = 1;
                reset();
                return entry.Flags;
            }
            """,
            """
            int Flags(int id)
            {
                ref Entry entry = ref EntryAt(id);
                var entryOffset = (nint)Unsafe.AsPointer(ref entry) - memory.GetPointer();
                entry.Flags = 1;
                reset();
                entry = ref Unsafe.AsRef<Entry>((void*)(memory.GetPointer() + entryOffset));
                return entry.Flags;
            }
            """
        },
        {
            "dictionary of addresses from a helper that calls the guest, read through Values",
            """
            int Stones()
            {
                var positions = new Dictionary<int, nint>();
                for (var m = 0; m < 4; m++)
                {
                    positions[m] = BoardAddress();
                }

                var stones = 0;
                foreach (var p in positions.Values)
                {
                    stones += *(byte*)p;
                }

                return stones;
            }
            """,
            """
            int Stones()
            {
                var positions = new Dictionary<int, nint>();
                for (var m = 0; m < 4; m++)
                {
                    positions[m] = BoardAddress() - memory.GetPointer();
                }

                var stones = 0;
                foreach (var p in positions.Values)
                {
                    stones += *(byte*)(memory.GetPointer() + p);
                }

                return stones;
            }
            """
        },
        {
            "array of addresses of refs from a helper, read by index",
            """
            int Alive(int[] ids)
            {
                var states = new nint[ids.Length];
                for (var i = 0; i < ids.Length; i++)
                {
                    states[i] = (nint)Unsafe.AsPointer(ref EntryAt(ids[i]));
                }

                var alive = 0;
                for (var i = 0; i < states.Length; i++)
                {
                    if (((Entry*)states[i])->Count > 0)
                    {
                        alive++;
                    }
                }

                return alive;
            }
            """,
            """
            int Alive(int[] ids)
            {
                var states = new nint[ids.Length];
                for (var i = 0; i < ids.Length; i++)
                {
                    states[i] = (nint)Unsafe.AsPointer(ref EntryAt(ids[i])) - memory.GetPointer();
                }

                var alive = 0;
                for (var i = 0; i < states.Length; i++)
                {
                    if (((Entry*)(memory.GetPointer() + states[i]))->Count > 0)
                    {
                        alive++;
                    }
                }

                return alive;
            }
            """
        },
        {
            "dictionary of memory plus offset read through pairs whose type is written out",
            """
            Dictionary<string, double> Snapshot(string[] names)
            {
                Dictionary<string, IntPtr> cells = new Dictionary<string, IntPtr>();
                foreach (string name in names)
                {
                    int address = convert(name.Length);
                    cells.Add(name, memory.GetPointer() + address);
                }

                var result = new Dictionary<string, double>();
                foreach (KeyValuePair<string, IntPtr> pair in cells)
                {
                    result[pair.Key] = *(double*)pair.Value;
                }

                return result;
            }
            """,
            """
            Dictionary<string, double> Snapshot(string[] names)
            {
                Dictionary<string, IntPtr> cells = new Dictionary<string, IntPtr>();
                foreach (string name in names)
                {
                    int address = convert(name.Length);
                    cells.Add(name, address);
                }

                var result = new Dictionary<string, double>();
                foreach (KeyValuePair<string, IntPtr> pair in cells)
                {
                    result[pair.Key] = *(double*)(memory.GetPointer() + pair.Value);
                }

                return result;
            }
            """
        },
        {
            "queue of (address, length) taken into a variable declared before the loop",
            """
            void Dump(Stream file, int slots)
            {
                var pending = new Queue<(nint Start, int Length)>();
                for (var i = 0; i < slots; i++)
                {
                    var blob = convert(i);
                    pending.Enqueue((memory.GetPointer() + blob, 16));
                }

                (nint Start, int Length) slot;
                while (pending.TryDequeue(out slot))
                {
                    file.Write(new ReadOnlySpan<byte>((void*)slot.Start, slot.Length));
                }
            }
            """,
            """
            void Dump(Stream file, int slots)
            {
                var pending = new Queue<(nint Start, int Length)>();
                for (var i = 0; i < slots; i++)
                {
                    var blob = convert(i);
                    pending.Enqueue((blob, 16));
                }

                (nint Start, int Length) slot;
                while (pending.TryDequeue(out slot))
                {
                    file.Write(new ReadOnlySpan<byte>((void*)(memory.GetPointer() + slot.Start), slot.Length));
                }
            }
            """
        },
        {
            "pointer from a helper over a primary constructor's memory, read after a guest call",
            """
            sealed class Grid(Memory store, Function step)
            {
                byte* Cell(int index)
                {
                    var address = (int)step.Invoke(index)!;
                    return (byte*)store.GetPointer() + address;
                }

                int Read()
                {
                    var cell = Cell(1);
                    step.Invoke(0);
                    return *cell;
                }
            }
            """,
            """
            sealed class Grid(Memory store, Function step)
            {
                byte* Cell(int index)
                {
                    var address = (int)step.Invoke(index)!;
                    return (byte*)store.GetPointer() + address;
                }

                int Read()
                {
                    var cell = Cell(1);
                    var cellOffset = (nint)cell - store.GetPointer();
                    step.Invoke(0);
                    cell = (byte*)(store.GetPointer() + cellOffset);
                    return *cell;
                }
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RebaseForms))]
    public async Task RebaseForm_PointerRebasedAfterTheCall(string form, string members, string fixedMembers)
    {
        var source = HostCode.WithMembers(members + "\n" + RebaseHelpers);
        var findings = await Verify.GetFixesPerDiagnosticAsync(source);
        var offered = findings.SelectMany(f => f.Fixes.Where(fix => fix.Title == Rebase)).ToList();
        var fix = Assert.Single(offered);
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
        Assert.Equal(HostCode.WithMembers(fixedMembers + "\n" + RebaseHelpers), text);

        // The result compiles (the helper refuses code that does not) and the finding is gone.
        var after = await Verify.GetFixesPerDiagnosticAsync(text);
        Assert.True(findings.Length - 1 == after.Length, form);
    }

    /// <summary>Where rebasing would not give the pointer the code held, or cannot be written.</summary>
    public static TheoryData<string, string> RefusedRebases() => new()
    {
        {
            "helper of another object: its memory cannot be named here",
            """
            sealed class Pool
            {
                private readonly Memory store;
                private readonly Function alloc;

                public Pool(Memory store, Function alloc)
                {
                    this.store = store;
                    this.alloc = alloc;
                }

                public byte* Rent(int size)
                {
                    var address = (int)alloc.Invoke(size)!;
                    return (byte*)store.GetPointer() + address;
                }
            }

            int Rented(Pool pool)
            {
                var first = pool.Rent(8);
                pool.Rent(8);
                return *first;
            }
            """
        },
        {
            "pointer moved on after it is obtained",
            """
            int Walk()
            {
                var p = Slot(8);
                p++;
                reset();
                return *p;
            }
            """
        },
        {
            "guest call after the view in its own declaration",
            """
            int Late()
            {
                var p = (byte*)memory.GetPointer() + memory.ReadInt32(convert(4));
                reset();
                return *p;
            }
            """
        },
        {
            "memory field that may be replaced",
            """
            private Memory current = null!;

            byte* Current()
            {
                var address = convert(1);
                return (byte*)current.GetPointer() + address;
            }

            int ReadCurrent()
            {
                var p = Current();
                reset();
                return *p;
            }
            """
        },
        {
            "helper that may return a pointer it kept",
            """
            private nint kept;

            nint Kept()
            {
                if (kept != 0)
                {
                    return kept;
                }

                return BoardAddress();
            }

            int ReadKept()
            {
                var p = Kept();
                reset();
                return *(byte*)p;
            }
            """
        },
        {
            "memory parameter assigned after the pointer is obtained",
            """
            int Swapped(Memory mem, Memory other)
            {
                var p = (byte*)mem.GetPointer() + mem.ReadInt32(0);
                mem = other;
                reset();
                return *p;
            }
            """
        },
        {
            "collection of addresses stored with a guest call after the pointer",
            """
            int Stale()
            {
                var positions = new Dictionary<int, nint>();
                for (var m = 0; m < 4; m++)
                {
                    positions[m] = BoardAddress() + convert(m);
                }

                var stones = 0;
                foreach (var p in positions.Values)
                {
                    stones += *(byte*)p;
                }

                return stones;
            }
            """
        },
        {
            "primary constructor's memory assigned by another member: not the same memory where it is rebased",
            """
            sealed class Grid(Memory store, Function step)
            {
                public void Swap(Memory other) => store = other;

                byte* Cell(int index)
                {
                    var address = (int)step.Invoke(index)!;
                    return (byte*)store.GetPointer() + address;
                }

                int Read()
                {
                    var cell = Cell(1);
                    step.Invoke(0);
                    return *cell;
                }
            }
            """
        },
        {
            "a pointer that is 0 where none was found: its rebasing would not be 0",
            """
            int OffsetOf(int size) => convert(size);

            nint At(int offset) => memory.GetPointer() + offset;

            int MaybeNone(bool found)
            {
                var signature = found ? At(OffsetOf(8)) : 0;
                reset();
                return signature != 0 ? *(int*)(signature + 4) : -1;
            }
            """
        },
        {
            "collection of addresses handed to another method",
            """
            int Handed()
            {
                var positions = new List<nint>();
                for (var m = 0; m < 4; m++)
                {
                    positions.Add(BoardAddress());
                }

                Console.WriteLine(positions);
                var stones = 0;
                foreach (var p in positions)
                {
                    stones += *(byte*)p;
                }

                return stones;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RefusedRebases))]
    public async Task RefusedRebase_NotOffered(string form, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members + "\n" + RebaseHelpers));
        Assert.True(findings.Length > 0, form);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != Rebase)), form + string.Join(" | ", findings.Where(f => f.Fixes.Any(fix => fix.Title == Rebase)).Select(f => f.Diagnostic.ToString())));
    }

    [Fact]
    public async Task RefOutsideUnsafeCode_NotRebased()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithSafeMembers("""
            int Safe(int id)
            {
                ref Entry entry = ref EntryAt(id);
                entry.Flags = 1;
                reset();
                return entry.Flags;
            }
            """ + RebaseHelpers.Replace("byte* Slot(int size)\n{\n    var address = convert(size);\n    return (byte*)memory.GetPointer() + address;\n}\n", string.Empty), string.Empty));
        Assert.NotEmpty(findings);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != Rebase)));
    }

    [Fact]
    public Task Rebase_FixAll_OneOffsetPerPointer() => VerifyMembers("""
        int Both()
        {
            var slot = Slot(8);
            reset();
            var first = *{|WVA001:slot|};
            convert(1);
            return first + {|WVA001:slot|}[1];
        }

        int Other()
        {
            var board = BoardAddress();
            convert(2);
            return *(byte*){|WVA001:board|};
        }
        """ + RebaseHelpers, """
        int Both()
        {
            var slot = Slot(8);
            var slotOffset = (nint)slot - memory.GetPointer();
            reset();
            slot = (byte*)(memory.GetPointer() + slotOffset);
            var first = *slot;
            convert(1);
            slot = (byte*)(memory.GetPointer() + slotOffset);
            return first + slot[1];
        }

        int Other()
        {
            var board = BoardAddress();
            var boardOffset = board - memory.GetPointer();
            convert(2);
            board = memory.GetPointer() + boardOffset;
            return *(byte*)board;
        }
        """ + RebaseHelpers, StaleViewAfterGuestCallFixer.RebaseKey);

    // ------------------------------------------------------------------ copied where it is awaited

    private const string AwaitedViews = """
        Task<ReadOnlyMemory<byte>> RecordAsync(int i) => Task.FromResult(RecordAt(i));

        Task<Memory<byte>> WritableAsync(int i) => Task.FromResult(WritableAt(i));

        """;

    /// <summary>A view a task carries, of each kind, read after a guest call, with the code the fix makes.</summary>
    public static TheoryData<string, string, string> AwaitedForms() => new()
    {
        {
            "read-only memory, read through its span after the call",
            """
            async Task<int> SumAsync()
            {
                var record = await RecordAsync(1);
                var first = record.Span[0];
                reset();
                return first + record.Span[1];
            }
            """,
            """
            async Task<int> SumAsync()
            {
                ReadOnlyMemory<byte> record = (await RecordAsync(1)).ToArray();
                var first = record.Span[0];
                reset();
                return first + record.Span[1];
            }
            """
        },
        {
            "writable memory only copied out after the call",
            """
            async Task<byte[]> TileAsync()
            {
                var tile = await WritableAsync(0);
                reset();
                return tile.ToArray();
            }
            """,
            """
            async Task<byte[]> TileAsync()
            {
                Memory<byte> tile = (await WritableAsync(0)).ToArray();
                reset();
                return tile.ToArray();
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(AwaitedForms))]
    public async Task AwaitedForm_CopiedWhereItIsAwaited(string form, string members, string fixedMembers)
    {
        var source = HostCode.WithSafeMembers(AwaitedViews + members, RecordViews) + PointerMemoryManager.Source;
        var findings = await Verify.GetFixesPerDiagnosticAsync(source);
        var fix = Assert.Single(findings.SelectMany(f => f.Fixes.Where(fix => fix.Title == "Copy the view when it is awaited")));
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
        Assert.Equal(HostCode.WithSafeMembers(AwaitedViews + fixedMembers, RecordViews) + PointerMemoryManager.Source, text);
        Assert.True(findings.Length - 1 == (await Verify.GetFixesPerDiagnosticAsync(text)).Length, form);
    }

    [Fact]
    public async Task AwaitedViewWrittenThrough_NotCopied()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithSafeMembers(AwaitedViews + """
            async Task ClearAsync()
            {
                var tile = await WritableAsync(0);
                reset();
                tile.Span[0] = 0;
            }
            """, RecordViews) + PointerMemoryManager.Source);

        // The code writes guest memory through the view; a copy would take the write.
        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Copy the view when it is awaited");
    }

    [Fact]
    public async Task AwaitedViewWhoseInputTheGuestIsGiven_NotCopied()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithSafeMembers(AwaitedViews + """
            async Task<byte[]> NeighbourAsync(int index)
            {
                var tile = await RecordAsync(index);
                convert(index + 1);
                return tile.ToArray();
            }
            """, RecordViews) + PointerMemoryManager.Source);

        // The guest is given what the view was obtained from: the read after it may be of its output.
        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == "Copy the view when it is awaited");
    }
}
