using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Keep the address the helper moved to and obtain the ref again there": a shadow stack's
/// <c>ref T Push&lt;T&gt;()</c> moves a field of the host and builds the ref over its new value; the value
/// is kept in a local at the push, and the ref obtained again from it after the call. Beside it, the
/// helpers whose ref would not be the same one at the kept address.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string KeptAddressTitle = "Keep the address the helper moved to and obtain the ref again there";

    // In unsafe code the ref is rebased on the memory first (its own fix); these hosts are safe code.
    private static Task VerifySafeMembers(string members, string fixedMembers)
        => Verify.VerifyCodeFixAsync(HostCode.WithSafeMembers(members, string.Empty), HostCode.WithSafeMembers(fixedMembers, string.Empty), First, false);

    private const string ShadowStack = """
        private int _stackPointer = 0x1000;

        struct Call
        {
            public int Input;
            public int Length;
            public int Result;
        }

        ref T Push<T>() where T : unmanaged
        {
            _stackPointer -= Unsafe.SizeOf<T>();
            return ref MemoryMarshal.AsRef<T>(memory.GetSpan(_stackPointer, Unsafe.SizeOf<T>()));
        }

        """;

    [Fact]
    public Task RefFromAPushThatMovesAField_ObtainedAgainAtTheAddressKeptAtThePush() => VerifySafeMembers(ShadowStack + """
        int Parse(int length)
        {
            ref var call = ref Push<Call>();
            call.Length = length;
            reset();
            return {|WVA001:call|}.Result;
        }

        int Twice(int length)
        {
            ref Call call = ref Push<Call>();
            call.Length = length;
            reset();
            {|WVA001:call|}.Input = 1;
            reset();
            return {|WVA001:call|}.Result;
        }
        """, ShadowStack + """
        int Parse(int length)
        {
            ref var call = ref Push<Call>();
            var callAddress = _stackPointer;
            call.Length = length;
            reset();
            call = ref MemoryMarshal.AsRef<Call>(memory.GetSpan(callAddress, Unsafe.SizeOf<Call>()));
            return call.Result;
        }

        int Twice(int length)
        {
            ref Call call = ref Push<Call>();
            var callAddress = _stackPointer;
            call.Length = length;
            reset();
            call = ref MemoryMarshal.AsRef<Call>(memory.GetSpan(callAddress, Unsafe.SizeOf<Call>()));
            call.Input = 1;
            reset();
            call = ref MemoryMarshal.AsRef<Call>(memory.GetSpan(callAddress, Unsafe.SizeOf<Call>()));
            return call.Result;
        }
        """);

    [Fact]
    public Task RefFromAPushWrittenWithAValueThatCallsTheGuest_CallMadeFirst() => VerifySafeMembers(ShadowStack + """
        void Stage(int length)
        {
            ref var call = ref Push<Call>();
            {|WVA001:call|}.Input = convert(length);
        }
        """, ShadowStack + """
        void Stage(int length)
        {
            ref var call = ref Push<Call>();
            var callAddress = _stackPointer;
            var convert2 = convert(length);
            call = ref MemoryMarshal.AsRef<Call>(memory.GetSpan(callAddress, Unsafe.SizeOf<Call>()));
            call.Input = convert2;
        }
        """);

    [Theory]
    [InlineData("the ref is built over the field before it moves", """
        ref T Push<T>() where T : unmanaged
        {
            ref var slot = ref MemoryMarshal.AsRef<T>(memory.GetSpan(_stackPointer, Unsafe.SizeOf<T>()));
            _stackPointer -= Unsafe.SizeOf<T>();
            return ref slot;
        }
        """, "ref var call = ref Push<Call>();")]
    [InlineData("the ref reads two fields the host changes", """
        private int _frame;

        ref T Push<T>() where T : unmanaged
        {
            _stackPointer -= Unsafe.SizeOf<T>();
            return ref MemoryMarshal.AsRef<T>(memory.GetSpan(_stackPointer + _frame, Unsafe.SizeOf<T>()));
        }
        """, "ref var call = ref Push<Call>();")]
    [InlineData("the push is another object's", """
        sealed class Stack
        {
            private readonly Memory _memory;
            private int _pointer;

            public Stack(Memory memory) => _memory = memory;

            public ref T Push<T>() where T : unmanaged
            {
                _pointer -= Unsafe.SizeOf<T>();
                return ref MemoryMarshal.AsRef<T>(_memory.GetSpan(_pointer, Unsafe.SizeOf<T>()));
            }
        }

        private readonly Stack _stack = new(null!);

        ref T Push<T>() where T : unmanaged => ref _stack.Push<T>();
        """, "ref var call = ref _stack.Push<Call>();")]
    [InlineData("the ref is bound to another one later", """
        ref T Push<T>() where T : unmanaged
        {
            _stackPointer -= Unsafe.SizeOf<T>();
            return ref MemoryMarshal.AsRef<T>(memory.GetSpan(_stackPointer, Unsafe.SizeOf<T>()));
        }
        """, "ref var call = ref Push<Call>(); if (length > 2) call = ref Push<Call>();")]
    public async Task RefFromAHelperWhoseRefIsNotOverTheAddressKept_NotOffered(string shape, string helper, string push)
    {
        var members = """
            private int _stackPointer = 0x1000;

            struct Call
            {
                public int Input;
                public int Length;
                public int Result;
            }

            """ + helper + """

            int Parse(int length)
            {
                PUSH
                call.Length = length;
                reset();
                return call.Result;
            }
            """.Replace("PUSH", push);
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithSafeMembers(members, string.Empty), requireCompiling: false);

        Assert.True(findings.Any(f => f.Diagnostic.Id == "WVA001"), shape);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == KeptAddressTitle);
    }
}
