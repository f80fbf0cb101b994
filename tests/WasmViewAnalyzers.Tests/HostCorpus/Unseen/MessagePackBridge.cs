// A DotNetIsolator-like RPC bridge: arguments serialized (MessagePack-style length-prefixed frames) into guest
// memory, a dispatcher export invoked, the serialized reply read back and freed by a Dispose that calls the guest.
using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Unseen.MessagePackBridge;

public sealed record RpcFrame(nint Args, int Length);

public readonly struct GuestReply : IDisposable
{
    private readonly IsolatedRuntime _runtime;

    public GuestReply(IsolatedRuntime runtime, int address, int length)
    {
        _runtime = runtime;
        Address = address;
        Length = length;
    }

    public int Address { get; }

    public int Length { get; }

    public ReadOnlySpan<byte> Bytes => _runtime.Memory.GetSpan(Address, Length);

    public void Dispose() => _runtime.Free(Address);
}

public readonly ref struct ReplyView
{
    private readonly ReadOnlySpan<byte> _bytes;

    public ReplyView(ReadOnlySpan<byte> bytes)
    {
        _bytes = bytes;
    }

    // Length only: reads no guest memory.
    public int Size => _bytes.Length;

    // The MessagePack type byte: reads guest memory.
    public byte Kind => _bytes[0];
}

public readonly struct GuestString
{
    public GuestString(IsolatedRuntime runtime, int address, int length)
    {
        Runtime = runtime;
        Address = address;
        Length = length;
    }

    public IsolatedRuntime Runtime { get; }

    public int Address { get; }

    public int Length { get; }

    // Reading a guest string releases it: the conversion calls the guest's free.
    public static implicit operator string(GuestString value) => value.Runtime.ReadAndRelease(value);
}

public sealed unsafe class ReplyMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public ReplyMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed unsafe class IsolatedRuntime
{
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int, int> _dispatch;
    private readonly Func<int> _replyLength;
    private readonly ConcurrentDictionary<int, ReadOnlyMemory<byte>> _replies = new ConcurrentDictionary<int, ReadOnlyMemory<byte>>();
    private readonly List<RpcFrame> _inflight = new List<RpcFrame>();
    private readonly List<(int Address, int Length)> _inflightOffsets = new List<(int Address, int Length)>();
    private int _nextCallId;

    public IsolatedRuntime(Instance instance)
    {
        Memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _free = instance.GetAction<int>("free")!;
        _dispatch = instance.GetFunction<int, int, int, int>("rpc_dispatch")!;
        _replyLength = instance.GetFunction<int>("rpc_reply_length")!;
    }

    public Memory Memory { get; }

    public void Free(int address) => _free(address);

    public string ReadAndRelease(GuestString value)
    {
        string text = Memory.ReadString(value.Address, value.Length, Encoding.UTF8);
        _free(value.Address);
        return text;
    }

    private int AllocString(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        int address = _malloc(length + 4);
        Memory.WriteInt32(address, length);
        Memory.WriteString(address + 4, text, Encoding.UTF8);
        return address;
    }

    private int EncodeArgs(object[] args, out int size)
    {
        size = 4 + args.Length * 9;
        int address = _malloc(size);
        Span<byte> frame = Memory.GetSpan(address, size);
        BinaryPrimitives.WriteInt32LittleEndian(frame, args.Length);
        int offset = 4;
        foreach (object arg in args)
        {
            switch (arg)
            {
                case int number:
                    // Stale from the second argument on, when an earlier one was a string.
                    frame[offset] = 0xd2; // expect: WVA001
                    BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(offset + 1), number); // expect: WVA001
                    break;
                case string text:
                    // Strings go into guest memory first: AllocString runs malloc, which may grow memory.
                    int stringAddress = AllocString(text);
                    frame[offset] = 0xdb; // expect: WVA001
                    BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(offset + 1), stringAddress); // expect: WVA001
                    break;
                default:
                    throw new NotSupportedException(arg.GetType().Name);
            }

            offset += 9;
        }

        return address;
    }

    private int EncodeArgsTwoPass(object[] args, out int size)
    {
        // Strings are placed first; the frame is obtained after the last malloc.
        long[] values = new long[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            values[i] = args[i] is string text ? AllocString(text) : Convert.ToInt64(args[i]);
        }

        size = 4 + args.Length * 9;
        int address = _malloc(size);
        Span<byte> frame = Memory.GetSpan(address, size);
        BinaryPrimitives.WriteInt32LittleEndian(frame, args.Length);
        for (int i = 0; i < values.Length; i++)
        {
            frame[4 + i * 9] = args[i] is string ? (byte)0xdb : (byte)0xd2;
            BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(5 + i * 9), values[i]);
        }

        return address;
    }

    private GuestReply Invoke(string method, object[] args)
    {
        int name = AllocString(method);
        int argsAddress = EncodeArgsTwoPass(args, out int size);
        _inflightOffsets.Add((argsAddress, size));
        int reply = _dispatch(name, argsAddress, size);
        return new GuestReply(this, reply, _replyLength());
    }

    public long CallForNumber(string method, params object[] args)
    {
        ReadOnlySpan<byte> payload;
        using (GuestReply reply = Invoke(method, args))
        {
            payload = reply.Bytes;
        }

        // The reply was freed by Dispose at the end of the using block.
        return BinaryPrimitives.ReadInt64LittleEndian(payload.Slice(1)); // expect: WVA001
    }

    public long CallForNumberInside(string method, params object[] args)
    {
        using (GuestReply reply = Invoke(method, args))
        {
            ReadOnlySpan<byte> payload = reply.Bytes;
            return BinaryPrimitives.ReadInt64LittleEndian(payload.Slice(1));
        }
    }

    public string CallForNamedResult(string method, GuestString label, params object[] args)
    {
        GuestReply reply = Invoke(method, args);
        ReadOnlySpan<byte> header = reply.Bytes.Slice(0, 8);
        string name = label;
        int status = BinaryPrimitives.ReadInt32LittleEndian(header); // expect: WVA001
        return $"{name}={status}";
    }

    public string CallForNamedResultInOrder(string method, GuestString label, params object[] args)
    {
        GuestReply reply = Invoke(method, args);
        int status = BinaryPrimitives.ReadInt32LittleEndian(reply.Bytes);
        // The conversion frees the label after the status was read.
        string name = label;
        return $"{name}={status}";
    }

    public string Classify(string method, GuestString label, params object[] args)
    {
        GuestReply reply = Invoke(method, args);
        var view = new ReplyView(reply.Bytes);
        string name = label;
        // Size reads only the span's length; Kind reads the first byte of the freed reply.
        return view.Size == 0 ? name : $"{name}:{view.Kind:x2}"; // expect: WVA001
    }

    public int SizeAfterRelease(string method, GuestString label, params object[] args)
    {
        GuestReply reply = Invoke(method, args);
        var view = new ReplyView(reply.Bytes);
        byte kind = view.Kind;
        string name = label;
        return view.Size + kind + name.Length;
    }

    public int BeginCall(string method, params object[] args)
    {
        int callId = ++_nextCallId;
        int name = AllocString(method);
        int argsAddress = EncodeArgs(args, out int size);
        _inflight.Add(new RpcFrame(Memory.GetPointer() + argsAddress, size)); // expect: WVA002
        int reply = _dispatch(name, argsAddress, size);
        int length = _replyLength();
        _replies.TryAdd(callId, new ReplyMemory((byte*)Memory.GetPointer() + reply, length).Memory); // expect: WVA002
        return callId;
    }

    public int BeginCallCopied(string method, params object[] args)
    {
        int callId = ++_nextCallId;
        int name = AllocString(method);
        int argsAddress = EncodeArgsTwoPass(args, out int size);
        _inflightOffsets.Add((argsAddress, size));
        int reply = _dispatch(name, argsAddress, size);
        int length = _replyLength();
        _replies.TryAdd(callId, Memory.GetSpan(reply, length).ToArray());
        return callId;
    }

    public int PendingCount() => _replies.Count + _inflight.Count;
}
