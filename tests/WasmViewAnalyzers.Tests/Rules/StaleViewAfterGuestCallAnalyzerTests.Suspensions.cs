using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// WVA001 across <c>await</c> and <c>yield return</c>: other code, guest calls through the same
/// store included, may run while the method is suspended. And lambdas that are stored, not run.
/// </summary>
public sealed partial class StaleViewAfterGuestCallAnalyzerTests
{
    private static Task VerifySafeMembers(string members, params Microsoft.CodeAnalysis.Testing.DiagnosticResult[] expected)
        => Verify.VerifyAnalyzerAsync(HostCode.WithSafeMembers(members, StreamSources) + PointerMemoryManager.Source, expected);

    private const string StreamSources = """
        UnmanagedMemoryStream OpenOutput(int address, int length) => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);

        ReadOnlyMemory<byte> OutputMemory(int address, int length) => new PointerManager((byte*)memory.GetPointer() + address, length).Memory;

        """;

    [Fact]
    public Task StreamHeldAcrossAwait_Reports_NamingTheAwait() => VerifySafeMembers("""
        async Task Run(Stream sink)
        {
            var output = {|#1:OpenOutput(0, 16)|};
            await Task.Delay(1);
            await {|#0:output|}.CopyToAsync(sink);
        }
        """,
        Verify.Diagnostic("WVA001").WithLocation(0).WithLocation(1).WithArguments("output", "was obtained from Host.OpenOutput", "the 'await' on line 38"));

    [Fact]
    public Task MemoryHeldAcrossAwaitInAsyncCallback_Reports() => VerifySafeMembers("""
        Func<Stream, Task> Writer()
        {
            return async sink =>
            {
                var output = OutputMemory(0, 16);
                await sink.FlushAsync();
                await sink.WriteAsync({|WVA001:output|});
            };
        }
        """);

    [Fact]
    public Task ViewUsedFullyBeforeAwait_NoDiagnostic() => VerifySafeMembers("""
        async Task<int> Run(Stream sink)
        {
            var output = OutputMemory(0, 16);
            var first = output.Span[0];
            sink.Write(output.Span);
            await sink.FlushAsync();
            output = OutputMemory(0, 16);
            return first + output.Span[1];
        }
        """);

    [Fact]
    public Task AwaitedWriteOfTheView_ThenNothing_NoDiagnostic() => VerifySafeMembers("""
        async Task Run(Stream sink)
        {
            var output = OutputMemory(0, 16);
            await sink.WriteAsync(output);
        }
        """);

    [Fact]
    public Task AwaitForeach_ViewObtainedBeforeTheLoop_Reports() => VerifySafeMembers("""
        async Task Run(IAsyncEnumerable<int> lengths, Stream sink)
        {
            var output = OutputMemory(0, 64);
            await foreach (var length in lengths)
            {
                await sink.WriteAsync({|WVA001:output|}.Slice(0, length));
            }
        }
        """);

    [Fact]
    public Task AwaitForeach_ViewObtainedInsideTheBody_NoDiagnostic() => VerifySafeMembers("""
        async Task Run(IAsyncEnumerable<int> lengths, Stream sink)
        {
            await foreach (var length in lengths)
            {
                var output = OutputMemory(0, length).ToArray();
                await sink.WriteAsync(output);
            }
        }
        """);

    [Fact]
    public Task Iterator_StreamReadAfterYieldReturn_Reports() => VerifySafeMembers("""
        IEnumerable<byte[]> Chunks(int address, int length)
        {
            var stream = OpenOutput(address, length);
            var buffer = new byte[4];
            while ({|WVA001:stream|}.Read(buffer) > 0)
            {
                yield return buffer;
            }
        }
        """);

    [Fact]
    public Task Iterator_ViewCopiedBeforeYield_NoDiagnostic() => VerifySafeMembers("""
        IEnumerable<byte[]> Chunks(int address, int length)
        {
            var all = new byte[length];
            using (var stream = OpenOutput(address, length))
            {
                stream.ReadExactly(all);
            }

            for (var i = 0; i < length; i += 4)
            {
                yield return all[i..Math.Min(i + 4, length)];
            }
        }
        """);

    [Fact]
    public Task AsyncEnumerableProducer_MemoryHeldAcrossYield_Reports() => VerifySafeMembers("""
        async IAsyncEnumerable<byte> Produce()
        {
            var output = OutputMemory(0, 4);
            yield return output.Span[0];
            await Task.Yield();
            yield return {|WVA001:output|}.Span[1];
        }
        """);

    // ------------------------------------------------------------------ captured views inside the function

    [Fact]
    public Task CapturedView_UsedAfterAGuestCallOfTheFunctionItself_Reports() => VerifyMembers("""
        void LocalFunction(int address)
        {
            var header = (byte*)memory.GetPointer() + address;
            void Step()
            {
                var before = *header;
                convert(before);
                *{|WVA001:header|} = 0;
            }

            Step();
        }

        Action Lambda(int address)
        {
            var output = new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, 16);
            return () =>
            {
                reset();
                {|WVA001:output|}.ReadByte();
            };
        }

        void ReadOnlyOrAlsoACopy(int address, bool copy)
        {
            var header = (byte*)memory.GetPointer() + address;
            var bytes = new UnmanagedMemoryStream(header, 16);
            Stream either = bytes;
            if (copy)
            {
                either = new MemoryStream(new byte[16]);
            }

            void Step()
            {
                var first = *header;
                convert(first);
                either.ReadByte();
            }

            Step();
        }
        """);

    // ------------------------------------------------------------------ stored lambdas are not run

    [Fact]
    public Task LambdaStoredInListFieldOrEvent_IsNotACall_NoDiagnostic() => VerifyMembers("""
        private readonly List<Action> _later = new();
        private Action? _pending;
        event Action? Completed;

        Func<int> Run()
        {
            var view = memory.GetSpan(0, 16);
            _later.Add(() => convert(1));
            _pending = () => reset();
            Completed += () => convert(2);
            var first = view[0];
            return () => convert(first);
        }
        """);

    [Fact]
    public Task LambdaHandedToAnUnknownMethod_MayRun_Reports() => VerifyMembers("""
        static void RunNow(Action action) => action();

        int Run()
        {
            var view = memory.GetSpan(0, 16);
            RunNow(() => convert(1));
            Array.ForEach(new[] { 1 }, i => convert(i));
            return {|WVA001:view|}[0];
        }
        """);

    [Fact]
    public Task StoredLambdaInvokedLater_IsACall_Reports() => VerifyMembers("""
        private Action? _pending;

        int Run()
        {
            var view = memory.GetSpan(0, 16);
            _pending = () => convert(1);
            _pending();
            return {|WVA001:view|}[0];
        }
        """);
}
