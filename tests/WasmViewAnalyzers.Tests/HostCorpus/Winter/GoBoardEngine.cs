// A Go (baduk) engine in wasm with playouts; the host keeps board snapshots, superko history and UI probes.
// Shape: GnuGo/KataGo-lite wasm builds whose `board_ptr` export exposes the 19x19 board for in-place reads.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Wasmtime;

namespace Corpus.Winter.GoBoardEngine
{
    public sealed record BoardRef(int MoveNumber, nint Cells);
    public sealed record BoardState(int MoveNumber, byte[] Cells);

    // A ref struct view over the board with members judged by their bodies.
    public readonly ref struct BoardView
    {
        private readonly ReadOnlySpan<byte> _cells;
        public BoardView(ReadOnlySpan<byte> cells, int size) { _cells = cells; Size = size; }
        public int Size { get; }
        public int CellCount => _cells.Length;                 // length only
        public byte this[int x, int y] => _cells[y * Size + x]; // reads guest memory
    }

    public sealed class MoveEventArgs : EventArgs
    {
        public MoveEventArgs(int point) => Point = point;
        public int Point { get; }
    }

    public sealed unsafe class GoEngine
    {
        private const int Size = 19;
        private readonly Memory _memory;
        private readonly Func<int, int, int> _play;      // (point, color) -> legal
        private readonly Func<int, int> _playouts;      // (count) -> best point
        private readonly Func<int> _boardPtr;
        private readonly Action _undo;

        private nint _board;
        private int _boardMove;
        private BoardRef _last = new(0, 0);
        private BoardState _lastState = new(0, Array.Empty<byte>());
        private readonly nint[] _ring = new nint[8];
        private readonly HashSet<nint> _seen = new();
        private readonly LinkedList<nint> _history = new();
        private readonly ConcurrentDictionary<int, nint> _byMove = new();
        private readonly HashSet<ulong> _hashes = new();

        public event EventHandler<MoveEventArgs>? Moved;
        public Func<byte>? CornerProbe { get; private set; }

        public GoEngine(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _play = instance.GetFunction<int, int, int>("play")!;
            _playouts = instance.GetFunction<int, int>("playouts")!;
            _boardPtr = instance.GetFunction<int>("board_ptr")!;
            _undo = instance.GetAction("undo")!;
        }

        private BoardView View() => new(_memory.GetSpan(_boardPtr(), Size * Size), Size);

        // Calls the guest, then returns a pointer obtained after that call.
        private nint BoardAddress()
        {
            var address = _boardPtr();
            return (nint)((byte*)_memory.GetPointer() + address);
        }
        private static void Store<T>(ref T slot, T value) => slot = value;

        public int Play(int point, int color, int moveNumber)
        {
            _play(point, color);
            var cells = BoardAddress();
            (_board, _boardMove) = (cells, moveNumber);                     // expect: WVA002
            _ring[moveNumber % _ring.Length] = cells;                       // expect: WVA002
            _seen.Add(cells);                                               // expect: WVA002
            _history.AddLast(cells);                                        // expect: WVA002
            _byMove.AddOrUpdate(moveNumber, cells, (_, _) => cells);        // expect: WVA002
            _last = _last with { MoveNumber = moveNumber, Cells = cells };  // expect: WVA002
            _lastState = _lastState with { MoveNumber = moveNumber };       // holds no view
            Moved?.Invoke(this, new MoveEventArgs(point));
            return moveNumber;
        }

        public void PlayTracked(int point, int color)
        {
            _play(point, color);
            var address = _boardPtr();
            var cells = (nint)((byte*)_memory.GetPointer() + address);
            Store(ref _board, cells);                                       // expect: WVA002
            _lastState = new BoardState(_boardMove, _memory.GetSpan(address, Size * Size).ToArray());   // copy
            _hashes.Add(Zobrist(new ReadOnlySpan<byte>((void*)cells, Size * Size)));   // a hash: a value
        }

        public void WatchCorner()
        {
            var cells = (byte*)BoardAddress();
            CornerProbe = () => cells[0];                                   // expect: WVA002
            Moved += (_, e) => Console.WriteLine($"corner {cells[0]} after {e.Point}");   // expect: WVA002
        }

        public Func<int, byte> Prober()
        {
            var address = _boardPtr();
            // Returned lambda evaluates the pointer itself each time it runs.
            return i => ((byte*)_memory.GetPointer() + address)[i];
        }

        public int Think(int playouts)
        {
            var board = View();
            var empties = 0;
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    if (board[x, y] == 0) empties++;
            var best = _playouts(playouts);
            var count = board.CellCount;                                     // judged by its body: length only
            return board[best % Size, best / Size] == 0 ? best : count - empties;   // expect: WVA001
        }

        public int ThinkFixed(int playouts)
        {
            var best = _playouts(playouts);
            var board = View();                                              // View() calls board_ptr, then builds the view
            return board[best % Size, best / Size] == 0 ? best : -1;
        }

        public byte[] Compare(int point, int color)
        {
            var address = _boardPtr();
            var before = _memory.GetSpan(address, Size * Size);
            var ptrBefore = (nint)((byte*)_memory.GetPointer() + address);
            _play(point, color);
            var moved = ptrBefore != BoardAddress();                        // compares pointers only
            var after = View();
            var diff = new byte[Size * Size];
            for (int i = 0; i < diff.Length; i++)
                diff[i] = (byte)(after[i % Size, i / Size] ^ before[i]);   // expect: WVA001
            return moved ? Array.Empty<byte>() : diff;
        }

        public byte SuperkoCheck(int point, int color)
        {
            var snapshots = new List<BoardRef>();
            for (int i = 0; i < 3; i++)
            {
                _play(point + i, color);
                snapshots.Add(new BoardRef(i, BoardAddress()));   // expect: WVA002
            }
            _undo();
            var first = snapshots[0];
            if (first is { Cells: var cells })
                return *(byte*)cells;                                        // expect: WVA001
            return 0;
        }

        public int CountStones()
        {
            var positions = new Dictionary<int, nint>();
            for (int m = 0; m < 4; m++)
            {
                _play(m, 1);
                positions[m] = BoardAddress();   // expect: WVA002
            }
            var stones = 0;
            foreach (var p in positions.Values)
                stones += *(byte*)p;                                         // expect: WVA001
            return stones;
        }

        public int CountStonesFixed()
        {
            var counts = new Dictionary<int, int>();
            for (int m = 0; m < 4; m++)
            {
                _play(m, 1);
                counts[m] = _memory.GetSpan(_boardPtr(), Size * Size).ToArray().Count(b => b != 0);   // a count
            }
            return counts.Values.Sum();
        }

        public byte[] Collect(int moves)
        {
            nint[] trail = [BoardAddress()];                               // an array in a local: not an escape
            for (int i = 0; i < moves; i++) _play(i, 2);
            return [*(byte*)trail[0]];                                       // expect: WVA001
        }

        private static ulong Zobrist(ReadOnlySpan<byte> cells)
        {
            ulong h = 1469598103934665603;
            foreach (var c in cells) h = (h ^ c) * 1099511628211;
            return h;
        }
    }
}
