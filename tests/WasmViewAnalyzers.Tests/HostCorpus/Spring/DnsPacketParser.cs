// DNS packet parser: a wasm module validates wire-format packets and decompresses names; the host walks the
// answer section with a ref struct reader over guest memory. Shape: wasmtime-dotnet's span tests, proxy-wasm's header walking.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Spring.DnsPacketParser;

public ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _offset;

    public RecordReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _offset = 0;
    }

    // Judged by its body: reads only the length.
    public readonly int Remaining => _data.Length - _offset;
    public readonly bool AtEnd => _offset >= _data.Length;

    public ushort ReadUInt16()
    {
        var value = BinaryPrimitives.ReadUInt16BigEndian(_data.Slice(_offset));
        _offset += 2;
        return value;
    }

    public void Skip(int count) => _offset += count;
}

public sealed record DnsAnswer(string Name, ushort Type, uint Ttl, byte[] Data);

public sealed unsafe class DnsParser
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Func<int, int, int> _parse;
    private readonly Func<int, int> _answerPtr;
    private readonly Func<int, int> _answerLen;
    private readonly Func<int, int, int> _nameAt;
    private readonly Action<int, int> _validate;

    public DnsParser(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _parse = instance.GetFunction<int, int, int>("dns_parse")!;
        _answerPtr = instance.GetFunction<int, int>("answer_ptr")!;
        _answerLen = instance.GetFunction<int, int>("answer_len")!;
        _nameAt = instance.GetFunction<int, int, int>("name_at")!;
        _validate = instance.GetAction<int, int>("dns_validate")!;
    }

    private static byte Opcode(scoped ReadOnlySpan<byte> header) => (byte)((header[2] >> 3) & 0xF);
    private static int Size(scoped ReadOnlySpan<byte> view) => view.Length;

    private int Upload(ReadOnlySpan<byte> packet)
    {
        var at = _malloc(packet.Length);
        packet.CopyTo(_memory.GetSpan(at, packet.Length));
        return at;
    }

    private string DecodeName(int packetAt, int offset)
    {
        var length = _nameAt(packetAt, offset);
        return _memory.ReadString(packetAt + offset, length, Encoding.ASCII);
    }

    public List<DnsAnswer> Parse(ReadOnlySpan<byte> packet)
    {
        var at = Upload(packet);
        var header = _memory.GetSpan(at, 12);
        // Safe: read before the guest parses the packet.
        var isResponse = header is [_, _, >= 0x80, ..];
        var opcode = Opcode(header);
        var count = _parse(at, packet.Length);
        // Safe: a length pattern and a length helper read no guest memory.
        if (header is not { Length: 12 } || Size(header) != 12 || !isResponse)
        {
            return new List<DnsAnswer>();
        }
        // The parser rewrites the header flags in place: the list pattern reads the bytes after dns_parse.
        var truncated = header is [_, _, 0x83, ..]; // expect: WVA001
        // A helper that reads an element is a use.
        var opcodeAfter = Opcode(header); // expect: WVA001
        Console.WriteLine($"opcode {opcode}->{opcodeAfter}, truncated={truncated}");

        var answers = new List<DnsAnswer>();
        for (var i = 0; i < count; i++)
        {
            var rrAt = _answerPtr(i);
            var rrLen = _answerLen(i);
            var rr = _memory.GetSpan(rrAt, rrLen);
            var reader = new RecordReader(rr);
            var type = reader.ReadUInt16();
            reader.Skip(2);
            var ttl = (uint)(reader.ReadUInt16() << 16 | reader.ReadUInt16());
            var dataLength = reader.ReadUInt16();
            var name = DecodeName(at, 12);
            // Safe: Remaining reads only lengths.
            if (reader.Remaining < dataLength)
            {
                break;
            }
            // The reader holds a span over guest memory and name_at ran since it was made.
            var firstWord = reader.ReadUInt16(); // expect: WVA001
            var kind = rr[1] switch // expect: WVA001
            {
                1 => "A",
                28 => "AAAA",
                _ => "other",
            };
            var data = _memory.GetSpan(rrAt + rrLen - dataLength, dataLength).ToArray();
            answers.Add(new DnsAnswer($"{name} ({kind}/{firstWord})", type, ttl, data));
        }
        return answers;
    }

    public bool Validate(ReadOnlySpan<byte> packet)
    {
        var at = Upload(packet);
        var flags = _memory.GetSpan(at + 2, 2);
        var rcodeBefore = flags[1] & 0xF;
        try
        {
            _validate(at, packet.Length);
            return true;
        }
        // The filter runs after the try's guest call.
        catch (WasmtimeException) when (flags[1] == 0x05) // expect: WVA001
        {
            return false;
        }
        catch (WasmtimeException) when (rcodeBefore != 0)
        {
            // Safe: the filter reads a number copied before the call.
            return false;
        }
    }

    public int FirstAnswerType(ReadOnlySpan<byte> packet)
    {
        var at = Upload(packet);
        if (_memory.GetPointer() is var basePtr && basePtr != IntPtr.Zero)
        {
            var count = _parse(at, packet.Length);
            var rrAt = _answerPtr(0);
            // 'basePtr' was bound before dns_parse and answer_ptr ran; the arithmetic only aliases it, the read is below.
            var p = (byte*)basePtr + rrAt;
            return count > 0 ? (p[0] << 8) | p[1] : -1; // expect: WVA001
        }
        return -1;
    }

    public int AnswerTypeSafely(ReadOnlySpan<byte> packet)
    {
        var at = Upload(packet);
        var count = _parse(at, packet.Length);
        var rrAt = _answerPtr(0);
        // Safe: the pointer is taken after every guest call.
        var p = (byte*)_memory.GetPointer() + rrAt;
        return count > 0 ? (p[0] << 8) | p[1] : -1;
    }
}
