// Policy engine host: Rego policies compiled to wasm (OPA ABI: opa_malloc, opa_eval, opa_json_dump) evaluated per request.
// Shape from OpaDotNet's IOpaExportsAbi: the exports sit behind an interface implemented in the same assembly.
using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Wasmtime;

namespace Corpus.Fresh.OpaPolicyEngine;

public interface IOpaAbi
{
    int Malloc(int size);
    void Free(int address);
    int JsonParse(int address, int length);
    int JsonDump(int value);
    void HeapPtrSet(int address);
    int HeapPtrGet();
    int Eval(int entrypoint, int data, int input, int inputLength, int heap);
}

internal sealed class WasmOpaAbi : IOpaAbi
{
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int> _jsonParse;
    private readonly Func<int, int> _jsonDump;
    private readonly Action<int> _heapPtrSet;
    private readonly Func<int> _heapPtrGet;
    private readonly Function _eval;

    public WasmOpaAbi(Instance instance)
    {
        _malloc = instance.GetFunction<int, int>("opa_malloc")!;
        _free = instance.GetAction<int>("opa_free")!;
        _jsonParse = instance.GetFunction<int, int, int>("opa_json_parse")!;
        _jsonDump = instance.GetFunction<int, int>("opa_json_dump")!;
        _heapPtrSet = instance.GetAction<int>("opa_heap_ptr_set")!;
        _heapPtrGet = instance.GetFunction<int>("opa_heap_ptr_get")!;
        _eval = instance.GetFunction("opa_eval")!;
    }

    public int Malloc(int size) => _malloc(size);
    public void Free(int address) => _free(address);
    public int JsonParse(int address, int length) => _jsonParse(address, length);
    public int JsonDump(int value) => _jsonDump(value);
    public void HeapPtrSet(int address) => _heapPtrSet(address);
    public int HeapPtrGet() => _heapPtrGet();
    public int Eval(int entrypoint, int data, int input, int inputLength, int heap)
        => (int)_eval.Invoke(0, entrypoint, data, input, inputLength, heap, 0)!;
}

public sealed unsafe class PolicyEvaluator
{
    private readonly Memory _memory;
    private readonly IOpaAbi _abi;
    private readonly int _dataAddress;
    private readonly int _baseHeap;
    private readonly Dictionary<string, nint> _documentCache = new();
    private readonly Dictionary<string, int> _documentOffsets = new();

    public PolicyEvaluator(Instance instance, string dataJson)
    {
        _memory = instance.GetMemory("memory")!;
        _abi = new WasmOpaAbi(instance);
        _dataAddress = LoadJson(dataJson);
        _baseHeap = _abi.HeapPtrGet();
    }

    private int LoadJson(string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        int address = _abi.Malloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length)); // written at once, before any other call
        return _abi.JsonParse(address, bytes.Length);
    }

    // Only touches guest memory through the host, never the guest: not a guest call.
    private int StrLen(int address) => _memory.GetSpan(address, 64 * 1024).IndexOf((byte)0);

    private int EvalToJson(string inputJson)
    {
        _abi.HeapPtrSet(_baseHeap);
        byte[] input = Encoding.UTF8.GetBytes(inputJson);
        int inputAddress = _abi.Malloc(input.Length);
        _memory.WriteString(inputAddress, inputJson, Encoding.UTF8);
        int result = _abi.Eval(0, _dataAddress, inputAddress, input.Length, _abi.HeapPtrGet());
        return _abi.JsonDump(result);
    }

    // A helper that calls the guest (JsonDump) and then returns a view: fresh for its caller until the next call.
    private ReadOnlySpan<byte> DumpView(int value)
    {
        int address = _abi.JsonDump(value);
        return _memory.GetSpan(address, StrLen(address));
    }

    public string Evaluate(string inputJson)
    {
        int jsonAddress = EvalToJson(inputJson);
        return _memory.ReadNullTerminatedString(jsonAddress); // a copy
    }

    public bool IsAllowed(string inputJson)
    {
        int jsonAddress = EvalToJson(inputJson);
        Span<byte> json = _memory.GetSpan(jsonAddress, StrLen(jsonAddress));
        _abi.Free(jsonAddress); // interface call: lands in WasmOpaAbi.Free, which calls opa_free
        return json.StartsWith("[{\"result\":true"u8); // expect: WVA001
    }

    public bool IsAllowedParsedFirst(string inputJson)
    {
        int jsonAddress = EvalToJson(inputJson);
        ReadOnlySpan<byte> json = _memory.GetSpan(jsonAddress, StrLen(jsonAddress));
        bool allowed = json.IndexOf("true"u8) >= 0; // read while fresh
        _abi.Free(jsonAddress);
        return allowed;
    }

    public string Explain(string inputJson, int reasonValue)
    {
        int resultValue = EvalToJson(inputJson);
        ReadOnlySpan<byte> decision = DumpView(resultValue);
        ReadOnlySpan<byte> reasons = DumpView(reasonValue); // the second dump runs the guest again
        int total = decision.Length + reasons.Length; // lengths only: nothing read
        return $"{total}: " + Encoding.UTF8.GetString(decision) + " / " + Encoding.UTF8.GetString(reasons); // expect: WVA001
    }

    public string ExplainCopied(string inputJson, int reasonValue)
    {
        int resultValue = EvalToJson(inputJson);
        string decision = Encoding.UTF8.GetString(DumpView(resultValue)); // copied before the next dump
        string reasons = Encoding.UTF8.GetString(DumpView(reasonValue));
        return decision + " / " + reasons;
    }

    public void CacheDocument(string path, string json)
    {
        int value = LoadJson(json);
        _documentCache[path] = (nint)((byte*)_memory.GetPointer() + value); // expect: WVA002
        _documentOffsets[path] = value; // an offset is plain data
    }

    public char Classify(string inputJson)
    {
        int jsonAddress = EvalToJson(inputJson);
        ReadOnlySpan<byte> json = _memory.GetSpan(jsonAddress, StrLen(jsonAddress));
        char early = json is [(byte)'[', (byte)'{', ..] ? 'o' : 'x'; // list pattern, read while fresh
        _abi.HeapPtrSet(_baseHeap);
        if (json is { Length: > 2 }) // tests only the length
        {
            return json switch // expect: WVA001
            {
                [(byte)'[', (byte)'{', ..] => 'o',
                [(byte)'[', (byte)']'] => 'e',
                _ => early,
            };
        }
        return early;
    }

    public int ResultsCount(string inputJson)
    {
        int jsonAddress = EvalToJson(inputJson);
        byte* start = (byte*)_memory.GetPointer() + jsonAddress;
        int length = StrLen(jsonAddress);
        if (length > 4096)
        {
            _memory.Grow(1); // room for the next evaluation's heap
        }
        int commas = 0;
        for (int i = 0; i < length; i++)
        {
            if (start[i] == (byte)',') // expect: WVA001
            {
                commas++;
            }
        }
        return commas + 1;
    }

    public int ResultsCountReacquired(string inputJson)
    {
        int jsonAddress = EvalToJson(inputJson);
        int length = StrLen(jsonAddress);
        if (length > 4096)
        {
            _memory.Grow(1);
        }
        byte* start = (byte*)_memory.GetPointer() + jsonAddress; // obtained after the grow
        int commas = 0;
        for (int i = 0; i < length; i++)
        {
            if (start[i] == (byte)',')
            {
                commas++;
            }
        }
        return commas + 1;
    }
}
