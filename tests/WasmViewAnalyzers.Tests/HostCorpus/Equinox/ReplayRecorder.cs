using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using Wasmtime;

namespace Corpus.Equinox.ReplayRecorder;

public readonly record struct InputFrame(uint Tick, ushort Buttons, short StickX, short StickY);

public sealed unsafe class SnapshotMemory : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public SnapshotMemory(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public sealed class KeyframeEventArgs(uint tick, ReadOnlyMemory<byte> state) : EventArgs
{
    public uint Tick { get; } = tick;
    public ReadOnlyMemory<byte> State { get; } = state;
}

/// <summary>Records deterministic game replays: inputs every tick, a serialized world keyframe every N ticks.</summary>
public sealed unsafe class ReplayRecorder
{
    private readonly Memory _memory;
    private readonly Action<int, int, int, int> _step;
    private readonly Func<int> _serialize;
    private readonly Func<int> _serializedLength;
    private readonly List<ReadOnlyMemory<byte>> _keyframes = new();
    private readonly List<InputFrame> _inputs = new();
    private readonly int _interval;

    public event EventHandler<KeyframeEventArgs>? KeyframeTaken;

    public ReplayRecorder(Instance instance, int keyframeInterval)
    {
        _memory = instance.GetMemory("memory")!;
        _step = instance.GetAction<int, int, int, int>("step")!;
        _serialize = instance.GetFunction<int>("serialize_world")!;
        _serializedLength = instance.GetFunction<int>("serialized_length")!;
        _interval = keyframeInterval;
    }

    private ReadOnlyMemory<byte> Keyframe()
    {
        var address = _serialize();
        var length = _serializedLength();
        return new SnapshotMemory((byte*)_memory.GetPointer() + address, length).Memory;
    }

    public void Tick(InputFrame input)
    {
        _inputs.Add(input);
        _step((int)input.Tick, input.Buttons, input.StickX, input.StickY);
        if (input.Tick % _interval != 0) return;

        var state = Keyframe();
        _keyframes.Add(state); // expect: WVA002
        KeyframeTaken?.Invoke(this, new KeyframeEventArgs(input.Tick, state.ToArray()));
    }

    public void TickCopied(InputFrame input)
    {
        _inputs.Add(input);
        _step((int)input.Tick, input.Buttons, input.StickX, input.StickY);
        if (input.Tick % _interval == 0)
        {
            _keyframes.Add(Keyframe().ToArray());
        }
    }

    public void Record(IEnumerable<InputFrame> inputs, Stream destination)
    {
        var pending = new List<ReadOnlyMemory<byte>>();
        foreach (var input in inputs)
        {
            _step((int)input.Tick, input.Buttons, input.StickX, input.StickY);
            if (input.Tick % _interval == 0)
            {
                pending.Add(Keyframe()); // expect: WVA002
            }
        }

        using var deflate = new DeflateStream(destination, CompressionLevel.SmallestSize, leaveOpen: true);
        Span<byte> length = stackalloc byte[4];
        foreach (var keyframe in pending)
        {
            BinaryPrimitives.WriteInt32LittleEndian(length, keyframe.Length);
            deflate.Write(length);
            deflate.Write(keyframe.Span); // expect: WVA001, WVA004
        }
    }

    public void WriteLatestKeyframe(Stream destination)
    {
        var state = Keyframe();
        using var deflate = new DeflateStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        deflate.Write(state.Span); // expect: WVA004
    }

    public int CompareWithPrevious(InputFrame input)
    {
        var before = Keyframe();
        var beforeLength = before.Length;
        _step((int)input.Tick, input.Buttons, input.StickX, input.StickY);
        var after = Keyframe();
        if (beforeLength != after.Length) return -1;
        return before.Span.SequenceCompareTo(after.Span); // expect: WVA001
    }

    public void Export(BinaryWriter writer)
    {
        writer.Write(_inputs.Count);
        foreach (var frame in _inputs)
        {
            writer.Write(frame.Tick);
            writer.Write(frame.Buttons);
        }

        var current = Keyframe();
        writer.Write(current.Length);
        writer.Write(current.Span);
    }

    public IEnumerable<byte> KeyframeBytes(int count)
    {
        var state = Keyframe();
        for (var i = 0; i < Math.Min(count, state.Length); i++)
        {
            yield return state.Span[i]; // expect: WVA001
        }
    }
}
