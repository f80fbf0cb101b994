// 3D-printer slicer: a guest slices a mesh layer by layer into toolpaths; the host previews, logs into the guest and keeps guarded layer views.
// Shape inspired by WasmViewAnalyzers.Runtime's guarded hosts and partial-class plugin hosts that wrap exports in properties.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Solstice.PrinterSlicerHost
{
    [StructLayout(LayoutKind.Sequential)]
    public struct Move
    {
        public float X;
        public float Y;
        public float Extrude;
        public int Feed;
    }

    [InterpolatedStringHandler]
    public ref struct GuestLogHandler
    {
        private readonly SlicerHost _host;
        private readonly StringBuilder _text;

        public GuestLogHandler(int literalLength, int formattedCount, SlicerHost host)
        {
            _host = host;
            _text = new StringBuilder(literalLength);
        }

        public void AppendLiteral(string value) => _text.Append(value);

        // Each formatted value is also handed to the guest's log ring: this runs the guest.
        public void AppendFormatted<T>(T value)
        {
            var text = value?.ToString() ?? "";
            _host.LogToGuest(text);
            _text.Append(text);
        }

        public override string ToString() => _text.ToString();
    }

    public sealed partial class SlicerHost
    {
        private readonly Memory _memory;
        private readonly GuestMemoryGuard _guard;
        private readonly Func<int, int> _sliceLayerRaw;
        private readonly Func<int> _pathLength;
        private readonly Func<int, int> _logAlloc;
        private readonly Func<int, int> _guardedSlice;
        private readonly Action _guardedReset;
        private readonly List<GuardedView> _preview = new();
        private readonly object _gate = new();

        public SlicerHost(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _guard = new GuestMemoryGuard(_memory);
            _sliceLayerRaw = instance.GetFunction<int, int>("slice_layer")!;
            _pathLength = instance.GetFunction<int>("path_length")!;
            _logAlloc = instance.GetFunction<int, int>("log_alloc")!;
            _guardedSlice = _guard.GetRequiredFunction<int, int>(instance, "slice_layer");
            _guardedReset = _guard.GetRequiredAction(instance, "reset");
        }

        // Export wrappers exposed as properties.
        public Func<int, int> SliceLayer => _sliceLayerRaw;
        public int PathLength => _pathLength();

        public void LogToGuest(string text)
        {
            var bytes = Encoding.UTF8.GetByteCount(text);
            var address = _logAlloc(bytes);
            _memory.WriteString(address, text);
        }

        public void Log([InterpolatedStringHandlerArgument("")] ref GuestLogHandler handler)
            => Console.WriteLine(handler.ToString());

        private T ReadAt<T>(int address) where T : unmanaged
            => MemoryMarshal.Read<T>(_memory.GetSpan(address, Unsafe.SizeOf<T>()));

        private Span<T> Moves<T>(int address, int count) where T : unmanaged
            => _memory.GetSpan<T>(address, count);
    }

    public sealed partial class SlicerHost
    {
        public float FirstExtrusion(int z)
        {
            var path = Moves<Move>(SliceLayer(z), 64);
            Log($"sliced layer {z}");
            return path[0].Extrude; // expect: WVA001
        }

        public float FirstExtrusionSafe(int z)
        {
            var path = Moves<Move>(SliceLayer(z), 64);
            var extrude = path[0].Extrude;
            Console.WriteLine($"sliced layer {z}: {path.Length} moves"); // the default handler: no guest call
            Log($"sliced layer {z}");
            return extrude;
        }

        public Move LastMove(int z)
        {
            var address = SliceLayer(z);
            var count = PathLength;
            var first = ReadAt<Move>(address); // a copy
            SliceLayer(z + 1);
            return count > 0 ? first : default;
        }

        public int FeedAfterLength(int z)
        {
            var path = Moves<Move>(SliceLayer(z), 16);
            var count = PathLength; // the property's getter runs the guest
            return count > 0 ? path[count - 1].Feed : 0; // expect: WVA001
        }

        public void Preview(int layers)
        {
            for (var z = 0; z < layers; z++)
            {
                var address = _guardedSlice(z);
                _preview.Add(_guard.GetView(address, _pathLength() * 16)); // a guarded view may be stored
            }
        }

        public void WritePreview(Stream svg)
        {
            foreach (var layer in _preview)
            {
                if (!layer.IsStale)
                {
                    svg.Write(layer.Span); // checked right before the read
                }
            }
        }

        public int GuardedLayerBytes(int z)
        {
            var view = _guard.GetView(_guardedSlice(z), 256);
            _guardedReset();
            // Length and Address never read guest memory.
            return view.Length + (int)view.Address;
        }

        public byte GuardedFirst(int z)
        {
            var view = _guard.GetView(_guardedSlice(z), 256);
            view.ThrowIfStale();
            return view.Span[0];
        }

        public byte RawFromGuarded(int z)
        {
            var view = _guard.GetView(_guardedSlice(z), 256);
            var raw = view.Span; // a raw span again: the guard checks only when it is taken
            _guardedSlice(z + 1);
            return raw[0]; // expect: WVA001
        }

        public int LockedSlice(int z)
        {
            lock (_gate)
            {
                var path = Moves<Move>(SliceLayer(z), 8);
                var feed = path[0].Feed;
                SliceLayer(z + 1);
                return feed + path[1].Feed; // expect: WVA001
            }
        }

        public byte[] LeasedLayer(int z)
        {
            var address = SliceLayer(z);
            using var lease = _memory.GetSpan(address, 64).LeaseCopy();
            SliceLayer(z + 1);
            return lease.ToArray();
        }
    }
}
