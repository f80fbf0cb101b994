// A geospatial projection library (PROJ-like) in wasm: the host projects batches of coordinates in place and
// feeds map tiles to renderers on background tasks. Shape: proj4/PROJ wasm ports with `proj_trans_generic`.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Winter.GeoProjector
{
    [StructLayout(LayoutKind.Sequential)]
    public struct Coord
    {
        public double X, Y, Z;
    }

    public sealed class TileReadyEventArgs : EventArgs
    {
        public TileReadyEventArgs(int zoom) => Zoom = zoom;
        public int Zoom { get; }
    }

    public sealed unsafe class Projector
    {
        private static Coord* s_lastBatch;                       // a static slot
        private readonly Memory _memory;
        private readonly Func<int, int, int, int> _transform;   // (pj, coordsPtr, count) -> error
        private readonly Func<int, int> _alloc;
        private readonly Func<string, int> _create;
        private Func<double>? _originX;
        private readonly ConcurrentBag<double[]> _results = new();

        public event EventHandler<TileReadyEventArgs>? TileReady;

        public Projector(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _transform = instance.GetFunction<int, int, int, int>("proj_trans_generic")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
            var createRaw = instance.GetFunction<int, int, int>("proj_create")!;
            _create = definition =>
            {
                var address = _alloc(definition.Length + 1);
                _memory.WriteString(address, definition + "\0");
                return createRaw(address, definition.Length);
            };
        }

        private Span<Coord> Coords(int address, int count) => _memory.GetSpan<Coord>(address, count);

        public double[] ProjectLongitudes(string crs, ReadOnlySpan<Coord> input)
        {
            var address = _alloc(input.Length * sizeof(Coord));
            var coords = Coords(address, input.Length);
            input.CopyTo(coords);
            var pj = _create(crs);                                    // a Func field assigned a lambda that calls the guest
            _transform(pj, address, input.Length);
            var xs = new double[input.Length];
            for (int i = 0; i < xs.Length; i++) xs[i] = coords[i].X; // expect: WVA001
            return xs;
        }

        public double[] ProjectLongitudesFixed(string crs, ReadOnlySpan<Coord> input)
        {
            var pj = _create(crs);
            var address = _alloc(input.Length * sizeof(Coord));
            input.CopyTo(Coords(address, input.Length));
            _transform(pj, address, input.Length);
            var coords = Coords(address, input.Length);               // obtained after the transform
            var xs = new double[input.Length];
            for (int i = 0; i < xs.Length; i++) xs[i] = coords[i].X;
            return xs;
        }

        public Task ProjectInBackground(int pj, int address, int count)
        {
            _transform(pj, address, count);
            var first = (Coord*)((byte*)_memory.GetPointer() + address);
            var copy = Coords(address, count).ToArray();
            _results.Add(Array.ConvertAll(copy, c => c.X));           // a copy into the bag
            return Task.Run(() => Console.WriteLine(first->X));      // expect: WVA002
        }

        public void Watch(int address, int count, CancellationToken token)
        {
            var coords = (Coord*)((byte*)_memory.GetPointer() + address);
            var timer = new Timer(_ => Console.WriteLine(coords[0].Y), null, 1000, 1000);   // expect: WVA002
            token.Register(() => timer.Dispose());                    // captures the timer only
        }

        public void RememberBatch(int address)
        {
            s_lastBatch = (Coord*)((byte*)_memory.GetPointer() + address);   // expect: WVA002
        }

        public void SetOrigin(int address)
        {
            var origin = (Coord*)((byte*)_memory.GetPointer() + address);
            _originX = () => origin->X;                                       // expect: WVA002
        }

        public void SetOriginFixed(int address)
        {
            // Evaluated where the lambda runs: keeps the offset, obtains the pointer each time.
            _originX = () => ((Coord*)((byte*)_memory.GetPointer() + address))->X;
        }

        public double Reproject(int pj, int address, int count)
        {
            var batch = (Coord*)((byte*)_memory.GetPointer() + address);
            double Sum()
            {
                double s = 0;
                for (int i = 0; i < count; i++) s += batch[i].X;
                return s;
            }
            var before = Sum();                                     // called while fresh
            _transform(pj, address, count);
            return Sum() - before;                                  // expect: WVA001
        }

        public void RenderTiles(int pj, int address, int count, int zoom)
        {
            TileReady += (_, e) => _transform(pj, address, e.Zoom);  // a handler that calls the guest
            var coords = Coords(address, count);
            var minX = double.MaxValue;
            foreach (var c in coords) minX = Math.Min(minX, c.X);
            TileReady?.Invoke(this, new TileReadyEventArgs(zoom));
            Console.WriteLine(coords[0].X - minX);                  // expect: WVA001
        }

        public double Centroid(int address, int count)
        {
            var coords = Coords(address, count);
            double sx = 0;
            Parallel.For(0, 1, _ => { });                           // runs nothing of the guest
            foreach (var c in coords) sx += c.X;                    // still fresh
            return sx / count;
        }
    }
}
