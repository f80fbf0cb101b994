// A DNA/protein sequence aligner (Smith-Waterman) in wasm used by a lab pipeline service that reports CIGARs.
// Shape: biowasm/aioli-style ports: reads written into guest buffers, score structs and traceback read back.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Winter.SequenceAligner
{
    public sealed class AlignerModule
    {
        public Memory Memory { get; }
        public Func<int, int> Alloc { get; }
        public Action<int> Free { get; }
        public Func<int, int, int, int, int> Align { get; }   // (q, qLen, t, tLen) -> result address
        public Func<int, int> CigarOf { get; }                // result -> cigar string address (NUL-terminated)

        public AlignerModule(Instance instance)
        {
            Memory = instance.GetMemory("memory")!;
            Alloc = instance.GetFunction<int, int>("aligner_alloc")!;
            Free = instance.GetAction<int>("aligner_free")!;
            Align = instance.GetFunction<int, int, int, int, int>("sw_align")!;
            CigarOf = instance.GetFunction<int, int>("sw_cigar")!;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct AlignmentResult
    {
        public int Score;
        public int QueryStart, QueryEnd;
        public int TargetStart, TargetEnd;
    }

    // A read uploaded into the guest; converting a string to it allocates there (a user-defined conversion).
    public readonly struct GuestRead
    {
        public GuestRead(int address, int length) { Address = address; Length = length; }
        public int Address { get; }
        public int Length { get; }

        public static AlignerModule? Module;

        public static implicit operator GuestRead(string bases)
        {
            var m = Module!;
            var address = m.Alloc(bases.Length);
            Encoding.ASCII.GetBytes(bases, m.Memory.GetSpan(address, bases.Length));
            return new GuestRead(address, bases.Length);
        }
    }

    // A batch arena freed in the guest when disposed asynchronously.
    public sealed class AlignmentArena : IAsyncDisposable
    {
        private readonly AlignerModule _m;
        private readonly List<int> _blocks = new();
        public AlignmentArena(AlignerModule m) => _m = m;
        public int Take(int bytes) { var a = _m.Alloc(bytes); _blocks.Add(a); return a; }
        public ValueTask DisposeAsync()
        {
            foreach (var b in _blocks) _m.Free(b);
            return ValueTask.CompletedTask;
        }
    }

    // An interpolated string handler that resolves {result} holes by asking the guest for the CIGAR string.
    [InterpolatedStringHandler]
    public ref struct AlignmentLogHandler
    {
        private readonly StringBuilder _sb;
        private readonly AlignerModule _m;
        public AlignmentLogHandler(int literalLength, int formattedCount, AlignerModule m)
        {
            _sb = new StringBuilder(literalLength);
            _m = m;
        }
        public void AppendLiteral(string s) => _sb.Append(s);
        public void AppendFormatted<T>(T value) => _sb.Append(value);
        public void AppendFormatted(GuestRead read) => _sb.Append(read.Length);
        public void AppendFormatted(int resultAddress, string format)
        {
            if (format == "cigar")
                _sb.Append(_m.Memory.ReadString(_m.CigarOf(resultAddress), 64, Encoding.ASCII));   // calls the guest
            else
                _sb.Append(resultAddress);
        }
        public override string ToString() => _sb.ToString();
    }

    public sealed class AlignmentService
    {
        private readonly AlignerModule _m;
        private readonly object _gate = new();

        public AlignmentService(AlignerModule m) { _m = m; GuestRead.Module = m; }

        private ref AlignmentResult ResultAt(int address) =>
            ref MemoryMarshal.AsRef<AlignmentResult>(_m.Memory.GetSpan(address, Unsafe.SizeOf<AlignmentResult>()));

        public static string Log(AlignerModule m, [InterpolatedStringHandlerArgument("m")] ref AlignmentLogHandler handler) => handler.ToString();

        public int AlignPair(GuestRead query, string target)
        {
            var resultAddress = _m.Align(query.Address, query.Length, 0, 0);
            ref AlignmentResult result = ref ResultAt(resultAddress);
            GuestRead t = target;                                   // the conversion allocates in the guest
            return result.Score + t.Length;                         // expect: WVA001
        }

        public int AlignPairFixed(GuestRead query, string target)
        {
            GuestRead t = target;
            var resultAddress = _m.Align(query.Address, query.Length, t.Address, t.Length);
            return ResultAt(resultAddress).Score;
        }

        public string Describe(int resultAddress)
        {
            ref AlignmentResult result = ref ResultAt(resultAddress);
            // The handler's AppendFormatted(int, "cigar") calls sw_cigar before result.TargetEnd is read.
            return Log(_m, $"{resultAddress:cigar} ends at {result.TargetEnd}");   // expect: WVA001
        }

        public string DescribeFixed(int resultAddress)
        {
            var end = ResultAt(resultAddress).TargetEnd;            // copied first
            return Log(_m, $"{resultAddress:cigar} ends at {end}");
        }

        public async Task<int> AlignBatchAsync(IReadOnlyList<(string Q, string T)> pairs)
        {
            var best = 0;
            var scores = new int[pairs.Count];
            await using (var arena = new AlignmentArena(_m))
            {
                for (int i = 0; i < pairs.Count; i++)
                {
                    var q = arena.Take(pairs[i].Q.Length);
                    var t = arena.Take(pairs[i].T.Length);
                    Encoding.ASCII.GetBytes(pairs[i].Q, _m.Memory.GetSpan(q, pairs[i].Q.Length));
                    Encoding.ASCII.GetBytes(pairs[i].T, _m.Memory.GetSpan(t, pairs[i].T.Length));
                    scores[i] = ReadScore(_m.Align(q, pairs[i].Q.Length, t, pairs[i].T.Length));
                }
            }
            foreach (var s in scores) best = Math.Max(best, s);
            return best;
        }

        public async Task<byte> FirstBaseAsync(string query)
        {
            ReadOnlyMemory<byte> queryView;
            await using (var arena = new AlignmentArena(_m))
            {
                var qa = arena.Take(query.Length);
                Encoding.ASCII.GetBytes(query, _m.Memory.GetSpan(qa, query.Length));
                queryView = new CigarMemory(_m.Memory, qa, query.Length).Memory;
            }                                                        // DisposeAsync frees through the guest
            return queryView.Span[0];                                // expect: WVA001
        }

        public async Task<byte> FirstBaseFixedAsync(string query)
        {
            byte first;
            await using (var arena = new AlignmentArena(_m))
            {
                var qa = arena.Take(query.Length);
                Encoding.ASCII.GetBytes(query, _m.Memory.GetSpan(qa, query.Length));
                first = new CigarMemory(_m.Memory, qa, query.Length).Memory.Span[0];   // read inside the block
            }
            return first;
        }

        private int ReadScore(int resultAddress) => ResultAt(resultAddress).Score;

        public int TryAlign(GuestRead query, GuestRead target)
        {
            var scratch = _m.Memory.GetSpan(_m.Alloc(16), 16);
            scratch[0] = 1;                                         // a flag the guest reads
            try
            {
                return _m.Align(query.Address, query.Length, target.Address, target.Length);
            }
            catch (WasmtimeException) when (scratch[0] == 0xFF)     // expect: WVA001
            {
                return -1;
            }
        }

        public int TryAlignFixed(GuestRead query, GuestRead target)
        {
            var flagAddress = _m.Alloc(16);
            _m.Memory.GetSpan(flagAddress, 16)[0] = 1;
            try
            {
                return _m.Align(query.Address, query.Length, target.Address, target.Length);
            }
            catch (WasmtimeException) when (_m.Memory.GetSpan(flagAddress, 16)[0] == 0xFF)   // obtained again
            {
                return -1;
            }
        }

        public int Rescore(int resultAddress, int mode)
        {
            ref AlignmentResult result = ref ResultAt(resultAddress);
            lock (_gate)
            {
                switch (mode)
                {
                    case 0:
                        break;
                    case 1:
                        _m.Free(resultAddress);
                        break;
                    default:
                        return checked(result.Score * 2);           // no guest call on this path
                }
            }
            return result.QueryEnd - result.QueryStart;             // expect: WVA001
        }

        public async IAsyncEnumerable<ReadOnlyMemory<byte>> CigarsAsync(IEnumerable<int> results, [EnumeratorCancellation] CancellationToken token = default)
        {
            foreach (var r in results)
            {
                var address = _m.CigarOf(r);
                yield return new CigarMemory(_m.Memory, address, 32).Memory;   // a view, fresh when handed out
                await Task.Yield();
            }
        }

        public async Task<List<string>> CollectCigarsAsync(IEnumerable<int> results)
        {
            var list = new List<string>();
            await foreach (var cigar in CigarsAsync(results))
            {
                list.Add(Encoding.ASCII.GetString(cigar.Span));       // read before the next MoveNextAsync
            }
            return list;
        }

        public async Task<string> FirstAndLastAsync(IEnumerable<int> results)
        {
            ReadOnlyMemory<byte> first = default;
            var n = 0;
            await foreach (var cigar in CigarsAsync(results))
            {
                if (n++ == 0) first = cigar;
            }
            return Encoding.ASCII.GetString(first.Span);              // expect: WVA001
        }
    }

    internal sealed unsafe class CigarMemory : System.Buffers.MemoryManager<byte>
    {
        private readonly byte* _p;
        private readonly int _n;
        public CigarMemory(Memory memory, int address, int length) { _p = (byte*)memory.GetPointer() + address; _n = length; }
        public override Span<byte> GetSpan() => new Span<byte>(_p, _n);
        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_p + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
