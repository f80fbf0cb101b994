using Microsoft.CodeAnalysis.Testing;
using Verify = WasmViewAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer>;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// Guest delegates held in fields, properties, parameters and collections that other files assign:
/// the engine finds the stores by name across the compilation, then keeps only those of the symbol.
/// </summary>
public sealed class GuestDelegateHolderTests
{
    private const string Exports = """
        using System;
        using System.Collections.Generic;
        using Wasmtime;

        public sealed class Exports
        {
            internal Func<int, int>? Convert;
            public Action? Reset { get; set; }
            internal Func<int, int> Plain = x => x + 1;
            public Dictionary<string, Func<int, int>> Table = new();
            public Memory? Memory;
        }
        """;

    private const string Loader = """
        using Wasmtime;

        public static class Loader
        {
            public static Exports Load(Instance instance)
            {
                var exports = new Exports();
                exports.Convert = instance.GetFunction<int, int>("convert");
                exports.Reset = instance.GetAction("reset");
                exports.Table["digest"] = instance.GetFunction<int, int>("digest")!;
                exports.Memory = instance.GetMemory("memory");
                return exports;
            }
        }
        """;

    // Another type with members of the same names, holding no guest delegate: the stores found by
    // name must still be told apart by symbol.
    private const string LookAlike = """
        using System;
        using System.Collections.Generic;

        public sealed class LookAlike
        {
            internal Func<int, int>? Convert;
            public Action? Reset { get; set; }
            public Dictionary<string, Func<int, int>> Table = new();

            public LookAlike()
            {
                Convert = x => x * 2;
                Reset = () => { };
                Table["digest"] = x => x;
            }
        }
        """;

    private static Task VerifyAsync(string host)
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("Exports.cs", Exports));
        test.TestState.Sources.Add(("Loader.cs", Loader));
        test.TestState.Sources.Add(("LookAlike.cs", LookAlike));
        test.TestState.Sources.Add(("Host.cs", host));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task InternalFieldAssignedInAnotherFile_Reports() => VerifyAsync("""
        using System;

        class Host
        {
            int Run(Exports exports)
            {
                var view = exports.Memory!.GetSpan(0, 8);
                exports.Convert!(1);
                return {|WVA001:view|}[0];
            }
        }
        """);

    [Fact]
    public Task PublicPropertyAssignedInAnotherFile_Reports() => VerifyAsync("""
        using System;

        class Host
        {
            int Run(Exports exports)
            {
                var view = exports.Memory!.GetSpan(0, 8);
                exports.Reset!();
                return {|WVA001:view|}[0];
            }
        }
        """);

    [Fact]
    public Task CollectionFilledInAnotherFile_Reports() => VerifyAsync("""
        using System;

        class Host
        {
            int Run(Exports exports)
            {
                var view = exports.Memory!.GetSpan(0, 8);
                exports.Table["digest"](1);
                return {|WVA001:view|}[0];
            }
        }
        """);

    [Fact]
    public Task SameNamesOnAnotherType_NoDiagnostic() => VerifyAsync("""
        using System;

        class Host
        {
            int Run(Exports exports, LookAlike other)
            {
                var view = exports.Memory!.GetSpan(0, 8);
                other.Convert!(1);
                other.Reset!();
                other.Table["digest"](1);
                exports.Plain(1);
                return view[0];
            }
        }
        """);

    [Fact]
    public Task DelegateParameterPassedFromAnotherFile_Reports() => VerifyAsync("""
        using System;
        using Wasmtime;

        public class Host
        {
            public static int Apply(Memory memory, Func<int, int> step)
            {
                var view = memory.GetSpan(0, 8);
                step(1);
                return {|WVA001:view|}[0];
            }

            public static int Other(Memory memory, Func<int, int> step)
            {
                var view = memory.GetSpan(0, 8);
                step(1);
                return view[0];
            }
        }

        public static class Caller
        {
            public static int Run(Exports exports)
                => Host.Apply(exports.Memory!, exports.Convert!) + Host.Other(exports.Memory!, x => x);
        }
        """);

    [Fact]
    public Task ConstructorParameterPassedWithTargetTypedNew_Reports() => VerifyAsync("""
        using System;
        using Wasmtime;

        public class Host
        {
            private readonly Memory _memory;
            private readonly Func<int, int> _step;

            public Host(Memory memory, Func<int, int> step)
            {
                _memory = memory;
                _step = step;
            }

            public int Run()
            {
                var view = _memory.GetSpan(0, 8);
                _step(1);
                return {|WVA001:view|}[0];
            }

            public static Host Create(Exports exports)
            {
                Host host = new(exports.Memory!, exports.Convert!);
                return host;
            }
        }
        """);
}
