using WasmViewAnalyzers.Rules;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;

namespace WasmViewAnalyzers.Tests.Rules;

public sealed class StaleViewAfterGuestCallAnalyzerTests
{
    [Fact]
    public Task SpanReadAfterFunctionInvoke_Reports() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;

        class Host
        {
            void Run(Memory memory, Function convert)
            {
                var view = memory.GetSpan(0, 16);
                convert.Invoke(1);
                Console.WriteLine({|WVA001:view|}[0]);
            }
        }
        """);

    [Fact]
    public Task SpanReadBeforeFunctionInvoke_NoDiagnostic() => Verify.VerifyAnalyzerAsync("""
        using System;
        using Wasmtime;

        class Host
        {
            void Run(Memory memory, Function convert)
            {
                var view = memory.GetSpan(0, 16);
                Console.WriteLine(view[0]);
                convert.Invoke(1);
            }
        }
        """);
}
