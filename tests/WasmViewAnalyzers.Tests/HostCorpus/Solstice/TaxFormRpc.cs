// Tax-form calculator: an RPC host that serializes form lines into guest memory and reads computed results back.
// Shape inspired by DotNetIsolator's RPC (serialized arguments and results in guest memory, a backend class over Wasmtime).
using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Solstice.TaxFormRpc
{
    public abstract class RpcBackend
    {
        public abstract int Alloc(int size);
        public abstract void Free(int address);
        public abstract int Call(string method, int args, int argsLength);
        public abstract int ResultLength { get; }
        public abstract Span<byte> View(int address, int length);
    }

    public sealed class WasmtimeRpcBackend : RpcBackend
    {
        private readonly Memory _memory;
        private readonly Func<int, int> _alloc;
        private readonly Action<int> _free;
        private readonly Func<int, int, int, int> _dispatch;
        private readonly Func<int> _resultLength;

        public WasmtimeRpcBackend(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _alloc = instance.GetFunction<int, int>("rpc_alloc")!;
            _free = instance.GetAction<int>("rpc_free")!;
            _dispatch = instance.GetFunction<int, int, int, int>("rpc_dispatch")!;
            _resultLength = instance.GetFunction<int>("rpc_result_length")!;
        }

        public override int Alloc(int size) => _alloc(size);
        public override void Free(int address) => _free(address);
        public override int Call(string method, int args, int argsLength) => _dispatch(method.GetHashCode(), args, argsLength);
        public override int ResultLength => _resultLength();
        public override Span<byte> View(int address, int length) => _memory.GetSpan(address, length);
    }

    // A guest allocation that frees itself: its Dispose is a guest call.
    public readonly struct GuestBuffer : IDisposable
    {
        private readonly RpcBackend _backend;

        public GuestBuffer(RpcBackend backend, int address, int length)
        {
            _backend = backend;
            Address = address;
            Length = length;
        }

        public int Address { get; }
        public int Length { get; }

        public void Dispose() => _backend.Free(Address);

        // Reads only its own ints.
        public void Deconstruct(out int address, out int length)
        {
            address = Address;
            length = Length;
        }
    }

    // The conversion allocates the string in the guest.
    public readonly struct GuestArg
    {
        [ThreadStatic] public static RpcBackend? Current;

        public GuestArg(int address, int length)
        {
            Address = address;
            Length = length;
        }

        public int Address { get; }
        public int Length { get; }

        public static implicit operator GuestArg(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var address = Current!.Alloc(bytes.Length);
            bytes.CopyTo(Current.View(address, bytes.Length));
            return new GuestArg(address, bytes.Length);
        }
    }

    // A result whose Deconstruct asks the guest for each part.
    public sealed class TaxResult
    {
        private readonly RpcBackend _backend;
        private readonly int _handle;

        public TaxResult(RpcBackend backend, int handle)
        {
            _backend = backend;
            _handle = handle;
        }

        public void Deconstruct(out long owedCents, out long refundCents)
        {
            owedCents = _backend.Call("owed", _handle, 0);
            refundCents = _backend.Call("refund", _handle, 0);
        }
    }

    // Collection-initializer target whose Add writes the line into the guest.
    public sealed class ArgPack : IEnumerable<int>
    {
        private readonly RpcBackend _backend;
        private readonly List<int> _addresses = new();

        public ArgPack(RpcBackend backend) => _backend = backend;

        public void Add(string line, long cents)
        {
            var address = _backend.Alloc(16);
            var slot = _backend.View(address, 16);
            BinaryPrimitives.WriteInt32LittleEndian(slot, line.GetHashCode());
            BinaryPrimitives.WriteInt64LittleEndian(slot[8..], cents);
            _addresses.Add(address);
        }

        public IEnumerator<int> GetEnumerator() => _addresses.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public sealed record LineItem(string Line, nint Value);

    public sealed class TaxForm
    {
        private readonly RpcBackend _backend;
        private readonly Memory _memory;
        private readonly List<LineItem> _audited = new();
        private readonly List<(string Line, int Address)> _auditedOffsets = new();

        public TaxForm(RpcBackend backend, Memory memory)
        {
            _backend = backend;
            _memory = memory;
            GuestArg.Current = backend;
        }

        // An indexer that runs the guest.
        public long this[string line] => _backend.Call("line_value", line.GetHashCode(), 0);

        private GuestBuffer Serialize(ReadOnlySpan<byte> form)
        {
            var address = _backend.Alloc(form.Length);
            form.CopyTo(_backend.View(address, form.Length));
            return new GuestBuffer(_backend, address, form.Length);
        }

        public long ComputeOwed(ReadOnlySpan<byte> form)
        {
            Span<byte> result;
            using (var args = Serialize(form))
            {
                var address = _backend.Call("compute", args.Address, args.Length);
                result = _backend.View(address, _backend.ResultLength);
            }

            // The using block's Dispose freed guest memory through the guest's allocator.
            return BinaryPrimitives.ReadInt64LittleEndian(result); // expect: WVA001
        }

        public long ComputeOwedSafe(ReadOnlySpan<byte> form)
        {
            using var args = Serialize(form);
            var address = _backend.Call("compute", args.Address, args.Length);
            var result = _backend.View(address, _backend.ResultLength);
            return BinaryPrimitives.ReadInt64LittleEndian(result); // read before the Dispose at the end of scope
        }

        public byte StatusAfterSplit(int resultAddress, TaxResult result)
        {
            var status = _backend.View(resultAddress, 8);
            var (owed, refund) = result;
            return (byte)(status[0] + (owed > refund ? 1 : 0)); // expect: WVA001
        }

        public byte StatusAfterBuffer(int resultAddress, GuestBuffer buffer)
        {
            var status = _backend.View(resultAddress, 8);
            var (address, length) = buffer; // this Deconstruct only reads ints
            return (byte)(status[0] + address + length);
        }

        public void NameFiler(int scheduleAddress, string filer)
        {
            var schedule = _backend.View(scheduleAddress, 32);
            GuestArg name = filer;
            BinaryPrimitives.WriteInt32LittleEndian(schedule, name.Address); // expect: WVA001
        }

        public void NameFilerSafe(int scheduleAddress, string filer)
        {
            GuestArg name = filer;
            var schedule = _backend.View(scheduleAddress, 32);
            BinaryPrimitives.WriteInt32LittleEndian(schedule, name.Address);
            BinaryPrimitives.WriteInt32LittleEndian(schedule[4..], name.Length);
        }

        public long Line7Delta(int worksheetAddress)
        {
            var worksheet = _backend.View(worksheetAddress, 16);
            var line7 = this["7"];
            return line7 - BinaryPrimitives.ReadInt64LittleEndian(worksheet); // expect: WVA001
        }

        public long Line7DeltaSafe(int worksheetAddress)
        {
            var line7 = this["7"];
            var worksheet = _backend.View(worksheetAddress, 16);
            return line7 - BinaryPrimitives.ReadInt64LittleEndian(worksheet);
        }

        public int ResultWithLength(int address)
        {
            var head = _backend.View(address, 4);
            var length = _backend.ResultLength; // a property getter that runs the guest
            return head[0] + length; // expect: WVA001
        }

        public byte HeaderAfterPack(int headerAddress)
        {
            var header = _backend.View(headerAddress, 16);
            var pack = new ArgPack(_backend) { { "wages", 100_000 }, { "tips", 2_500 } };
            return (byte)(header[3] + pack.GetHashCode()); // expect: WVA001
        }

        public unsafe void Audit(string line, int valueAddress)
        {
            var value = _memory.GetPointer() + valueAddress;
            _audited.Add(new LineItem(line, value)); // expect: WVA002
            _auditedOffsets.Add((line, valueAddress));
        }

        public long AuditedTotal()
        {
            long total = 0;
            foreach (var (_, address) in _auditedOffsets)
            {
                total += _memory.ReadInt64(address);
            }

            return total;
        }
    }
}
