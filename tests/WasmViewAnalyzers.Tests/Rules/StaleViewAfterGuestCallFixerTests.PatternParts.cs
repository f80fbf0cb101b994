using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Obtain the view again after the call" for a pointer a pattern takes out of a tuple or positional
/// record local (<c>window is (var start, > 0)</c>, <c>quote is { Ask: var a }</c>): the part is
/// obtained again from what the local was given where it was declared. Beside them, the holders
/// whose part may no longer be what they were given.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    [Fact]
    public Task PointerAPatternTakesOutOfATupleOrRecord_ObtainedAgainFromWhatTheHolderWasGiven() => VerifyMembers("""
        record Quote(nint Bid, nint Ask, long Sequence);

        long Positional(int zone, int count)
        {
            var window = (memory.GetPointer() + zone, count);
            convert(zone);
            if (window is (var start, > 0))
            {
                return *(long*){|WVA001:start|};
            }

            return 0;
        }

        long Named(int zone, int count)
        {
            var window = (Start: memory.GetPointer() + zone, Count: count);
            convert(zone);
            return window is { Start: var start, Count: > 0 } ? *(long*){|WVA001:start|} : 0;
        }

        long Record(int bidAt, int askAt)
        {
            var quote = new Quote((nint)((byte*)memory.GetPointer() + bidAt), memory.GetPointer() + askAt, 1);
            var sequence = quote.Sequence;
            convert(0);
            if (quote is { Ask: var ask })
            {
                return *(long*){|WVA001:ask|} + sequence;
            }

            return 0;
        }

        long Deconstructed(int bidAt, int askAt)
        {
            var quote = new Quote(memory.GetPointer() + bidAt, memory.GetPointer() + askAt, 1);
            reset();
            if (quote is (var bid, _, > 0))
            {
                return *(long*){|WVA001:bid|};
            }

            return 0;
        }
        """, """
        record Quote(nint Bid, nint Ask, long Sequence);

        long Positional(int zone, int count)
        {
            var window = (memory.GetPointer() + zone, count);
            convert(zone);
            if (window is (var start, > 0))
            {
                start = memory.GetPointer() + zone;
                return *(long*)start;
            }

            return 0;
        }

        long Named(int zone, int count)
        {
            var window = (Start: memory.GetPointer() + zone, Count: count);
            convert(zone);
            return window is { Start: var start, Count: > 0 } ? *(long*)(memory.GetPointer() + zone) : 0;
        }

        long Record(int bidAt, int askAt)
        {
            var quote = new Quote((nint)((byte*)memory.GetPointer() + bidAt), memory.GetPointer() + askAt, 1);
            var sequence = quote.Sequence;
            convert(0);
            if (quote is { Ask: var ask })
            {
                ask = memory.GetPointer() + askAt;
                return *(long*)ask + sequence;
            }

            return 0;
        }

        long Deconstructed(int bidAt, int askAt)
        {
            var quote = new Quote(memory.GetPointer() + bidAt, memory.GetPointer() + askAt, 1);
            reset();
            if (quote is (var bid, _, > 0))
            {
                bid = memory.GetPointer() + bidAt;
                return *(long*)bid;
            }

            return 0;
        }
        """);

    [Theory]
    [InlineData("a part of the holder is written", """
        long Read(int zone, int count)
        {
            var window = (memory.GetPointer() + zone, count);
            window.Item1 += 8;
            convert(zone);
            return window is (var start, > 0) ? *(long*)start : 0;
        }
        """)]
    [InlineData("the holder is passed by reference", """
        long Read(int zone, int count)
        {
            var window = (memory.GetPointer() + zone, count);
            Move(ref window);
            convert(zone);
            return window is (var start, > 0) ? *(long*)start : 0;
        }

        static void Move(ref (nint, int) window) => window.Item1 += 8;
        """)]
    [InlineData("the holder is assigned again", """
        long Read(int zone, int count, (nint, int) other)
        {
            var window = (memory.GetPointer() + zone, count);
            if (count > 4) window = other;
            convert(zone);
            return window is (var start, > 0) ? *(long*)start : 0;
        }
        """)]
    [InlineData("the record's property is not its parameter", """
        record Shifted(nint Start)
        {
            public nint Start { get; } = Start + 8;
        }

        long Read(int zone)
        {
            var window = new Shifted(memory.GetPointer() + zone);
            convert(zone);
            return window is { Start: var start } ? *(long*)start : 0;
        }
        """)]
    [InlineData("a class that is not a record", """
        sealed class Box
        {
            public Box(nint start) => Start = start;
            public nint Start { get; }
        }

        long Read(int zone)
        {
            var window = new Box(memory.GetPointer() + zone);
            convert(zone);
            return window is { Start: var start } ? *(long*)start : 0;
        }
        """)]
    [InlineData("the holder comes from a helper", """
        (nint Start, int Count) Window(int zone) => (memory.GetPointer() + convert(zone), 4);

        long Read(int zone)
        {
            var window = Window(zone);
            convert(zone);
            return window is (var start, > 0) ? *(long*)start : 0;
        }
        """)]
    public async Task PointerAPatternTakesOutOfAHolderThatMayHoldAnotherValue_NotObtainedAgain(string shape, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members), requireCompiling: false);

        Assert.True(findings.Any(f => f.Diagnostic.Id == "WVA001"), shape);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == ObtainAgain);
    }
}
