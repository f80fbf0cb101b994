// Sudoku / constraint solver: a guest propagates constraints over a grid kept in pooled guest buffers; the host drives the search.
// Shape inspired by hosts with pools of guest buffers (rent/return over malloc exports) and custom enumerators over guest state.
using System;
using System.Collections.Generic;
using Wasmtime;

namespace Corpus.Solstice.SudokuConstraintSolver
{
    public interface IGuestBuffer
    {
        int Address { get; }
        int Length { get; }
        Span<byte> View();
    }

    // Keeps the memory and the address, and obtains the span at each access: not a view itself.
    public sealed class WasmBuffer : IGuestBuffer
    {
        private readonly Memory _memory;

        public WasmBuffer(Memory memory, int address, int length)
        {
            _memory = memory;
            Address = address;
            Length = length;
        }

        public int Address { get; }
        public int Length { get; }
        public Span<byte> View() => _memory.GetSpan(Address, Length);
    }

    public sealed class GuestPool<TBuffer> where TBuffer : class, IGuestBuffer
    {
        private readonly Queue<TBuffer> _free = new();
        private readonly Func<int, TBuffer> _factory;
        private readonly int _size;

        public GuestPool(int size, Func<int, TBuffer> factory)
        {
            _size = size;
            _factory = factory;
        }

        // May allocate in the guest through the factory.
        public TBuffer Rent() => _free.Count > 0 ? _free.Dequeue() : _factory(_size);
        public void Return(TBuffer buffer) => _free.Enqueue(buffer);
    }

    // foreach over it runs the guest: its MoveNext asks the guest for the next candidate.
    public readonly struct Candidates
    {
        private readonly Func<int, int, int> _next;
        private readonly int _cell;

        public Candidates(Func<int, int, int> next, int cell)
        {
            _next = next;
            _cell = cell;
        }

        public Enumerator GetEnumerator() => new Enumerator(_next, _cell);

        public struct Enumerator
        {
            private readonly Func<int, int, int> _next;
            private readonly int _cell;

            public Enumerator(Func<int, int, int> next, int cell)
            {
                _next = next;
                _cell = cell;
                Current = 0;
            }

            public int Current { get; private set; }

            public bool MoveNext()
            {
                Current = _next(_cell, Current);
                return Current != 0;
            }
        }
    }

    // Enumerates host-side peer indexes; only its Dispose runs the guest (it releases the cell's pin).
    public readonly struct PeerCells
    {
        private readonly int[] _peers;
        private readonly Action<int> _release;
        private readonly int _cell;

        public PeerCells(int[] peers, Action<int> release, int cell)
        {
            _peers = peers;
            _release = release;
            _cell = cell;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        public struct Enumerator : IDisposable
        {
            private readonly PeerCells _owner;
            private int _index;

            public Enumerator(PeerCells owner)
            {
                _owner = owner;
                _index = -1;
            }

            public int Current => _owner._peers[_index];
            public bool MoveNext() => ++_index < _owner._peers.Length;
            public void Dispose() => _owner._release(_owner._cell);
        }
    }

    public sealed unsafe class SudokuSolver
    {
        private readonly Memory _memory;
        private readonly Func<int, int> _malloc;
        private readonly Func<int, int> _propagate;
        private readonly Func<int, int, int> _nextCandidate;
        private readonly Func<int, int> _solve;
        private readonly Action<int> _release;
        private readonly GuestPool<WasmBuffer> _pool;

        public SudokuSolver(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _malloc = instance.GetFunction<int, int>("malloc")!;
            _propagate = instance.GetFunction<int, int>("propagate")!;
            _nextCandidate = instance.GetFunction<int, int, int>("next_candidate")!;
            _solve = instance.GetFunction<int, int>("solve")!;
            _release = instance.GetAction<int>("release_cell")!;
            _pool = new GuestPool<WasmBuffer>(81, size => new WasmBuffer(_memory, _malloc(size), size));
        }

        public int Branch(WasmBuffer grid, int cell)
        {
            var cells = grid.View();
            var fork = _pool.Rent(); // may run malloc in the guest
            cells.CopyTo(fork.View()); // expect: WVA001
            return fork.Address;
        }

        public int BranchSafe(WasmBuffer grid, int cell)
        {
            var fork = _pool.Rent();
            grid.View().CopyTo(fork.View());
            var cells = grid.View();
            _pool.Return(fork); // only enqueues on the host
            return cells[cell];
        }

        public int TryCandidates(WasmBuffer grid, int cell)
        {
            var cells = grid.View();
            var tried = 0;
            foreach (var candidate in new Candidates(_nextCandidate, cell))
            {
                cells[cell] = (byte)candidate; // expect: WVA001
                tried++;
            }

            return tried;
        }

        public int TryCandidatesSafe(WasmBuffer grid, int cell)
        {
            var found = new List<int>();
            foreach (var candidate in new Candidates(_nextCandidate, cell))
            {
                found.Add(candidate);
            }

            var cells = grid.View(); // obtained after the enumeration ran the guest
            foreach (var candidate in found)
            {
                cells[cell] = (byte)candidate;
            }

            return found.Count;
        }

        public int PeerSum(int gridAddress, int cell, int[] peers)
        {
            var cells = _memory.GetSpan(gridAddress, 81);
            var total = 0;
            foreach (var peer in new PeerCells(peers, _release, cell))
            {
                total += cells[peer]; // MoveNext and Current run no guest code
            }

            // The enumerator's Dispose, at the end of the foreach, ran the guest.
            return total + cells[cell]; // expect: WVA001
        }

        public int RowSum(int gridAddress, int row)
        {
            var cells = _memory.GetSpan(gridAddress + row * 9, 9);
            var sum = 0;
            for (var i = 0; i < 9; i++)
            {
                sum += cells[i]; // expect: WVA001
                _propagate(gridAddress);
            }

            return sum;
        }

        public int RowSumSafe(int gridAddress, int row)
        {
            var sum = 0;
            for (var i = 0; i < 9; i++)
            {
                var cells = _memory.GetSpan(gridAddress + row * 9, 9);
                sum += cells[i];
                _propagate(gridAddress);
            }

            return sum;
        }

        public bool SolveOrExplain(int gridAddress)
        {
            var status = _memory.GetSpan(gridAddress + 81, 4);
            try
            {
                return _solve(gridAddress) != 0;
            }
            catch (WasmtimeException) when (status[0] == 0xFF) // expect: WVA001
            {
                return false;
            }
        }

        public string Classify(int gridAddress)
        {
            var cells = _memory.GetSpan(gridAddress, 81);
            if (cells is [])
            {
                return "empty";
            }

            _solve(gridAddress);
            // Patterns that only test the length read nothing.
            if (cells is not { Length: 81 })
            {
                return "malformed";
            }

            return cells switch // expect: WVA001
            {
                [0, ..] => "unsolved",
                [_, .., 0] => "partial",
                _ => "solved",
            };
        }

        public string StatusText(int gridAddress)
        {
            _solve(gridAddress);
            var status = _memory.GetSpan(gridAddress + 81, 4);
            switch (status[0])
            {
                case 0: return "ok";
                case 1: return "contradiction";
                default: return "unknown";
            }
        }

        public string StatusTextStale(int gridAddress)
        {
            var status = _memory.GetSpan(gridAddress + 81, 4);
            _propagate(gridAddress);
            switch (status[0]) // expect: WVA001
            {
                case 0: return "ok";
                default: return "contradiction";
            }
        }

        public byte FirstHint(int gridAddress, bool useHint)
        {
            nint? hint = null;
            if (useHint)
            {
                hint = _memory.GetPointer() + gridAddress + 85;
            }

            _propagate(gridAddress);
            return hint.HasValue ? *(byte*)hint.GetValueOrDefault() : (byte)0; // expect: WVA001
        }

        public byte FirstHintOffset(int gridAddress, bool useHint)
        {
            int? hint = useHint ? gridAddress + 85 : null;
            _propagate(gridAddress);
            return hint is int at ? *((byte*)_memory.GetPointer() + at) : (byte)0;
        }
    }
}
