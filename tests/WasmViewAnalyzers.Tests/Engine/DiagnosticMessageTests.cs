using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Tests.Verifiers;
using Stale = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;
using Escapes = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.ViewEscapesMethodAnalyzer>;
using Compressor = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.ViewWrittenToCompressorAnalyzer>;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Each message names what the user wrote and what happens to it: the expression a view is read
/// through (not the member alone), a collection as the holder of a view obtained on a given line,
/// the last guest call before a stale read (and, for a helper, the guest call it reaches), and what a
/// write into a compressor corrupts (an archive entry, or a compressor's output).
/// </summary>
public sealed class DiagnosticMessageTests
{
    [Fact]
    public Task CollectionOfViews_SaysItHoldsAViewObtainedOnALine()
    {
        var test = new Stale.Test
        {
            TestCode = HostCode.WithMembers("""
                List<UnmanagedMemoryStream> ConvertAll(int[] inputs)
                {
                    var pending = new List<UnmanagedMemoryStream>();
                    foreach (var input in inputs)
                    {
                        var address = convert(input);
                        pending.Add(new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, 64));
                    }

                    reset();
                    return {|#0:pending|};
                }
                """),
        };
        test.ExpectedDiagnostics.Add(Stale.Diagnostic("WVA001")
            .WithLocation(0)
            .WithArguments("pending", "holds a view obtained from Memory.GetPointer on line 33", "the call to 'reset'")
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task LongInvalidatingCall_IsNamedByItsCallsWithoutTheirArguments()
    {
        var test = new Stale.Test
        {
            TestCode = HostCode.WithMembers("""
                int Read(int address, int[] keys)
                {
                    var view = memory.GetSpan(address, 16);
                    var total = keys.Where(key => key > 0 && key < 1000 && key != 17).Select(key => key * 2).Sum(key => convert(key));
                    return {|#0:view|}[0] + total;
                }
                """, "System.Linq"),
        };
        test.ExpectedDiagnostics.Add(Stale.Diagnostic("WVA001")
            .WithLocation(0)
            .WithArguments("view", "was obtained from Memory.GetSpan", "the call to 'keys.Where(...).Select(...).Sum'")
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task UserConversionThatCallsTheGuest_IsNamedAsTheConversion()
    {
        var test = new Stale.Test
        {
            TestCode = HostCode.WithMembers("""
                int Read(int address, int length)
                {
                    var view = memory.GetSpan(address, 16);
                    GuestText text = length;
                    return {|#0:view|}[0] + text.Address;
                }
                """) + """

                readonly struct GuestText
                {
                    public static Func<int, int>? Alloc;
                    public GuestText(int address) => Address = address;
                    public static void Bind(Instance instance) => Alloc = instance.GetFunction<int, int>("alloc");
                    public int Address { get; }
                    public static implicit operator GuestText(int length) => new(Alloc!(length));
                }
                """,
        };
        test.ExpectedDiagnostics.Add(Stale.Diagnostic("WVA001")
            .WithLocation(0)
            .WithArguments("view", "was obtained from Memory.GetSpan", "the call to '(GuestText)length'")
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task PlainView_SaysWhereItWasObtained()
    {
        var test = new Stale.Test
        {
            TestCode = HostCode.WithMembers("""
                int Read(int address)
                {
                    var view = memory.GetSpan(address, 16);
                    reset();
                    return {|#0:view|}[0];
                }
                """),
        };
        test.ExpectedDiagnostics.Add(Stale.Diagnostic("WVA001")
            .WithLocation(0)
            .WithArguments("view", "was obtained from Memory.GetSpan", "the call to 'reset'")
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    // ------------------------------------------------------------------ which guest call a message names

    [Fact]
    public Task HelperThatCallsTheGuest_NamesTheGuestCallItReaches() => VerifyStaleCall(
        """
        int Read(int address)
        {
            var view = memory.GetSpan(address, 16);
            Warmup();
            return {|#0:view|}[0];
        }

        void Warmup()
        {
            Console.WriteLine("warming up");
            reset();
        }
        """,
        "the call to 'Warmup', which calls the guest through 'reset',");

    [Fact]
    public Task HelperOfAHelper_NamesTheGuestCallAndWhereItIs() => VerifyStaleCall(
        """
        int Read(int address)
        {
            var view = memory.GetSpan(address, 16);
            Warmup();
            return {|#0:view|}[0];
        }

        void Warmup() => Prepare(1);

        void Prepare(int seed) => convert(seed);
        """,
        "the call to 'Warmup', which calls the guest through 'convert' in 'Host.Prepare',");

    [Fact]
    public Task CallThroughAnInterface_NamesTheGuestCallOfTheImplementation() => VerifyStaleCall(
        """
        interface IStep { void Run(); }

        sealed class Step : IStep
        {
            private readonly Function _process;
            public Step(Function process) => _process = process;
            public void Run() => _process.Invoke(0);
        }

        int Read(IStep step, int address)
        {
            var view = memory.GetSpan(address, 16);
            step.Run();
            return {|#0:view|}[0];
        }
        """,
        "the call to 'step.Run', which calls the guest through '_process.Invoke' in 'Step.Run',");

    [Fact]
    public Task DirectGuestCall_NamedAlone() => VerifyStaleCall(
        """
        int Read(int address)
        {
            var view = memory.GetSpan(address, 16);
            function.Invoke(1);
            return {|#0:view|}[0];
        }
        """,
        "the call to 'function.Invoke'");

    [Fact]
    public Task LambdaHandedToAMethodThatRunsIt_NamesThatMethod() => VerifyStaleCall(
        """
        int Read(List<int> inputs, int address)
        {
            var view = memory.GetSpan(address, 16);
            inputs.ForEach(input => convert(input));
            return {|#0:view|}[0];
        }
        """,
        "the call to 'inputs.ForEach'");

    [Fact]
    public Task SeveralCallsBeforeTheUse_NamesTheLast() => VerifyStaleCall(
        """
        int Read(int address)
        {
            var view = memory.GetSpan(address, 16);
            var scratch = Allocate(64);
            convert(scratch);
            return {|#0:view|}[0];
        }

        int Allocate(int size) => convert(-size);
        """,
        "the call to 'convert'");

    [Fact]
    public Task CallsInBothBranches_NamesTheOneThatEndsLast() => VerifyStaleCall(
        """
        int Read(int address, bool again)
        {
            var view = memory.GetSpan(address, 16);
            convert(1);
            if (again)
            {
                function.Invoke(2);
            }
            else
            {
                reset();
            }

            return {|#0:view|}[0];
        }
        """,
        "the call to 'reset'");

    [Fact]
    public Task UseAfterALoop_NamesTheLastCallOfItsBody() => VerifyStaleCall(
        """
        int Read(int address, int count)
        {
            var view = memory.GetSpan(address, 16);
            for (var i = 0; i < count; i++)
            {
                convert(i);
                reset();
            }

            return {|#0:view|}[0];
        }
        """,
        "the call to 'reset'");

    [Fact]
    public Task UseAtTheTopOfALoop_NamesTheLastCallOfThePreviousIteration() => VerifyStaleCall(
        """
        int Sum(int address, int count)
        {
            var view = memory.GetSpan(address, 16);
            var sum = 0;
            for (var i = 0; i < count; i++)
            {
                sum += {|#0:view|}[i];
                reset();
                convert(i);
            }

            return sum;
        }
        """,
        "the call to 'convert'");

    [Fact]
    public Task CallInAFinally_NamedAfterTheTry() => VerifyStaleCall(
        """
        int Read(int address)
        {
            var view = memory.GetSpan(address, 16);
            try
            {
                convert(1);
            }
            finally
            {
                reset();
            }

            return {|#0:view|}[0];
        }
        """,
        "the call to 'reset'");

    [Fact]
    public Task UseInACatch_NamesTheLastCallOfTheTry() => VerifyStaleCall(
        """
        int Read(int address)
        {
            var view = memory.GetSpan(address, 16);
            try
            {
                reset();
                convert(1);
                return 0;
            }
            catch (WasmtimeException)
            {
                return {|#0:view|}[0];
            }
        }
        """,
        "the call to 'convert'");

    [Fact]
    public Task CallsInTheSameStatementAfterTheView_NamesTheLast() => VerifyStaleCall(
        """
        int Read(int address)
        {
            var view = memory.GetSpan(address, 16);
            return Combine({|#0:view|}, convert(1), Reset());
        }

        int Reset()
        {
            reset();
            return 0;
        }

        static int Combine(Span<byte> view, int first, int second) => view[0] + first + second;
        """,
        "the call to 'Reset', which calls the guest through 'reset',");

    [Fact]
    public Task MemberOfANewObject_NamedAsWritten()
    {
        var test = new Escapes.Test(withArchiveLibraries: true)
        {
            TestCode = ArchiveHostCode.WithMembers(
                """
                private readonly List<Memory<byte>> _outputs = new();

                void Keep(int address, int length)
                {
                    _outputs.Add({|#0:new PointerManager((byte*)memory.GetPointer() + address, length).Memory|});
                }
                """,
                ArchiveHostCode.PointerManager),
        };
        test.ExpectedDiagnostics.Add(Escapes.Diagnostic("WVA002")
            .WithLocation(0)
            .WithArguments("new PointerManager(...).Memory", "Memory.GetPointer", "stored in '_outputs' by 'List.Add'")
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task WriteIntoGZipStream_CorruptsTheCompressedOutput() => VerifyCompressor(
        """
        void Save(Stream destination, int address, int length)
        {
            using var gzip = new GZipStream(destination, CompressionLevel.Fastest);
            var output = memory.GetSpan(address, length);
            {|#0:gzip.Write(output)|};
        }
        """,
        "output",
        "'gzip' (GZipStream)",
        "the compressed output");

    [Fact]
    public Task WriteIntoZipArchiveEntry_CorruptsTheEntry() => VerifyCompressor(
        """
        void Save(ZipArchive archive, int address, int length)
        {
            var output = memory.GetSpan(address, length);
            using var entry = archive.CreateEntry("out.png").Open();
            {|#0:entry.Write(output)|};
        }
        """,
        "output",
        "'entry' (ZipArchiveEntry stream)",
        "the archive entry");

    private static Task VerifyStaleCall(string members, string call)
    {
        var test = new Stale.Test { TestCode = HostCode.WithMembers(members) };
        test.ExpectedDiagnostics.Add(Stale.Diagnostic("WVA001")
            .WithLocation(0)
            .WithArguments("view", "was obtained from Memory.GetSpan", call)
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }

    private static Task VerifyCompressor(string members, string view, string stream, string damaged)
    {
        var test = new Compressor.Test(withArchiveLibraries: true) { TestCode = ArchiveHostCode.WithMembers(members) };
        test.ExpectedDiagnostics.Add(Compressor.Diagnostic("WVA004")
            .WithLocation(0)
            .WithArguments(view, stream, "while it compresses, so a callback or another thread that enters the guest meanwhile corrupts " + damaged)
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        return test.RunAsync(CancellationToken.None);
    }
}
