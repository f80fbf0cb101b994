using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Read the value before the call": the read a stale use is part of, made into a local right
/// before the guest call. One theory enumerates the forms of a read and the positions it can be in;
/// its twin enumerates where the read would change what the program does.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string ReadBefore = "Read the value before the call";

    private const string Tile = """

        readonly struct Tile
        {
            public readonly byte* Pixels;
            public readonly int Width;

            public Tile(byte* pixels, int width)
            {
                Pixels = pixels;
                Width = width;
            }
        }

        """;

    /// <summary>Each form of a read, and each position it can stand in, with the code the fix makes.</summary>
    public static TheoryData<string, string, string> ReadForms() => new()
    {
        {
            "span element, returned",
            """
            int Level()
            {
                var status = memory.GetSpan<int>(0, 4);
                reset();
                return status[0];
            }
            """,
            """
            int Level()
            {
                var status = memory.GetSpan<int>(0, 4);
                var status0 = status[0];
                reset();
                return status0;
            }
            """
        },
        {
            "pointer dereference through a cast, in a declaration",
            """
            int Peek()
            {
                var address = memory.GetPointer();
                convert(1);
                var value = *(byte*)address;
                return value;
            }
            """,
            """
            int Peek()
            {
                var address = memory.GetPointer();
                var value2 = *(byte*)address;
                convert(1);
                var value = value2;
                return value;
            }
            """
        },
        {
            "BCL reader of a read-only span, as an argument",
            """
            void Report()
            {
                ReadOnlySpan<byte> header = memory.GetSpan(0, 8);
                reset();
                Console.WriteLine(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(header));
            }
            """,
            """
            void Report()
            {
                ReadOnlySpan<byte> header = memory.GetSpan(0, 8);
                var int32LittleEndian = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(header);
                reset();
                Console.WriteLine(int32LittleEndian);
            }
            """
        },
        {
            "text decoded from the view, in an interpolated string",
            """
            string Name(int length)
            {
                var bytes = memory.GetSpan(16, length);
                reset();
                return $"name: {Encoding.UTF8.GetString(bytes)}";
            }
            """,
            """
            string Name(int length)
            {
                var bytes = memory.GetSpan(16, length);
                var stringValue = Encoding.UTF8.GetString(bytes);
                reset();
                return $"name: {stringValue}";
            }
            """
        },
        {
            "array made from the view, then the call's own statement",
            """
            byte[] Snapshot(int length)
            {
                var view = memory.GetSpan(0, length);
                var count = convert(length);
                return count > 0 ? view.ToArray() : Array.Empty<byte>();
            }
            """,
            null!
        },
        {
            "a comparison of the view, in an if condition",
            """
            bool Check()
            {
                var magic = memory.GetSpan(0, 4);
                reset();
                if (magic.SequenceEqual("\0asm"u8))
                {
                    return true;
                }

                return false;
            }
            """,
            """
            bool Check()
            {
                var magic = memory.GetSpan(0, 4);
                var sequenceEqual = magic.SequenceEqual("\0asm"u8);
                reset();
                if (sequenceEqual)
                {
                    return true;
                }

                return false;
            }
            """
        },
        {
            "a switch expression over an element",
            """
            string Kind()
            {
                var tag = memory.GetSpan(0, 1);
                reset();
                return tag[0] switch { 1 => "one", _ => "other" };
            }
            """,
            """
            string Kind()
            {
                var tag = memory.GetSpan(0, 1);
                var tag0 = tag[0];
                reset();
                return tag0 switch { 1 => "one", _ => "other" };
            }
            """
        },
        {
            "an is pattern over an element",
            """
            bool IsReady()
            {
                var flags = memory.GetSpan(0, 1);
                reset();
                return flags[0] is 1 or 3;
            }
            """,
            """
            bool IsReady()
            {
                var flags = memory.GetSpan(0, 1);
                var flags0 = flags[0];
                reset();
                return flags0 is 1 or 3;
            }
            """
        },
        {
            "MemoryMarshal.Read, with a statement between",
            """
            long Stamp()
            {
                var header = memory.GetSpan(0, 8);
                reset();
                Console.WriteLine("done");
                return MemoryMarshal.Read<long>(header);
            }
            """,
            """
            long Stamp()
            {
                var header = memory.GetSpan(0, 8);
                var read = MemoryMarshal.Read<long>(header);
                reset();
                Console.WriteLine("done");
                return read;
            }
            """
        },
        {
            "a pointer read through a holder, then dereferenced",
            """
            byte Corner()
            {
                var tile = new Tile((byte*)memory.GetPointer(), 16);
                reset();
                return tile.Pixels[0];
            }
            """,
            """
            byte Corner()
            {
                var tile = new Tile((byte*)memory.GetPointer(), 16);
                var value = tile.Pixels[0];
                reset();
                return value;
            }
            """
        },
        {
            "a read in the call's own statement, after the call",
            """
            int Sum()
            {
                var cells = memory.GetSpan<int>(0, 2);
                return convert(1) + cells[1];
            }
            """,
            """
            int Sum()
            {
                var cells = memory.GetSpan<int>(0, 2);
                var cells1 = cells[1];
                return convert(1) + cells1;
            }
            """
        },
        {
            "a helper of the compilation whose body only reads",
            """
            static int Fold(ReadOnlySpan<byte> bytes)
            {
                var total = 0;
                for (var i = 0; i < bytes.Length; i++)
                {
                    total += bytes[i];
                }

                return total;
            }

            int Checksum()
            {
                var bytes = memory.GetSpan(0, 16);
                reset();
                return Fold(bytes);
            }
            """,
            """
            static int Fold(ReadOnlySpan<byte> bytes)
            {
                var total = 0;
                for (var i = 0; i < bytes.Length; i++)
                {
                    total += bytes[i];
                }

                return total;
            }

            int Checksum()
            {
                var bytes = memory.GetSpan(0, 16);
                var fold = Fold(bytes);
                reset();
                return fold;
            }
            """
        },
        {
            "a read in a block every pass runs",
            """
            void Log()
            {
                var status = memory.GetSpan<int>(0, 4);
                reset();
                lock (memory)
                {
                    Console.WriteLine(status[0]);
                }
            }
            """,
            """
            void Log()
            {
                var status = memory.GetSpan<int>(0, 4);
                var status0 = status[0];
                reset();
                lock (memory)
                {
                    Console.WriteLine(status0);
                }
            }
            """
        },
    };

    /// <summary>Where making the read first would change what the program does, or what it reads.</summary>
    public static TheoryData<string, string> RefusedReads() => new()
    {
        {
            "guarded by ?:",
            """
            int Guarded(int length)
            {
                var view = memory.GetSpan(0, length);
                reset();
                return length > 0 ? view[0] : -1;
            }
            """
        },
        {
            "guarded by &&",
            """
            bool Guarded(int length)
            {
                var view = memory.GetSpan(0, length);
                reset();
                return length > 0 && view[0] == 1;
            }
            """
        },
        {
            "in an if body",
            """
            int Guarded(int length)
            {
                var view = memory.GetSpan(0, length);
                reset();
                if (length > 0)
                {
                    return view[0];
                }

                return -1;
            }
            """
        },
        {
            "after a return on the way",
            """
            int Guarded(int length)
            {
                var view = memory.GetSpan(0, 4);
                if (convert(length) == 0)
                {
                    return -1;
                }

                return view[0];
            }
            """
        },
        {
            "in a lambda",
            """
            Func<int> Later()
            {
                var status = (int*)memory.GetPointer();
                reset();
                return () => status[0];
            }
            """
        },
        {
            "in a loop body, the call before the loop",
            """
            int Total(int count)
            {
                var cells = memory.GetSpan<int>(0, count);
                reset();
                var total = 0;
                for (var i = 0; i < count; i++)
                {
                    total += cells[i];
                }

                return total;
            }
            """
        },
        {
            "an input reassigned between",
            """
            int Moved(int index)
            {
                var cells = memory.GetSpan<int>(0, 8);
                reset();
                index++;
                return cells[index];
            }
            """
        },
        {
            "an input declared by the call",
            """
            int Indexed()
            {
                var cells = memory.GetSpan<int>(0, 8);
                var index = convert(1);
                return cells[index];
            }
            """
        },
        {
            "the host wrote through the view first",
            """
            int RoundTrip(int value)
            {
                var cell = memory.GetSpan<int>(0, 1);
                cell[0] = value;
                reset();
                return cell[0];
            }
            """
        },
        {
            "the host filled the view first",
            """
            int RoundTrip(ReadOnlySpan<byte> input)
            {
                var buffer = memory.GetSpan(0, 16);
                input.CopyTo(buffer);
                reset();
                return buffer[0];
            }
            """
        },
        {
            "the guest is given the address",
            """
            int Output(int address)
            {
                var result = memory.GetSpan<int>(address, 1);
                convert(address);
                return result[0];
            }
            """
        },
        {
            "the guest is given the address through a member of the holder",
            """
            readonly record struct Slot(int Address, int Length);

            int Output(int address)
            {
                var slot = new Slot(address, 4);
                var result = memory.GetSpan<int>(slot.Address, 1);
                convert(slot.Address);
                return result[0];
            }
            """
        },
        {
            "a reader that moves over the view",
            """
            int Header(int address)
            {
                var reader = new BinaryReader(new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, 16));
                reset();
                return reader.ReadInt32();
            }
            """
        },
        {
            "what a local function reads, reassigned between",
            """
            byte Moved(int address)
            {
                var start = (byte*)memory.GetPointer() + address;
                byte Tag() => start[0];
                reset();
                start++;
                return Tag();
            }
            """
        },
        {
            "a later guest call of the same statement given the address",
            """
            int Output(int address)
            {
                var result = memory.GetSpan<int>(address, 1);
                var status = convert(1) + convert(address);
                return result[0] + status;
            }
            """
        },
        {
            "a write, not a read",
            """
            void Store(int value)
            {
                var cell = memory.GetSpan<int>(0, 1);
                reset();
                cell[0] = value;
            }
            """
        },
        {
            "a helper of the compilation that writes a field",
            """
            private int _reads;

            int Counted(ReadOnlySpan<byte> bytes)
            {
                _reads++;
                return bytes[0];
            }

            int First()
            {
                var bytes = memory.GetSpan(0, 16);
                reset();
                return Counted(bytes);
            }
            """
        },
        {
            "the call in a loop whose earlier turns ran it",
            """
            int Loop(int count)
            {
                var cells = memory.GetSpan<int>(0, 2);
                var total = 0;
                for (var i = 0; i < count; i++)
                {
                    reset();
                    total += cells[0];
                }

                return total;
            }
            """
        },
        {
            "in a Debug.Assert",
            """
            void Checked()
            {
                var cells = memory.GetSpan<int>(0, 2);
                reset();
                System.Diagnostics.Debug.Assert(cells[0] == 0);
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(ReadForms))]
    public async Task ReadForm_MadeBeforeTheCall(string form, string members, string? fixedMembers)
    {
        var source = HostCode.WithMembers(members + "\n" + Tile);
        var findings = await Verify.GetFixesPerDiagnosticAsync(source);
        var offered = findings.SelectMany(f => f.Fixes.Where(fix => fix.Title == ReadBefore)).ToList();
        if (fixedMembers is null)
        {
            // The read is a branch of ?: : evaluated only on some passes.
            Assert.True(offered.Count == 0, form);
            return;
        }

        var fix = Assert.Single(offered);
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
        Assert.Equal(HostCode.WithMembers(fixedMembers + "\n" + Tile), text);

        // The result compiles (the helper refuses code that does not) and the finding is gone.
        var after = await Verify.GetFixesPerDiagnosticAsync(text);
        Assert.True(findings.Length - 1 == after.Length, form);
    }

    [Theory]
    [MemberData(nameof(RefusedReads))]
    public async Task RefusedRead_NotMadeBeforeTheCall(string form, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members));
        Assert.True(findings.Length > 0, form);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != ReadBefore)), form);
    }

    [Fact]
    public Task ReadBeforeCall_FixAll_OneLocalPerRead() => VerifyMembers("""
        int Both()
        {
            var cells = (int*)memory.GetPointer();
            reset();
            return {|WVA001:cells|}[0] + {|WVA001:cells|}[1];
        }

        int Other()
        {
            var status = (int*)memory.GetPointer();
            convert(2);
            return {|WVA001:status|}[0];
        }
        """, """
        int Both()
        {
            var cells = (int*)memory.GetPointer();
            var cells0 = cells[0];
            var cells1 = cells[1];
            reset();
            return cells0 + cells1;
        }

        int Other()
        {
            var status = (int*)memory.GetPointer();
            var status0 = status[0];
            convert(2);
            return status0;
        }
        """, StaleViewAfterGuestCallFixer.ReadBeforeCallKey);

    // ------------------------------------------------------------------ obtained again in place

    [Fact]
    public Task LoopConditionWhoseBodyCallsTheGuest_ObtainedAgainInPlace() => VerifyMembers("""
        int Hash(Stream body, int buffer)
        {
            var window = memory.GetSpan(buffer, 64);
            var total = 0;
            int read;
            while ((read = body.Read({|WVA001:window|})) > 0)
            {
                total += convert(read);
            }

            return total;
        }
        """, """
        int Hash(Stream body, int buffer)
        {
            var window = memory.GetSpan(buffer, 64);
            var total = 0;
            int read;
            while ((read = body.Read(memory.GetSpan(buffer, 64))) > 0)
            {
                total += convert(read);
            }

            return total;
        }
        """, First);

    [Fact]
    public Task ExceptionFilter_ObtainedAgainInPlace() => VerifyMembers("""
        int Status(int address)
        {
            Span<byte> status = memory.GetSpan(address, 4);
            status[0] = 0;
            try
            {
                return convert(address);
            }
            catch (WasmtimeException) when ({|WVA001:status|}[0] == 0)
            {
                return -1;
            }
        }
        """, """
        int Status(int address)
        {
            Span<byte> status = memory.GetSpan(address, 4);
            status[0] = 0;
            try
            {
                return convert(address);
            }
            catch (WasmtimeException) when (memory.GetSpan(address, 4)[0] == 0)
            {
                return -1;
            }
        }
        """, First);

    /// <summary>Where the source would not give the same view in place, or the view would be stale again before it is read.</summary>
    public static TheoryData<string, string> RefusedInPlace() => new()
    {
        {
            "the view reassigned in the loop",
            """
            int Hash(Stream body, int buffer)
            {
                var window = memory.GetSpan(buffer, 64);
                var total = 0;
                int read;
                while ((read = body.Read(window)) > 0)
                {
                    total += convert(read);
                    window = window.Slice(1);
                }

                return total;
            }
            """
        },
        {
            "an input of the source changed in the loop",
            """
            int Hash(Stream body, int buffer)
            {
                var window = memory.GetSpan(buffer, 64);
                var total = 0;
                int read;
                while ((read = body.Read(window)) > 0)
                {
                    total += convert(read);
                    buffer += read;
                }

                return total;
            }
            """
        },
        {
            "a later argument calls the guest",
            """
            static int Consume(Span<byte> window, int count) => window[0] + count;

            int Hash(int buffer)
            {
                var window = memory.GetSpan(buffer, 64);
                var total = 0;
                while (Consume(window, convert(total)) > 0)
                {
                    total += convert(1);
                }

                return total;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RefusedInPlace))]
    public async Task RefusedInPlace_NotObtainedAgain(string form, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members));
        Assert.True(findings.Length > 0, form);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != ObtainAgain)), form + ": " + string.Join(", ", findings.Select(f => f.Diagnostic.Location.SourceSpan + " " + string.Join("/", f.Fixes.Select(x => x.Title)))));
    }
}
