// DotNetIsolator-like RPC host: arguments serialized into guest memory, the guest dispatches, the result comes back as (ptr, len).
// Shape inspired by DotNetIsolator's IsolatedRuntime (exports kept in a dictionary, malloc/free, ReadString/WriteString).
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Wasmtime;

namespace Corpus.Late.RpcIsolatorHost;

public sealed class ArgFrame : IDisposable
{
    private readonly IsolatedRpc _owner;

    public ArgFrame(IsolatedRpc owner, string json)
    {
        _owner = owner;
        Length = Encoding.UTF8.GetByteCount(json);
        Address = owner.Malloc(Length);
        owner.Memory.WriteString(Address, json, Encoding.UTF8);
    }

    public int Address { get; }
    public int Length { get; }

    public void Dispose() => _owner.Free(Address); // frees through a guest export
}

public sealed unsafe class IsolatedRpc
{
    private readonly Dictionary<string, Func<int, int, long>> _exports = new();
    private readonly Action<int> _free;
    private readonly ConcurrentDictionary<int, nint> _pendingReplies = new();
    private readonly ConcurrentDictionary<int, (int Ptr, int Len)> _pendingReplyOffsets = new();
    private byte* _lastReply;
    private Action<string>? _trace;

    public IsolatedRpc(Instance instance)
    {
        Memory = instance.GetMemory("memory")!;
        _exports["dispatch"] = instance.GetFunction<int, int, long>("dispatch")!;
        _exports["malloc"] = (size, _) => instance.GetFunction<int, int>("malloc")!(size);
        _free = instance.GetAction<int>("free")!;
    }

    public Memory Memory { get; }

    public int Malloc(int size) => (int)_exports["malloc"](size, 0);

    public void Free(int ptr) => _free(ptr);

    public void OnTrace(Action<string> trace) => _trace = trace;

    private long Dispatch(ArgFrame frame) => _exports["dispatch"](frame.Address, frame.Length);

    private ReadOnlySpan<byte> ResultOf(long packed) => Memory.GetSpan((int)(packed >> 32), (int)packed);

    private ReadOnlySpan<byte> Call(ArgFrame frame) => ResultOf(Dispatch(frame));

    public T? Invoke<T>(string method, object?[] args)
    {
        ReadOnlySpan<byte> payload;
        using (var frame = new ArgFrame(this, JsonSerializer.Serialize(new { method, args })))
        {
            payload = Call(frame);
        }

        // The using block's Dispose ran ArgFrame.Dispose, which calls the guest's free.
        return JsonSerializer.Deserialize<T>(payload); // expect: WVA001
    }

    public T? InvokeSafely<T>(string method, object?[] args)
    {
        using var frame = new ArgFrame(this, JsonSerializer.Serialize(new { method, args }));
        return JsonSerializer.Deserialize<T>(Call(frame)); // read before the using declaration's Dispose
    }

    public string InvokeText(string method)
    {
        using var frame = new ArgFrame(this, method);
        var reply = Call(frame);
        var text = Encoding.UTF8.GetString(reply);
        _trace?.Invoke($"{method}: {reply.Length} bytes");
        return text;
    }

    public string InvokeTwice(string first, string second)
    {
        using var a = new ArgFrame(this, first);
        using var b = new ArgFrame(this, second);
        var one = Call(a);
        var two = Call(b);
        return Encoding.UTF8.GetString(one) + Encoding.UTF8.GetString(two); // expect: WVA001
    }

    public void BeginCall(int callId, string method)
    {
        var frame = new ArgFrame(this, method);
        long packed = Dispatch(frame);
        byte* reply = (byte*)Memory.GetPointer() + (int)(packed >> 32);
        _pendingReplies.TryAdd(callId, (nint)reply); // expect: WVA002
        _pendingReplyOffsets.TryAdd(callId, ((int)(packed >> 32), (int)packed));
        _lastReply = reply; // expect: WVA002
    }

    public string EndCall(int callId)
    {
        _pendingReplyOffsets.TryRemove(callId, out var slot);
        return Memory.ReadString(slot.Ptr, slot.Len, Encoding.UTF8); // the offset is turned into bytes now
    }

    public string DescribeResult(string method)
    {
        using var frame = new ArgFrame(this, method);
        var reply = Call(frame);
        Free(frame.Address);
        return $"{method} -> {reply[0]:X2}"; // expect: WVA001
    }

    public int ReplyKind(string method)
    {
        var frame = new ArgFrame(this, method);
        var reply = Call(frame);
        ref readonly int kind = ref MemoryMarshal.AsRef<int>(reply);
        frame.Dispose();
        return kind; // expect: WVA001
    }

    public int ReplyKindCopied(string method)
    {
        var frame = new ArgFrame(this, method);
        int kind = MemoryMarshal.Read<int>(Call(frame));
        frame.Dispose();
        return kind;
    }
}
