using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// WVA001 over every form of C# the evaluator classifies (<c>OperationRoles</c>): each form with a
/// stale use (<c>Stale</c>) and its safe twin (<c>Fresh</c>) in the same source.
/// </summary>
public sealed partial class StaleViewAfterGuestCallAnalyzerTests
{
    // ------------------------------------------------------------------ copies of any element type

    [Fact]
    public Task ToArray_OfAViewOfAnyElementType_IsACopy() => VerifyMembers("""
        Span<T> Moves<T>(int address, int count) where T : unmanaged => memory.GetSpan<T>(address, count).ToArray();

        Span<T> MovesView<T>(int address, int count) where T : unmanaged => memory.GetSpan<T>(address, count);

        T GenericCopy<T>(int address) where T : unmanaged
        {
            var copy = memory.GetSpan<T>(address, 4).ToArray();
            convert(1);
            return copy[0];
        }

        T GenericCopyMadeLate<T>(int address) where T : unmanaged
        {
            var view = memory.GetSpan<T>(address, 4);
            convert(1);
            return {|WVA001:view|}.ToArray()[0];
        }

        nint AddressesCopied(int address)
        {
            var starts = memory.GetSpan<nint>(address, 4).ToArray();
            convert(1);
            return starts[0];
        }

        ReadOnlyMemory<long> MemoryCopied(ReadOnlyMemory<long> words)
        {
            var copy = words.ToArray();
            convert(1);
            return copy;
        }

        long FromHelpers(int address)
        {
            var copied = Moves<long>(address, 4);
            var viewed = MovesView<long>(address, 4);
            convert(1);
            return copied[0] + {|WVA001:viewed|}[0];
        }

        """);

    // ------------------------------------------------------------------ enumeration of arrays

    [Fact]
    public Task ForEach_OverAnArrayOfViews_ElementsAreAsStaleAsTheArray() => VerifyMembers("""
        byte Pointers()
        {
            var starts = new nint[2];
            starts[0] = (nint)memory.GetPointer();
            convert(1);
            byte b = 0;
            foreach (var start in starts) b += *(byte*){|WVA001:start|};
            return b;
        }

        byte TuplesDeconstructed(int n)
        {
            var outputs = new (nint Start, int Length)[n];
            for (var i = 0; i < n; i++)
            {
                var output = convert(i);
                outputs[i] = ((nint)((byte*)memory.GetPointer() + output), 4);
            }

            byte b = 0;
            foreach (var (start, length) in outputs)
            {
                b += new ReadOnlySpan<byte>((void*){|WVA001:start|}, length)[0];
            }

            return b;
        }

        public readonly record struct Page(nint Start, int Length);

        byte Records(int n)
        {
            var copies = new byte[n][];
            var pages = new Page[n];
            for (var i = 0; i < n; i++)
            {
                var address = convert(i);
                copies[i] = memory.GetSpan(address, 8).ToArray();
                pages[i] = new Page((nint)memory.GetPointer() + address, 8);
            }

            reset();
            byte b = 0;
            foreach (var copy in copies) b += copy[0];
            foreach (var page in pages) b += *(byte*){|WVA001:page|}.Start;
            return b;
        }

        byte ReadBeforeTheCall_LengthAfter()
        {
            var starts = new nint[2];
            starts[0] = (nint)memory.GetPointer();
            byte b = 0;
            foreach (var start in starts) b += *(byte*)start;
            convert(1);
            foreach (var start in starts) b += (byte)start.GetHashCode();
            var pages = new[] { new Page((nint)memory.GetPointer(), 8) };
            reset();
            foreach (var page in pages) b += (byte)page.Length;
            return b;
        }
        """);

    [Fact]
    public Task Select_ByALambdaThatObtainsViews_IsWalkedByToListAndNotByALazyForeach() => Verify.VerifyAnalyzerAsync(HostCode.WithMembers("""
        public record struct Tile(int Key, nint Rgba);

        byte Materialized(IEnumerable<int> keys)
        {
            var tiles = keys.Select(k =>
            {
                var offset = convert(k);
                return new Tile(k, (nint)((byte*)memory.GetPointer() + offset));
            }).ToList();
            byte b = 0;
            foreach (var tile in tiles)
            {
                b += ((byte*){|WVA001:tile|}.Rgba)[0];
            }
            return b;
        }

        byte Lazy(IEnumerable<int> keys)
        {
            byte b = 0;
            foreach (var tile in keys.Select(k => { var o = convert(k); return new Tile(k, (nint)((byte*)memory.GetPointer() + o)); }))
            {
                b += ((byte*)tile.Rgba)[0];
            }
            return b;
        }

        byte First(IEnumerable<int> keys)
        {
            var tile = keys.Select(k => { var o = convert(k); return new Tile(k, (nint)((byte*)memory.GetPointer() + o)); }).First();
            return ((byte*)tile.Rgba)[0];
        }

        byte NoGuestCall(IEnumerable<int> keys)
        {
            var tiles = keys.Select(k => new Tile(k, (nint)((byte*)memory.GetPointer() + k))).ToList();
            byte b = 0;
            foreach (var tile in tiles) b += ((byte*)tile.Rgba)[0];
            reset();
            return (byte)(b + ((byte*){|WVA001:tiles|}[0].Rgba)[0]);
        }

        int Copies(IEnumerable<int> keys)
        {
            var copies = keys.Select(k => memory.GetSpan(convert(k), 4).ToArray()).ToList();
            return copies[0][0];
        }
        """, "System.Linq"));

    // ------------------------------------------------------------------ patterns

    [Fact]
    public Task DistanceBetweenTwoAddresses_IsANumber_PointerLessAnAddressIsNot() => VerifyMembers("""
        int Offset()
        {
            var p = (byte*)memory.GetPointer() + 16;
            var offset = (nint)p - memory.GetPointer();
            convert(1);
            return *((byte*)memory.GetPointer() + offset);
        }

        int PointerLessAnAddress()
        {
            var p = (byte*)memory.GetPointer() + 64;
            var back = p - (long)memory.GetPointer();
            convert(1);
            return *{|WVA001:back|};
        }
        """);

    [Fact]
    public Task ListPattern_InSwitchExpression_Reports() => VerifyMembers("""
        int Stale()
        {
            var header = memory.GetSpan(0, 8);
            convert(1);
            return {|WVA001:header|} switch { [0x89, (byte)'P', ..] => 1, _ => 0 };
        }

        int Fresh()
        {
            var header = memory.GetSpan(0, 8);
            var kind = header switch { [0x89, (byte)'P', ..] => 1, _ => 0 };
            convert(1);
            return kind;
        }
        """);

    [Fact]
    public Task ListPattern_InIsAndSwitchStatement_Reports() => VerifyMembers("""
        bool Stale()
        {
            var header = memory.GetSpan(0, 8);
            reset();
            switch ({|WVA001:header|})
            {
                case [0x7F, (byte)'E', ..]:
                    return true;
            }

            var other = memory.GetSpan(8, 8);
            reset();
            return {|WVA001:other|} is [_, 0x50, ..];
        }

        bool LengthOnly()
        {
            // [..] and [] compare the length, which the span keeps: no element is read.
            var header = memory.GetSpan(0, 8);
            reset();
            return header is [..] && header is not [];
        }
        """);

    [Fact]
    public Task PropertyAndRelationalPatterns_Report() => VerifyMembers("""
        bool Stale()
        {
            var header = memory.GetSpan(0, 8);
            convert(1);
            return {|WVA001:header|}[0] is > 0x80 and < 0xF0;
        }

        bool Fresh()
        {
            var header = memory.GetSpan(0, 8);
            convert(1);
            return header is { Length: > 4, IsEmpty: false };
        }
        """);

    [Fact]
    public Task IsWithDesignation_AliasesTheView_Reports() => VerifyMembers("""
        int Stale()
        {
            if (memory.GetPointer() is var address && address != 0)
            {
                reset();
                return *(byte*){|WVA001:address|};
            }

            return 0;
        }

        int Fresh()
        {
            if (memory.GetPointer() is var address && address != 0)
            {
                var first = *(byte*)address;
                reset();
                return first;
            }

            return 0;
        }
        """);

    // ------------------------------------------------------------------ assignments

    [Fact]
    public Task Deconstruction_Reports() => VerifyMembers("""
        int Stale()
        {
            var (address, length) = (memory.GetPointer(), 8);
            convert(1);
            return ((byte*){|WVA001:address|})[length - 1];
        }

        int StaleElements()
        {
            var view = memory.GetSpan(0, 8);
            convert(1);
            var (first, length) = ({|WVA001:view|}[0], view.Length);
            return first + length;
        }

        int Fresh()
        {
            var view = memory.GetSpan(0, 8);
            var (first, length) = (view[0], view.Length);
            convert(1);
            return first + length;
        }
        """);

    [Fact]
    public Task CompoundAndNullCoalescingAssignments_Report() => VerifyMembers("""
        int Stale(Stream? cached)
        {
            var pointer = (byte*)memory.GetPointer();
            pointer += 4;
            var total = 0;
            total += pointer[0];
            convert(1);
            total += {|WVA001:pointer|}[1];
            cached ??= new UnmanagedMemoryStream((byte*)memory.GetPointer(), 8);
            reset();
            return total + {|WVA001:cached|}.ReadByte();
        }

        int Fresh(Stream? cached)
        {
            var pointer = (byte*)memory.GetPointer();
            pointer += 4;
            var total = pointer[0] + pointer[1];
            cached ??= new UnmanagedMemoryStream((byte*)memory.GetPointer(), 8);
            total += cached.ReadByte();
            reset();
            return total;
        }
        """);

    [Fact]
    public Task ObjectCollectionAndWithInitializers_Report() => VerifyMembers("""
        sealed class Frame { public nint Address { get; init; } public int Length { get; set; } }
        record struct Slot(nint Address, int Length);

        int Stale()
        {
            var frame = new Frame { Address = memory.GetPointer(), Length = 4 };
            var slot = new Slot(0, 4) with { Address = memory.GetPointer() };
            var addresses = new List<nint> { memory.GetPointer() };
            convert(1);
            return *(byte*){|WVA001:frame|}.Address + *(byte*){|WVA001:slot|}.Address + *(byte*){|WVA001:addresses|}[0];
        }

        int Fresh()
        {
            var frame = new Frame { Address = memory.GetPointer(), Length = 4 };
            var slot = new Slot(0, 4) with { Address = memory.GetPointer() };
            var addresses = new List<nint> { memory.GetPointer() };
            var sum = *(byte*)frame.Address + *(byte*)slot.Address + *(byte*)addresses[0];
            convert(1);
            return sum + frame.Length + slot.Length + addresses.Count;
        }
        """);

    [Fact]
    public Task CollectionExpressionsAndSpreads_Report() => VerifyMembers("""
        int Stale()
        {
            List<nint> addresses = [memory.GetPointer()];
            nint[] all = [.. addresses, 0];
            convert(1);
            return *(byte*){|WVA001:all|}[0];
        }

        int Fresh()
        {
            List<nint> addresses = [memory.GetPointer()];
            nint[] all = [.. addresses, 0];
            var first = *(byte*)all[0];
            convert(1);
            return first;
        }
        """);

    // ------------------------------------------------------------------ expressions

    [Fact]
    public Task InterpolatedStringsAndHandlers_Report() => VerifyMembers("""
        string Stale(StringBuilder log)
        {
            var view = memory.GetSpan(0, 8);
            convert(1);
            log.Append($"first byte {{|WVA001:view|}[0]}");
            return $"last byte {{|WVA001:view|}[^1]}";
        }

        string Fresh(StringBuilder log)
        {
            var view = memory.GetSpan(0, 8);
            log.Append($"first byte {view[0]}");
            var text = $"last byte {view[^1]}, {view.Length} bytes";
            convert(1);
            return text;
        }
        """);

    [Fact]
    public Task StackallocOrViewInAConditional_Reports() => VerifyMembers("""
        int Stale(bool small)
        {
            Span<byte> buffer = small ? stackalloc byte[8] : memory.GetSpan(0, 8);
            convert(1);
            return {|WVA001:buffer|}[0];
        }

        int Fresh(bool small)
        {
            Span<byte> buffer = small ? stackalloc byte[8] : memory.GetSpan(0, 8);
            var first = buffer[0];
            convert(1);
            return first;
        }
        """);

    [Fact]
    public Task RangesAndIndices_Report() => VerifyMembers("""
        int Stale()
        {
            var tail = memory.GetSpan(0, 8)[1..];
            convert(1);
            return {|WVA001:tail|}[^1];
        }

        int Fresh()
        {
            var tail = memory.GetSpan(0, 8)[1..].ToArray();
            convert(1);
            return tail[^1];
        }
        """);

    [Fact]
    public Task CheckedArithmetic_Reports() => VerifyMembers("""
        int Stale()
        {
            var view = memory.GetSpan(0, 8);
            convert(1);
            return checked({|WVA001:view|}[0] + 1);
        }

        int Fresh()
        {
            var view = memory.GetSpan(0, 8);
            var sum = checked(view[0] + 1);
            convert(1);
            return sum;
        }
        """);

    // ------------------------------------------------------------------ statements

    [Fact]
    public Task Fixed_Reports() => VerifyMembers("""
        int Stale()
        {
            fixed (byte* pointer = memory.GetSpan(0, 8))
            {
                convert(1);
                return *{|WVA001:pointer|};
            }
        }

        int Fresh()
        {
            fixed (byte* pointer = memory.GetSpan(0, 8))
            {
                var first = *pointer;
                convert(1);
                return first;
            }
        }
        """);

    [Fact]
    public Task UsingDeclaration_Reports() => VerifyMembers("""
        int Stale()
        {
            using var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), 8);
            convert(1);
            return {|WVA001:stream|}.ReadByte();
        }

        int Fresh()
        {
            // Disposing the stream at the end of the scope reads nothing.
            using var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer(), 8);
            var first = stream.ReadByte();
            convert(1);
            return first;
        }
        """);

    [Fact]
    public Task Lock_Reports() => VerifyMembers("""
        private readonly object _gate = new();

        int Stale()
        {
            lock (_gate)
            {
                var view = memory.GetSpan(0, 8);
                convert(1);
                return {|WVA001:view|}[0];
            }
        }

        int Fresh()
        {
            int first;
            lock (_gate)
            {
                first = memory.GetSpan(0, 8)[0];
            }

            convert(1);
            return first;
        }
        """);

    [Fact]
    public Task LocalFunctionReadingItsParameter_Reports() => VerifyMembers("""
        int Stale()
        {
            var view = memory.GetSpan(0, 8);
            convert(1);
            return First({|WVA001:view|});

            static int First(Span<byte> bytes) => bytes[0];
        }

        int Fresh()
        {
            var view = memory.GetSpan(0, 8);
            var first = First(view) + Length(view);
            convert(1);
            return first;

            static int First(Span<byte> bytes) => bytes[0];
            static int Length(Span<byte> bytes) => bytes.Length;
        }
        """);

    [Fact]
    public Task Goto_Reports() => VerifyMembers("""
        int Stale(int rounds)
        {
            var view = memory.GetSpan(0, 8);
            var total = 0;
        again:
            total += {|WVA001:view|}[0];
            convert(rounds);
            if (--rounds > 0)
            {
                goto again;
            }

            return total;
        }

        int Fresh(int rounds)
        {
            var total = 0;
        again:
            var view = memory.GetSpan(0, 8);
            total += view[0];
            convert(rounds);
            if (--rounds > 0)
            {
                goto again;
            }

            return total;
        }
        """);

    [Fact]
    public Task ExceptionFilter_Reports() => VerifyMembers("""
        int Stale()
        {
            var view = memory.GetSpan(0, 8);
            try
            {
                return convert(1);
            }
            catch (Exception) when ({|WVA001:view|}[0] == 0)
            {
                return -1;
            }
        }

        int Fresh()
        {
            var view = memory.GetSpan(0, 8);
            var code = view[0];
            try
            {
                return convert(1);
            }
            catch (Exception) when (code == 0)
            {
                return -1;
            }
        }
        """);

    // ------------------------------------------------------------------ one use, two diagnostics

    [Fact]
    public Task StaleViewKept_AlsoReportsTheUse() => VerifyMembers("""
        private nint _cursor;
        private readonly Queue<nint> _pending = new();
        private readonly List<nint> _seen = new();

        void Stale()
        {
            var address = memory.GetPointer();
            convert(1);
            _pending.Enqueue({|WVA001:address|});
            _seen.Add({|WVA001:address|});
            _cursor = {|WVA001:address|};
        }

        void Fresh()
        {
            var address = memory.GetPointer();
            _pending.Enqueue(address);
            _seen.Add(address);
            _cursor = address;
            convert(1);
        }
        """);

    [Fact]
    public Task GuardedViewReadWhereItsOwnCheckSaidFresh_NoDiagnostic() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;
        using WasmViewAnalyzers.Runtime;

        class Host
        {
            int Run(Instance instance, Memory memory)
            {
                var guard = new GuestMemoryGuard(memory);
                var convert = guard.GetFunction<int, int>(instance, "convert")!;
                var view = guard.GetView(0, 16);
                convert(1);
                var first = view.IsStale ? -1 : view.Span[0];
                if (!view.IsStale)
                {
                    first += view.Span[1];
                }

                view.ThrowIfStale();
                return first + view.Span[2];
            }
        }
        """, withRuntimeLibrary: true, OutputKind.DynamicallyLinkedLibrary);

    [Fact]
    public Task GuardedViewReadWhereItsOwnCheckSaidStaleOrAfterAnotherCall_Reports() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;
        using WasmViewAnalyzers.Runtime;

        class Host
        {
            int Run(Instance instance, Memory memory)
            {
                var guard = new GuestMemoryGuard(memory);
                var convert = guard.GetFunction<int, int>(instance, "convert")!;
                var view = guard.GetView(0, 16);
                convert(1);
                var first = view.IsStale ? {|WVA001:view|}.Span[0] : -1;
                view.ThrowIfStale();
                convert(2);
                return first + {|WVA001:view|}.Span[2];
            }
        }
        """, withRuntimeLibrary: true, OutputKind.DynamicallyLinkedLibrary);

    [Fact]
    public Task MemoryManagerThatTakesThePointerItself_IsAView() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Buffers;
        using Wasmtime;

        sealed unsafe class GuestMemory : MemoryManager<byte>
        {
            private readonly byte* _pointer;
            private readonly int _length;

            // The object is the view: its own field is not a place the pointer escapes to.
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

        sealed class CopyingMemory : MemoryManager<byte>
        {
            private readonly byte[] _bytes;
            public CopyingMemory(Memory memory, int address, int length) => _bytes = memory.GetSpan(address, length).ToArray();
            public override Span<byte> GetSpan() => _bytes;
            public override MemoryHandle Pin(int elementIndex = 0) => default;
            public override void Unpin() { }
            protected override void Dispose(bool disposing) { }
        }

        class Host
        {
            int Run(Instance instance, Memory memory)
            {
                var run = instance.GetAction("run")!;
                ReadOnlyMemory<byte> view = new GuestMemory(memory, 0, 8).Memory;
                ReadOnlyMemory<byte> copy = new CopyingMemory(memory, 0, 8).Memory;
                run();
                return {|WVA001:view|}.Span[0] + copy.Span[0];
            }
        }
        """);

    [Fact]
    public Task ThrowIfStale_IsTheRuntimesCheck_NoDiagnostic() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;
        using WasmViewAnalyzers.Runtime;

        class Host
        {
            int Run(Instance instance, Memory memory)
            {
                var guard = new GuestMemoryGuard(memory);
                var convert = guard.GetFunction<int, int>(instance, "convert")!;
                var view = guard.GetView(0, 16);
                convert(1);
                if (view.IsStale)
                {
                    return -1;
                }

                view.ThrowIfStale();
                return 0;
            }
        }
        """, withRuntimeLibrary: true, OutputKind.DynamicallyLinkedLibrary);

    [Fact]
    public Task TarEntryDataStreamAlreadyStale_ReportsAtTheHandOff()
    {
        var test = new MultiRuleTest(
            ArchiveHostCode.WithMembers("""
                void StaleAtHandOff(TarWriter writer, int address, int length)
                {
                    var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    convert(1);
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png") { {|WVA003:DataStream = {|WVA001:content|}|} };
                    writer.WriteEntry(entry);
                }

                void GuestCallAfterTheHandOff(TarWriter writer, int address, int length)
                {
                    // Fresh when handed over: the later read at WriteEntry is what WVA003 is about.
                    var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png") { {|WVA003:DataStream = content|} };
                    convert(1);
                    writer.WriteEntry(entry);
                }

                void Fresh(TarWriter writer, int address, int length)
                {
                    var content = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, "out.png") { {|WVA003:DataStream = content|} };
                    writer.WriteEntry(entry);
                    convert(1);
                }
                """),
            withRuntimeLibrary: false,
            new StaleViewAfterGuestCallAnalyzer(),
            new ViewHandedToDeferredArchiveWriterAnalyzer());
        return test.RunAsync(CancellationToken.None);
    }
}
