// A chess engine (Stockfish-like search) compiled to wasm; the host keeps an opening book and a cache of
// analysed positions. Shape: UCI engines in wasm whose `search` returns a pointer to a PV/move list.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Winter.ChessAnalysis
{
    [StructLayout(LayoutKind.Sequential)]
    public struct SearchInfo
    {
        public int Depth;
        public int ScoreCp;
        public int Nodes;
        public int PvLength;      // moves follow the header as ushorts
    }

    public sealed record PvRef(string Fen, nint Header, int Moves);         // holds a raw pointer
    public sealed record PvCopy(string Fen, ushort[] Moves, int ScoreCp);   // holds the host's own copy

    public sealed unsafe class EngineHost
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _search;        // (fenPtr, depth) -> SearchInfo address
        private readonly Func<int, int> _alloc;
        private readonly Action _newGame;
        private readonly Dictionary<string, PvCopy> _book = new();
        private readonly Dictionary<string, PvRef> _recent = new();

        public EngineHost(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _search = instance.GetFunction<int, int, int>("search")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
            _newGame = instance.GetAction("ucinewgame")!;
        }

        private int PutFen(string fen)
        {
            var address = _alloc(fen.Length + 1);
            _memory.WriteString(address, fen + "\0");
            return address;
        }

        private ref SearchInfo Info(int address) =>
            ref MemoryMarshal.AsRef<SearchInfo>(_memory.GetSpan(address, sizeof(SearchInfo)));

        private ReadOnlySpan<ushort> Pv(int address) =>
            MemoryMarshal.Cast<byte, ushort>(_memory.GetSpan(address + sizeof(SearchInfo), Info(address).PvLength * 2));

        public PvCopy Analyse(string fen, int depth)
        {
            if (_book.TryGetValue(fen, out var known)) return known;      // holds copies: fine
            var info = _search(PutFen(fen), depth);
            var result = new PvCopy(fen, Pv(info).ToArray(), Info(info).ScoreCp);
            _book[fen] = result;
            return result;
        }

        public void Remember(string fen, int depth)
        {
            var info = _search(PutFen(fen), depth);
            var header = (nint)((byte*)_memory.GetPointer() + info);
            _recent[fen] = new PvRef(fen, header, Info(info).PvLength);   // expect: WVA002
        }

        public int CompareLines(string a, string b, int depth)
        {
            var infoA = _search(PutFen(a), depth);
            ref SearchInfo first = ref Info(infoA);
            var infoB = _search(PutFen(b), depth);
            ref SearchInfo second = ref Info(infoB);
            return first.ScoreCp - second.ScoreCp;                         // expect: WVA001
        }

        public int CompareLinesFixed(string a, string b, int depth)
        {
            var scoreA = Info(_search(PutFen(a), depth)).ScoreCp;          // a copied int
            var scoreB = Info(_search(PutFen(b), depth)).ScoreCp;
            return scoreA - scoreB;
        }

        public string BestReply(string[] candidates, int depth)
        {
            // A local table of pointers filled while the guest runs, read after the loop.
            var lines = new Dictionary<string, nint>();
            foreach (var fen in candidates)
            {
                var info = _search(PutFen(fen), depth);
                lines.Add(fen, (nint)((byte*)_memory.GetPointer() + info));   // expect: WVA002
            }
            var best = "";
            var bestScore = int.MinValue;
            foreach (var pair in lines)
            {
                var score = ((SearchInfo*)pair.Value)->ScoreCp;                // expect: WVA001
                if (score > bestScore) (best, bestScore) = (pair.Key, score);
            }
            return best;
        }

        public string BestReplyFixed(string[] candidates, int depth)
        {
            var scores = new Dictionary<string, int>();
            foreach (var fen in candidates)
            {
                var info = _search(PutFen(fen), depth);
                scores.Add(fen, Info(info).ScoreCp);                           // the score, not the pointer
            }
            return scores.OrderByDescending(p => p.Value).First().Key;
        }

        public int? ScoreAfterReset(string fen, int depth, bool keep)
        {
            nint? header = null;
            if (keep)
            {
                var info = _search(PutFen(fen), depth);
                header = (nint)((byte*)_memory.GetPointer() + info);
            }
            _newGame();
            // header was obtained before the new game reset the engine's buffers.
            return header.HasValue ? ((SearchInfo*)header.Value)->ScoreCp : null; // expect: WVA001
        }

        public int? ScoreBeforeReset(string fen, int depth)
        {
            nint? header = null;
            var info = _search(PutFen(fen), depth);
            header = (nint)((byte*)_memory.GetPointer() + info);
            var score = header.HasValue ? ((SearchInfo*)header.Value)->ScoreCp : (int?)null;   // read first
            _newGame();
            return score;
        }

        public bool HasRecent(string fen) =>
            _recent.TryGetValue(fen, out var pv) && pv.Header != 0;               // compares only

        public ushort FirstMove(string fen, int depth)
        {
            var info = _search(PutFen(fen), depth);
            var pv = Pv(info);
            if (pv is [var move, ..])                                            // list pattern reads the element now
            {
                _newGame();
                return move;                                                     // a ushort copied out: fine
            }
            return 0;
        }

        public ushort[] PrincipalVariation(string fen, int depth)
        {
            var info = _search(PutFen(fen), depth);
            var pv = Pv(info);
            var rest = pv is [_, .. var tail] ? tail : default;
            _alloc(64);
            return rest.ToArray();                                               // expect: WVA001
        }
    }
}
