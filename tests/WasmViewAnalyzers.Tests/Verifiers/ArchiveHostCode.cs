using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace WasmViewAnalyzers.Tests.Verifiers;

/// <summary>
/// <see cref="HostCode"/> with the archive libraries in scope: the BCL's compression and tar
/// namespaces, and the real DotNetZip and SharpZipLib under aliases (both declare a <c>ZipFile</c>).
/// </summary>
internal static class ArchiveHostCode
{
    private const string Imports = """
        using Wasmtime;
        using System.Formats.Tar;
        using System.IO.Compression;
        using System.Net.Sockets;
        using System.Threading.Tasks;
        using DotNetZip = Ionic.Zip;
        using SharpZip = ICSharpCode.SharpZipLib.Zip;

        """;

    /// <summary>
    /// A <c>MemoryManager</c> over a raw pointer (its <c>Memory</c> is a view into guest memory),
    /// and <c>Views.Output</c>, which returns one for async code (which cannot be unsafe).
    /// </summary>
    public const string PointerManager = """

        static unsafe class Views
        {
            public static PointerManager Output(Memory memory, int address, int length)
                => new PointerManager((byte*)memory.GetPointer() + address, length);
        }
        """ + PointerMemoryManager.Source;

    /// <summary>The host class with <paramref name="members"/>, then <paramref name="types"/> after it.</summary>
    public static string WithMembers(string members, string types = "")
        => HostCode.WithMembers(members).Replace("using Wasmtime;\n", Imports) + types;
}

/// <summary>Runs several rules at once on one source: a single use can carry diagnostics of more than one rule.</summary>
internal sealed class MultiRuleTest : CSharpAnalyzerTest<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer, DefaultVerifier>
{
    private readonly DiagnosticAnalyzer[] _analyzers;

    public MultiRuleTest(string source, bool withRuntimeLibrary = false, params DiagnosticAnalyzer[] analyzers)
    {
        TestProject.Configure(this, withRuntimeLibrary, withArchiveLibraries: true);
        TestCode = source;
        _analyzers = analyzers;
    }

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => _analyzers;
}
