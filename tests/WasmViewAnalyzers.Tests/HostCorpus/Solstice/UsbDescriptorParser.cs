// USB descriptor parser: a sandboxed guest validates raw descriptor blobs; the host reads device, config and string descriptors in place.
// Shape inspired by unsafe interop hosts (UnmanagedMemoryStream/BinaryReader over GetPointer, fixed over GetSpan) and polling tools with timers.
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Wasmtime;

namespace Corpus.Solstice.UsbDescriptorParser
{
    public readonly record struct DeviceIds(ushort Vendor, ushort Product, ushort BcdDevice);

    public sealed unsafe class DescriptorParser
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _parse;
        private readonly Func<int, int> _stringDescriptor;
        private readonly Func<int> _stringLength;
        private readonly Action _reset;

        public DescriptorParser(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _parse = instance.GetFunction<int, int, int>("parse_descriptors")!;
            _stringDescriptor = instance.GetFunction<int, int>("string_descriptor")!;
            _stringLength = instance.GetFunction<int>("string_length")!;
            _reset = instance.GetAction("reset")!;
        }

        private string StringDescriptor(int index)
        {
            var address = _stringDescriptor(index);
            return _memory.ReadString(address, _stringLength(), Encoding.Unicode);
        }

        public (ushort Bcd, string Product) DeviceWithName(int blob, int length)
        {
            var table = _parse(blob, length);
            using var reader = new BinaryReader(new UnmanagedMemoryStream((byte*)_memory.GetPointer() + table, 18));
            reader.ReadBytes(14);
            var iProduct = reader.ReadByte();
            var product = StringDescriptor(iProduct);
            var bcd = reader.ReadUInt16(); // expect: WVA001
            return (bcd, product);
        }

        public (ushort Bcd, string Product) DeviceWithNameSafe(int blob, int length)
        {
            var table = _parse(blob, length);
            ushort bcd;
            byte iProduct;
            using (var reader = new BinaryReader(new UnmanagedMemoryStream((byte*)_memory.GetPointer() + table, 18)))
            {
                reader.ReadBytes(12);
                bcd = reader.ReadUInt16();
                iProduct = reader.ReadByte();
            }

            return (bcd, StringDescriptor(iProduct));
        }

        public byte ConfigurationValue(int blob, int length)
        {
            var table = _parse(blob, length);
            fixed (byte* config = _memory.GetSpan(table + 18, 9))
            {
                var total = config[2];
                _reset();
                return (byte)(total + config[5]); // expect: WVA001
            }
        }

        public DeviceIds Ids(int blob, int length)
        {
            var table = _parse(blob, length);
            var words = MemoryMarshal.Cast<byte, ushort>(_memory.GetSpan(table, 18));
            var vendor = words[4];
            var product = words[5];
            _reset();
            return new DeviceIds(vendor, product, words[6]); // expect: WVA001
        }

        public DeviceIds IdsSafe(int blob, int length)
        {
            var table = _parse(blob, length);
            var raw = new Span<byte>((void*)(_memory.GetPointer() + table), 18);
            var ids = new DeviceIds(
                BitConverter.ToUInt16(raw[8..]),
                BitConverter.ToUInt16(raw[10..]),
                BitConverter.ToUInt16(raw[12..]));
            _reset();
            return ids;
        }

        public Timer PollVendor(int blob, int length, Action<ushort> onVendor)
        {
            var table = _parse(blob, length);
            nint device = _memory.GetPointer() + table;
            return new Timer(_ => onVendor(*(ushort*)(device + 8)), null, 0, 250); // expect: WVA002
        }

        public Timer PollVendorSafe(int blob, int length, Action<ushort> onVendor)
        {
            var table = _parse(blob, length);
            return new Timer(_ => onVendor((ushort)_memory.ReadInt16(table + 8)), null, 0, 250);
        }

        public void LogLater(int blob, int length)
        {
            var table = _parse(blob, length);
            nint device = _memory.GetPointer() + table;
            ThreadPool.QueueUserWorkItem(_ => Console.WriteLine($"class {*(byte*)(device + 4)}")); // expect: WVA002
        }

        public void LogLaterSafe(int blob, int length)
        {
            var table = _parse(blob, length);
            var deviceClass = *((byte*)_memory.GetPointer() + table + 4); // read before the work is queued
            ThreadPool.QueueUserWorkItem(_ => Console.WriteLine($"class {deviceClass}"));
        }

        public void DumpOnCancel(int blob, int length, CancellationToken token)
        {
            var table = _parse(blob, length);
            var descriptor = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + table, 18);
            token.Register(() => descriptor.CopyTo(Console.OpenStandardError())); // expect: WVA002
        }

        public void DumpOnThread(int blob, int length)
        {
            var table = _parse(blob, length);
            Stream descriptor = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + table, 18);
            var worker = new Thread(() => descriptor.CopyTo(Console.OpenStandardOutput())); // expect: WVA002
            worker.Start();
        }

        public int FirstByteAfterReset(int blob, int length)
        {
            var table = _parse(blob, length);
            Stream descriptor = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + table, 18);
            _reset();
            descriptor.Position = 0; // moves the position: reads nothing
            var size = descriptor.Length;
            var first = descriptor.ReadByte(); // expect: WVA001
            descriptor.Dispose();
            return first + (int)size;
        }

        public string StringTail(int index)
        {
            var address = _stringDescriptor(index);
            var length = _stringLength();
            using var text = new StreamReader(new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length), Encoding.Unicode);
            var first = (char)text.Read();
            _reset();
            return first + text.ReadToEnd(); // expect: WVA001
        }

        public string StringWhole(int index)
        {
            var address = _stringDescriptor(index);
            var length = _stringLength();
            using var text = new StreamReader(new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length), Encoding.Unicode);
            var whole = text.ReadToEnd();
            _reset();
            return whole;
        }
    }
}
