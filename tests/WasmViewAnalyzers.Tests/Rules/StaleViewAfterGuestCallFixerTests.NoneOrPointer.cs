using WasmViewAnalyzers.Tests.Verifiers;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, WasmViewAnalyzers.CodeFixes.Rules.StaleViewAfterGuestCallFixer>;

namespace WasmViewAnalyzers.Tests.Rules;

/// <summary>
/// "Keep the guest offset instead of the pointer" for a local that holds none until a branch fills
/// it with a pointer (<c>nint? start = null</c>, <c>long* found = null</c>): the local keeps the
/// offset, null where there was no pointer. A read a test of the local guards obtains the pointer
/// from the offset; one no test guards keeps the null pointer it read for none. Beside them, the
/// shapes where keeping the offset would change what the code does.
/// </summary>
public sealed partial class StaleViewAfterGuestCallFixerTests
{
    private const string KeepOffset = "Keep the guest offset instead of the pointer";

    [Fact]
    public Task NullablePointerReadWithoutAGuard_KeepsANullPointerForNone() => VerifyMembers("""
        int First(int a)
        {
            nint? start = null;
            if (a > 0)
            {
                start = (nint)((byte*)memory.GetPointer() + a);
            }

            convert(a);
            return *(byte*){|WVA001:start|}.GetValueOrDefault();
        }
        """, """
        int First(int a)
        {
            int? start = null;
            if (a > 0)
            {
                start = a;
            }

            convert(a);
            return *(byte*)(start.HasValue ? memory.GetPointer() + start.GetValueOrDefault() : 0);
        }
        """);

    [Fact]
    public Task NullablePointerGuardedByEachFormOfTest_ObtainsThePointerFromTheOffset() => VerifyMembers("""
        int EarlyReturn(int a)
        {
            nint? best = null;
            if (a > 0)
            {
                best = memory.GetPointer() + a;
            }

            convert(a);
            if (!best.HasValue)
            {
                return 0;
            }

            return *(int*){|WVA001:best|}.GetValueOrDefault();
        }

        int Thrown(int a)
        {
            nint? best = null;
            if (a > 0) best = memory.GetPointer() + a;
            convert(a);
            if (best == null) throw new InvalidOperationException();
            return *(int*){|WVA001:best|}.GetValueOrDefault();
        }

        int InALoop(int[] offsets)
        {
            var sum = 0;
            foreach (var o in offsets)
            {
                nint? p = null;
                if (o > 0)
                {
                    p = memory.GetPointer() + o;
                }

                convert(o);
                if (p is null) continue;
                sum += *(byte*){|WVA001:p|}.GetValueOrDefault();
            }

            return sum;
        }

        bool Both(int a)
        {
            nint? p = null;
            if (a > 0)
            {
                p = memory.GetPointer() + a;
            }

            convert(a);
            return p is not null && *(byte*){|WVA001:p|}.GetValueOrDefault() == 1;
        }

        bool Either(int a)
        {
            nint? p = null;
            if (a > 0)
            {
                p = memory.GetPointer() + a;
            }

            convert(a);
            return !p.HasValue || *(byte*){|WVA001:p|}.GetValueOrDefault() == 1;
        }

        int Else(int a)
        {
            nint? p = null;
            if (a > 0)
            {
                p = memory.GetPointer() + a;
            }

            convert(a);
            if (p == null)
            {
                return -1;
            }
            else
            {
                return *(byte*){|WVA001:p|}.GetValueOrDefault();
            }
        }
        """, """
        int EarlyReturn(int a)
        {
            int? best = null;
            if (a > 0)
            {
                best = a;
            }

            convert(a);
            if (!best.HasValue)
            {
                return 0;
            }

            return *(int*)(memory.GetPointer() + best.GetValueOrDefault());
        }

        int Thrown(int a)
        {
            int? best = null;
            if (a > 0) best = a;
            convert(a);
            if (best == null) throw new InvalidOperationException();
            return *(int*)(memory.GetPointer() + best.GetValueOrDefault());
        }

        int InALoop(int[] offsets)
        {
            var sum = 0;
            foreach (var o in offsets)
            {
                int? p = null;
                if (o > 0)
                {
                    p = o;
                }

                convert(o);
                if (p is null) continue;
                sum += *(byte*)(memory.GetPointer() + p.GetValueOrDefault());
            }

            return sum;
        }

        bool Both(int a)
        {
            int? p = null;
            if (a > 0)
            {
                p = a;
            }

            convert(a);
            return p is not null && *(byte*)(memory.GetPointer() + p.GetValueOrDefault()) == 1;
        }

        bool Either(int a)
        {
            int? p = null;
            if (a > 0)
            {
                p = a;
            }

            convert(a);
            return !p.HasValue || *(byte*)(memory.GetPointer() + p.GetValueOrDefault()) == 1;
        }

        int Else(int a)
        {
            int? p = null;
            if (a > 0)
            {
                p = a;
            }

            convert(a);
            if (p == null)
            {
                return -1;
            }
            else
            {
                return *(byte*)(memory.GetPointer() + p.GetValueOrDefault());
            }
        }
        """);

    [Fact]
    public Task NullablePointerStoredAgainAfterItsTest_KeepsANullPointerForNone() => VerifyMembers("""
        int Cleared(int a, bool clear)
        {
            nint? p = null;
            if (a > 0)
            {
                p = memory.GetPointer() + a;
            }

            convert(a);
            if (!p.HasValue) return 0;
            if (clear) p = null;
            return *(byte*){|WVA001:p|}.GetValueOrDefault();
        }
        """, """
        int Cleared(int a, bool clear)
        {
            int? p = null;
            if (a > 0)
            {
                p = a;
            }

            convert(a);
            if (!p.HasValue) return 0;
            if (clear) p = null;
            return *(byte*)(p.HasValue ? memory.GetPointer() + p.GetValueOrDefault() : 0);
        }
        """);

    [Fact]
    public Task PointerNullForNone_KeepsTheOffsetInANullable() => VerifyMembers("""
        long? Found(int count)
        {
            long* found = null;
            if (count > 0)
            {
                var at = convert(count);
                found = (long*)((byte*)memory.GetPointer() + at);
            }

            convert(0);
            return found == null ? null : *{|WVA001:found|};
        }

        int Field(int a)
        {
            Entry* entry = null;
            if (a > 0)
            {
                entry = (Entry*)(memory.GetPointer() + a);
            }

            reset();
            if (entry != null)
            {
                return {|WVA001:entry|}->Count + {|WVA001:entry|}[1].Flags;
            }

            return -1;
        }

        byte Unguarded(int a)
        {
            byte* p = null;
            if (a > 0)
            {
                p = (byte*)memory.GetPointer() + a;
            }

            reset();
            return Peek({|WVA001:p|});
        }

        static byte Peek(byte* p) => p == null ? (byte)0 : *p;

        struct Entry
        {
            public int Count;
            public int Flags;
        }
        """, """
        long? Found(int count)
        {
            int? found = null;
            if (count > 0)
            {
                var at = convert(count);
                found = at;
            }

            convert(0);
            return found == null ? null : *(long*)(memory.GetPointer() + found.GetValueOrDefault());
        }

        int Field(int a)
        {
            int? entry = null;
            if (a > 0)
            {
                entry = a;
            }

            reset();
            if (entry != null)
            {
                return ((Entry*)(memory.GetPointer() + entry.GetValueOrDefault()))->Count + ((Entry*)(memory.GetPointer() + entry.GetValueOrDefault()))[1].Flags;
            }

            return -1;
        }

        byte Unguarded(int a)
        {
            int? p = null;
            if (a > 0)
            {
                p = a;
            }

            reset();
            return Peek(p.HasValue ? (byte*)(memory.GetPointer() + p.GetValueOrDefault()) : null);
        }

        static byte Peek(byte* p) => p == null ? (byte)0 : *p;

        struct Entry
        {
            public int Count;
            public int Flags;
        }
        """);

    [Theory]
    [InlineData("its address is taken", """
        long Read(int a)
        {
            long* found = null;
            if (a > 0) found = (long*)((byte*)memory.GetPointer() + a);
            long** where = &found;
            convert(0);
            return found == null ? 0 : *found;
        }
        """)]
    [InlineData("compared with another pointer", """
        long Read(int a, long* other)
        {
            long* found = null;
            if (a > 0) found = (long*)((byte*)memory.GetPointer() + a);
            convert(0);
            return found == other ? 0 : *found;
        }
        """)]
    [InlineData("none is not null", """
        long Read(int a, long* other)
        {
            long* found = other;
            if (a > 0) found = (long*)((byte*)memory.GetPointer() + a);
            convert(0);
            return *found;
        }
        """)]
    [InlineData("a pointer of a helper is stored", """
        long Read(int a)
        {
            long* found = null;
            if (a > 0) found = Slot(a);
            convert(0);
            return found == null ? 0 : *found;
        }

        long* Slot(int a) => (long*)((byte*)memory.GetPointer() + convert(a));
        """)]
    [InlineData("a lambda reads it", """
        long Read(int a)
        {
            nint? found = null;
            if (a > 0) found = memory.GetPointer() + a;
            convert(0);
            Func<long> later = () => *(long*)found.GetValueOrDefault();
            return *(long*)found.GetValueOrDefault();
        }
        """)]
    [InlineData("stepped on", """
        long Read(int a)
        {
            long* found = null;
            if (a > 0) found = (long*)((byte*)memory.GetPointer() + a);
            convert(0);
            found++;
            return found == null ? 0 : *found;
        }
        """)]
    public async Task PointerOrNoneWhereTheOffsetWouldChangeWhatTheCodeDoes_NotOffered(string shape, string members)
    {
        var findings = await Verify.GetFixesPerDiagnosticAsync(HostCode.WithMembers(members), requireCompiling: false);

        Assert.True(findings.Any(f => f.Diagnostic.Id == "WVA001"), shape);
        Assert.DoesNotContain(findings.SelectMany(f => f.Fixes), fix => fix.Title == KeepOffset);
    }
}
