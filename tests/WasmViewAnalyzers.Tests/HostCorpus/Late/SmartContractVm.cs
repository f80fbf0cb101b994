// Blockchain smart-contract VM: contracts run in wasm, call back into host storage through Caller, and are metered.
// Shape inspired by wasm contract runtimes (calldata in guest memory, storage_read/storage_write imports, per-call Caller data).
using System;
using System.Collections.Generic;
using System.Threading;
using Wasmtime;

namespace Corpus.Late.SmartContractVm;

public sealed record CallFrame(nint Calldata, int Length, long Gas);

public sealed class ExecutionContext
{
    public nint CurrentCalldata;
    public int CurrentLength;
    public long GasUsed;
}

public sealed unsafe class ContractRuntime
{
    private readonly Dictionary<string, byte[]> _storage = new();
    private readonly Dictionary<int, nint> _returnData = new();
    private nint _lastCalldata;
    private nint _lastEvent;
    private CallFrame? _frame;
    private int _lastCalldataOffset;

    public void Define(Linker linker)
    {
        linker.DefineFunction("env", "storage_write", (Caller caller, int keyPtr, int keyLen, int valPtr, int valLen) =>
        {
            var memory = caller.GetMemory("memory")!;
            string key = memory.ReadString(keyPtr, keyLen);
            _storage[key] = memory.GetSpan(valPtr, valLen).ToArray();
        });

        linker.DefineFunction("env", "storage_read", (Caller caller, int keyPtr, int keyLen, int outPtr) =>
        {
            var memory = caller.GetMemory("memory")!;
            string key = memory.ReadString(keyPtr, keyLen);
            if (!_storage.TryGetValue(key, out var value))
                return 0;
            var alloc = caller.GetFunction("contract_alloc")!;
            var dest = memory.GetSpan(outPtr, value.Length);
            int extra = (int)alloc.Invoke(value.Length)!;
            value.CopyTo(dest); // expect: WVA001
            return extra;
        });

        linker.DefineFunction("env", "emit_event", (Caller caller, int ptr, int len) =>
        {
            var memory = caller.GetMemory("memory")!;
            nint address = memory.GetPointer() + ptr;
            ((ExecutionContext)caller.GetData()!).CurrentCalldata = address; // expect: WVA002
            _lastEvent = address; // expect: WVA002
        });

        linker.DefineFunction("env", "charge", (Caller caller, long amount) =>
        {
            ((ExecutionContext)caller.GetData()!).GasUsed += amount; // plain data
        });
    }

    public int Execute(Instance instance, byte[] calldata, long gas)
    {
        var memory = instance.GetMemory("memory")!;
        var alloc = instance.GetFunction<int, int>("contract_alloc")!;
        var entry = instance.GetFunction<int, int, int>("contract_main")!;
        int ptr = alloc(calldata.Length);
        calldata.CopyTo(memory.GetSpan(ptr, calldata.Length));
        nint input = memory.GetPointer() + ptr;
        Interlocked.Exchange(ref _lastCalldata, input); // expect: WVA002
        Volatile.Write(ref _lastCalldataOffset, ptr);
        _frame = new CallFrame(input, calldata.Length, gas); // expect: WVA002
        return entry(ptr, calldata.Length);
    }

    public byte Selector(Instance instance, int ptr, int length)
    {
        var memory = instance.GetMemory("memory")!;
        var frame = new CallFrame(memory.GetPointer() + ptr, length, 0);
        instance.GetFunction<int, int, int>("contract_main")!(ptr, length);
        long remaining = frame.Gas; // plain data of the record
        return remaining > 0 ? *(byte*)frame.Calldata : (byte)0; // expect: WVA001
    }

    public byte SelectorFirst(Instance instance, int ptr, int length)
    {
        var memory = instance.GetMemory("memory")!;
        var frame = new CallFrame(memory.GetPointer() + ptr, length, 0);
        byte selector = *(byte*)frame.Calldata;
        instance.GetFunction<int, int, int>("contract_main")!(ptr, length);
        return selector;
    }

    public long ReturnData(Instance instance, int callId, int ptr)
    {
        var memory = instance.GetMemory("memory")!;
        var finish = instance.GetAction("contract_finish")!;
        _returnData[callId] = memory.GetPointer() + ptr; // expect: WVA002
        nint? maybe = _returnData.TryGetValue(callId, out var a) ? a : null;
        finish();
        return *(long*)maybe.GetValueOrDefault(); // expect: WVA001
    }

    public long ReturnDataBeforeFinish(Instance instance, int ptr)
    {
        var memory = instance.GetMemory("memory")!;
        var finish = instance.GetAction("contract_finish")!;
        nint? maybe = memory.GetPointer() + ptr;
        long value = maybe.HasValue ? *(long*)maybe.Value : 0;
        finish();
        return value + (maybe.HasValue ? 1 : 0); // HasValue reads the Nullable, not guest memory
    }

    public int Upgrade(Instance instance, int ptr, int len)
    {
        var memory = instance.GetMemory("memory")!;
        var frame = new CallFrame(memory.GetPointer() + ptr, len, 1000);
        var next = frame with { Gas = 500 };
        memory.Grow(1);
        return *(int*)next.Calldata; // expect: WVA001
    }

    public int RecordedCalldata(Instance instance) =>
        instance.GetMemory("memory")!.ReadInt32(_lastCalldataOffset); // an offset read through the memory now
}
