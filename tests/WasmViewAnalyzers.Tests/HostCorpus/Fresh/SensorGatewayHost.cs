// IoT gateway host: per-device decoder scripts compiled to wasm turn raw sensor frames into readings; sessions, alarms and
// replay buffers live on the host. Shape from edge gateways running user decoders (TTN-style payload formatters) in wasm.
using System;
using System.Collections.Generic;
using Wasmtime;

namespace Corpus.Fresh.SensorGatewayHost;

public sealed class DeviceContext
{
    public nint LastFrame;
    public int LastFrameOffset;
}

public sealed class DeviceSession
{
    public string DeviceId = "";
    public nint Cursor;
    public int CursorOffset;
}

// A host-side wrapper that holds a view next to plain data: judged member by member.
public sealed class FrameWindow(ReadOnlyMemory<byte> bytes, int sequence)
{
    public int Sequence { get; } = sequence;
    public int Size => bytes.Length;
    public byte Kind => bytes.Span[0];
}

public sealed unsafe class SensorDecoder
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _decode;
    private readonly Action<int> _configure;
    private readonly Func<int, int> _channel;
    private readonly Action _reset;
    private readonly Stack<nint> _replay = new();
    private Action? _onAlarm;
    private Func<byte>? _lastKind;

    public SensorDecoder(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _decode = instance.GetFunction<int, int, int>("decode_uplink")!;
        _configure = instance.GetAction<int>("configure")!;
        _channel = instance.GetFunction<int, int>("channel_value")!;
        _reset = instance.GetAction("reset")!;
        _reset(); // the constructor runs the guest
    }

    public int SampleRate
    {
        get => 0;
        set => _configure(value); // the setter runs the guest
    }

    public int this[int channel] => _channel(channel); // so does the indexer

    public bool TryGetFrame(int address, int length, out ReadOnlySpan<byte> frame)
    {
        frame = _memory.GetSpan(address, length); // an out parameter that receives a view
        return length > 0;
    }

    private ReadOnlyMemory<byte> FrameMemory(int address, int length) => new Frame((byte*)_memory.GetPointer() + address, length).Memory;

    public int Decode(int frameAddress, int length)
    {
        if (!TryGetFrame(frameAddress, length, out ReadOnlySpan<byte> frame))
        {
            return 0;
        }
        SampleRate = frame[0]; // read while fresh, then the setter runs the guest
        return frame[1] + this[0]; // expect: WVA001
    }

    public int DecodeChannels(int frameAddress, int length)
    {
        int first = this[0];
        int second = this[1]; // both indexer calls before the frame is taken
        TryGetFrame(frameAddress, length, out ReadOnlySpan<byte> frame);
        return frame[0] + first + second;
    }

    public static int OpenAndRead(Instance instance, Memory memory, int headerAddress)
    {
        ReadOnlySpan<byte> header = memory.GetSpan(headerAddress, 8);
        var decoder = new SensorDecoder(instance); // its constructor calls reset
        return header[0] + decoder[0]; // expect: WVA001
    }

    public void Remember(Caller caller, int frameAddress)
    {
        nint frame = caller.GetMemory("memory")!.GetPointer() + frameAddress;
        ((DeviceContext)caller.GetData()!).LastFrame = frame; // expect: WVA002
        ((DeviceContext)caller.GetData()!).LastFrameOffset = frameAddress;
    }

    public void Track(object state, IEnumerable<DeviceSession> sessions, int frameAddress)
    {
        nint frame = _memory.GetPointer() + frameAddress;
        if (state is DeviceContext context)
        {
            context.LastFrame = frame; // expect: WVA002
        }
        foreach (DeviceSession session in sessions)
        {
            session.Cursor = frame; // expect: WVA002
            session.CursorOffset = frameAddress;
        }
    }

    public void Arm(int frameAddress)
    {
        nint frame = _memory.GetPointer() + frameAddress;
        byte level = *(byte*)frame;
        _onAlarm += () => Console.WriteLine(*(byte*)frame); // expect: WVA002
        _onAlarm += () => Console.WriteLine(level); // a byte read before subscribing
    }

    public void ArmAfterReset(int frameAddress)
    {
        byte* frame = (byte*)_memory.GetPointer() + frameAddress;
        _reset();
        _lastKind = () => frame[0]; // expect: WVA001, WVA002
    }

    public int Replay(int[] frameAddresses)
    {
        foreach (int address in frameAddresses)
        {
            _replay.Push(_memory.GetPointer() + address); // expect: WVA002
        }
        _reset();
        int sum = 0;
        while (_replay.Count > 0)
        {
            sum += *(byte*)_replay.Pop(); // expect: WVA001
        }
        return sum;
    }

    public (int Sequence, int Size, byte Kind) Window(int address, int length, int sequence)
    {
        var window = new FrameWindow(FrameMemory(address, length), sequence);
        byte kind = window.Kind; // fresh
        _reset();
        int size = window.Size; // Size reads only the length
        return (window.Sequence, size, kind);
    }

    public byte WindowKindLate(int address, int length, int sequence)
    {
        var window = new FrameWindow(FrameMemory(address, length), sequence);
        _reset();
        return window.Kind; // expect: WVA001
    }

    private sealed class Frame(byte* start, int length) : System.Buffers.MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(start, length);
        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
