// A computer-algebra kernel (SymPy/GiNaC-like) in wasm behind an RPC layer: serialized arguments, an invocation
// block filled by ref, results on a shadow stack. Shape: DotNetIsolator's invocation block and ShadowStackEntry.
using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Winter.AlgebraRpc
{
    [StructLayout(LayoutKind.Sequential)]
    public struct Invocation
    {
        public int Method;
        public int ArgsPtr;
        public int ArgsLen;
        public int ResultPtr;
        public int ResultLen;
        public int Error;
    }

    public readonly ref struct StackSlot<T> where T : unmanaged
    {
        private readonly Span<T> _value;
        private readonly SlotStack _owner;
        public StackSlot(SlotStack owner, Span<T> value, int address) { _owner = owner; _value = value; Address = address; }
        public ref T Value => ref _value[0];
        public int Address { get; }
        public int Size => Unsafe.SizeOf<T>();       // reads nothing of guest memory
        public void Release() => _owner.Pop(Address);
    }

    public sealed class SlotStack
    {
        private readonly Memory _memory;
        private readonly Func<int, int> _malloc;
        private int _top;
        private int _limit;

        public SlotStack(Memory memory, Func<int, int> malloc) { _memory = memory; _malloc = malloc; }

        // Allocates in the guest when the current block is full (a guest call), then hands out a slot view.
        public StackSlot<T> Push<T>() where T : unmanaged
        {
            var size = Unsafe.SizeOf<T>();
            if (_top + size > _limit)
            {
                _top = _malloc(4096);
                _limit = _top + 4096;
            }
            var address = _top;
            _top += size;
            return new StackSlot<T>(this, _memory.GetSpan<T>(address, 1), address);
        }

        public void Pop(int address) => _top = address;
    }

    public sealed class AlgebraKernel
    {
        private readonly Memory _memory;
        private readonly Action<int> _invoke;           // (invocationPtr)
        private readonly Func<int, int> _malloc;
        private readonly Action<int> _free;
        private readonly SlotStack _stack;
        private readonly int _invocation;

        public AlgebraKernel(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _invoke = instance.GetAction<int>("invoke")!;
            _malloc = instance.GetFunction<int, int>("malloc")!;
            _free = instance.GetAction<int>("free")!;
            _stack = new SlotStack(_memory, _malloc);
            _invocation = _malloc(Unsafe.SizeOf<Invocation>());
        }

        private ref Invocation Block() =>
            ref MemoryMarshal.AsRef<Invocation>(_memory.GetSpan(_invocation, Unsafe.SizeOf<Invocation>()));

        // Serializes a string argument into fresh guest memory (calls malloc).
        private int CopyArg(string expression)
        {
            var bytes = Encoding.UTF8.GetBytes(expression);
            var address = _malloc(bytes.Length + 4);
            var span = _memory.GetSpan(address, bytes.Length + 4);
            BinaryPrimitives.WriteInt32LittleEndian(span, bytes.Length);
            bytes.CopyTo(span[4..]);
            return address;
        }

        public string Simplify(string expression)
        {
            ref Invocation inv = ref Block();
            inv.Method = 1;
            inv.ArgsPtr = CopyArg(expression);                      // expect: WVA001
            inv.ArgsLen = expression.Length;                        // expect: WVA001
            _invoke(_invocation);
            return inv.Error != 0 ? "error" : _memory.ReadString(inv.ResultPtr, inv.ResultLen, Encoding.UTF8);   // expect: WVA001
        }

        public string SimplifyFixed(string expression)
        {
            var args = CopyArg(expression);                          // the guest call first, into a local
            ref Invocation inv = ref Block();
            inv.Method = 1;
            inv.ArgsPtr = args;
            inv.ArgsLen = expression.Length;
            _invoke(_invocation);
            inv = ref Block();                                       // obtained again after the call
            return inv.Error != 0 ? "error" : _memory.ReadString(inv.ResultPtr, inv.ResultLen, Encoding.UTF8);
        }

        public string Differentiate(string expression, string variable)
        {
            ref Invocation inv = ref Block();
            // A whole value written through the ref: the initializer's CopyArg runs before the store.
            inv = new Invocation { Method = 2, ArgsPtr = CopyArg(expression + "|" + variable), ArgsLen = 0 };   // expect: WVA001
            _invoke(_invocation);
            ref Invocation done = ref Block();
            return _memory.ReadString(done.ResultPtr, done.ResultLen, Encoding.UTF8);
        }

        public double Evaluate(string expression, double x)
        {
            var input = _stack.Push<double>();
            input.Value = x;                                         // the guest reads this slot
            var output = _stack.Push<double>();                      // may malloc: input's view may be stale
            ref Invocation inv = ref Block();
            inv.Method = 3;
            inv.ArgsPtr = input.Address;                             // Address is an int: not a use
            inv.ResultPtr = output.Address;
            _invoke(_invocation);
            var result = output.Value;                               // expect: WVA001
            var size = input.Size + output.Size;                     // judged by their bodies: no read
            output.Release();
            input.Release();
            return result + size * 0;
        }

        public double EvaluateFixed(string expression, double x)
        {
            var input = _stack.Push<double>();
            var output = _stack.Push<double>();
            var inputAddress = input.Address;
            var outputAddress = output.Address;
            _memory.GetSpan<double>(inputAddress, 1)[0] = x;         // written through a view obtained after both pushes
            ref Invocation inv = ref Block();
            inv.Method = 3;
            inv.ArgsPtr = inputAddress;
            inv.ResultPtr = outputAddress;
            _invoke(_invocation);
            var result = _memory.GetSpan<double>(outputAddress, 1)[0];   // obtained after the call
            output.Release();
            input.Release();
            return result;
        }

        public int Degree(string polynomial)
        {
            var args = CopyArg(polynomial);
            var header = _memory.GetSpan(args, 4);
            var declared = BinaryPrimitives.ReadInt32LittleEndian(header);   // read while fresh
            ref Invocation inv = ref Block();
            inv.Method = 4;
            inv.ArgsPtr = args;
            _invoke(_invocation);
            _free(args);
            return declared > 0 ? Block().ResultLen : BinaryPrimitives.ReadInt32LittleEndian(header);   // expect: WVA001
        }
    }
}
