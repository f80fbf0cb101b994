// An LLM tokenizer (BPE) compiled to wasm behind an async service that streams token ids to consumers over
// channels. Shape: Extism-style plugin hosts (input written with WriteString, output read at an offset/length).
using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Winter.TokenizerService
{
    public sealed class TokenizerModule
    {
        public Memory Memory { get; }
        public Func<int, int> Alloc { get; }
        public Action<int> Free { get; }
        public Func<int, int, int> Encode { get; }        // (textPtr, textLen) -> count; ids at ids_ptr()
        public Func<int> IdsPointer { get; }
        public Func<int, int> Decode { get; }              // (token) -> bytes written at piece_ptr()
        public Func<int> PiecePointer { get; }

        public TokenizerModule(Instance instance)
        {
            Memory = instance.GetMemory("memory")!;
            Alloc = instance.GetFunction<int, int>("alloc")!;
            Free = instance.GetAction<int>("free")!;
            Encode = instance.GetFunction<int, int, int>("encode")!;
            IdsPointer = instance.GetFunction<int>("ids_ptr")!;
            Decode = instance.GetFunction<int, int>("decode")!;
            PiecePointer = instance.GetFunction<int>("piece_ptr")!;
        }
    }

    // A guest string that frees itself: its Dispose is a guest call that runs at the end of a using.
    public readonly struct GuestText : IDisposable
    {
        private readonly TokenizerModule _module;
        public int Address { get; }
        public int Length { get; }

        public GuestText(TokenizerModule module, string text)
        {
            _module = module;
            Length = Encoding.UTF8.GetByteCount(text);
            Address = module.Alloc(Length);
            module.Memory.WriteString(Address, text, Encoding.UTF8);
        }

        public void Dispose() => _module.Free(Address);
    }

    public sealed class Tokenizer
    {
        private readonly TokenizerModule _m;
        public Tokenizer(TokenizerModule module) => _m = module;

        private ReadOnlySpan<int> Ids(int count) => _m.Memory.GetSpan<int>(_m.IdsPointer(), count);

        public int[] EncodeText(string text)
        {
            ReadOnlySpan<int> ids;
            using (var input = new GuestText(_m, text))
            {
                var count = _m.Encode(input.Address, input.Length);
                ids = Ids(count);
            }                                                  // GuestText.Dispose frees through the guest
            return ids.ToArray();                              // expect: WVA001
        }

        public int[] EncodeTextFixed(string text)
        {
            using var input = new GuestText(_m, text);
            var count = _m.Encode(input.Address, input.Length);
            return Ids(count).ToArray();                       // copied before the using ends
        }

        public string DecodeAll(ReadOnlySpan<int> tokens)
        {
            var sb = new StringBuilder();
            foreach (var t in tokens)                         // tokens: the caller's own array
            {
                var n = _m.Decode(t);
                sb.Append(_m.Memory.ReadString(_m.PiecePointer(), n, Encoding.UTF8));  // ReadString copies
            }
            return sb.ToString();
        }

        public string DecodeJoined(int[] tokens)
        {
            var pieces = new List<string>();
            var first = _m.Memory.GetSpan(_m.PiecePointer(), 16);
            var firstLen = _m.Decode(tokens[0]);
            // 'first' was obtained before decode wrote the piece; decode may also have grown memory.
            pieces.Add(Encoding.UTF8.GetString(first[..firstLen]));   // expect: WVA001
            for (int i = 1; i < tokens.Length; i++)
            {
                var n = _m.Decode(tokens[i]);
                pieces.Add(Encoding.UTF8.GetString(_m.Memory.GetSpan(_m.PiecePointer(), n)));
            }
            return string.Concat(pieces);
        }

        public int[] EncodeWithCallback(string text, Action<int> onProgress)
        {
            using var input = new GuestText(_m, text);
            var count = _m.Encode(input.Address, input.Length);
            var ids = Ids(count);
            onProgress(count);                                 // a plain .NET callback: not a guest call by default
            return ids.ToArray();
        }
    }

    public sealed class StreamingTokenizer
    {
        private readonly TokenizerModule _m;
        private readonly Channel<ReadOnlyMemory<int>> _batches = Channel.CreateUnbounded<ReadOnlyMemory<int>>();
        private readonly Channel<(nint Ids, int Count)> _raw = Channel.CreateBounded<(nint, int)>(16);
        private readonly Channel<int[]> _copies = Channel.CreateUnbounded<int[]>();

        public StreamingTokenizer(TokenizerModule module) => _m = module;

        public ChannelReader<int[]> Copies => _copies.Reader;

        public unsafe void Produce(IEnumerable<string> lines)
        {
            foreach (var line in lines)
            {
                using var text = new GuestText(_m, line);
                var count = _m.Encode(text.Address, text.Length);
                var address = _m.IdsPointer();
                var ids = (nint)((byte*)_m.Memory.GetPointer() + address);
                _raw.Writer.TryWrite((ids, count));            // expect: WVA002
                _copies.Writer.TryWrite(_m.Memory.GetSpan<int>(address, count).ToArray());  // a copy
            }
        }

        public async Task ProduceAsync(IAsyncEnumerable<string> lines, CancellationToken token)
        {
            await foreach (var line in lines.WithCancellation(token))
            {
                int count, address;
                using (var text = new GuestText(_m, line))
                {
                    count = _m.Encode(text.Address, text.Length);
                    address = _m.IdsPointer();
                }
                var manager = IdsManager.Over(_m.Memory, address, count);
                await _batches.Writer.WriteAsync(manager.Memory, token);   // expect: WVA002
            }
        }

        public async IAsyncEnumerable<int> TokensAsync(string text, [EnumeratorCancellation] CancellationToken token = default)
        {
            int address, count;
            using (var input = new GuestText(_m, text))
            {
                count = _m.Encode(input.Address, input.Length);
                address = _m.IdsPointer();
            }
            for (int i = 0; i < count; i++)
            {
                // Read fresh at each step: the offset is kept, never a view across the yield.
                yield return _m.Memory.ReadInt32(address + i * sizeof(int));
                await Task.Yield();
            }
        }

        public async Task<int> SumAsync(string text)
        {
            int address, count;
            using (var input = new GuestText(_m, text))
            {
                count = _m.Encode(input.Address, input.Length);
                address = _m.IdsPointer();
            }
            var memory = IdsManager.Over(_m.Memory, address, count).Memory;
            var first = memory.Span[0];                       // read before the await
            await Task.Delay(1);
            return first + memory.Span[count - 1];            // expect: WVA001
        }
    }

    internal sealed unsafe class IdsManager : MemoryManager<int>
    {
        private readonly int* _p;
        private readonly int _n;
        public IdsManager(int* p, int n) { _p = p; _n = n; }
        // A helper that returns a view (an object over the guest pointer).
        public static IdsManager Over(Memory memory, int address, int count) =>
            new IdsManager((int*)((byte*)memory.GetPointer() + address), count);
        public override Span<int> GetSpan() => new Span<int>(_p, _n);
        public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_p + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
