using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Rebase the pointer on the memory after the call" for a pointer bound where a helper that calls
/// the guest hands it over: by a pattern over what the helper returns, or by its <c>out</c> argument.
/// The offset is taken where it is bound; beside it, the statements that call the guest after that.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string BindingHelpers = """
        readonly record struct Info(int Kind, nint Header);

        Info Describe(int at) => new Info(convert(at), memory.GetPointer() + at);

        bool TryRun(int box, out nint run)
        {
            var address = convert(box);
            run = memory.GetPointer() + address;
            return address != 0;
        }

        """;

    // Reading the value before the call is offered first there (the guest is not given the header).
    [Fact]
    public Task PointerBoundByAPatternOverWhatAHelperReturns_RebasedFromWhereItIsBound() => VerifyMembers(BindingHelpers + """
        long Pattern(int at)
        {
            if (Describe(at) is { Kind: var kind, Header: var header } && kind != 0)
            {
                reset();
                return *(long*){|WVA001:header|};
            }

            return 0;
        }
        """, BindingHelpers + """
        long Pattern(int at)
        {
            if (Describe(at) is { Kind: var kind, Header: var header } && kind != 0)
            {
                var headerOffset = header - memory.GetPointer();
                reset();
                header = memory.GetPointer() + headerOffset;
                return *(long*)header;
            }

            return 0;
        }
        """, StaleViewAfterGuestCallFixer.RebaseKey);

    [Fact]
    public Task PointerAHelpersOutArgumentGives_RebasedFromRightAfterItsStatement() => VerifyMembers(BindingHelpers + """
        int Out(int box)
        {
            if (!TryRun(box, out var run))
            {
                return -1;
            }

            var count = convert(box);
            return count > 0 ? *(int*){|WVA001:run|} : -1;
        }
        """, BindingHelpers + """
        int Out(int box)
        {
            if (!TryRun(box, out var run))
            {
                return -1;
            }
            var runOffset = run - memory.GetPointer();

            var count = convert(box);
            run = memory.GetPointer() + runOffset;
            return count > 0 ? *(int*)run : -1;
        }
        """);

    [Theory]
    [InlineData("the condition calls the guest after the pattern", """
        long Read(int at)
        {
            if (Describe(at) is { Header: var header } && convert(1) > 0)
            {
                reset();
                return *(long*)header;
            }

            return 0;
        }
        """)]
    [InlineData("the statement calls the guest after the out argument", """
        int Read(int box)
        {
            var ok = TryRun(box, out var run) && convert(1) > 0;
            reset();
            return ok ? *(int*)run : -1;
        }
        """)]
    [InlineData("the variable is stepped on", """
        long Read(int at)
        {
            if (Describe(at) is { Header: var header })
            {
                header += 8;
                reset();
                return *(long*)header;
            }

            return 0;
        }
        """)]
    [InlineData("the helper is another object's", """
        long Read(Host other, int at)
        {
            if (other.Describe(at) is { Header: var header })
            {
                reset();
                return *(long*)header;
            }

            return 0;
        }
        """)]
    public async Task PointerBoundWhereItMayNotBeFresh_NotRebased(string shape, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(BindingHelpers + members), requireCompiling: false);

        Assert.True(findings.Any(f => f.Diagnostic.Id == "WVA001"), shape);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == Rebase);
    }
}
