// KML/GPX track simplifier: a guest runs Douglas-Peucker over track points; the host enumerates kept segments with iterators and LINQ.
// Shape inspired by UnityWasmScripting-style hosts that expose guest buffers to C# through IEnumerable wrappers.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Solstice.GpxTrackSimplifier
{
    [StructLayout(LayoutKind.Sequential)]
    public struct TrackPoint
    {
        public double Lat;
        public double Lon;
        public float Ele;
        public int TimeSec;
    }

    public readonly record struct KeptSegment(int Id, nint Start);

    internal sealed unsafe class SegmentMemory : MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public SegmentMemory(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new Span<byte>(_start, _length);
        public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }

    public sealed unsafe class TrackSimplifier
    {
        private const int PointSize = 24;
        private readonly Memory _memory;
        private readonly Func<int, int, double, int> _simplify;
        private readonly Func<int, int> _segment;
        private readonly Func<int> _segmentLength;
        private readonly Action _reset;

        public TrackSimplifier(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _simplify = instance.GetFunction<int, int, double, int>("simplify")!;
            _segment = instance.GetFunction<int, int>("segment")!;
            _segmentLength = instance.GetFunction<int>("segment_length")!;
            _reset = instance.GetAction("reset")!;
        }

        private ReadOnlyMemory<byte> SegmentView(int address, int length)
            => new SegmentMemory((byte*)_memory.GetPointer() + address, length).Memory;

        // Calls the guest, then returns a pointer obtained after the call.
        private nint StartOf(int id)
        {
            var address = _segment(id);
            return _memory.GetPointer() + address;
        }

        private IEnumerable<ReadOnlyMemory<byte>> Segments(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var address = _segment(i);
                yield return SegmentView(address, _segmentLength());
            }
        }

        private IEnumerable<ReadOnlyMemory<byte>> SegmentCopies(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var address = _segment(i);
                yield return _memory.GetSpan(address, _segmentLength()).ToArray();
            }
        }

        public double FirstLatitude(int count)
        {
            var segments = Segments(count).ToList();
            return MemoryMarshal.Read<TrackPoint>(segments[0].Span).Lat; // expect: WVA001
        }

        public double FirstLatitudeOfCopies(int count)
        {
            var segments = SegmentCopies(count).ToList();
            return MemoryMarshal.Read<TrackPoint>(segments[0].Span).Lat;
        }

        public long TotalBytes(int count, Stream gpx)
        {
            long total = 0;
            foreach (var segment in Segments(count))
            {
                gpx.Write(segment.Span); // each item is fresh when the loop body runs
                total += segment.Length;
            }

            return total;
        }

        public double SouthernmostStart(int[] ids)
        {
            var kept = ids.Select(id => new KeptSegment(id, StartOf(id))).ToList();
            return kept.Min(k => ((TrackPoint*)k.Start)->Lat); // expect: WVA001
        }

        public double SouthernmostStartSafe(int[] ids)
        {
            // A foreach over the lazy sequence gets each item fresh.
            var min = double.MaxValue;
            foreach (var k in ids.Select(id => new KeptSegment(id, StartOf(id))))
            {
                min = Math.Min(min, ((TrackPoint*)k.Start)->Lat);
            }

            return min;
        }

        public double StartAfterReset(int track, int count)
        {
            var summary = new { Start = _memory.GetPointer() + track, Count = count };
            _reset();
            var points = summary.Count; // an int member of the anonymous object: not a use
            return points > 0 ? ((TrackPoint*)summary.Start)->Lat : 0; // expect: WVA001
        }

        public void WriteNamed(Stream gpx, string[] names)
        {
            var byName = new Dictionary<string, ReadOnlyMemory<byte>>();
            foreach (var name in names)
            {
                var address = _segment(name.Length);
                byName.Add(name, SegmentView(address, _segmentLength())); // expect: WVA002
            }

            foreach (var segment in byName.Values)
            {
                gpx.Write(segment.Span); // expect: WVA001
            }
        }

        public void WriteNamedSafe(Stream gpx, string[] names)
        {
            var byName = new Dictionary<string, (int Address, int Length)>();
            foreach (var name in names)
            {
                var address = _segment(name.Length);
                byName.Add(name, (address, _segmentLength()));
            }

            foreach (var (address, length) in byName.Values)
            {
                gpx.Write(_memory.GetSpan(address, length));
            }
        }

        public int ElevationChecksum(int track, int count)
        {
            var outputs = new ReadOnlyMemory<byte>[count];
            for (var i = 0; i < count; i++)
            {
                outputs[i] = SegmentView(_segment(i), _segmentLength()); // an array in a local: kept, not escaping
            }

            _simplify(track, count, 5.0);
            // Each output was obtained before this simplify ran.
            return outputs.Sum(o => o.Span[8]); // expect: WVA001
        }

        public float ElevationAfterSimplify(int track, int count)
        {
            ref var first = ref MemoryMarshal.AsRef<TrackPoint>(_memory.GetSpan(track, PointSize));
            var kept = _simplify(track, count, 2.5);
            return kept > 0 ? first.Ele : float.NaN; // expect: WVA001
        }

        public float ElevationCopiedBeforeSimplify(int track, int count)
        {
            var first = MemoryMarshal.Read<TrackPoint>(_memory.GetSpan(track, PointSize)); // a copy of the struct
            var kept = _simplify(track, count, 2.5);
            return kept > 0 ? first.Ele : float.NaN;
        }

        public byte[] KeptPointsCopy(int track, int count)
        {
            var output = _simplify(track, count, 1.0);
            var view = _memory.GetSpan(output, _segmentLength() * PointSize);
            var copy = new byte[view.Length];
            for (var i = 0; i < view.Length; i++)
            {
                copy[i] = view[i];
            }

            _reset();
            copy[0] ^= 1; // the host's own array
            return copy;
        }
    }
}
