using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.CodeFixes.Rules;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Copy the stream's bytes when it is obtained": a view stream from a helper that cannot create it
/// again, read on (itself or through a reader over it) after a guest call. One theory over the
/// stream's declared type, the helper and the reads; its twin where the copy would read other bytes
/// or count positions differently.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string CopyStream = "Copy the stream's bytes when it is obtained";

    private const string StreamHelpers = """

        UnmanagedMemoryStream Report(int length)
        {
            var address = convert(length);
            return new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
        }

        Stream Output(int length)
        {
            var address = convert(length);
            return new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
        }

        """;

    /// <summary>Each declared type, helper and read, with the code the copy makes.</summary>
    public static TheoryData<string, string, string> StreamCopyForms() => new()
    {
        {
            "using local wrapped by a StreamReader, read on after a guest call",
            """
            string Headline(int length)
            {
                using var report = Report(length);
                using var reader = new StreamReader(report, Encoding.UTF8);
                var first = reader.ReadLine() ?? "";
                reset();
                return first + reader.ReadLine();
            }
            """,
            """
            string Headline(int length)
            {
                using var reportView = Report(length);
                using var report = new MemoryStream();
                reportView.CopyTo(report);
                report.Position = 0;
                using var reader = new StreamReader(report, Encoding.UTF8);
                var first = reader.ReadLine() ?? "";
                reset();
                return first + reader.ReadLine();
            }
            """
        },
        {
            "Stream local read byte by byte after a guest call",
            """
            int Tag(int length)
            {
                var output = Output(length);
                var first = output.ReadByte();
                reset();
                return first + output.ReadByte();
            }
            """,
            """
            int Tag(int length)
            {
                var outputView = Output(length);
                var output = new MemoryStream();
                outputView.CopyTo(output);
                output.Position = 0;
                var first = output.ReadByte();
                reset();
                return first + output.ReadByte();
            }
            """
        },
        {
            "BinaryReader made after the guest call over a stream obtained before it",
            """
            int Header(int length)
            {
                using var output = Output(length);
                reset();
                var reader = new BinaryReader(output);
                return reader.ReadInt32();
            }
            """,
            """
            int Header(int length)
            {
                using var outputView = Output(length);
                using var output = new MemoryStream();
                outputView.CopyTo(output);
                output.Position = 0;
                reset();
                var reader = new BinaryReader(output);
                return reader.ReadInt32();
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(StreamCopyForms))]
    public async Task StreamCopyForm_CopiedWhereObtained(string form, string members, string fixedMembers)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members + StreamHelpers));
        var fix = Assert.Single(findings.SelectMany(f => f.Fixes.Where(fix => fix.Title == CopyStream)));
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
        Assert.Equal(HostCode.WithMembers(fixedMembers + StreamHelpers), text);

        var after = await Verify.GetFixesPerDiagnosticAsync(text);
        Assert.True(findings.Length - 1 == after.Length, form);
    }

    /// <summary>Where the copy would not read what the code reads.</summary>
    public static TheoryData<string, string> RefusedStreamCopies() => new()
    {
        {
            "the guest call is given what the stream was obtained from",
            """
            int Parsed(int length)
            {
                var output = Output(length);
                var first = output.ReadByte();
                convert(length);
                return first + output.ReadByte();
            }
            """
        },
        {
            "its position is read: it would count from where the copy starts",
            """
            long Where(int length)
            {
                var output = Output(length);
                output.ReadByte();
                reset();
                output.ReadByte();
                return output.Position;
            }
            """
        },
        {
            "written through: the copy would take the writes",
            """
            void Stamp(int length)
            {
                var output = Output(length);
                reset();
                output.WriteByte(1);
            }
            """
        },
        {
            "assigned another stream later",
            """
            int Twice(int length)
            {
                var output = Output(length);
                reset();
                var first = output.ReadByte();
                output = Output(length + 1);
                return first + output.ReadByte();
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RefusedStreamCopies))]
    public async Task RefusedStreamCopy_NotOffered(string form, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members + StreamHelpers));
        Assert.NotEmpty(findings);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != CopyStream)), form);
    }

    [Fact]
    public Task StreamCopy_FixAll_OneCopyPerStream() => VerifyMembers("""
        int Sum(int length)
        {
            using var output = Output(length);
            var first = output.ReadByte();
            reset();
            var second = {|WVA001:output|}.ReadByte();
            reset();
            return first + second + {|WVA001:output|}.ReadByte();
        }
        """ + StreamHelpers, """
        int Sum(int length)
        {
            using var outputView = Output(length);
            using var output = new MemoryStream();
            outputView.CopyTo(output);
            output.Position = 0;
            var first = output.ReadByte();
            reset();
            var second = output.ReadByte();
            reset();
            return first + second + output.ReadByte();
        }
        """ + StreamHelpers, StaleViewAfterGuestCallFixer.CopyStreamKey);
}
