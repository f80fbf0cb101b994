// RPC client over a guest transport: arguments serialized into guest memory through helpers several calls deep, the
// transport behind an interface implemented in this file, results read through helpers that return views (DotNetIsolator-like).
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.HeldOut.RpcClientTransport;

public interface IGuestTransport
{
    int Send(int address, int length);

    void Release(int handle);
}

internal sealed class WasmTransport : IGuestTransport
{
    private readonly Func<int, int, int> _dispatch;
    private readonly Action<int> _release;

    public WasmTransport(Instance instance)
    {
        _dispatch = instance.GetFunction<int, int, int>("rpc_dispatch") ?? throw new InvalidOperationException("rpc_dispatch");
        _release = instance.GetAction<int>("rpc_release") ?? throw new InvalidOperationException("rpc_release");
    }

    public int Send(int address, int length) => _dispatch(address, length);

    public void Release(int handle) => _release(handle);
}

public sealed class RpcClient
{
    private readonly Memory _memory;
    private readonly IGuestTransport _transport;
    private readonly Func<int, int> _malloc;
    private readonly Func<int, int> _resultAddress;
    private readonly Func<int, int> _resultLength;
    private readonly Dictionary<string, Action<int>> _hooks = new();

    public RpcClient(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _transport = new WasmTransport(instance);
        _malloc = instance.GetFunction<int, int>("malloc") ?? throw new InvalidOperationException("malloc");
        _resultAddress = instance.GetFunction<int, int>("result_address") ?? throw new InvalidOperationException("result_address");
        _resultLength = instance.GetFunction<int, int>("result_length") ?? throw new InvalidOperationException("result_length");
        Ping = instance.GetFunction<int, int>("ping") ?? throw new InvalidOperationException("ping");
        foreach (var name in new[] { "flush", "gc", "trim" })
        {
            _hooks[name] = instance.GetAction<int>("hook_" + name) ?? throw new InvalidOperationException(name);
        }
    }

    // An export wrapped in a property: invoking it is a guest call.
    public Func<int, int> Ping { get; }

    // Three levels down to the guest's malloc: Stage -> StageBytes -> Reserve -> _malloc.
    private int Reserve(int length) => _malloc(length);

    private int StageBytes(ReadOnlySpan<byte> bytes)
    {
        var address = Reserve(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        return address;
    }

    private int Stage(string method, byte[] payload)
    {
        var name = Encoding.UTF8.GetBytes(method);
        var frame = new byte[8 + name.Length + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, name.Length);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(4), payload.Length);
        name.CopyTo(frame, 8);
        payload.CopyTo(frame, 8 + name.Length);
        return StageBytes(frame);
    }

    // Returns a view: the guest calls happen while the arguments are evaluated, before GetSpan runs.
    private ReadOnlySpan<byte> ResultView(int handle) => _memory.GetSpan(_resultAddress(handle), _resultLength(handle));

    private bool TryGetResult(int handle, out ReadOnlySpan<byte> payload)
    {
        var length = _resultLength(handle);
        if (length < 0)
        {
            payload = default;
            return false;
        }

        payload = _memory.GetSpan(_resultAddress(handle), length);
        return true;
    }

    private static int FrameLength(string method, byte[] payload) => 8 + Encoding.UTF8.GetByteCount(method) + payload.Length;

    public T Invoke<T>(string method, byte[] payload, Func<byte[], T> decode)
    {
        var address = Stage(method, payload);
        var handle = _transport.Send(address, FrameLength(method, payload));
        var result = ResultView(handle);
        _transport.Release(handle);                         // interface call, implemented above with a guest export
        return decode(result.ToArray()); // expect: WVA001
    }

    public T InvokeCopied<T>(string method, byte[] payload, Func<byte[], T> decode)
    {
        var address = Stage(method, payload);
        var handle = _transport.Send(address, FrameLength(method, payload));
        var result = ResultView(handle).ToArray();
        _transport.Release(handle);
        return decode(result);
    }

    public T InvokeDecodedInPlace<T>(string method, byte[] payload, Func<byte[], T> decode, Action<string>? log)
    {
        var address = Stage(method, payload);
        var handle = _transport.Send(address, FrameLength(method, payload));
        var result = ResultView(handle);
        // A delegate parameter of unknown origin (a logger here) is not a guest call by the rule's default.
        log?.Invoke($"result of {method}: {result.Length} bytes");
        var value = decode(result.ToArray());
        _transport.Release(handle);
        return value;
    }

    public string InvokeText(string method, string argument)
    {
        var payload = Encoding.UTF8.GetBytes(argument);
        var address = Stage(method, payload);
        var handle = _transport.Send(address, FrameLength(method, payload));
        if (!TryGetResult(handle, out var text))
        {
            return string.Empty;
        }

        var preview = text.Length > 64 ? text[..64] : text;
        _transport.Release(handle);
        return Encoding.UTF8.GetString(preview); // expect: WVA001
    }

    public string InvokeTextSafe(string method, string argument)
    {
        var payload = Encoding.UTF8.GetBytes(argument);
        var handle = _transport.Send(Stage(method, payload), FrameLength(method, payload));
        var decoded = TryGetResult(handle, out var text) ? Encoding.UTF8.GetString(text) : string.Empty;
        _transport.Release(handle);
        return decoded;
    }

    public int Forward(int handle, string nextMethod)
    {
        var previous = ResultView(handle);
        var header = Stage(nextMethod, Array.Empty<byte>());   // reaches malloc three calls down
        var body = StageBytes(previous); // expect: WVA001
        return _transport.Send(header, body);
    }

    public int ForwardCopied(int handle, string nextMethod)
    {
        var previous = ResultView(handle).ToArray();
        var header = Stage(nextMethod, Array.Empty<byte>());
        var body = StageBytes(previous);                    // a host array: StageBytes may malloc before reading it
        return _transport.Send(header, body);
    }

    public int Echo(int handle)
    {
        // Fresh at the call, but StageBytes mallocs in the guest before it copies from the span it was given.
        var echoed = StageBytes(ResultView(handle)); // expect: WVA001
        return _transport.Send(echoed, _resultLength(handle));
    }

    public int Heartbeat(int handle)
    {
        var status = ResultView(handle);
        var alive = Ping(handle);
        return alive + status[0]; // expect: WVA001
    }

    public int HeartbeatSafe(int handle)
    {
        var first = ResultView(handle)[0];                  // a value read out of the view: a copy
        var alive = Ping(handle);
        return alive + first;
    }

    public long Flush(int handle)
    {
        var pending = ResultView(handle);
        _hooks["flush"](handle);                            // an export held in a dictionary
        return BinaryPrimitives.ReadInt64LittleEndian(pending); // expect: WVA001
    }

    public long FlushReacquired(int handle)
    {
        _hooks["flush"](handle);
        var pending = ResultView(handle);
        return pending.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(pending) : 0;
    }
}
