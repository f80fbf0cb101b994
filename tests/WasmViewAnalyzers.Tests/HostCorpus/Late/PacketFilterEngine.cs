// Firewall rule engine compiled to wasm and called per packet; the host logs rule matches from host callbacks.
// Shape inspired by wasmtime-dotnet's Caller/TryGetMemorySpan callbacks and plugin hosts that stage input in guest memory.
using System;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Late.PacketFilterEngine;

public sealed unsafe class PacketFilter
{
    private const int Drop = 1;
    private readonly Memory _memory;
    private readonly Func<int, int, int> _evaluate;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _free;
    private readonly List<string> _log = new();
    private readonly Queue<(nint Address, int Length)> _dropped = new();
    private readonly Queue<(int Offset, int Length)> _droppedOffsets = new();
    private byte* _lastHeader;
    private int _lastHeaderOffset;

    public PacketFilter(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _evaluate = instance.GetFunction<int, int, int>("evaluate")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _free = instance.GetAction<int>("free")!;
    }

    public void DefineImports(Linker linker)
    {
        linker.DefineFunction("fw", "log_match", (Caller caller, int ptr, int len) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", ptr, len, out var text))
                return;
            caller.GetFunction("bump_counter")?.Invoke();
            _log.Add(Encoding.UTF8.GetString(text)); // expect: WVA001
        });

        linker.DefineFunction("fw", "log_rule", (Caller caller, int ptr, int len) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", ptr, len, out var text))
                return;
            var line = Encoding.UTF8.GetString(text); // decoded before re-entering the guest
            caller.GetFunction("bump_counter")?.Invoke();
            _log.Add(line);
        });

        linker.DefineFunction("fw", "rule_size", (Caller caller, int ptr, int len) =>
        {
            caller.TryGetMemorySpan<byte>("memory", ptr, len, out var rule);
            caller.GetFunction("bump_counter")?.Invoke();
            return rule.Length; // only the length
        });
    }

    public int Inspect(ReadOnlySpan<byte> packet)
    {
        int ptr = _alloc(packet.Length);
        var staged = _memory.GetSpan(ptr, packet.Length);
        packet.CopyTo(staged);
        int verdict = _evaluate(ptr, packet.Length);
        if (verdict == Drop)
        {
            byte* header = (byte*)_memory.GetPointer() + ptr;
            _lastHeader = header; // expect: WVA002
            _dropped.Enqueue(((nint)header, 20)); // expect: WVA002
            _lastHeaderOffset = ptr; // an offset, not a view
            _droppedOffsets.Enqueue((ptr, 20));
        }

        _free(ptr);
        return verdict;
    }

    public int InspectAndRewrite(ReadOnlySpan<byte> packet)
    {
        int ptr = _alloc(packet.Length);
        var staged = _memory.GetSpan(ptr, packet.Length);
        packet.CopyTo(staged);
        int verdict = _evaluate(ptr, packet.Length);
        staged[8] = 64; // expect: WVA001
        return verdict;
    }

    public byte[] HeaderAfterVerdict(int ptr, int length)
    {
        var header = _memory.GetSpan(ptr, 20);
        var before = new byte[20];
        for (int i = 0; i < before.Length; i++)
            before[i] = header[i]; // copied before the guest runs

        _evaluate(ptr, length);
        var after = new byte[20];
        for (int i = 0; i < after.Length; i++)
            after[i] = header[i]; // expect: WVA001
        return header.Length == 20 ? after : before;
    }

    public int Protocol(int ptr, int length)
    {
        var header = _memory.GetSpan(ptr, 20);
        byte proto = header[9];
        int verdict = _evaluate(ptr, length);
        return verdict == Drop ? -proto : proto; // proto is a byte read out in time
    }

    public int ProtocolAfterVerdict(int ptr, int length)
    {
        var header = _memory.GetSpan(ptr, 20);
        int verdict = _evaluate(ptr, length);
        return header is [0x45, ..] ? verdict : -1; // expect: WVA001
    }

    public int Replay()
    {
        int replayed = 0;
        while (_droppedOffsets.TryDequeue(out var item))
        {
            replayed += _evaluate(item.Offset, item.Length); // offsets are re-read each time: fine
        }

        return replayed + _lastHeaderOffset;
    }

    public byte FirstDroppedByte()
    {
        var (address, _) = _dropped.Peek();
        _evaluate(0, 0);
        // Open case: the pointer was kept in a field by Inspect; the rule page makes that WVA002's subject (at the Enqueue), not WVA001's here.
        return *(byte*)address;
    }

    public int HeaderChecked(int ptr, int length)
    {
        var header = _memory.GetSpan(ptr, 20);
        int verdict = _evaluate(ptr, length);
        return header is { Length: 20 } ? verdict : -1; // a length pattern reads no element
    }

    public byte LastHeaderTtl() => _lastHeader[8]; // a field read in another method: WVA002's subject, reported at the store
}
