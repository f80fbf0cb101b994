// OPA-like policy engine host: a compiled Rego policy in wasm (opa_malloc, opa_json_parse, opa_eval, opa_json_dump)
// behind a backend abstraction with a Wasmtime implementation. Shape: HakoJS's WasmMemory/Wasmtime backend split, OPA's wasm ABI.
using System;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Spring.PolicyEngine;

public interface IPolicyBackend
{
    Span<byte> Bytes(int address, int length);
    int Malloc(int size);
    void Free(int address);
    int ParseJson(int address, int length);
    int DumpJson(int value);
    int HeapTop { get; set; }
    int Evaluations { get; }
}

public abstract class PolicyBackendBase : IPolicyBackend
{
    public abstract Span<byte> Bytes(int address, int length);
    public abstract int Malloc(int size);
    public abstract void Free(int address);
    public abstract int ParseJson(int address, int length);
    public abstract int DumpJson(int value);
    public abstract int HeapTop { get; set; }
    public int Evaluations { get; protected set; }

    // Calls the guest (Malloc), then obtains the view after it.
    public int Upload(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = Malloc(bytes.Length);
        bytes.CopyTo(Bytes(at, bytes.Length));
        return at;
    }

    // Length of a NUL-terminated string; touches only the view it is given.
    public static int CStringLength(ReadOnlySpan<byte> view)
    {
        var end = view.IndexOf((byte)0);
        return end < 0 ? view.Length : end;
    }
}

public sealed class WasmtimePolicyBackend : PolicyBackendBase
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int> _parse;
    private readonly Func<int, int> _dump;
    private readonly Func<int> _heapGet;
    private readonly Action<int> _heapSet;
    internal readonly Dictionary<string, Func<int, int, int>> Entrypoints = new();

    public WasmtimePolicyBackend(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("opa_malloc")!;
        _free = instance.GetAction<int>("opa_free")!;
        _parse = instance.GetFunction<int, int, int>("opa_json_parse")!;
        _dump = instance.GetFunction<int, int>("opa_json_dump")!;
        _heapGet = instance.GetFunction<int>("opa_heap_ptr_get")!;
        _heapSet = instance.GetAction<int>("opa_heap_ptr_set")!;
        Entrypoints["allow"] = instance.GetFunction<int, int, int>("eval_allow")!;
        Entrypoints["violations"] = instance.GetFunction<int, int, int>("eval_violations")!;
    }

    public override Span<byte> Bytes(int address, int length) => _memory.GetSpan(address, length);
    public override int Malloc(int size) => _malloc(size);
    public override void Free(int address) => _free(address);
    public override int ParseJson(int address, int length) => _parse(address, length);
    public override int DumpJson(int value) => _dump(value);
    // Both accessors enter the guest.
    public override int HeapTop { get => _heapGet(); set => _heapSet(value); }

    public int Eval(string entrypoint, int data, int input)
    {
        Evaluations++;
        return Entrypoints[entrypoint](data, input);
    }
}

// Frees its guest buffer when disposed: the Dispose at the end of 'using' is a guest call.
public readonly struct GuestJson : IDisposable
{
    private readonly IPolicyBackend _backend;
    public int Address { get; }
    public int Length { get; }

    public GuestJson(IPolicyBackend backend, int address, int length)
    {
        _backend = backend;
        Address = address;
        Length = length;
    }

    public void Dispose() => _backend.Free(Address);
}

// Deconstructing a dumped result asks the guest to serialize it.
public readonly struct EvalResult
{
    public EvalResult(IPolicyBackend backend, int value)
    {
        Backend = backend;
        Value = value;
    }

    public IPolicyBackend Backend { get; }
    public int Value { get; }

    public void Deconstruct(out int address, out int length)
    {
        address = Backend.DumpJson(Value);
        length = PolicyBackendBase.CStringLength(Backend.Bytes(address, 4096));
    }
}

public sealed class PolicyEvaluator
{
    private readonly WasmtimePolicyBackend _backend;
    private readonly int _data;

    public event Action<int>? DecisionMade;
    public event Action<string>? Logged;

    public PolicyEvaluator(WasmtimePolicyBackend backend, string dataJson)
    {
        _backend = backend;
        _data = backend.ParseJson(backend.Upload(dataJson), Encoding.UTF8.GetByteCount(dataJson));
        // The decision handler releases the guest's result value: raising the event calls the guest.
        DecisionMade += value => _backend.Free(value);
        Logged += line => Console.WriteLine(line);
    }

    public bool Allow(string inputJson)
    {
        var saved = _backend.HeapTop;
        var inputAt = _backend.Upload(inputJson);
        var input = _backend.ParseJson(inputAt, Encoding.UTF8.GetByteCount(inputJson));
        var resultValue = _backend.Eval("allow", _data, input);
        var (address, length) = new EvalResult(_backend, resultValue);
        var json = _backend.Bytes(address, length);
        // Safe: raising Logged runs only Console.WriteLine.
        Logged?.Invoke($"allow -> {length} bytes");
        var allowed = json.IndexOf("true"u8) >= 0;
        DecisionMade?.Invoke(resultValue);
        // DecisionMade's handler freed guest memory: 'json' is read after it.
        var text = Encoding.UTF8.GetString(json); // expect: WVA001
        _backend.HeapTop = saved;
        return allowed && text.Length > 0;
    }

    public string Violations(string inputJson)
    {
        Span<byte> echo;
        int echoLength;
        using (var input = new GuestJson(_backend, _backend.Upload(inputJson), Encoding.UTF8.GetByteCount(inputJson)))
        {
            echo = _backend.Bytes(input.Address, input.Length);
            echoLength = echo.Length;
            // Safe: read inside the using, before Dispose frees the buffer.
            Logged?.Invoke($"input starts with {(char)echo[0]}");
        }
        // GuestJson.Dispose called opa_free at the end of the using.
        var firstByte = echo[0]; // expect: WVA001
        // Safe: only the length.
        Console.WriteLine($"{echo.Length} == {echoLength}, first {firstByte}");

        var value = _backend.Eval("violations", _data, 0);
        var result = new EvalResult(_backend, value);
        var header = _backend.Bytes(0, 8);
        // Deconstruct dumps the value through opa_json_dump: a guest call hidden in a deconstruction.
        var (at, len) = result;
        Console.WriteLine(header[0]); // expect: WVA001
        return Encoding.UTF8.GetString(_backend.Bytes(at, len));
    }

    public int Probe(IPolicyBackend backend, int address)
    {
        var view = backend.Bytes(address, 16);
        // Safe: Evaluations is an auto-property of the base class: reading it calls nothing in the guest.
        var runs = backend.Evaluations;
        var first = view[0];
        // The setter of HeapTop enters the guest through the interface's implementation.
        backend.HeapTop = address + 16;
        return first + runs + view[1]; // expect: WVA001
    }

    public int Snapshot(int address)
    {
        var view = _backend.Bytes(address, 32);
        // Reading the property runs opa_heap_ptr_get.
        var top = _backend.HeapTop;
        return view[0] + top; // expect: WVA001
    }

    public int HeaderSize(int address)
    {
        var view = _backend.Bytes(address, 64);
        var size = PolicyBackendBase.CStringLength(view);
        _backend.Free(address);
        // Safe: 'size' is a number computed before the free.
        return size;
    }
}
