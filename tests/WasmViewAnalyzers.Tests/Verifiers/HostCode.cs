namespace WasmViewAnalyzers.Tests.Verifiers;

/// <summary>
/// A host class like the ones users write around a Wasmtime instance, so that each test shows only
/// the method under test. The fields cover every kind of guest entry point.
/// </summary>
internal static class HostCode
{
    private const string Prologue = """
        using System;
        using System.Buffers;
        using System.Collections.Generic;
        using System.IO;
        using System.Runtime.InteropServices;
        using System.Runtime.CompilerServices;
        using System.Text;
        using System.Threading.Tasks;
        using Wasmtime;

        unsafe partial class Host
        {
            private readonly Instance instance;
            private readonly Memory memory;
            private readonly Function function;
            private readonly Func<int, int> convert;
            private readonly Action reset;

            public Host(Instance instance)
            {
                this.instance = instance;
                memory = instance.GetMemory("memory")!;
                function = instance.GetFunction("convert")!;
                convert = instance.GetFunction<int, int>("convert")!;
                reset = instance.GetAction("reset")!;
            }

        """;

    /// <summary>
    /// The host class with <paramref name="members"/> added in a part of it that is not
    /// <c>unsafe</c>, as async methods and iterators need, and <paramref name="unsafeMembers"/> in the
    /// unsafe part.
    /// </summary>
    public static string WithSafeMembers(string members, string unsafeMembers)
        => Prologue + Indent(unsafeMembers) + "\n}\n\npartial class Host\n{\n" + Indent(members) + "\n}\n";

    /// <summary>The host class with <paramref name="members"/> added to it.</summary>
    public static string WithMembers(string members) => Prologue + Indent(members) + "\n}\n";

    /// <summary>The host class with <paramref name="members"/>, after a code fix added <paramref name="import"/>.</summary>
    public static string WithMembers(string members, string import)
        => WithMembers(members).Replace("using Wasmtime;\n", "using Wasmtime;\nusing " + import + ";\n");

    private static string Indent(string members)
        => string.Join("\n", members.Split('\n').Select(line => line.Length == 0 ? line : "    " + line));
}
