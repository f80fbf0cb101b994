using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Rules;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

public sealed class StaleViewAfterGuestCallFixerTests
{
    [Fact]
    public Task VarDeclaration_BecomesArrayCopy() => Verify.VerifyCodeFixAsync("""
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
        """, """
        using System;
        using Wasmtime;

        class Host
        {
            void Run(Memory memory, Function convert)
            {
                var view = memory.GetSpan(0, 16).ToArray();
                convert.Invoke(1);
                Console.WriteLine(view[0]);
            }
        }
        """, StaleViewAfterGuestCallFixer.CopyToArrayKey);
}
