using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using WasmViewAnalyzers.Tests.Verifiers;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// The analyzers run on every keystroke in the IDE, on code that does not compile yet. They must
/// never throw (an AD0001 in a user's build is a bug of ours). These tests feed them broken code:
/// every prefix of a realistic host, every one-token deletion of it, and hand-picked oddities.
/// </summary>
public sealed class HalfTypedCodeTests
{
    private const string RealisticHost = """
        using System;
        using System.Collections.Generic;
        using System.IO;
        using Wasmtime;

        unsafe class Host
        {
            private readonly Func<int, int> _convert;
            private readonly Memory _memory;

            public Host(Instance instance)
            {
                _convert = instance.GetFunction<int, int>("convert")!;
                _memory = instance.GetMemory("memory")!;
            }

            Span<byte> Output(int address) => _memory.GetSpan(address, 16);

            void Run(int[] inputs, Stream sink, Caller caller)
            {
                var pending = new List<(nint, int)>();
                foreach (var input in inputs)
                {
                    var address = _convert(input);
                    pending.Add((_memory.GetPointer() + address, 16));
                    if (caller.TryGetMemorySpan<byte>("memory", address, 4, out var header)) { _convert(0); sink.Write(header); }
                }

                var view = Output(0);
                try { _memory.Grow(1); } finally { Console.WriteLine(view[0]); }
                foreach (var (address, length) in pending)
                {
                    using var stream = new UnmanagedMemoryStream((byte*)address, length);
                    stream.CopyTo(sink);
                }

                Action later = () => _convert(1);
                later();
                void Local() => _convert(2);
                Local();
            }
        }
        """;

    /// <summary>
    /// A host of the interop kind: refs into guest memory through a shadow stack, async code,
    /// escapes into collections and tasks, an archive written from guest memory.
    /// </summary>
    private const string InteropHost = """
        using System;
        using System.Collections.Generic;
        using System.IO;
        using System.IO.Compression;
        using System.Runtime.CompilerServices;
        using System.Runtime.InteropServices;
        using System.Threading.Tasks;
        using Wasmtime;

        struct Call { public int Result; public int Args; }

        ref struct Slot<T> where T : unmanaged
        {
            public ref T Value;
            public int Address;
            public Slot(ref T value, int address) { Value = ref value; Address = address; }
        }

        unsafe sealed class Interop
        {
            private readonly Memory _memory;
            private readonly Func<int, int> _alloc;
            private readonly List<ReadOnlyMemory<byte>> _pending = new();
            private int _top = 4096;

            public Interop(Instance instance)
            {
                _memory = instance.GetMemory("memory")!;
                _alloc = instance.GetFunction<int, int>("alloc")!;
            }

            Slot<T> Push<T>() where T : unmanaged
            {
                _top -= sizeof(T);
                return new Slot<T>(ref MemoryMarshal.AsRef<T>(_memory.GetSpan(_top, sizeof(T))), _top);
            }

            ref Call Current(int address) => ref Unsafe.AsRef<Call>((byte*)_memory.GetPointer() + address);

            int Invoke(int args)
            {
                var slot = Push<Call>();
                slot.Value.Args = _alloc(args);
                ref var call = ref Current(slot.Address);
                call.Result += _alloc(call.Args);
                return slot.Value.Result;
            }

            async Task Flush(ZipArchive zip)
            {
                foreach (var output in _pending)
                {
                    await using var entry = zip.CreateEntry("x").Open();
                    await entry.WriteAsync(output);
                    _alloc(0);
                }

                var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer(), 16);
                _ = Task.Run(() => stream.CopyTo(Stream.Null));
                using var gzip = new GZipStream(Stream.Null, CompressionLevel.Fastest);
                gzip.Write(_memory.GetSpan(0, 8));
            }
        }
        """;

    public static TheoryData<string> Hosts => new() { nameof(RealisticHost), nameof(InteropHost) };

    private static string HostNamed(string name) => name == nameof(InteropHost) ? InteropHost : RealisticHost;

    [Theory]
    [MemberData(nameof(Hosts))]
    public void EveryPrefixOfAHost_NeverThrows(string host)
    {
        var source = HostNamed(host);
        var tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().ToList();
        var failures = new ConcurrentBag<string>();
        Parallel.ForEach(tokens, token =>
        {
            var prefix = source.Substring(0, token.Span.End);
            foreach (var failure in AnalyzerFailures(prefix))
            {
                failures.Add($"prefix ending at {token.Span.End} ('{token.Text}'): {failure}");
            }
        });

        Assert.True(tokens.Count > 250, "each host should exercise many shapes of half-typed code");
        Assert.Empty(failures);
    }

    [Fact]
    public void TheCompleteHost_IsAnalyzed()
    {
        // Guards the tests above against passing vacuously: the whole host does reach the engine.
        var (failures, diagnostics) = Analyze(RealisticHost);

        Assert.Empty(failures);
        Assert.Equal(
            new[] { "header", "view", "stream" },
            diagnostics.Where(d => d.Id == "WVA001").OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)));
        Assert.Equal(
            new[] { "(_memory.GetPointer() + address, 16)" },
            diagnostics.Where(d => d.Id == "WVA002").Select(d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)));
    }

    [Fact]
    public void TheCompleteInteropHost_IsAnalyzed()
    {
        var (failures, diagnostics) = Analyze(InteropHost);

        Assert.Empty(failures);
        Assert.Equal(
            new[] { "WVA001 slot", "WVA001 call", "WVA001 slot", "WVA002 stream", "WVA004 gzip.Write(_memory.GetSpan(0, 8))" },
            diagnostics.Where(d => d.Id.StartsWith("WVA", StringComparison.Ordinal))
                .OrderBy(d => d.Location.SourceSpan.Start)
                .Select(d => d.Id + " " + d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void EveryOneTokenDeletion_NeverThrows(string host)
    {
        var source = HostNamed(host);
        var tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().ToList();
        var failures = new ConcurrentBag<string>();
        Parallel.ForEach(tokens, token =>
        {
            var broken = source.Remove(token.SpanStart, token.Span.Length);
            foreach (var failure in AnalyzerFailures(broken))
            {
                failures.Add($"without '{token.Text}' at {token.SpanStart}: {failure}");
            }
        });

        Assert.Empty(failures);
    }

    [Theory]
    [InlineData("class C { void M(Wasmtime.Memory m) { var v = m.GetSpan(0, ; v[0] = 1; } }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { var v = m.GetSpan(); Missing(); v[0] = 1; } }")]
    [InlineData("class C { void M(Wasmtime.Memory m, Unknown u) { var v = m.GetSpan(0, 4); u.Invoke(); u(v); v[0] = 1; } }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { var v = m.GetSpan(0, 4); m.Grow(); System.Console.WriteLine(v[0]) } }")]
    [InlineData("class C { System.Span<byte> P => ; void M() { var v = P; v[0] = 1; } }")]
    [InlineData("class C { void M(Wasmtime.Instance i) { var f = i.GetFunction<int, int>(; var v = default(System.Span<byte>); f(1); } }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { var v = m.GetSpan(0, 4); Action a = () => { v[0] = 1; }; } }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { foreach (var b in m.GetSpan(0, 4)) { M(m); } } }")]
    [InlineData("class C { partial void P(); void M(Wasmtime.Memory m) { var v = m.GetSpan(0, 4); P(); N(); v[0] = 1; } extern void N(); }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { goto L; var v = m.GetSpan(0, 4); L: v[0] = 1; } }")]
    [InlineData("class C { int this[int i] => throw null!; void M(Wasmtime.Memory m) { var v = m.GetSpan(0, 4); _ = this[v[0]]; } }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { var v = m.GetSpan(0, 4); switch (v[0]) { case 1 when M2(): v[1] = 0; break; } } bool M2() => throw null!; }")]
    [InlineData("class C<T> where T : struct { void M(Wasmtime.Memory m) { var v = m.GetSpan<T>(0, 4); M(m); _ = v[0]; } }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { var (a, b) = (m.GetPointer(), m.GetSpan(0, 1).Length); m.Grow(1); _ = a; } }")]
    [InlineData("class C { async System.Threading.Tasks.Task M(Wasmtime.Memory m) { var p = m.GetPointer(); await System.Threading.Tasks.Task.Yield(); m.Grow(1); _ = p.ToString(); } }")]
    [InlineData("class C { System.Collections.Generic.IEnumerable<nint> M(Wasmtime.Memory m) { var p = m.GetPointer(); yield return p; m.Grow(1); yield return p; } }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { var v = m.GetSpan(0, 4); M(m) M(m); v[0] = 1; } }")]
    [InlineData("class C { void M(dynamic d, Wasmtime.Memory m) { var v = m.GetSpan(0, 4); d.Invoke(); d(v.Length); v[0] = 1; } }")]
    [InlineData("class C { C() : this(Load()) { } C(System.Span<byte> s) { } static System.Span<byte> Load() => default; }")]
    [InlineData("class C { void M(Wasmtime.Memory m) { var v = m.GetSpan(0, 4); checked { v[0]++; } lock (this) { m.Grow(1); } v[0]--; } }")]
    [InlineData("class C { System.Collections.Generic.List<nint> l = new(); void M(Wasmtime.Memory m) { l.Add(m.GetPointer(), ); l[0] = m.GetPointer(); } }")]
    [InlineData("class C { event System.Action E; void M(Wasmtime.Memory m) { var p = m.GetPointer(); E += () => Use(p); E += Missing; System.Threading.Tasks.Task.Run(() => p); } }")]
    [InlineData("class C { nint F; static nint S { get; set; } void M(Wasmtime.Memory m) { F = m.GetPointer(); S = ; Keep(m.GetPointer()); new D(m.GetPointer()); } void Keep(nint p) => F = p; }")]
    [InlineData("class C { System.Func<nint> M(Wasmtime.Memory m) { var p = m.GetPointer(); void L() => Keep(p); Unknown.Run(L); return () => p; } }")]
    [InlineData("class C { unsafe void M(Wasmtime.Memory m, System.IO.Compression.ZipArchive a) { var s = new System.IO.UnmanagedMemoryStream((byte*)m.GetPointer(), 4); using var e = a.CreateEntry().Open(); s.CopyTo(e, ); } }")]
    [InlineData("class C { void M(Wasmtime.Memory m, System.IO.Stream d) { using var g = new System.IO.Compression.GZipStream(d, ); g.Write(m.GetSpan(0, 4)); g.Write(; } }")]
    [InlineData("class C { unsafe void M(Wasmtime.Memory m) { using var z = new Ionic.Zip.ZipFile(); z.AddEntry(\"a\", new System.IO.UnmanagedMemoryStream((byte*)m.GetPointer(), 4)); z.AddEntry(\"b\", (n, s) => ); z.AddEntry(); } }")]
    [InlineData("class C { void M(Wasmtime.Memory m, ICSharpCode.SharpZipLib.Zip.ZipFile z) { z.Add(new S(m), ); z.Add(new Missing(m.GetSpan(0, 1)), \"a\"); } } class S : ICSharpCode.SharpZipLib.Zip.IStaticDataSource { public S(Wasmtime.Memory m) { } public System.IO.Stream GetSource() => }")]
    [InlineData("class C { unsafe void M(Wasmtime.Memory m, System.Formats.Tar.TarWriter w) { var e = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, \"a\") { DataStream = new System.IO.UnmanagedMemoryStream((byte*)m.GetPointer(), }; w.WriteEntry(e); } }")]
    [InlineData("class C { async System.Threading.Tasks.Task M(Wasmtime.Memory m, System.IO.Compression.GZipStream g, System.Memory<byte> b) { var t = g.WriteAsync(b); m.Grow(1); await t; await g.WriteAsync(); var u = g.WriteAsync(b) await u; } }")]
    [InlineData("class C { int M(Wasmtime.Memory m) { var h = m.GetSpan(0, 8); m.Grow(1); return h switch { [0x89, .., var last] => last, [.. var rest] when rest is [_, > 3] => 1, { Length: > } => 2, [ => 3 }; } }")]
    [InlineData("class C { nint _a; int _b; System.IO.Stream? _s; void M(Wasmtime.Memory m) { (_a, _b) = (m.GetPointer(), ); (_a, (_b, var x)) = (m.GetPointer(), (1, m.GetPointer())); _s ??= ; (var q, _) = m; } }")]
    [InlineData("record R(nint A); class F { public nint A { get; init; } } class C { R _r = new(0); F? _f; void M(Wasmtime.Memory m) { _r = _r with { A = m.GetPointer(), B = 1 }; _f = new F { A = m.GetPointer(), Missing = }; _f = new() { A = }; } }")]
    [InlineData("class C { void M(Wasmtime.Memory m, System.Action<int> cb, System.Action? ev) { System.Collections.Generic.List<nint> l = [m.GetPointer(), .. ]; nint[] a = [.. l, .. Missing]; var v = m.GetSpan(0, 4); cb(); ev?.Invoke(v[0]); _ = $\"{v[0]}{v[^1]:x}{\"; } }")]
    [InlineData("class C { unsafe int M(Wasmtime.Memory m) { fixed (byte* p = m.GetSpan(0, 4)) { goto done; } done: try { m.Grow(1); } catch (System.Exception) when (m.GetSpan(0, 1)[0] == && true) { } return checked(m.GetSpan(0, 1)[1..][^1] + ); } }")]
    [InlineData("struct M2 { public static M2 operator +(M2 a, M2 b) => ; public static implicit operator int(M2 m) => Missing(); } class C { int M(Wasmtime.Memory m, M2 a, Unknown u) { var v = m.GetSpan(0, 4); var s = a + ; int n = a; var w = u + a; u++; a += ; return v[0] + n; } }")]
    [InlineData("class P { public void Deconstruct(out int a, out ) { } } class C { void M(Wasmtime.Memory m, P p, Unknown u, System.Collections.Generic.Dictionary<int, nint> d) { var v = m.GetSpan(0, 4); var (x, y) = p; var (q, r) = u; foreach (var (k, w) in d) { } foreach (var (k2, ) in u) { } v[0] = 1; } }")]
    [InlineData("class L : System.IDisposable { public void Dispose() => ; } class C { async System.Threading.Tasks.Task M(Wasmtime.Memory m, Unknown u) { using (new L()) { } using (u) { } using var x = new Missing(); await using (u) { } await foreach (var i in u) { } await foreach (var j in ) { } } }")]
    [InlineData("class C { nint _p; static void Put<T>(ref T s, T v) => s = ; void M(Wasmtime.Memory m) { Put(ref _p, m.GetPointer()); Put(ref , m.GetPointer()); System.Threading.Interlocked.Exchange(ref _p, ); System.Threading.Volatile.Write(ref Missing, m.GetPointer()); } }")]
    [InlineData("class C { System.Collections.Generic.IEnumerable<nint> Out(Wasmtime.Memory m) { Grow(); yield return m.GetPointer(); yield return ; } void Grow() { } void M(Wasmtime.Memory m) { foreach (var p in Out(m)) { } foreach (var q in Out()) { } var l = System.Linq.Enumerable.ToList(Out(m)); var f = System.Linq.Enumerable.First(); } }")]
    [InlineData("class D { public nint P; public D Inner { get; } = new(); } class C { D _d = new(); object Get() => _d; unsafe void M(Wasmtime.Memory m, Unknown u) { var d = (D)Get(); d.P = m.GetPointer(); _d = new D { Inner = { P = m.GetPointer(), Missing = } }; var e = (D)u.Get(); e.P = ; if (Get() is D f) f.P = m.GetPointer(); } }")]
    [InlineData("unsafe struct S { public int X; } class C { unsafe int M(Wasmtime.Memory m) { var p = (S*)m.GetPointer(); m.Grow(1); return p->X + p-> + ((S*)m.GetPointer())->Missing; } }")]
    [InlineData("class C { event System.Action? T; void M(Wasmtime.Memory m, System.Collections.Generic.List<System.Memory<byte>> l) { T += () => m.Grow(1); T += ; var v = m.GetSpan(0, 4); T?.Invoke(); _ = System.Linq.Enumerable.Select(l, x => x.Span[0]); _ = System.Linq.Enumerable.Select(l, x => ); v[0] = 1; } }")]
    [InlineData("class C { System.Action<int>[]? _t; System.Action? _h; event System.Action E { add => _h += ; remove => _h -= value; } System.Action? P { set => _x = value; } void B(Wasmtime.Instance i) { _t = new[] { i.GetAction<int>(\"s\")!, }; var d = new System.Collections.Generic.Dictionary<string, System.Action> { [\"a\"] = , { \"b\", } }; System.Action[] c = [i.GetAction(\"r\")!, .. ]; E += () => _t![0](1); P = ; } void M(Wasmtime.Memory m) { var v = m.GetSpan(0, 4); _t![0](); _h?.Invoke(); d[\"a\"](); v[0] = 1; } }")]
    [InlineData("class C { unsafe int M(Wasmtime.Memory m, Unknown u, Wasmtime.Linker l) { var r = new System.IO.BinaryReader(new System.IO.UnmanagedMemoryStream((byte*)m.GetPointer(), 4), ); var t = new System.IO.StreamReader(u); var s = new System.Buffers.ReadOnlySequence<byte>(); using var h = u.Pin(); l.DefineFunction(\"e\", \"f\", () => r.ReadInt32()); l.DefineFunction(\"e\", , ); var n = new System.Collections.Generic.LinkedList<nint>(); n.AddLast(m.GetPointer()); n.AddLast(); m.Grow(1); return r.ReadInt32() + t.Read() + (int)s.Length + *(byte*)h.Pointer + *(byte*)n.First!.Value; } }")]
    public void OddCode_NeverThrows(string source)
        => Assert.Empty(AnalyzerFailures("using System;\n" + source));

    /// <summary>Every exception an analyzer threw on <paramref name="source"/>, as AD0001 would report it.</summary>
    private static IReadOnlyList<string> AnalyzerFailures(string source) => Analyze(source).Failures;

    private static (IReadOnlyList<string> Failures, ImmutableArray<Diagnostic> Diagnostics) Analyze(string source)
        => CompilationAnalysis.AnalyzeCollectingFailures(CompilationAnalysis.Compile(source), concurrent: false);
}
