// Game mod scripting host: mods compiled to wasm emit events whose payloads live in guest memory; the host dispatches them.
// Shape inspired by UnityWasmScripting's event callbacks and plugin hosts that defer work to timers and threads.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Wasmtime;

namespace Corpus.Late.ModScriptEventBus;

public sealed record PayloadRef(nint Address, int Length, string Kind);

public sealed class Envelope
{
    public Body Body { get; } = new();
    public string Topic { get; init; } = "";
}

public sealed class Body
{
    public nint Bytes { get; set; }
    public int Length { get; set; }
}

public sealed unsafe class ModEventBus
{
    private readonly Memory _memory;
    private readonly Action<int> _tickMod;
    private readonly Dictionary<string, PayloadRef> _latestByTopic = new();
    private readonly Dictionary<string, int> _offsetsByTopic = new();
    private PayloadRef? _lastPayload;
    private PayloadRef _pinned = new(0, 0, "none");
    private Envelope? _lastEnvelope;
    private nint[] _recent = Array.Empty<nint>();
    private Timer? _timer;

    public ModEventBus(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _tickMod = instance.GetAction<int>("mod_tick")!;
    }

    public event Action<string>? Dispatched;

    private PayloadRef Payload(int ptr, int len, string kind) => new(_memory.GetPointer() + ptr, len, kind);

    private static byte FirstByte(PayloadRef p) => *(byte*)p.Address;

    public void OnEmit(int ptr, int len, string topic)
    {
        var payload = Payload(ptr, len, topic);
        _lastPayload ??= payload; // expect: WVA002
        _pinned = _pinned with { Address = payload.Address }; // expect: WVA002
        _offsetsByTopic[topic] = ptr; // an offset
        Dispatched += t => Console.WriteLine($"{t}: {FirstByte(payload)}"); // expect: WVA002
    }

    public void OnEmitLocalEnvelope(int ptr, int len, string topic)
    {
        var envelope = new Envelope { Topic = topic, Body = { Bytes = _memory.GetPointer() + ptr, Length = len } };
        byte first = *(byte*)envelope.Body.Bytes; // the envelope stays in this method
        Dispatched?.Invoke($"{envelope.Topic}:{first}");
    }

    public void OnEmitKeptEnvelope(int ptr, int len, string topic)
    {
        _lastEnvelope = new Envelope { Topic = topic, Body = { Bytes = _memory.GetPointer() + ptr, Length = len } }; // expect: WVA002
    }

    public void OnEmitRecent(int ptr)
    {
        nint p = _memory.GetPointer() + ptr;
        _recent = [p, .. _recent.Take(7)]; // expect: WVA002
    }

    public void OnEmitLater(int ptr, int len)
    {
        var payload = Payload(ptr, len, "delayed");
        _timer = new Timer(_ => Console.WriteLine(FirstByte(payload)), null, 100, Timeout.Infinite); // expect: WVA002
    }

    public void OnEmitOnThread(int ptr, int len)
    {
        var payload = Payload(ptr, len, "thread");
        var copy = new ReadOnlySpan<byte>((void*)payload.Address, payload.Length).ToArray();
        new Thread(() => Console.WriteLine(copy.Length)).Start(); // the thread sees a copy
    }

    public void OnCancel(int ptr, int len, CancellationToken token)
    {
        var payload = Payload(ptr, len, "cancel");
        token.Register(() => Console.WriteLine(FirstByte(payload))); // expect: WVA002
    }

    public int TickAndSummarize(IReadOnlyList<(int Ptr, int Len, string Topic)> emitted)
    {
        var local = new Dictionary<string, PayloadRef>();
        foreach (var (ptr, len, topic) in emitted)
            local[topic] = Payload(ptr, len, topic); // expect: WVA002
        _tickMod(0);
        int sum = 0;
        foreach (var (topic, payload) in local)
            sum += topic.Length + FirstByte(payload); // expect: WVA001
        return sum;
    }

    public int KindsAfterTick(IReadOnlyList<(int Ptr, int Len, string Topic)> emitted)
    {
        var kinds = emitted.Select(e => Payload(e.Ptr, e.Len, e.Topic)).Select(p => new { p.Kind, p.Length }).ToList();
        _tickMod(0);
        return kinds.Sum(k => k.Length + k.Kind.Length); // the anonymous objects hold only a string and an int
    }

    public byte LatestAfterTick(string topic, int ptr, int len)
    {
        _latestByTopic[topic] = Payload(ptr, len, topic); // expect: WVA002
        _tickMod(1);
        return _latestByTopic.TryGetValue(topic, out var p) ? FirstByte(p) : (byte)0; // expect: WVA001
    }

    public int ValuesAfterTick(int ptr, int len)
    {
        var map = new Dictionary<int, PayloadRef> { [0] = Payload(ptr, len, "a") }; // expect: WVA002
        _tickMod(2);
        return map.Values.Sum(v => FirstByte(v)); // expect: WVA001
    }

    public int PatternAfterTick(int ptr, int len)
    {
        object boxed = Payload(ptr, len, "p");
        _tickMod(3);
        if (boxed is PayloadRef { Address: var address, Length: > 0 })
            return *(byte*)address; // expect: WVA001
        return 0;
    }

    public int LengthPatternAfterTick(int ptr, int len)
    {
        object boxed = Payload(ptr, len, "p");
        _tickMod(3);
        return boxed is PayloadRef { Length: var n } ? n : 0; // only the length
    }

    public int ReplayOffsets()
    {
        int total = 0;
        foreach (var pair in _offsetsByTopic)
        {
            _tickMod(pair.Value);
            total += _memory.ReadInt32(pair.Value); // read through the memory after the tick: fresh
        }

        return total;
    }
}
