// An industrial Modbus/TCP gateway: a wasm decoder parses frames and calls back per register block, the host publishes
// values (shape: wasmtime-dotnet Caller callbacks, Extism-style host functions using TryGetMemorySpan).
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Threading;
using Wasmtime;

namespace Corpus.Summer.ModbusFrameDecoder;

public readonly ref struct RegisterBlock
{
    private readonly Span<byte> _raw;
    public RegisterBlock(Span<byte> raw, int unit) { _raw = raw; Unit = unit; }
    public int Unit { get; }
    public int Count => _raw.Length / 2;                          // only the length
    public ushort this[int index] => BinaryPrimitives.ReadUInt16BigEndian(_raw.Slice(index * 2, 2));
}

public sealed class FrameEventArgs : EventArgs
{
    public FrameEventArgs(int transaction) => Transaction = transaction;
    public int Transaction { get; }
}

public sealed unsafe class ModbusGateway
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _decode;     // (frame ptr, len) -> register block ptr
    private readonly Action<int> _ack;
    private nint _lastFrame;
    private nint _lastBlock;
    private long _lastFrameOffset;
    private readonly List<ushort> _published = new();

    public event EventHandler<FrameEventArgs>? FrameDecoded;

    public ModbusGateway(Engine engine, Module module, Store store)
    {
        var linker = new Linker(engine);
        linker.DefineFunction("modbus", "on_registers", (Caller caller, int address, int count, int unit) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", address, count * 2, out var raw))
            {
                return;
            }
            var block = new RegisterBlock(raw, unit);
            for (var i = 0; i < block.Count; i++)
            {
                _published.Add(block[i]);                     // values read while the callback runs
            }
        });
        linker.DefineFunction("modbus", "on_exception", (Caller caller, int address, int length) =>
        {
            caller.TryGetMemorySpan<byte>("memory", address, length, out var detail);
            var code = detail.Length > 0 ? detail[0] : (byte)0;
            caller.GetFunction("clear_exception")!.Invoke();
            _published.Add((ushort)(code << 8 | detail[1]));  // expect: WVA001
        });
        var instance = linker.Instantiate(store, module);
        _memory = instance.GetMemory("memory")!;
        _decode = instance.GetFunction<int, int, int>("decode")!;
        _ack = instance.GetAction<int>("ack")!;

        // Acknowledging runs the guest: every raise of FrameDecoded is a guest call.
        FrameDecoded += (sender, e) => _ack(e.Transaction);
    }

    public int Receive(int framePtr, int length)
    {
        var frame = _memory.GetPointer() + framePtr;
        Interlocked.Exchange(ref _lastFrame, frame);              // expect: WVA002
        Interlocked.Exchange(ref _lastFrameOffset, framePtr);     // the offset, a number
        return _decode(framePtr, length);
    }

    public void RememberBlock(int blockPtr)
    {
        Volatile.Write(ref _lastBlock, _memory.GetPointer() + blockPtr);   // expect: WVA002
    }

    public ushort FirstRegister(int framePtr, int length)
    {
        var block = _decode(framePtr, length);
        var header = _memory.GetSpan(framePtr, 7);
        var transaction = BinaryPrimitives.ReadUInt16BigEndian(header);
        FrameDecoded?.Invoke(this, new FrameEventArgs(transaction));   // handlers ack through the guest
        var unit = header[6];                                          // expect: WVA001
        return (ushort)(unit + _memory.ReadInt16(block));
    }

    public ushort FirstRegisterReadFirst(int framePtr, int length)
    {
        var block = _decode(framePtr, length);
        var header = _memory.GetSpan(framePtr, 7);
        var transaction = BinaryPrimitives.ReadUInt16BigEndian(header);
        var unit = header[6];                                          // read before the event is raised
        FrameDecoded?.Invoke(this, new FrameEventArgs(transaction));
        return (ushort)(unit + _memory.ReadInt16(block));
    }

    public int SumRegisters(int framePtr, int length, int count)
    {
        var blockPtr = _decode(framePtr, length);
        var block = new RegisterBlock(_memory.GetSpan(blockPtr, count * 2), 1);
        _ack(framePtr);
        var total = block.Count;                                       // Count reads only the length
        for (var i = 0; i < count; i++)
        {
            total += block[i];                                         // expect: WVA001
        }
        return total;
    }

    public void WatchBlock(int blockPtr, CancellationToken token)
    {
        var block = _memory.GetPointer() + blockPtr;
        token.Register(() => Console.WriteLine(*(ushort*)block));     // expect: WVA002
        var offset = blockPtr;
        token.Register(() => Console.WriteLine(_memory.ReadInt16(offset)));
    }

    public void SubscribeAudit(int blockPtr)
    {
        var block = _memory.GetPointer() + blockPtr;
        FrameDecoded += (sender, e) => Console.WriteLine($"{e.Transaction}: {*(short*)block}");   // expect: WVA002
    }

    public short LastFrameFunction()
    {
        // Reading the offset and obtaining the pointer now: fresh.
        var offset = Interlocked.Read(ref _lastFrameOffset);
        return *(short*)((byte*)_memory.GetPointer() + offset + 7);
    }
}
