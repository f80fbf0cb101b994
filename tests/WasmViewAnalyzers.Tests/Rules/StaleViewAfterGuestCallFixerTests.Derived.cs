using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Obtain the view again" for a view derived from another and from plain locals (<c>var p =
/// (byte*)basePtr + rrAt;</c>, <c>var part = view.Slice(start, count);</c>): the one local that holds
/// the view is obtained again first, the derived view from it and the same inputs (kept first where
/// one changes on the way). Its twin where another local holds a view too.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    public static TheoryData<string, string, string> DerivedForms() => new()
    {
        {
            "pointer from an is-var base and an address local, both declared before the call",
            """
            int Answer(int at)
            {
                if (memory.GetPointer() is var basePtr && basePtr != IntPtr.Zero)
                {
                    var rrAt = at + 12;
                    var p = (byte*)basePtr + rrAt;
                    var count = convert(at);
                    return count > 0 ? p[0] : -1;
                }

                return -1;
            }
            """,
            """
            int Answer(int at)
            {
                if (memory.GetPointer() is var basePtr && basePtr != IntPtr.Zero)
                {
                    var rrAt = at + 12;
                    var p = (byte*)basePtr + rrAt;
                    var count = convert(at);
                    basePtr = memory.GetPointer();
                    p = (byte*)basePtr + rrAt;
                    return count > 0 ? p[0] : -1;
                }

                return -1;
            }
            """
        },
        {
            "slice of a span at a start local, written after the call",
            """
            void Mark(int address, int index)
            {
                var view = memory.GetSpan(address, 256);
                var start = index * 16;
                var part = view.Slice(start, 16);
                reset();
                part[0] = 1;
            }
            """,
            """
            void Mark(int address, int index)
            {
                var view = memory.GetSpan(address, 256);
                var start = index * 16;
                var part = view.Slice(start, 16);
                reset();
                view = memory.GetSpan(address, 256);
                part = view.Slice(start, 16);
                part[0] = 1;
            }
            """
        },
        {
            "slice at a start local that changes after it: the start is kept first",
            """
            void Mark(int address, int index)
            {
                var view = memory.GetSpan(address, 256);
                var start = index * 16;
                var part = view.Slice(start, 16);
                start = 0;
                reset();
                part[0] = 1;
            }
            """,
            """
            void Mark(int address, int index)
            {
                var view = memory.GetSpan(address, 256);
                var start = index * 16;
                var partStart = start;
                var part = view.Slice(partStart, 16);
                start = 0;
                reset();
                view = memory.GetSpan(address, 256);
                part = view.Slice(partStart, 16);
                part[0] = 1;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(DerivedForms))]
    public async Task DerivedForm_ObtainedAgainFromItsRoot(string form, string members, string fixedMembers)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members));
        var finding = Assert.Single(findings);
        var fix = finding.Fixes.Single(fix => fix.Title == ObtainAgain);
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
        Assert.Equal(HostCode.WithMembers(fixedMembers), text);
        Assert.True((await Verify.GetFixesPerDiagnosticAsync(text)).Length == 0, form);
    }

    public static TheoryData<string, string> RefusedDerived() => new()
    {
        {
            "another local holds a view too: obtaining one again would leave the other stale",
            """
            long Distance(int a, int b)
            {
                var first = memory.GetPointer() + a;
                var second = memory.GetPointer() + b;
                var gap = (byte*)first + (second - first);
                reset();
                return *gap;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RefusedDerived))]
    public async Task RefusedDerived_NotObtainedAgain(string form, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members));
        Assert.NotEmpty(findings);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != ObtainAgain)), form);
    }
}
