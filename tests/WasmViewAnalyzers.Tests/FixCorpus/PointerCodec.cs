// A protocol codec that works with raw pointers into guest memory, the way ported C code does.
using System;
using System.Buffers.Binary;
using Wasmtime;

namespace Corpus.Pointers;

sealed unsafe class PointerCodec
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int> _decode;
    private byte* _lastFrame;
    private nint _scratch;

    public PointerCodec(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _free = instance.GetAction<int>("free")!;
        _decode = instance.GetFunction<int, int, int>("decode")!;
    }

    public int DecodeFrame(ReadOnlySpan<byte> frame)
    {
        var input = _malloc(frame.Length);
        var p = (byte*)_memory.GetPointer() + input;
        frame.CopyTo(new Span<byte>(p, frame.Length));
        var output = _malloc(frame.Length * 2);
        var status = _decode(input, output);
        var q = (byte*)_memory.GetPointer() + output;
        _free(input);
        return status == 0 ? BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(q, 4)) : -1;
    }

    public int Checksum(int address, int length)
    {
        var start = (byte*)_memory.GetPointer() + address;
        _free(_malloc(16));
        var sum = 0;
        for (var i = 0; i < length; i++)
        {
            sum += start[i];
        }

        return sum;
    }

    public void RememberFrame(int address)
    {
        _lastFrame = (byte*)_memory.GetPointer() + address;
    }

    public void RememberScratch(int size)
    {
        _scratch = _memory.GetPointer() + _malloc(size);
    }

    public void Patch(int address, byte value)
    {
        var target = (byte*)_memory.GetPointer() + address;
        _free(_malloc(8));
        *target = value;
    }

    public int ReadHeader(int address)
    {
        var header = new Span<byte>((void*)(_memory.GetPointer() + address), 8);
        _decode(address, 0);
        return BinaryPrimitives.ReadInt32LittleEndian(header);
    }
}
