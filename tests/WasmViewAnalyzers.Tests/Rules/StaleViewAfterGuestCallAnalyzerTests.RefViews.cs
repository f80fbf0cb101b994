namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// WVA001 on refs into guest memory, the way interop layers reach it: ref locals over spans and
/// pointers, ref-returning helpers, ref structs that hold a ref next to plain data.
/// </summary>
public sealed partial class StaleViewAfterGuestCallAnalyzerTests
{
    private const string InteropTypes = """
        struct Invocation
        {
            public int Result;
            public int Args;
            public Header Header;
            public readonly bool IsDone => Result != 0;
        }

        struct Header
        {
            public int Size;
            public int Kind;
        }

        """;

    // ------------------------------------------------------------------ ref locals

    [Fact]
    public Task RefLocal_AsRefOverGetSpan_MemberReadAfterCall_Reports() => VerifyMembers(InteropTypes + """
        int Run(int address)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            convert(address);
            return {|WVA001:invocation|}.Result;
        }
        """);

    [Fact]
    public Task RefLocal_AsRef_MemberReadBeforeCall_NoDiagnostic() => VerifyMembers(InteropTypes + """
        int Run(int address)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            var result = invocation.Result;
            convert(address);
            return result;
        }
        """);

    [Fact]
    public Task RefLocal_ReadInTheSameExpressionBeforeTheGuestCall_NoDiagnostic() => VerifyMembers(InteropTypes + """
        int Difference(int address, int amount)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            return invocation.Result - convert(amount);
        }

        int Nested(int address, int amount)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            return invocation.Header.Size * 2 + convert(amount);
        }

        int Argument(int address, int amount)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            return Math.Max(invocation.Args, convert(amount));
        }

        int Element(int address, int amount)
        {
            var span = memory.GetSpan(address, 16);
            return span[0] + convert(amount);
        }

        unsafe int Pointer(int address, int amount)
        {
            var p = (int*)memory.GetPointer() + address;
            return *p * 2 + convert(amount);
        }

        int ReadAfterTheCall(int address, int amount)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            return convert(amount) - {|WVA001:invocation|}.Result;
        }
        """);

    [Fact]
    public Task ValueCopy_AsRefWithoutRef_ReadAfterCall_NoDiagnostic() => VerifyMembers(InteropTypes + """
        int Run(int address)
        {
            var invocation = MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            var header = MemoryMarshal.Read<Header>(memory.GetSpan(address + 16, 8));
            convert(address);
            return invocation.Result + header.Size;
        }
        """);

    [Fact]
    public Task RefLocal_CastElement_CompoundAssignmentAfterCall_Reports() => VerifyMembers(InteropTypes + """
        void Run(int address)
        {
            var span = memory.GetSpan(address, 64);
            ref var header = ref MemoryMarshal.Cast<byte, Header>(span)[0];
            reset();
            {|WVA001:header|}.Size += 1;
        }
        """);

    [Fact]
    public Task RefLocal_NestedStructField_IncrementAfterGrow_Reports() => VerifyMembers(InteropTypes + """
        void Run(int address)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            memory.Grow(1);
            {|WVA001:invocation|}.Header.Kind++;
        }
        """);

    [Fact]
    public Task RefLocal_GetReferenceAndElement_WriteAfterCall_Reports() => VerifyMembers("""
        void Run(int address)
        {
            var span = memory.GetSpan(address, 8);
            ref byte first = ref MemoryMarshal.GetReference(span);
            ref byte third = ref span[2];
            convert(address);
            {|WVA001:first|} = 1;
            {|WVA001:third|}++;
        }
        """);

    [Fact]
    public Task RefLocal_UnsafeAsAndAdd_ReadAfterCall_Reports() => VerifyMembers(InteropTypes + """
        int Run(int address)
        {
            ref byte first = ref MemoryMarshal.GetReference(memory.GetSpan(address, 32));
            ref var header = ref Unsafe.As<byte, Header>(ref first);
            ref var next = ref Unsafe.Add(ref header, 1);
            reset();
            return {|WVA001:next|}.Kind;
        }
        """);

    [Fact]
    public Task RefLocal_UnsafeAsRefOverPointer_ReadAfterCall_Reports() => VerifyMembers(InteropTypes + """
        int Run(int address)
        {
            ref var header = ref Unsafe.AsRef<Header>((byte*)memory.GetPointer() + address);
            convert(address);
            return {|WVA001:header|}.Size;
        }
        """);

    [Fact]
    public Task RefLocal_ReacquiredAfterCall_NoDiagnostic() => VerifyMembers(InteropTypes + """
        int Run(int address)
        {
            ref var header = ref Unsafe.AsRef<Header>((byte*)memory.GetPointer() + address);
            header.Size = 4;
            convert(address);
            header = ref Unsafe.AsRef<Header>((byte*)memory.GetPointer() + address);
            return header.Size;
        }
        """);

    [Fact]
    public Task RefLocal_PassedByRefAfterCall_Reports() => VerifyMembers(InteropTypes + """
        static void Complete(ref Invocation invocation) => invocation.Result = 1;
        static int Peek(in Header header) => header.Size;

        int Run(int address)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            convert(address);
            Complete(ref {|WVA001:invocation|});
            return Peek(in {|WVA001:invocation|}.Header);
        }
        """);

    [Fact]
    public Task RefLocal_InCallbackThroughTryGetMemorySpan_ReadAfterGuestCall_Reports() => VerifyMembers(InteropTypes + """
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "complete", (Caller caller, int address) =>
            {
                if (!caller.TryGetMemorySpan<Invocation>("memory", address, 1, out var invocations))
                {
                    return 0;
                }

                ref var invocation = ref invocations[0];
                caller.GetFunction("notify")!.Invoke(address);
                return {|WVA001:invocation|}.Result;
            });
        }
        """);

    [Fact]
    public Task RefLocal_InCallback_ReadBeforeGuestCall_NoDiagnostic() => VerifyMembers(InteropTypes + """
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "complete", (Caller caller, int address) =>
            {
                if (!caller.TryGetMemorySpan<Invocation>("memory", address, 1, out var invocations))
                {
                    return 0;
                }

                ref var invocation = ref invocations[0];
                var result = invocation.Result;
                caller.GetFunction("notify")!.Invoke(address);
                return result;
            });
        }
        """);

    // ------------------------------------------------------------------ a write whose right side calls the guest

    [Fact]
    public Task RefLocal_MemberWriteWhoseValueCallsTheGuest_Reports() => VerifyMembers(InteropTypes + """
        int CopyArgs(int count) => convert(count);

        void Run(int address)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            {|WVA001:invocation|}.Args = CopyArgs(4);
        }
        """);

    [Fact]
    public Task RefLocal_WholeWriteWhoseInitializerCallsTheGuest_Reports() => VerifyMembers(InteropTypes + """
        int CopyArgs(int count) => convert(count);

        void Run(int address)
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            {|WVA001:invocation|} = new() { Args = CopyArgs(4) };
        }
        """);

    [Fact]
    public Task RefLocal_ValueComputedFirstThenWritten_NoDiagnostic() => VerifyMembers(InteropTypes + """
        int CopyArgs(int count) => convert(count);

        void Run(int address)
        {
            var args = CopyArgs(4);
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
            invocation.Args = args;
            invocation = new() { Args = args };
        }
        """);

    // ------------------------------------------------------------------ ref-returning helpers

    [Fact]
    public Task RefReturningHelperOfHelper_ReadAfterCall_Reports() => VerifyMembers(InteropTypes + """
        ref Invocation Current(int address) => ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));
        ref Invocation Pending() => ref Current(64);

        int Run()
        {
            ref var invocation = ref Pending();
            reset();
            return {|WVA001:invocation|}.Result;
        }
        """);

    [Fact]
    public Task RefReturningHelper_PropertyReadAfterCall_Reports() => VerifyMembers(InteropTypes + """
        ref Header HeaderAt(int address) => ref MemoryMarshal.Cast<byte, Header>(memory.GetSpan(address, 8))[0];

        bool Run()
        {
            ref var invocation = ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(0, 16));
            ref var header = ref HeaderAt(32);
            convert(1);
            return {|WVA001:invocation|}.IsDone && {|WVA001:header|}.Kind == 2;
        }
        """);

    [Fact]
    public Task RefReturningHelper_EachUseReacquires_NoDiagnostic() => VerifyMembers(InteropTypes + """
        ref Invocation Current(int address) => ref MemoryMarshal.AsRef<Invocation>(memory.GetSpan(address, 16));

        int Run()
        {
            Current(64).Args = 3;
            convert(64);
            return Current(64).Result;
        }
        """);

    // ------------------------------------------------------------------ ref structs holding a ref next to plain data

    private const string ShadowStack = """
        ref struct Entry<T> where T : unmanaged
        {
            private readonly ShadowStack _stack;
            public ref T Value;
            public int Address;

            public Entry(ShadowStack stack, ref T value, int address)
            {
                _stack = stack;
                Value = ref value;
                Address = address;
            }

            public int Size => Unsafe.SizeOf<T>();

            public void Pop() => _stack.Release(Address);

            public T Read() => Value;
        }

        sealed class ShadowStack
        {
            private readonly Memory _memory;
            private int _top = 1024;

            public ShadowStack(Memory memory) => _memory = memory;

            public Entry<T> Push<T>() where T : unmanaged
            {
                _top -= Unsafe.SizeOf<T>();
                return new Entry<T>(this, ref MemoryMarshal.AsRef<T>(_memory.GetSpan(_top, Unsafe.SizeOf<T>())), _top);
            }

            public void Release(int address) => _top = address + 16;
        }

        """;

    [Fact]
    public Task RefStructEntry_ValueAfterCall_Reports() => VerifyMembers(InteropTypes + ShadowStack + """
        int Run(ShadowStack stack)
        {
            var entry = stack.Push<Invocation>();
            entry.Value.Args = 2;
            convert(entry.Address);
            var result = {|WVA001:entry|}.Value.Result;
            entry.Pop();
            return result;
        }
        """);

    [Fact]
    public Task RefStructEntry_MemberReadingTheRefAfterCall_Reports() => VerifyMembers(InteropTypes + ShadowStack + """
        Header Run(ShadowStack stack)
        {
            var entry = stack.Push<Header>();
            reset();
            return {|WVA001:entry|}.Read();
        }
        """);

    [Fact]
    public Task RefStructEntry_PlainMembersAfterCall_NoDiagnostic() => VerifyMembers(InteropTypes + ShadowStack + """
        int Run(ShadowStack stack)
        {
            var entry = stack.Push<Invocation>();
            entry.Value.Args = 2;
            var result = convert(entry.Address);
            var size = entry.Size;
            entry.Pop();
            return result + size + entry.Address;
        }
        """);

    private const string ArgumentFrame = """
        ref struct ArgumentFrame
        {
            private readonly Span<int> _slots;
            public readonly int Id;

            public ArgumentFrame(Span<int> slots, int id)
            {
                _slots = slots;
                Id = id;
            }

            public int Count => _slots.Length;

            public int this[int index] => _slots[index];

            public int Describe() => Id * 31;
        }

        ArgumentFrame Frame(int address) => new(MemoryMarshal.Cast<byte, int>(memory.GetSpan(address, 32)), address);

        """;

    [Fact]
    public Task SecondRefStruct_SpanFieldReadThroughIndexerAfterCall_Reports() => VerifyMembers(ArgumentFrame + """
        int Run()
        {
            var frame = Frame(64);
            convert(frame.Id);
            // Count reads only the span's length: judged by its body, not a use.
            return {|WVA001:frame|}[0] + frame.Count;
        }
        """);

    [Fact]
    public Task SecondRefStruct_PlainMembersAfterCall_NoDiagnostic() => VerifyMembers(ArgumentFrame + """
        int Run()
        {
            var frame = Frame(64);
            var first = frame[0];
            convert(frame.Id);
            return first + frame.Describe() + frame.Id;
        }
        """);

    [Fact]
    public Task ClassWithPointerNextToCounters_PlainMembersAfterCall_NoDiagnostic() => VerifyMembers("""
        sealed class Cursor
        {
            private readonly byte* _start;
            private int _offset;

            public Cursor(byte* start) => _start = start;

            public int Offset => _offset;

            public void Advance(int count) => _offset += count;

            public byte Current => _start[_offset];
        }

        int Run()
        {
            var cursor = new Cursor((byte*)memory.GetPointer());
            cursor.Advance(4);
            convert(1);
            cursor.Advance(cursor.Offset);
            return cursor.Offset;
        }
        """);

    [Fact]
    public Task ClassWithPointerNextToCounters_ViewMemberAfterCall_Reports() => VerifyMembers("""
        sealed class Cursor
        {
            private readonly byte* _start;
            private int _offset;

            public Cursor(byte* start) => _start = start;

            public void Advance(int count) => _offset += count;

            public byte Current => _start[_offset];
        }

        int Run()
        {
            var cursor = new Cursor((byte*)memory.GetPointer());
            cursor.Advance(4);
            convert(1);
            return {|WVA001:cursor|}.Current;
        }
        """);

    // ------------------------------------------------------------------ APIs by symbol, not by name

    [Fact]
    public Task UsersOwnCountAndSum_ReadTheViewAfterCall_Reports() => VerifyMembers("""
        static int Count(ReadOnlySpan<byte> data) { var count = 0; for (var i = 0; i < data.Length; i++) if (data[i] == 0) count++; return count; }
        static int Sum(ReadOnlySpan<byte> data) { var sum = 0; for (var i = 0; i < data.Length; i++) sum += data[i]; return sum; }

        int Run()
        {
            var view = memory.GetSpan(0, 16);
            convert(1);
            return Count({|WVA001:view|}) + Sum({|WVA001:view|});
        }
        """);

    [Fact]
    public Task SpanLengthAndIsEmpty_AfterCall_NoDiagnostic() => VerifyMembers("""
        int Run()
        {
            var view = memory.GetSpan(0, 16);
            convert(1);
            return view.IsEmpty ? 0 : view.Length;
        }
        """);
}
