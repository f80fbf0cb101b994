// A message bus whose messages live in guest memory: the host reads and updates headers in place.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Bus;

struct MessageHeader
{
    public int Size;
    public int Kind;
    public int Sequence;
}

struct Registers
{
    public long Pc;
    public long Sp;
}

sealed unsafe class MessageBus
{
    private readonly Memory _memory;
    private readonly Func<int, int> _next;
    private readonly Action _pump;

    public MessageBus(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _next = instance.GetFunction<int, int>("next")!;
        _pump = instance.GetAction("pump")!;
    }

    public int NextKind(int queue)
    {
        var slot = _next(queue);
        ref var header = ref MemoryMarshal.Cast<byte, MessageHeader>(_memory.GetSpan(slot, 12))[0];
        _pump();
        return header.Kind;
    }

    public void Acknowledge(int slot)
    {
        var span = _memory.GetSpan(slot, 12);
        ref var header = ref MemoryMarshal.AsRef<MessageHeader>(span);
        _pump();
        header.Sequence++;
    }

    public long ProgramCounter(int address)
    {
        ref readonly var registers = ref MemoryMarshal.AsRef<Registers>(_memory.GetSpan(address, 16));
        _pump();
        return registers.Pc;
    }

    public int SizeAt(int address)
    {
        ref var header = ref Unsafe.AsRef<MessageHeader>((byte*)_memory.GetPointer() + address);
        _pump();
        return header.Size;
    }

    public int FirstByte(int address)
    {
        ref byte first = ref MemoryMarshal.GetReference(_memory.GetSpan(address, 4));
        _pump();
        return first;
    }

    public void Send(int kind, int size)
    {
        var slot = _next(-1);
        ref var header = ref MemoryMarshal.AsRef<MessageHeader>(_memory.GetSpan(slot, 12));
        header.Kind = kind;
        header.Size = size;
        _pump();
        header.Sequence = 0;
    }
}
