using Microsoft.CodeAnalysis.CodeActions;
using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Make the iterator yield copies": an iterator of read-only memories over guest memory, whose
/// elements a caller keeps past a guest call, yields copies. One theory enumerates the iterator's
/// kinds (sync, async, each yield form) and the caller's ways of keeping elements; its twin where a
/// copy would not keep what the code does.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string YieldCopies = "Make the iterator yield copies";

    /// <summary>Each kind of iterator and way of keeping its elements, with the iterator the fix makes.</summary>
    public static TheoryData<string, string, string, string> IteratorForms() => new()
    {
        {
            "elements of a list made of the iterator, read after a guest call",
            """
            IEnumerable<ReadOnlyMemory<byte>> Pages(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    yield return RecordAt(i);
                }
            }
            """,
            """
            IEnumerable<ReadOnlyMemory<byte>> Pages(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    yield return RecordAt(i).ToArray();
                }
            }
            """,
            """
            int Sum()
            {
                var pages = Pages(3).ToList();
                reset();
                var sum = 0;
                foreach (var page in pages)
                {
                    sum += page.Span[0];
                }

                return sum;
            }
            """
        },
        {
            "a local yielded, the list read by index",
            """
            IEnumerable<ReadOnlyMemory<byte>> Rows(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    var row = RecordAt(i);
                    yield return row;
                }
            }
            """,
            """
            IEnumerable<ReadOnlyMemory<byte>> Rows(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    var row = RecordAt(i);
                    yield return row.ToArray();
                }
            }
            """,
            """
            byte First()
            {
                List<ReadOnlyMemory<byte>> rows = Rows(2).ToList();
                reset();
                return rows[0].Span[0];
            }
            """
        },
        {
            "two yields, one a slice, the array read in a lambda",
            """
            IEnumerable<ReadOnlyMemory<byte>> Parts()
            {
                yield return RecordAt(0);
                yield return RecordAt(1).Slice(1);
            }
            """,
            """
            IEnumerable<ReadOnlyMemory<byte>> Parts()
            {
                yield return RecordAt(0).ToArray();
                yield return RecordAt(1).Slice(1).ToArray();
            }
            """,
            """
            byte[] Heads()
            {
                var parts = Parts().ToArray();
                reset();
                return parts.Select(p => p.Span[0]).ToArray();
            }
            """
        },
        {
            "async iterator, elements buffered in a list and written out after the stream ends",
            """
            async IAsyncEnumerable<ReadOnlyMemory<byte>> Stream(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    await Task.Yield();
                    yield return RecordAt(i);
                }
            }
            """,
            """
            async IAsyncEnumerable<ReadOnlyMemory<byte>> Stream(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    await Task.Yield();
                    yield return RecordAt(i).ToArray();
                }
            }
            """,
            """
            async Task<int> BufferAsync(System.IO.Stream sink)
            {
                var buffered = new List<ReadOnlyMemory<byte>>();
                await foreach (var item in Stream(2))
                {
                    buffered.Add(item);
                }

                foreach (var item in buffered)
                {
                    await sink.WriteAsync(item);
                }

                return buffered.Count;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(IteratorForms))]
    public async Task IteratorForm_YieldsCopies(string form, string iterator, string fixedIterator, string caller)
    {
        var source = HostCode.WithSafeMembers(iterator + "\n\n" + caller, RecordViews) + PointerMemoryManager.Source;
        var findings = await Verify.GetFixesPerDiagnosticAsync(source.Replace("using System;", "using System;\nusing System.Linq;"));
        var fix = Assert.Single(findings.SelectMany(f => f.Fixes.Where(fix => fix.Title == YieldCopies)));
        var changed = (await fix.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = (await changed.Projects.Single().Documents.Single().GetTextAsync()).ToString();
        var expected = HostCode.WithSafeMembers(fixedIterator + "\n\n" + caller, RecordViews) + PointerMemoryManager.Source;
        Assert.Equal(expected.Replace("using System;", "using System;\nusing System.Linq;"), text);

        // The result compiles (the helper refuses code that does not) and the finding is gone.
        Assert.True(findings.Length - 1 == (await Verify.GetFixesPerDiagnosticAsync(text)).Length, form);
    }

    /// <summary>Where yielding copies would not keep what the code does.</summary>
    public static TheoryData<string, string> RefusedIteratorCopies() => new()
    {
        {
            "writable elements: a caller's writes must reach the guest",
            """
            IEnumerable<Memory<byte>> Slots()
            {
                yield return WritableAt(0);
            }

            byte Peek()
            {
                var slots = Slots().ToList();
                reset();
                return slots[0].Span[0];
            }
            """
        },
        {
            "the guest is given what the elements were obtained from: the read is of its output",
            """
            IEnumerable<ReadOnlyMemory<byte>> Pages(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    yield return RecordAt(i);
                }
            }

            byte Converted(int count)
            {
                var pages = Pages(count).ToList();
                convert(count);
                return pages[0].Span[0];
            }
            """
        },
        {
            "an element already stale where it is yielded",
            """
            IEnumerable<ReadOnlyMemory<byte>> Late()
            {
                var record = RecordAt(0);
                reset();
                yield return record;
            }

            byte Peek()
            {
                var records = Late().ToList();
                reset();
                return records[0].Span[0];
            }
            """
        },
        {
            "an iterator that implements an interface: other implementations yield what they yield",
            """
            sealed class Source : IPages
            {
                private readonly Host _host;

                public Source(Host host) => _host = host;

                public IEnumerable<ReadOnlyMemory<byte>> Pages()
                {
                    yield return _host.RecordAt(0);
                }
            }

            interface IPages
            {
                IEnumerable<ReadOnlyMemory<byte>> Pages();
            }

            byte Peek(Source source)
            {
                var pages = source.Pages().ToList();
                reset();
                return pages[0].Span[0];
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(RefusedIteratorCopies))]
    public async Task RefusedIteratorCopy_NotOffered(string form, string members)
    {
        var source = HostCode.WithSafeMembers(members, RecordViews) + PointerMemoryManager.Source;
        var findings = await Verify.GetFixesPerDiagnosticAsync(source.Replace("using System;", "using System;\nusing System.Linq;"));
        Assert.True(findings.Length > 0, form);
        Assert.True(findings.All(f => f.Fixes.All(fix => fix.Title != YieldCopies)), form);
    }

    [Fact]
    public Task IteratorCopy_FixAll_OneCopyPerYield() => Verify.VerifyCodeFixAsync(
        HostCode.WithSafeMembers("""
            IEnumerable<ReadOnlyMemory<byte>> Pages(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    yield return RecordAt(i);
                }
            }

            byte First()
            {
                var pages = Pages(2).ToList();
                reset();
                return {|WVA001:pages|}[0].Span[0];
            }

            byte Last()
            {
                var pages = Pages(2).ToList();
                convert(0);
                return {|WVA001:pages|}[1].Span[0];
            }
            """, RecordViews).Replace("using System;", "using System;\nusing System.Linq;") + PointerMemoryManager.Source,
        HostCode.WithSafeMembers("""
            IEnumerable<ReadOnlyMemory<byte>> Pages(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    yield return RecordAt(i).ToArray();
                }
            }

            byte First()
            {
                var pages = Pages(2).ToList();
                reset();
                return pages[0].Span[0];
            }

            byte Last()
            {
                var pages = Pages(2).ToList();
                convert(0);
                return pages[1].Span[0];
            }
            """, RecordViews).Replace("using System;", "using System;\nusing System.Linq;") + PointerMemoryManager.Source,
        First);
}
