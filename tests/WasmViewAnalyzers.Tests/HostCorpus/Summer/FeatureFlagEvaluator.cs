// A feature-flag evaluator: targeting rules compiled to wasm, evaluated per user context behind an abstract
// "backend" with a Wasmtime implementation (shape: Extism-style plugin SDKs with alloc/free exports and scopes).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Summer.FeatureFlagEvaluator;

public abstract class FlagBackend
{
    public abstract Span<byte> Context(int length);
    public abstract int Evaluate(int flagId, int contextLength);
    public abstract int Allocate(int size);
    public abstract void Free(int address);
    public abstract int Generation { get; }
    public int CachedGeneration { get; protected set; }
}

public sealed class WasmtimeFlagBackend : FlagBackend
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _evaluate;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _free;
    private readonly Func<int> _generation;
    private readonly int _contextPtr;

    public WasmtimeFlagBackend(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _evaluate = instance.GetFunction<int, int, int>("evaluate")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _free = instance.GetAction<int>("free")!;
        _generation = instance.GetFunction<int>("rules_generation")!;
        _contextPtr = instance.GetFunction<int>("context_ptr")!();
    }

    public override Span<byte> Context(int length) => _memory.GetSpan(_contextPtr, length);
    public override int Evaluate(int flagId, int contextLength) => _evaluate(flagId, contextLength);
    public override int Allocate(int size) => _alloc(size);
    public override void Free(int address) => _free(address);
    public override int Generation => CachedGeneration = _generation();   // the getter asks the guest
}

// Frees its guest block when disposed: the Dispose at the end of `using` is a guest call.
public readonly struct GuestScope : IDisposable
{
    private readonly FlagBackend _backend;
    public GuestScope(FlagBackend backend, int address) { _backend = backend; Address = address; }
    public int Address { get; }
    public void Dispose() => _backend.Free(Address);
}

// A collection whose Add evaluates the flag in the guest as it is added.
public sealed class FlagSet : IEnumerable<int>
{
    private readonly FlagBackend _backend;
    private readonly List<int> _enabled = new();
    public FlagSet(FlagBackend backend) => _backend = backend;
    public void Add(int flagId) { if (_backend.Evaluate(flagId, 0) != 0) _enabled.Add(flagId); }
    public IEnumerator<int> GetEnumerator() => _enabled.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class Decision
{
    public Variant Variant { get; } = new();
}

public sealed class Variant
{
    public Memory<byte> Payload { get; set; }
    public string Name { get; set; } = "";
}

public sealed class FlagEvaluator
{
    private readonly FlagBackend _backend;
    private readonly List<Decision> _audit = new();

    public FlagEvaluator(FlagBackend backend) => _backend = backend;

    private int WriteContext(string userId)
    {
        var context = _backend.Context(256);
        return Encoding.UTF8.GetBytes(userId, context);
    }

    public bool IsEnabled(int flagId, string userId)
    {
        var length = WriteContext(userId);
        var context = _backend.Context(length);
        var result = _backend.Evaluate(flagId, length);
        var firstByte = context[0];                                  // expect: WVA001
        return result != 0 && firstByte != 0;
    }

    public string Explain(int flagId, string userId)
    {
        var scratch = _backend.Allocate(64);
        var length = WriteContext(userId);
        var context = _backend.Context(length);
        string explanation;
        using (var scope = new GuestScope(_backend, scratch))
        {
            explanation = $"scope {scope.Address}, user byte {context[0]}";   // before the scope's Dispose
        }
        return explanation + $", tail {context[length - 1]}";       // expect: WVA001
    }

    public int GenerationTagged(string userId)
    {
        var length = WriteContext(userId);
        var context = _backend.Context(length);
        var generation = _backend.Generation;                        // a property getter that calls the guest
        return generation * 31 + context[0];                         // expect: WVA001
    }

    public int CachedGenerationTagged(string userId)
    {
        var length = WriteContext(userId);
        var context = _backend.Context(length);
        var generation = _backend.CachedGeneration;                  // an auto-property: no guest code
        return generation * 31 + context[0];
    }

    public int EnabledCount(string userId, int[] flags)
    {
        var length = WriteContext(userId);
        var context = _backend.Context(length);
        var set = new FlagSet(_backend) { flags[0], flags[1] };     // the initializer's Add calls the guest
        var count = 0;
        foreach (var flag in set) count++;
        return count + (context.IsEmpty ? 0 : context[0]);          // expect: WVA001
    }

    public string Describe(string userId)
    {
        var length = WriteContext(userId);
        var context = _backend.Context(length);
        var description = $"{Encoding.UTF8.GetString(context)} ({length} bytes)";   // read at once
        _backend.Evaluate(0, length);
        return description;
    }

    public void Audit(int flagId, string userId)
    {
        var length = WriteContext(userId);
        var payload = _backend.Context(length).ToArray();
        var decision = new Decision { Variant = { Payload = payload, Name = flagId.ToString() } };   // a copy
        _audit.Add(decision);
    }
}
