using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// The driver skips the flow analysis of a block that obtains only <c>Memory.GetSpan</c> spans of
/// bytes and runs nothing but span members after the first one. These blocks come close to that
/// shape and must still be analyzed.
/// </summary>
public sealed class ForeseenBlockTests
{
    private static Task VerifyMembers(string members) => Verify.VerifyAnalyzerAsync(HostCode.WithMembers(members));

    [Fact]
    public Task GuestCallBeforeTheSpan_OnlySpanCodeAfter_NoDiagnostic() => VerifyMembers("""
        int Put(ReadOnlySpan<byte> data)
        {
            var address = convert(data.Length);
            var target = memory.GetSpan(address, data.Length);
            data.CopyTo(target);
            return address + target.Length;
        }
        """);

    [Fact]
    public Task SecondSpanObtainedAtAGuestCall_FirstReadAfter_Reports() => VerifyMembers("""
        int Run()
        {
            var first = memory.GetSpan(0, 16);
            var second = memory.GetSpan(convert(1), 16);
            return {|WVA001:first|}[0] + second[0];
        }
        """);

    [Fact]
    public Task LocalFunctionBeforeTheSpan_ItsOwnStaleRead_Reports() => VerifyMembers("""
        int Run()
        {
            int Later()
            {
                var inner = memory.GetSpan(0, 16);
                reset();
                return {|WVA001:inner|}[0];
            }

            var view = memory.GetSpan(0, 16);
            return view[0];
        }
        """);

    [Fact]
    public Task LambdaBeforeTheSpan_ItsOwnStaleRead_Reports() => VerifyMembers("""
        int Run()
        {
            Func<int> later = () =>
            {
                var inner = memory.GetSpan(0, 16);
                reset();
                return {|WVA001:inner|}[0];
            };

            var view = memory.GetSpan(0, 16);
            return view[0];
        }
        """);
}
