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

    /// <summary>Every way an element of a collection of delegates comes back out into a local, then is invoked.</summary>
    public static TheoryData<string, string> ElementsTakenOut() => new()
    {
        { "foreach", "foreach (var run in RUNS) run();" },
        { "TryDequeue", "while (QUEUE.TryDequeue(out var next)) next();" },
        { "TryPop", "if (STACK.TryPop(out Action? top)) top();" },
        { "TryGetValue", "if (BYNAME.TryGetValue(\"scan\", out var named)) named();" },
        { "indexer", "RUNS[0]();" },
    };

    [Theory]
    [MemberData(nameof(ElementsTakenOut))]
    public Task DelegateTakenOutOfACollectionOfGuestCalls_Reports(string form, string invocation)
        => VerifyDeferred(form, invocation, guestCalls: true);

    [Theory]
    [MemberData(nameof(ElementsTakenOut))]
    public Task DelegateTakenOutOfACollectionOfPlainLambdas_NoDiagnostic(string form, string invocation)
        => VerifyDeferred(form, invocation, guestCalls: false);

    private static Task VerifyDeferred(string form, string invocation, bool guestCalls)
    {
        var prefix = guestCalls ? "_" : "_plain";
        var read = guestCalls ? "{|WVA001:probe|}[1]" : "probe[1]";
        var code = """
            using System;
            using System.Collections.Generic;
            using Wasmtime;

            class Host
            {
                private readonly Memory _memory;
                private readonly Action<int> _scan;
                private readonly List<Action> _runs = new(), _plainruns = new();
                private readonly Queue<Action> _queue = new(), _plainqueue = new();
                private readonly Stack<Action> _stack = new(), _plainstack = new();
                private readonly Dictionary<string, Action> _byname = new(), _plainbyname = new();

                public Host(Instance instance)
                {
                    _memory = instance.GetMemory("memory")!;
                    _scan = instance.GetAction<int>("scan")!;
                }

                public void Defer(int a)
                {
                    _runs.Add(() => _scan(a));
                    _queue.Enqueue(() => _scan(a));
                    _stack.Push(() => _scan(a));
                    _byname["scan"] = () => _scan(a);
                    _plainruns.Add(() => Console.WriteLine(a));
                    _plainqueue.Enqueue(() => Console.WriteLine(a));
                    _plainstack.Push(() => Console.WriteLine(a));
                    _plainbyname["scan"] = () => Console.WriteLine(a);
                }

                public int RunDeferred()
                {
                    var probe = _memory.GetSpan(0, 8);
                    // FORM
                    INVOCATION
                    return READ;
                }
            }
            """.Replace("INVOCATION", invocation.Replace("RUNS", prefix + "runs").Replace("QUEUE", prefix + "queue").Replace("STACK", prefix + "stack").Replace("BYNAME", prefix + "byname"))
            .Replace("READ", read).Replace("FORM", form);
        return Verify.VerifyAnalyzerAsync(code);
    }

    /// <summary>
    /// Every C# form that puts a delegate into a field or property: each is a store the holder
    /// question must see, for a guest function (reported) as for a plain lambda (not).
    /// </summary>
    public static TheoryData<string, string, string> HolderStores() => new()
    {
        { "assignment", "_held = VALUE;", "_held!(1)" },
        { "lazy ??= in a getter", "", "Held(1)" },
        { "??= statement", "_held ??= VALUE;", "_held(1)" },
        { "chained assignment", "_other = _held = VALUE;", "_held!(1)" },
        { "deconstruction", "(_held, _other) = (VALUE, null);", "_held!(1)" },
        { "conditional value", "_held = _memory is null ? null : VALUE;", "_held!(1)" },
        { "Interlocked.CompareExchange", "Interlocked.CompareExchange(ref _held, VALUE, null);", "_held!(1)" },
        { "Interlocked.Exchange", "Interlocked.Exchange(ref _held, VALUE);", "_held!(1)" },
        { "Volatile.Write", "Volatile.Write(ref _held, VALUE);", "_held!(1)" },
        { "LazyInitializer", "", "LazyInitializer.EnsureInitialized(ref _held, () => VALUE)(1)" },
        { "out argument of a helper", "Bind(out _held);", "_held!(1)" },
    };

    [Theory]
    [MemberData(nameof(HolderStores))]
    public Task DelegateStoredIntoAHolder_GuestFunction_Reports(string form, string store, string invocation)
        => VerifyHolderStore(form, store, invocation, guest: true);

    [Theory]
    [MemberData(nameof(HolderStores))]
    public Task DelegateStoredIntoAHolder_PlainLambda_NoDiagnostic(string form, string store, string invocation)
        => VerifyHolderStore(form, store, invocation, guest: false);

    private static Task VerifyHolderStore(string form, string store, string invocation, bool guest)
    {
        var value = guest ? "_instance.GetFunction<int, int>(\"convert\")!" : "(Func<int, int>)(x => x + 1)";
        var read = guest ? "{|WVA001:probe|}[1]" : "probe[1]";
        var code = """
            using System;
            using System.Threading;
            using Wasmtime;

            class Host
            {
                private readonly Instance _instance;
                private readonly Memory _memory;
                private Func<int, int>? _held;
                private Func<int, int>? _other;

                public Host(Instance instance)
                {
                    _instance = instance;
                    _memory = instance.GetMemory("memory")!;
                    STORE
                }

                // FORM
                private Func<int, int> Held => _held ??= VALUE;

                private void Bind(out Func<int, int>? bound) => bound = VALUE;

                public int Run()
                {
                    var probe = _memory.GetSpan(0, 8);
                    INVOCATION;
                    return READ;
                }
            }
            """.Replace("STORE", store).Replace("INVOCATION", invocation).Replace("VALUE", value)
            .Replace("READ", read).Replace("FORM", form);
        return Verify.VerifyAnalyzerAsync(code);
    }

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

    // ------------------------------------------------------------------ which stores can reach a member
    // The index binds only the candidate stores that C#'s access rules let reach the member asked
    // about; each case below stores the guest delegate where those rules allow, and a look-alike
    // of the same name elsewhere stores a plain lambda.

    private static Task VerifyFilesAsync(params (string Name, string Text)[] files)
    {
        var test = new Verify.Test();
        foreach (var file in files)
        {
            test.TestState.Sources.Add(file);
        }

        return test.RunAsync(CancellationToken.None);
    }

    private const string ReadHost = """
        using System;
        using Wasmtime;

        public static class Reader
        {
            public static int Read(Memory memory, Func<int, int> step)
            {
                var view = memory.GetSpan(0, 8);
                step(1);
                return {|WVA001:view|}[0];
            }
        }
        """;

    [Fact]
    public Task ReadonlyFieldAssignedInItsConstructor_InvokedFromAnotherFile_Reports() => VerifyFilesAsync(
        ("Guest.cs", """
            using System;
            using Wasmtime;

            public sealed class Guest
            {
                internal readonly Func<int, int> Alloc;
                internal readonly Memory Memory;

                public Guest(Instance instance)
                {
                    Alloc = instance.GetFunction<int, int>("alloc")!;
                    Memory = instance.GetMemory("memory")!;
                }
            }
            """),
        ("Plain.cs", """
            using System;

            public sealed class Plain
            {
                internal readonly Func<int, int> Alloc;

                public Plain() => Alloc = x => x;
            }
            """),
        ("Host.cs", """
            class Host
            {
                int Run(Guest guest, Plain plain)
                {
                    var view = guest.Memory.GetSpan(0, 8);
                    plain.Alloc(1);
                    var first = view[0];
                    guest.Alloc(1);
                    return first + {|WVA001:view|}[1];
                }
            }
            """));

    [Fact]
    public Task FieldAssignedWithoutReceiverInADerivedType_Reports() => VerifyFilesAsync(
        ("Base.cs", """
            using System;
            using Wasmtime;

            public abstract class GuestBase
            {
                internal Func<int, int>? Step;
                internal Memory? Memory;

                public int Run()
                {
                    var view = Memory!.GetSpan(0, 8);
                    Step!(1);
                    return {|WVA001:view|}[0];
                }
            }
            """),
        ("Derived.cs", """
            using Wasmtime;

            public sealed class Guest : GuestBase
            {
                public Guest(Instance instance)
                {
                    Memory = instance.GetMemory("memory");
                    this.Step = instance.GetFunction<int, int>("step");
                }
            }
            """));

    [Fact]
    public Task FieldOfTheSameNameAssignedWithoutReceiverInAnUnrelatedType_NoDiagnostic() => VerifyFilesAsync(
        ("Base.cs", """
            using System;
            using Wasmtime;

            public class GuestBase
            {
                internal Func<int, int>? Step = x => x;
                internal Memory? Memory;

                public int Run()
                {
                    var view = Memory!.GetSpan(0, 8);
                    Step!(1);
                    return view[0];
                }
            }
            """),
        ("Other.cs", """
            using System;
            using Wasmtime;

            public sealed class Other
            {
                internal Func<int, int>? Step;

                public Other(Instance instance) => Step = instance.GetFunction<int, int>("step");
            }
            """));

    [Fact]
    public Task InitPropertySetByAnObjectInitializerInAnotherFile_Reports() => VerifyFilesAsync(
        ("Exports.cs", """
            using System;
            using Wasmtime;

            public sealed class Exports
            {
                public Func<int, int>? Convert { get; init; }
                public Memory? Memory { get; init; }
            }
            """),
        ("Loader.cs", """
            using Wasmtime;

            public static class Loader
            {
                public static Exports Load(Instance instance) => new Exports
                {
                    Convert = instance.GetFunction<int, int>("convert"),
                    Memory = instance.GetMemory("memory"),
                };
            }
            """),
        ("Host.cs", """
            class Host
            {
                int Run(Exports exports)
                {
                    var view = exports.Memory!.GetSpan(0, 8);
                    exports.Convert!(1);
                    return {|WVA001:view|}[0];
                }
            }
            """));

    [Fact]
    public Task PrivateSetterAssignedInANestedType_Reports() => VerifyFilesAsync(
        ("Guest.cs", """
            using System;
            using Wasmtime;

            public sealed class Guest
            {
                public Action? Reset { get; private set; }
                public Memory? Memory { get; private set; }

                public static class Factory
                {
                    public static Guest Create(Instance instance)
                    {
                        var guest = new Guest();
                        guest.Reset = instance.GetAction("reset");
                        guest.Memory = instance.GetMemory("memory");
                        return guest;
                    }
                }
            }
            """),
        ("Host.cs", """
            class Host
            {
                int Run(Guest guest)
                {
                    var view = guest.Memory!.GetSpan(0, 8);
                    guest.Reset!();
                    return {|WVA001:view|}[0];
                }
            }
            """));

    [Fact]
    public Task InstanceMethodCalledWithoutReceiverFromADerivedType_Reports() => VerifyFilesAsync(
        ("Base.cs", """
            using System;
            using Wasmtime;

            public class Stepper
            {
                protected Memory? Memory;

                public int Apply(Func<int, int> step)
                {
                    var view = Memory!.GetSpan(0, 8);
                    step(1);
                    return {|WVA001:view|}[0];
                }
            }
            """),
        ("Derived.cs", """
            using Wasmtime;

            public sealed class GuestStepper : Stepper
            {
                public int Run(Instance instance) => Apply(instance.GetFunction<int, int>("step")!);
            }
            """),
        ("Unrelated.cs", """
            public sealed class Unrelated
            {
                public int Apply(System.Func<int, int> step) => step(1);

                public int Run() => Apply(x => x);
            }
            """));

    [Fact]
    public Task StaticMethodCalledFromAnotherFile_Reports() => VerifyFilesAsync(
        ("Reader.cs", ReadHost),
        ("Caller.cs", """
            using Wasmtime;
            using static Reader;

            public static class Caller
            {
                public static int Run(Instance instance) => Read(instance.GetMemory("memory")!, instance.GetFunction<int, int>("step")!);
            }
            """));
}
