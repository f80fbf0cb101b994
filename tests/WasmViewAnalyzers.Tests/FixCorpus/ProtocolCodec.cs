// A network protocol codec compiled to WebAssembly: the host passes frames in and reads messages
// out, in loops over a socket's frames.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using Wasmtime;

namespace Corpus.Protocol;

sealed class Codec
{
    private readonly Memory _memory;
    private readonly Func<int, int> _decode;
    private readonly Func<int, int> _encode;
    private readonly int _frameBuffer;
    private readonly int _messageBuffer;

    public Codec(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _decode = instance.GetFunction<int, int>("decode")!;
        _encode = instance.GetFunction<int, int>("encode")!;
        _frameBuffer = instance.GetFunction<int>("frame_buffer")!();
        _messageBuffer = instance.GetFunction<int>("message_buffer")!();
    }

    public List<int> DecodeAll(Stream input)
    {
        var ids = new List<int>();
        var frame = _memory.GetSpan(_frameBuffer, 1024);
        var message = _memory.GetSpan(_messageBuffer, 64);
        while (input.Read(frame) is var read && read > 0)
        {
            _decode(read);
            ids.Add(BinaryPrimitives.ReadInt32LittleEndian(message));
        }

        return ids;
    }

    public void EncodeAll(IEnumerable<int> ids, Stream output)
    {
        var message = _memory.GetSpan(_messageBuffer, 64);
        var frame = _memory.GetSpan(_frameBuffer, 1024);
        foreach (var id in ids)
        {
            BinaryPrimitives.WriteInt32LittleEndian(message, id);
            var length = _encode(4);
            output.Write(frame[..length]);
        }
    }

    public int PeekId()
    {
        var message = _memory.GetSpan(_messageBuffer, 64);
        var kind = _decode(0);
        return kind == 0 ? 0 : BinaryPrimitives.ReadInt32LittleEndian(message);
    }

    public int DecodeAt(int offset)
    {
        var frame = _memory.GetSpan(_frameBuffer + offset, 16);
        _decode(16);
        offset += 4;
        return frame[0] + offset;
    }
}
