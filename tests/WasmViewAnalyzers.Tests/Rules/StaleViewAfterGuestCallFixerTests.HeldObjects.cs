using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Keep the guest offset instead of the pointer" for a collection of the user's objects that each
/// keep a pointer (<c>record Segment(int Id, nint Start)</c>), read after a guest call: the member
/// keeps the offset, and each read of it obtains the pointer again from the memory of the host that
/// made every such object. Beside it, the object that may be another host's.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private static string WithLinq(string source) => source.Replace("using System;\n", "using System;\nusing System.Linq;\n");

    [Fact]
    public Task ListOfRecordsHoldingAPointerReadAfterACall_KeepsTheOffsetInTheRecord() => Verify.VerifyCodeFixAsync(WithLinq(HostCode.WithMembers("""
        private readonly record struct Segment(int Id, nint Start);

        int MinimumAfterConvert(int[] ids)
        {
            var kept = ids.Select(id => new Segment(id, memory.GetPointer() + id)).ToList();
            convert(0);
            return {|WVA001:kept|}.Min(k => *(int*)k.Start);
        }
        """)), WithLinq(HostCode.WithMembers("""
        private readonly record struct Segment(int Id, int Start);

        int MinimumAfterConvert(int[] ids)
        {
            var kept = ids.Select(id => new Segment(id, id)).ToList();
            convert(0);
            return kept.Min(k => *(int*)(memory.GetPointer() + k.Start));
        }
        """)), First);

    [Fact]
    public async Task ListOfRecordsHoldingAPointerOfAnotherHost_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(WithLinq(HostCode.WithMembers("""
            private readonly record struct Segment(int Id, nint Start);
            private List<Segment> _last = new();

            int MinimumAfterConvert(int[] ids, Host other)
            {
                var kept = ids.Select(id => new Segment(id, memory.GetPointer() + id)).ToList();
                kept.AddRange(other._last);
                convert(0);
                return kept.Min(k => *(int*)k.Start);
            }
            """)));

        // Another host's segments are over its memory: which one each offset is in is not known.
        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == KeepOffset);
    }

    private const string PublicSegment = "\npublic readonly record struct Segment(int Id, nint Start);\n";

    private const string MinimumOfPublicSegments = """
        int MinimumAfterConvert(int[] ids)
        {
            var kept = ids.Select(id => new Segment(id, memory.GetPointer() + id)).ToList();
            convert(0);
            return kept.Min(k => *(int*)k.Start);
        }
        """;

    [Fact]
    public async Task ListOfPublicRecordsHoldingAPointer_KeepsTheOffsetAndSaysItChangesTheMembersType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(WithLinq(HostCode.WithMembers(MinimumOfPublicSegments)) + PublicSegment);

        Assert.Equal("Keep the guest offset in public property 'Start' instead of the pointer (changes its type)", Assert.Single(Assert.Single(findings).Fixes).Title);
        await Verify.VerifyCodeFixAsync(
            WithLinq(HostCode.WithMembers(MinimumOfPublicSegments.Replace("return kept", "return {|WVA001:kept|}", StringComparison.Ordinal))) + PublicSegment,
            WithLinq(HostCode.WithMembers("""
                int MinimumAfterConvert(int[] ids)
                {
                    var kept = ids.Select(id => new Segment(id, id)).ToList();
                    convert(0);
                    return kept.Min(k => *(int*)(memory.GetPointer() + k.Start));
                }
                """)) + PublicSegment.Replace("nint Start", "int Start", StringComparison.Ordinal),
            First);
    }

    [Fact]
    public async Task ListOfPublicRecordsHoldingAPointerAnotherProjectMayRead_KeepsItsType()
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(WithLinq(HostCode.WithMembers(MinimumOfPublicSegments)) + PublicSegment, referencedByAnotherProject: true);

        // Another assembly may read Start as a pointer.
        Assert.DoesNotContain(Assert.Single(findings).Fixes, fix => fix.Title.StartsWith("Keep the guest offset", StringComparison.Ordinal));
    }
}
