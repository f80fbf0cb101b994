// LaTeX-math renderer: a guest TeX-like engine builds boxes (hlists) for formulas; the host composes boxes with operators and rasterizes glyph runs.
// Shape inspired by script hosts that wrap guest handles in C# types with operators, and command tables of exports kept in dictionaries.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Wasmtime;

namespace Corpus.Solstice.LatexMathTypesetter
{
    // A guest box handle: '+' asks the guest to concatenate two boxes.
    public readonly struct Box
    {
        public Box(MathEngine engine, int handle)
        {
            Engine = engine;
            Handle = handle;
        }

        public MathEngine Engine { get; }
        public int Handle { get; }

        public static Box operator +(Box left, Box right)
            => new Box(left.Engine, left.Engine.Concat(left.Handle, right.Handle));
    }

    // Its constructor runs the guest: it opens a fresh math list.
    public sealed class MathList
    {
        public MathList(MathEngine engine)
        {
            Handle = engine.Open();
        }

        public int Handle { get; }
    }

    public sealed unsafe class MathEngine
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _concat;
        private readonly Func<int> _open;
        private readonly Func<int, int> _glyphs;
        private readonly Func<int> _glyphCount;
        private readonly Dictionary<string, Func<int, int>> _commands = new();
        private readonly nint[] _recent = new nint[8];
        private readonly int[] _recentOffsets = new int[8];
        private readonly HashSet<nint> _seen = new();
        private readonly BlockingCollection<nint> _rasterQueue = new();
        private readonly ConcurrentBag<int> _rasterOffsets = new();
        private nint _lastRun;
        private int _lastRunOffset;

        public event Action? Rendered;

        public MathEngine(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _concat = instance.GetFunction<int, int, int>("concat")!;
            _open = instance.GetFunction<int>("open_list")!;
            _glyphs = instance.GetFunction<int, int>("glyphs")!;
            _glyphCount = instance.GetFunction<int>("glyph_count")!;
            _commands["frac"] = instance.GetFunction<int, int>("cmd_frac")!;
            _commands["sqrt"] = instance.GetFunction<int, int>("cmd_sqrt")!;
        }

        public int Concat(int left, int right) => _concat(left, right);
        public int Open() => _open();

        private static void Put<T>(ref T slot, T value) => slot = value;

        private bool TryGlyphRun(int box, out nint run)
        {
            var address = _glyphs(box);
            run = _memory.GetPointer() + address;
            return address != 0;
        }

        public int ComposeWidth(Box numerator, Box denominator)
        {
            var first = _memory.GetSpan<int>(_glyphs(numerator.Handle), 4);
            var width = first[1];
            var both = numerator + denominator;
            return width + first[2] + both.Handle; // expect: WVA001
        }

        public int ComposeWidthSafe(Box numerator, Box denominator)
        {
            var both = numerator + denominator;
            var first = _memory.GetSpan<int>(_glyphs(numerator.Handle), 4);
            return first[1] + first[2] + both.Handle;
        }

        public int FreshList(int box)
        {
            var run = _memory.GetSpan<int>(_glyphs(box), 4);
            var list = new MathList(this);
            return list.Handle + run[0]; // expect: WVA001
        }

        public int ApplyCommand(string name, int box)
        {
            var run = _memory.GetSpan<int>(_glyphs(box), 4);
            var result = _commands[name](box);
            return result + run[3]; // expect: WVA001
        }

        public int FirstGlyph(int box)
        {
            if (!TryGlyphRun(box, out var run))
            {
                return -1;
            }

            var count = _glyphCount();
            return count > 0 ? *(int*)run : -1; // expect: WVA001
        }

        public int FirstGlyphSafe(int box)
        {
            var count = _glyphCount();
            return TryGlyphRun(box, out var run) && count > 0 ? *(int*)run : -1;
        }

        public int GrowScratch(int box, long pages)
        {
            var run = _memory.GetSpan<int>(_glyphs(box), 4);
            _memory.Grow(pages);
            return run[0]; // expect: WVA001
        }

        public int GrowScratchSafe(int box, long pages)
        {
            var first = _memory.GetSpan<int>(_glyphs(box), 4)[0];
            _memory.Grow(pages);
            var run = _memory.GetSpan<int>(_glyphs(box), 4);
            return first + run[0];
        }

        public int MeasureWithLocalFunction(int box, int other)
        {
            var address = _glyphs(box);
            var run = _memory.GetPointer() + address;
            var firstWidth = Width();
            _glyphs(other);
            return firstWidth + Width(); // expect: WVA001

            int Width() => ((int*)run)[1];
        }

        public int MeasureWithLocalFunctionSafe(int box, int other)
        {
            var firstWidth = Width(box);
            _glyphs(other);
            return firstWidth + Width(other);

            // Obtains its own view each time it runs.
            int Width(int b) => _memory.GetSpan<int>(_glyphs(b), 4)[1];
        }

        public void Remember(int box, int slot)
        {
            var address = _glyphs(box);
            _recent[slot & 7] = _memory.GetPointer() + address; // expect: WVA002
            _recentOffsets[slot & 7] = address;
        }

        public void MarkSeen(int box)
        {
            TryGlyphRun(box, out var run);
            _seen.Add(run); // expect: WVA002
        }

        public void QueueRaster(int box)
        {
            var address = _glyphs(box);
            _rasterQueue.Add(_memory.GetPointer() + address); // expect: WVA002
            _rasterOffsets.Add(address);
        }

        public void KeepLast(int box)
        {
            var address = _glyphs(box);
            Put(ref _lastRun, _memory.GetPointer() + address); // expect: WVA002
            Put(ref _lastRunOffset, address);
        }

        public void OnRendered(int box)
        {
            var address = _glyphs(box);
            var run = _memory.GetPointer() + address;
            Rendered += () => Console.WriteLine(*(int*)run); // expect: WVA002
        }

        public int UndoDepth(int[] boxes)
        {
            var local = new nint[boxes.Length];
            for (var i = 0; i < boxes.Length; i++)
            {
                TryGlyphRun(boxes[i], out local[i]);
            }

            // Length of a local array of pointers: reads nothing of guest memory.
            return local.Length;
        }

        public int PeekAfterUndo(int box)
        {
            var stack = new Stack<nint>();
            TryGlyphRun(box, out var run);
            stack.Push(run); // expect: WVA002
            _concat(box, box);
            return *(int*)stack.Peek(); // expect: WVA001
        }

        public int RecentFirstGlyph(int slot) => _memory.ReadInt32(_recentOffsets[slot & 7]);
    }
}
