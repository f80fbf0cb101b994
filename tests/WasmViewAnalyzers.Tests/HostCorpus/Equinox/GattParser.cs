using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Equinox.GattParser;

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct AttributeRecord
{
    public ushort Handle;
    public ushort Uuid16;
    public byte Properties;
    public byte ValueLength;
    public ushort ValueOffset;
}

public sealed record Characteristic(ushort Handle, Guid Uuid, byte Properties, byte[] Value);

public sealed class NotificationEventArgs(ushort handle, int length) : EventArgs
{
    public ushort Handle { get; } = handle;
    public int Length { get; } = length;
}

/// <summary>Parses GATT attribute tables and notifications from BLE sniffers; vendor decoders are wasm plugins.</summary>
public sealed class GattDecoderHost
{
    private readonly Store _store;
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _parseTable;
    private readonly Func<int, int, int, int> _decodeValue;
    private readonly Queue<(ushort Handle, nint Value, int Length)> _notifications = new();

    public event EventHandler<NotificationEventArgs>? Notified;

    public GattDecoderHost(Engine engine, Module module)
    {
        _store = new Store(engine);
        var linker = new Linker(engine);
        var onNotify = Function.FromCallback(_store, (Caller caller, int handle, int valuePtr, int length) =>
        {
            var memory = caller.GetMemory("memory")!;
            _notifications.Enqueue(((ushort)handle, memory.GetPointer() + valuePtr, length)); // expect: WVA002
        });
        linker.Define("gatt", "notify", onNotify);
        linker.DefineFunction("gatt", "trace", (Caller caller, int ptr, int len) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", ptr, len, out var text)) return;
            var message = Encoding.ASCII.GetString(text);
            Console.WriteLine($"[gatt] {message} ({text.Length} bytes)");
        });

        linker.DefineFunction("gatt", "checksum", (Caller caller, int ptr, int len) =>
        {
            if (len <= 0 || !caller.TryGetMemorySpan<byte>("memory", ptr, len, out var bytes)) return 0;
            var first = bytes[0];
            var hook = caller.GetFunction("on_checksum")!;
            hook.Invoke(ptr, len);
            return first + bytes[len - 1]; // expect: WVA001
        });

        var instance = linker.Instantiate(_store, module);
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _parseTable = instance.GetFunction<int, int, int>("parse_att_table")!;
        _decodeValue = instance.GetFunction<int, int, int, int>("decode_value")!;
        Notified += (_, e) => _decodeValue(e.Handle, 0, e.Length);
    }

    private int Upload(ReadOnlySpan<byte> pdu)
    {
        var address = _alloc(pdu.Length);
        pdu.CopyTo(_memory.GetSpan(address, pdu.Length));
        return address;
    }

    public List<Characteristic> ParseTable(ReadOnlySpan<byte> attPdu)
    {
        var input = Upload(attPdu);
        var count = _parseTable(input, attPdu.Length);
        var records = MemoryMarshal.Cast<byte, AttributeRecord>(_memory.GetSpan(input, count * Marshal.SizeOf<AttributeRecord>()));
        var result = new List<Characteristic>(records.Length);
        foreach (var record in records)
        {
            var value = _memory.GetSpan(input + record.ValueOffset, record.ValueLength).ToArray();
            result.Add(new Characteristic(record.Handle, Uuid16ToGuid(record.Uuid16), record.Properties, value));
        }

        return result;
    }

    public string DecodeWithVendor(ReadOnlySpan<byte> attPdu, int vendor)
    {
        var input = Upload(attPdu);
        var count = _parseTable(input, attPdu.Length);
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            ref readonly var record = ref MemoryMarshal.AsRef<AttributeRecord>(_memory.GetSpan(input + i * 8, 8));
            var decoded = _decodeValue(vendor, input + record.ValueOffset, record.ValueLength);
            text.Append($"{record.Handle:X4}: {_memory.ReadString(decoded + 4, _memory.ReadInt32(decoded), Encoding.UTF8)}\n"); // expect: WVA001
        }

        return text.ToString();
    }

    public void Pump()
    {
        while (_notifications.TryDequeue(out var n))
        {
            Notified?.Invoke(this, new NotificationEventArgs(n.Handle, n.Length));
        }
    }

    public byte FirstProperty(ReadOnlySpan<byte> attPdu)
    {
        var input = Upload(attPdu);
        _parseTable(input, attPdu.Length);
        ref var first = ref MemoryMarshal.AsRef<AttributeRecord>(_memory.GetSpan(input, 8));
        var properties = first.Properties;
        Notified?.Invoke(this, new NotificationEventArgs(first.Handle, 0));
        return first.Properties == properties ? properties : (byte)0; // expect: WVA001
    }

    public int BatteryLevel(ReadOnlySpan<byte> attPdu)
    {
        var input = Upload(attPdu);
        var count = _parseTable(input, attPdu.Length);
        var table = _memory.GetSpan(input, count * 8);
        if (table is [_, _, 0x19, 0x2A, ..])
        {
            return table[8];
        }

        return count == 0 ? -1 : BinaryPrimitives.ReadUInt16LittleEndian(table[2..]);
    }

    private static Guid Uuid16ToGuid(ushort uuid) => new($"0000{uuid:X4}-0000-1000-8000-00805F9B34FB");

    public unsafe int HandleSum(ReadOnlySpan<byte> attPdu)
    {
        var input = Upload(attPdu);
        var count = _parseTable(input, attPdu.Length);
        var byHandle = new Dictionary<ushort, nint>();
        for (var i = 0; i < count; i++)
        {
            var record = _memory.GetPointer() + input + i * 8;
            byHandle[*(ushort*)record] = record; // expect: WVA002
        }

        _decodeValue(0, input, 0);
        var sum = 0;
        foreach (var (handle, record) in byHandle)
        {
            sum += handle + ((byte*)record)[4]; // expect: WVA001
        }

        return sum;
    }
}
