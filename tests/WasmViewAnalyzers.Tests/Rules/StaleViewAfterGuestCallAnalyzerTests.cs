using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>WVA001: every kind of view, every kind of guest call, every shape of flow; each with its near miss.</summary>
public sealed partial class StaleViewAfterGuestCallAnalyzerTests
{
    private static Task VerifyMembers(string members) => Verify.VerifyAnalyzerAsync(HostCode.WithMembers(members));

    // ------------------------------------------------------------------ what a view is

    [Fact]
    public Task GetSpan_ReadAfterInvoke_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            function.Invoke(1);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task GetSpan_ReadBeforeInvoke_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Console.WriteLine(view[0]);
            function.Invoke(1);
        }
        """);

    [Fact]
    public Task GetSpanOfT_ByAddress_Reports() => VerifyMembers("""
        int Run()
        {
            Span<int> words = memory.GetSpan<int>(64);
            convert(1);
            return {|WVA001:words|}[0];
        }
        """);

    [Fact]
    public Task GetSpanOfT_WithLength_Reports() => VerifyMembers("""
        long Run()
        {
            var words = memory.GetSpan<long>(64, 4);
            reset();
            return {|WVA001:words|}[1];
        }
        """);

    [Fact]
    public Task GetSpanOfT_ReadBeforeCall_NoDiagnostic() => VerifyMembers("""
        long Run()
        {
            var words = memory.GetSpan<long>(64, 4);
            var first = words[0];
            reset();
            return first;
        }
        """);

    [Fact]
    public Task TryGetMemorySpan_InHostCallback_Reports() => VerifyMembers("""
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
            {
                if (!caller.TryGetMemorySpan<byte>("memory", address, length, out var text))
                {
                    return;
                }

                caller.GetFunction("notify")!.Invoke();
                Console.WriteLine(Encoding.UTF8.GetString({|WVA001:text|}));
            });
        }
        """);

    [Fact]
    public Task TryGetMemorySpan_DecodedBeforeCall_NoDiagnostic() => VerifyMembers("""
        void Define(Linker linker)
        {
            linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
            {
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var text))
                {
                    var message = Encoding.UTF8.GetString(text);
                    caller.GetFunction("notify")!.Invoke();
                    Console.WriteLine(message);
                }
            });
        }
        """);

    [Fact]
    public Task Pointer_DereferencedAfterCall_Reports() => VerifyMembers("""
        byte Run(int offset)
        {
            byte* p = (byte*)memory.GetPointer() + offset;
            convert(offset);
            return *{|WVA001:p|};
        }
        """);

    [Fact]
    public Task PointerAsNint_ArithmeticAfterCall_ReportsWhenRead() => VerifyMembers("""
        void Run(int offset, byte[] destination)
        {
            nint address = memory.GetPointer() + offset;
            convert(offset);
            Marshal.Copy({|WVA001:address|}, destination, 0, destination.Length);
        }
        """);

    [Fact]
    public Task Pointer_ComparedAfterCall_NoDiagnostic() => VerifyMembers("""
        bool Moved()
        {
            var before = memory.GetPointer();
            memory.Grow(1);
            return memory.GetPointer() != before;
        }
        """);

    [Fact]
    public Task PointerIndexedAfterCall_Reports() => VerifyMembers("""
        byte Run()
        {
            var p = (byte*)memory.GetPointer();
            reset();
            return {|WVA001:p|}[3];
        }
        """);

    [Fact]
    public Task AddressAsLong_DereferencedAfterCall_Reports() => VerifyMembers("""
        byte Cast(int offset)
        {
            long address = (long)memory.GetPointer();
            var p = (byte*)(address + offset);
            convert(1);
            return {|WVA001:p|}[0];
        }

        byte ToInt64(int length)
        {
            var address = memory.GetPointer().ToInt64() + 16;
            convert(1);
            var span = new Span<byte>((void*)address, length);
            return {|WVA001:span|}[0];
        }
        """);

    [Fact]
    public Task AddressAsLong_PrintedAfterCall_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            long address = (long)memory.GetPointer();
            convert(1);
            Console.WriteLine(address + 4);
            Console.WriteLine($"{address:X}");
        }
        """);

    // ------------------------------------------------------------------ aliases of a view

    [Fact]
    public Task Slice_UsedAfterCall_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            var payload = view.Slice(4);
            convert(1);
            Console.WriteLine({|WVA001:payload|}[0]);
        }
        """);

    [Fact]
    public Task RangeIndexer_UsedAfterCall_Reports() => VerifyMembers("""
        byte[] Run()
        {
            var view = memory.GetSpan(0, 16);
            var header = view[..4];
            convert(1);
            return {|WVA001:header|}.ToArray();
        }
        """);

    [Fact]
    public Task ImplicitReadOnlySpan_UsedAfterCall_Reports() => VerifyMembers("""
        string Run()
        {
            ReadOnlySpan<byte> text = memory.GetSpan(0, 16);
            convert(1);
            return Encoding.UTF8.GetString({|WVA001:text|});
        }
        """);

    [Fact]
    public Task MemoryMarshalCast_UsedAfterCall_Reports() => VerifyMembers("""
        int Run()
        {
            var words = MemoryMarshal.Cast<byte, int>(memory.GetSpan(0, 16));
            convert(1);
            return {|WVA001:words|}[0];
        }
        """);

    [Fact]
    public Task MemoryMarshalAsBytes_UsedAfterCall_Reports() => VerifyMembers("""
        byte Run()
        {
            var bytes = MemoryMarshal.AsBytes(memory.GetSpan<int>(0, 4));
            convert(1);
            return {|WVA001:bytes|}[0];
        }
        """);

    [Fact]
    public Task MemoryMarshalCreateSpan_UsedAfterCall_Reports() => VerifyMembers("""
        byte Run()
        {
            var view = memory.GetSpan(0, 16);
            var alias = MemoryMarshal.CreateSpan(ref view[0], 8);
            convert(1);
            return {|WVA001:alias|}[0];
        }
        """);

    [Fact]
    public Task RefLocal_WrittenAfterCall_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            ref byte first = ref view[0];
            convert(1);
            {|WVA001:first|} = 42;
        }
        """);

    [Fact]
    public Task RefLocal_WrittenBeforeCall_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            ref byte first = ref view[0];
            first = 42;
            convert(1);
        }
        """);

    [Fact]
    public Task FixedPointer_UsedAfterCall_Reports() => VerifyMembers("""
        byte Run()
        {
            var view = memory.GetSpan(0, 16);
            fixed (byte* p = view)
            {
                convert(1);
                return {|WVA001:p|}[1];
            }
        }
        """);

    [Fact]
    public Task NewSpanOverViewPointer_UsedAfterCall_Reports() => VerifyMembers("""
        byte[] Run(int length)
        {
            var span = new Span<byte>((void*)memory.GetPointer(), length);
            convert(1);
            return {|WVA001:span|}.ToArray();
        }
        """);

    [Fact]
    public Task UnmanagedMemoryStream_ReadAfterCall_Reports() => VerifyMembers("""
        void Run(int offset, int length, Stream sink)
        {
            using var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + offset, length);
            convert(1);
            {|WVA001:stream|}.CopyTo(sink);
        }
        """);

    [Fact]
    public Task UnmanagedMemoryStream_ReadBeforeCall_NoDiagnostic() => VerifyMembers("""
        void Run(int offset, int length, Stream sink)
        {
            using var stream = new UnmanagedMemoryStream((byte*)memory.GetPointer() + offset, length);
            stream.CopyTo(sink);
            convert(1);
        }
        """);

    [Fact]
    public Task MemoryManagerOverPointer_ReadAfterCall_Reports() => Verify.VerifyAnalyzerAsync(HostCode.WithMembers("""
        void Run(int offset, int length, Stream sink)
        {
            var output = new PointerManager((byte*)memory.GetPointer() + offset, length).Memory;
            convert(1);
            sink.Write({|WVA001:output|}.Span);
        }
        """) + PointerMemoryManager.Source);

    // ------------------------------------------------------------------ what is not a view

    [Fact]
    public Task Copies_UsedAfterCall_NoDiagnostic() => VerifyMembers("""
        void Run(byte[] destination)
        {
            var copy = memory.GetSpan(0, 16).ToArray();
            memory.GetSpan(16, 16).CopyTo(destination);
            var text = Encoding.UTF8.GetString(memory.GetSpan(32, 8));
            var number = memory.ReadInt32(40);
            var name = memory.ReadString(44, 4, Encoding.UTF8);
            var value = memory.Read<long>(48);
            var single = memory.GetSpan(0, 4)[2];
            convert(1);
            Console.WriteLine(copy[0] + destination[0] + text + number + name + value + single);
        }
        """);

    [Fact]
    public Task SpansOverArraysAndStack_UsedAfterCall_NoDiagnostic() => VerifyMembers("""
        void Run(byte[] array)
        {
            Span<byte> overArray = array;
            Span<byte> overStack = stackalloc byte[16];
            var slice = array.AsSpan(2);
            convert(1);
            Console.WriteLine(overArray[0] + overStack[0] + slice[0]);
        }
        """);

    [Fact]
    public Task LengthAfterCall_NoDiagnostic() => VerifyMembers("""
        int Run()
        {
            var view = memory.GetSpan(0, 16);
            convert(1);
            return view.Length + (view.IsEmpty ? 1 : 0);
        }
        """);

    // ------------------------------------------------------------------ what a guest call is

    [Fact]
    public Task FunctionInvoke_AllOverloads_Report() => VerifyMembers("""
        void NoArguments()
        {
            var view = memory.GetSpan(0, 16);
            function.Invoke();
            Console.WriteLine({|WVA001:view|}[0]);
        }

        void ArrayOfArguments()
        {
            var view = memory.GetSpan(0, 16);
            function.Invoke(new ValueBox[] { 1, 2 });
            Console.WriteLine({|WVA001:view|}[0]);
        }

        void SpanOfArguments()
        {
            var view = memory.GetSpan(0, 16);
            ReadOnlySpan<ValueBox> arguments = new ValueBox[] { 1 };
            function.Invoke(arguments);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task GetFunctionDelegate_InLocal_Reports() => VerifyMembers("""
        void Run()
        {
            var toGray = instance.GetFunction<int, int, int>("to_gray")!;
            var view = memory.GetSpan(0, 16);
            toGray(0, 16);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task GetFunctionDelegate_InField_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            convert(3);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task GetActionDelegate_InvokedThroughInvokeAndConditionally_Reports() => VerifyMembers("""
        void Explicit()
        {
            var view = memory.GetSpan(0, 16);
            reset.Invoke();
            Console.WriteLine({|WVA001:view|}[0]);
        }

        void Conditional(Action<int>? step)
        {
            step = instance.GetAction<int>("step");
            var view = memory.GetSpan(0, 16);
            step?.Invoke(1);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task DelegateFieldAssignedInAnotherClass_Reports() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;

        class Exports
        {
            public Func<int, int>? Convert;
            public Memory? Memory;
        }

        class Loader
        {
            public static Exports Load(Instance instance) => new Exports
            {
                Convert = instance.GetFunction<int, int>("convert"),
                Memory = instance.GetMemory("memory"),
            };
        }

        class Host
        {
            void Run(Exports exports)
            {
                var view = exports.Memory!.GetSpan(0, 8);
                exports.Convert!(1);
                Console.WriteLine({|WVA001:view|}[0]);
            }
        }
        """);

    [Fact]
    public Task WrapFuncAndWrapAction_Report() => VerifyMembers("""
        void Func()
        {
            var typed = function.WrapFunc<int, int>()!;
            var view = memory.GetSpan(0, 16);
            typed(1);
            Console.WriteLine({|WVA001:view|}[0]);
        }

        void Action()
        {
            var typed = function.WrapAction<int>()!;
            var view = memory.GetSpan(0, 16);
            typed(1);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task WrappedButNotInvoked_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            var typed = function.WrapFunc<int, int>();
            var action = instance.GetAction("reset");
            Console.WriteLine(view[0]);
        }
        """);

    [Fact]
    public Task Grow_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            memory.Grow(1);
            {|WVA001:view|}[0] = 1;
        }
        """);

    [Fact]
    public Task LinkerInstantiate_Reports() => VerifyMembers("""
        void Run(Linker linker, Store store, Module module)
        {
            var view = memory.GetSpan(0, 16);
            var other = linker.Instantiate(store, module);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task NewInstance_Reports() => VerifyMembers("""
        void Run(Store store, Module module)
        {
            var view = memory.GetSpan(0, 16);
            var other = new Instance(store, module);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task OtherWasmtimeCalls_NoDiagnostic() => VerifyMembers("""
        void Run(Linker linker, Store store)
        {
            var view = memory.GetSpan(0, 16);
            var size = memory.GetSize();
            var length = memory.GetLength();
            memory.WriteInt32(0, 5);
            var exported = instance.GetFunction("convert");
            linker.DefineFunction("env", "tick", () => convert(1));
            Console.WriteLine(view[0] + size + length);
        }
        """);

    [Fact]
    public Task MethodOfCompilation_CallingGuest_Reports() => VerifyMembers("""
        int ConvertImage(int input) => convert(input);

        void Run()
        {
            var view = memory.GetSpan(0, 16);
            ConvertImage(1);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task MethodOfCompilation_Transitively_Reports() => VerifyMembers("""
        void Step() => Inner();
        void Inner() => function.Invoke();

        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Step();
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task MethodOfCompilation_NotCallingGuest_NoDiagnostic() => VerifyMembers("""
        int Checksum(int seed) => Checksum(seed - 1) + seed;
        void Log(string message) => Console.WriteLine(message);

        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Log("converted");
            Checksum(3);
            Console.WriteLine(view[0]);
        }
        """);

    [Fact]
    public Task RecursiveMethods_CallingGuest_Report() => VerifyMembers("""
        void A(int n) { if (n > 0) B(n - 1); }
        void B(int n) { A(n); reset(); }

        void Run()
        {
            var view = memory.GetSpan(0, 16);
            A(3);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task LocalFunction_CallingGuest_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Next();
            Console.WriteLine({|WVA001:view|}[0]);

            void Next() => convert(2);
        }
        """);

    [Fact]
    public Task LocalFunction_NotCalled_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Console.WriteLine(view[0]);

            void Next() => convert(2);
        }
        """);

    [Fact]
    public Task CapturedViewReadByLocalFunctionCalledAfterGuestCall_Reports() => VerifyMembers("""
        void Pointer()
        {
            var p = (byte*)memory.GetPointer();
            convert(1);
            {|WVA001:Print()|};

            void Print() => Console.WriteLine(*p);
        }

        void QueueFlushedByLocalFunction(int[] inputs, Stream sink)
        {
            var outputs = new List<(nint Address, int Length)>();
            foreach (var input in inputs)
            {
                // The base pointer is taken before convert runs: stale when it is kept.
                outputs.Add({|WVA001:(memory.GetPointer() + convert(input), 4)|});
            }

            {|WVA001:Flush()|};

            void Flush()
            {
                foreach (var (address, length) in outputs)
                {
                    sink.Write(new ReadOnlySpan<byte>((void*)address, length));
                }
            }
        }

        void Lambda()
        {
            var p = memory.GetPointer();
            Action print = () => Console.WriteLine(*(byte*)p);
            print();
            reset();
            {|WVA001:print()|};
        }
        """);

    [Fact]
    public Task CapturedViewReadByLocalFunctionBeforeGuestCall_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            var p = (byte*)memory.GetPointer();
            Print();
            convert(1);
            Log("done");

            void Print() => Console.WriteLine(*p);
            void Log(string message) => Console.WriteLine(message);
        }
        """);

    [Fact]
    public Task LambdaCreatedNotInvoked_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Func<int> later = () => convert(1);
            Action alsoLater = reset;
            Console.WriteLine(view[0]);
        }
        """);

    [Fact]
    public Task LambdaInvoked_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Func<int> next = () => convert(1);
            next();
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task LambdaHandedToMethodThatRunsIt_Reports() => VerifyMembers("""
        void Run(List<int> inputs)
        {
            var view = memory.GetSpan(0, 16);
            inputs.ForEach(input => convert(input));
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task PlainDelegates_NoDiagnostic() => VerifyMembers("""
        void Run(Func<int, int> callback)
        {
            Func<int, int> twice = x => x * 2;
            var view = memory.GetSpan(0, 16);
            twice(1);
            callback(2);
            Console.WriteLine(view[0]);
        }
        """);

    [Fact]
    public Task CallThroughInterfaceImplementedWithGuestCall_Reports() => Verify.VerifyAnalyzerAsync(HostCode.WithMembers("""
        void Run(IConverter converter)
        {
            var view = memory.GetSpan(0, 16);
            converter.Convert(1);
            Console.WriteLine({|WVA001:view|}[0]);
        }
        """) + """

        interface IConverter { int Convert(int input); }

        sealed class WasmConverter : IConverter
        {
            private readonly Func<int, int> _convert;
            public WasmConverter(Instance instance) => _convert = instance.GetFunction<int, int>("convert")!;
            public int Convert(int input) => _convert(input);
        }
        """);

    [Fact]
    public Task CallThroughInterfaceWithoutGuestCall_NoDiagnostic() => Verify.VerifyAnalyzerAsync(HostCode.WithMembers("""
        void Run(ILogger logger)
        {
            var view = memory.GetSpan(0, 16);
            logger.Log("converted");
            Console.WriteLine(view[0]);
        }
        """) + """

        interface ILogger { void Log(string message); }

        sealed class ConsoleLogger : ILogger
        {
            public void Log(string message) => Console.WriteLine(message);
        }
        """);

    [Fact]
    public Task HelperReturningView_UsedAfterCall_Reports() => VerifyMembers("""
        Span<byte> Output(int address, int length) => memory.GetSpan(address, length);

        void Run()
        {
            var output = Output(0, 16);
            convert(1);
            Console.WriteLine({|WVA001:output|}[0]);
        }
        """);

    [Fact]
    public Task ViewPassedToMethodThatReadsItAfterAGuestCall_Reports() => VerifyMembers("""
        void Process(Span<byte> output)
        {
            convert(1);
            Console.WriteLine(output[0]);
        }

        void Forward(ReadOnlySpan<byte> output) => Process(output.ToArray());

        void Relay(Span<byte> output) => Process(output);

        void Run()
        {
            Process({|WVA001:memory.GetSpan(0, 16)|});
            var view = memory.GetSpan(0, 16);
            Relay({|WVA001:view|});
        }
        """);

    [Fact]
    public Task ViewPassedToMethodThatReadsItFirst_NoDiagnostic() => VerifyMembers("""
        void Process(Span<byte> output)
        {
            Console.WriteLine(output[0]);
            convert(1);
        }

        void Copying(ReadOnlySpan<byte> output)
        {
            var copy = output.ToArray();
            convert(1);
            Console.WriteLine(copy[0]);
        }

        void Run(byte[] array)
        {
            Process(memory.GetSpan(0, 16));
            Copying(memory.GetSpan(0, 16));
            Process(array);
        }
        """);

    [Fact]
    public Task HelperReturningCopy_UsedAfterCall_NoDiagnostic() => VerifyMembers("""
        byte[] Output(int address, int length) => memory.GetSpan(address, length).ToArray();

        void Run()
        {
            var output = Output(0, 16);
            convert(1);
            Console.WriteLine(output[0]);
        }
        """);

    // ------------------------------------------------------------------ flow

    [Fact]
    public Task CallInOneBranch_Reports() => VerifyMembers("""
        void Run(bool refresh)
        {
            var view = memory.GetSpan(0, 16);
            if (refresh)
            {
                reset();
            }

            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task CallInSwitchArm_Reports() => VerifyMembers("""
        void Run(int mode)
        {
            var view = memory.GetSpan(0, 16);
            switch (mode)
            {
                case 1:
                    convert(1);
                    break;
                default:
                    break;
            }

            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task CallInSwitchExpressionArm_Reports() => VerifyMembers("""
        void Run(int mode)
        {
            var view = memory.GetSpan(0, 16);
            var result = mode switch { 1 => convert(1), _ => 0 };
            Console.WriteLine({|WVA001:view|}[0] + result);
        }
        """);

    [Fact]
    public Task CallInFinally_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            try
            {
                Console.WriteLine(view[0]);
            }
            finally
            {
                reset();
            }

            Console.WriteLine({|WVA001:view|}[1]);
        }
        """);

    [Fact]
    public Task UseInFinallyAfterCallInTry_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            try
            {
                convert(1);
            }
            finally
            {
                Console.WriteLine({|WVA001:view|}[0]);
            }
        }
        """);

    [Fact]
    public Task UseInCatchAfterCallInTry_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            try
            {
                convert(1);
            }
            catch (TrapException)
            {
                Console.WriteLine({|WVA001:view|}[0]);
            }
        }
        """);

    [Fact]
    public Task UseInTryBeforeCallInFinally_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            try
            {
                Console.WriteLine(view[0]);
            }
            finally
            {
                reset();
            }
        }
        """);

    [Fact]
    public Task PreviousLoopIteration_Reports() => VerifyMembers("""
        void Run(int count)
        {
            var view = memory.GetSpan(0, 16);
            for (var i = 0; i < count; i++)
            {
                Console.WriteLine({|WVA001:view|}[i]);
                convert(i);
            }
        }
        """);

    [Fact]
    public Task ReacquiredEachIteration_NoDiagnostic() => VerifyMembers("""
        void Run(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var output = convert(i);
                var view = memory.GetSpan(output, 16);
                Console.WriteLine(view[0]);
            }
        }
        """);

    [Fact]
    public Task ReacquiredAfterCall_NoDiagnostic() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Console.WriteLine(view[0]);
            memory.Grow(1);
            view = memory.GetSpan(0, 16);
            Console.WriteLine(view[0]);
        }
        """);

    [Fact]
    public Task ReacquiredOnOnlyOnePath_Reports() => VerifyMembers("""
        void Run(bool again)
        {
            var view = memory.GetSpan(0, 16);
            convert(1);
            if (again)
            {
                view = memory.GetSpan(0, 16);
            }

            Console.WriteLine({|WVA001:view|}[0]);
        }
        """);

    [Fact]
    public Task PathThatReturnsAfterCall_NoDiagnostic() => VerifyMembers("""
        void Run(bool early)
        {
            var view = memory.GetSpan(0, 16);
            if (early)
            {
                convert(1);
                return;
            }

            Console.WriteLine(view[0]);
        }
        """);

    [Fact]
    public Task LoopConditionAfterCallInBody_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            while (true)
            {
                if ({|WVA001:view|}[0] == 0)
                {
                    break;
                }

                reset();
            }
        }
        """);

    [Fact]
    public Task ViewPassedBeforeLaterGuestCallArgument_Reports() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            Consume({|WVA001:view|}, convert(1));
        }

        static void Consume(Span<byte> bytes, int count) => bytes[0] = (byte)count;
        """);

    [Fact]
    public Task EachStaleUseIsReported() => VerifyMembers("""
        void Run()
        {
            var view = memory.GetSpan(0, 16);
            convert(1);
            var sum = {|WVA001:view|}[0] + {|WVA001:view|}[1];
        }
        """);

    [Fact]
    public Task Message_NamesViewSourceAndCall_AndPointsAtAcquisition() => Verify.VerifyAnalyzerAsync(
        HostCode.WithMembers("""
            void Run()
            {
                var output = {|#1:memory.GetSpan(0, 16)|};
                function.Invoke(1);
                Console.WriteLine({|#0:output|}[0]);
            }
            """),
        Verify.Diagnostic("WVA001")
            .WithLocation(0)
            .WithLocation(1)
            .WithArguments("output", "was obtained from Memory.GetSpan", "the call to 'function.Invoke'"));

    // ------------------------------------------------------------------ the seed scenario

    [Fact]
    public Task QueuedOutputsReadAfterLaterConversions_Reports() => Verify.VerifyAnalyzerAsync(HostCode.WithMembers("""
        void ConvertAll(int[] inputs, Stream archive)
        {
            var outputs = new List<Memory<byte>>();
            foreach (var input in inputs)
            {
                var address = convert(input);
                outputs.Add(new PointerManager((byte*)memory.GetPointer() + address, 64).Memory);
            }

            foreach (var output in outputs)
            {
                archive.Write({|WVA001:output|}.Span);
            }
        }
        """) + PointerMemoryManager.Source);

    [Fact]
    public Task QueuedPointerPairsReadAfterLaterConversions_Reports() => VerifyMembers("""
        void ConvertAll(int[] inputs, Stream archive)
        {
            var pending = new Queue<(nint Address, int Length)>();
            foreach (var input in inputs)
            {
                var address = convert(input);
                pending.Enqueue((memory.GetPointer() + address, 64));
            }

            while (pending.TryDequeue(out var entry))
            {
                using var stream = new UnmanagedMemoryStream((byte*)entry.Address, entry.Length);
                {|WVA001:stream|}.CopyTo(archive);
            }
        }
        """);

    [Fact]
    public Task QueuedCopies_NoDiagnostic() => VerifyMembers("""
        void ConvertAll(int[] inputs, Stream archive)
        {
            var outputs = new List<byte[]>();
            foreach (var input in inputs)
            {
                var address = convert(input);
                outputs.Add(memory.GetSpan(address, 64).ToArray());
            }

            foreach (var output in outputs)
            {
                archive.Write(output);
            }
        }
        """);

    // ------------------------------------------------------------------ the runtime companion library

    [Fact]
    public Task GuardedViewReadAfterGuardedCall_Reports() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.IO;
        using Wasmtime;
        using WasmViewAnalyzers.Runtime;

        class Host
        {
            void Run(Instance instance, Stream archive, int count)
            {
                var guard = new GuestMemoryGuard(instance.GetMemory("memory")!);
                var convert = guard.GetFunction<int, int>(instance, "convert")!;
                var pending = new List<(string Name, GuardedView Content)>();
                for (var i = 0; i < count; i++)
                {
                    var output = convert(i);
                    pending.Add(($"image-{i}", guard.GetView(output, 64)));
                }

                foreach (var (name, content) in pending)
                {
                    archive.Write({|WVA001:content|}.Span);
                }
            }
        }
        """, withRuntimeLibrary: true, OutputKind.DynamicallyLinkedLibrary);

    [Fact]
    public Task GuardedWrappersAreGuestCallsForRawViews_Reports() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;
        using WasmViewAnalyzers.Runtime;

        class Host
        {
            void Run(Instance instance, Memory memory)
            {
                var guard = new GuestMemoryGuard(memory);
                var reset = guard.GetAction(instance, "reset")!;
                var view = memory.GetSpan(0, 16);
                reset();
                Console.WriteLine({|WVA001:view|}[0]);
                var again = memory.GetSpan(0, 16);
                guard.Grow(1);
                Console.WriteLine({|WVA001:again|}[0]);
            }
        }
        """, withRuntimeLibrary: true, OutputKind.DynamicallyLinkedLibrary);

    [Fact]
    public Task GuardedViewAndLeaseReadBeforeCallOrCopied_NoDiagnostic() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;
        using WasmViewAnalyzers.Runtime;

        class Host
        {
            void Run(Instance instance, Memory memory)
            {
                var guard = new GuestMemoryGuard(memory);
                var convert = guard.GetFunction<int, int>(instance, "convert")!;
                var view = guard.GetView(0, 16);
                var copy = view.ToArray();
                using var lease = memory.GetSpan(0, 16).LeaseCopy();
                using var direct = memory.LeaseCopy(16, 16);
                convert(1);
                Console.WriteLine(copy[0] + lease.Span[0] + direct.Memory.Span[0]);
            }
        }
        """, withRuntimeLibrary: true, OutputKind.DynamicallyLinkedLibrary);

    // ------------------------------------------------------------------ scope of the analysis

    [Fact]
    public Task TopLevelStatements_Report() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;

        using var engine = new Engine();
        using var module = Module.FromText(engine, "m", "(module (memory (export \"memory\") 1))");
        using var store = new Store(engine);
        var instance = new Instance(store, module);
        var memory = instance.GetMemory("memory")!;
        var run = instance.GetAction("run")!;

        var view = memory.GetSpan(0, 4);
        run();
        Console.WriteLine({|WVA001:view|}[0]);
        """, withRuntimeLibrary: false, OutputKind.ConsoleApplication);

    [Fact]
    public Task WithoutWasmtime_NoDiagnostic()
    {
        var test = new Verify.Test(withWasmtime: false)
        {
            TestCode = """
                using System;

                namespace Wasmtime
                {
                    // A look-alike in the user's own code is not Wasmtime.
                    public class Mem { public Span<byte> GetSpan(long address, int length) => new byte[length]; }
                }

                class Host
                {
                    void Run(Wasmtime.Mem memory, Func<int, int> convert)
                    {
                        var view = memory.GetSpan(0, 16);
                        convert(1);
                        Console.WriteLine(view[0]);
                    }
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task GeneratedCode_NoDiagnostic() => Verify.VerifyAnalyzerAsync("""
        // <auto-generated/>
        using System;
        using Wasmtime;

        class Host
        {
            void Run(Memory memory, Function convert)
            {
                var view = memory.GetSpan(0, 16);
                convert.Invoke(1);
                Console.WriteLine(view[0]);
            }
        }
        """);

}
