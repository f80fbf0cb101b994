// MusicXML engraver: a guest layout engine places glyphs per measure; the host streams glyph runs to SVG writers through channels.
// Shape inspired by Extism-style plugin hosts (a backend interface over Wasmtime) and async pipeline hosts with Channel<T>.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Solstice.MusicXmlEngraver
{
    public interface IEngraverBackend
    {
        int LayoutMeasure(int measure);
        int GlyphLength();
        ReadOnlyMemory<byte> Glyphs(int address, int length);
        Memory Memory { get; }
    }

    internal sealed unsafe class GlyphRun : MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public GlyphRun(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new Span<byte>(_start, _length);
        public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }

    public sealed unsafe class WasmtimeEngraverBackend : IEngraverBackend
    {
        private readonly Func<int, int> _layout;
        private readonly Func<int> _glyphLength;

        public WasmtimeEngraverBackend(Instance instance)
        {
            Memory = instance.GetMemory("memory")!;
            _layout = instance.GetFunction<int, int>("layout_measure")!;
            _glyphLength = instance.GetFunction<int>("glyph_length")!;
        }

        public Memory Memory { get; }
        public int LayoutMeasure(int measure) => _layout(measure);
        public int GlyphLength() => _glyphLength();
        public ReadOnlyMemory<byte> Glyphs(int address, int length)
            => new GlyphRun((byte*)Memory.GetPointer() + address, length).Memory;
    }

    public sealed class Engraver
    {
        private readonly IEngraverBackend _backend;
        private Action? _onFlush;

        public Engraver(IEngraverBackend backend) => _backend = backend;

        private static void Emit(ReadOnlySpan<byte> glyphs) => Console.Out.Write(glyphs.Length + glyphs[0]);

        private static unsafe int Hash(nint start, int length)
        {
            var h = 17;
            for (var i = 0; i < length; i++)
            {
                h = h * 31 + ((byte*)start)[i];
            }

            return h;
        }

        public async Task ProduceAsync(ChannelWriter<(int Measure, ReadOnlyMemory<byte> Glyphs)> output, int measures, CancellationToken token)
        {
            for (var m = 0; m < measures; m++)
            {
                var address = _backend.LayoutMeasure(m);
                var glyphs = _backend.Glyphs(address, _backend.GlyphLength());
                await output.WriteAsync((m, glyphs), token); // expect: WVA002
            }

            output.Complete();
        }

        public async Task ProduceCopiesAsync(ChannelWriter<(int Measure, ReadOnlyMemory<byte> Glyphs)> output, int measures, CancellationToken token)
        {
            for (var m = 0; m < measures; m++)
            {
                var address = _backend.LayoutMeasure(m);
                var glyphs = _backend.Glyphs(address, _backend.GlyphLength());
                await output.WriteAsync((m, glyphs.ToArray()), token);
            }

            output.Complete();
        }

        public async Task RenderPageAsync(Stream svg, int page, byte[] header)
        {
            var address = _backend.LayoutMeasure(page);
            var glyphs = _backend.Glyphs(address, _backend.GlyphLength());
            await svg.WriteAsync(header);
            await svg.WriteAsync(glyphs); // expect: WVA001
        }

        public async Task RenderPageSafeAsync(Stream svg, int page, byte[] header)
        {
            var address = _backend.LayoutMeasure(page);
            var glyphs = _backend.Glyphs(address, _backend.GlyphLength());
            await svg.WriteAsync(glyphs); // fully used before any other await
            await svg.WriteAsync(header);
            Console.WriteLine($"page {page}: {glyphs.Length} glyph bytes"); // Length only
        }

        public Task<int> HashInBackground(int measure)
        {
            var address = _backend.LayoutMeasure(measure);
            var length = _backend.GlyphLength();
            nint beams = _backend.Memory.GetPointer() + address;
            return Task.Run(() => Hash(beams, length)); // expect: WVA002
        }

        public Task<int> HashCopyInBackground(int measure)
        {
            var address = _backend.LayoutMeasure(measure);
            var length = _backend.GlyphLength();
            var beams = _backend.Memory.GetSpan(address, length).ToArray();
            return Task.Run(() => beams.Aggregate(17, (h, b) => h * 31 + b));
        }

        public List<int> ColumnWidths(int measure)
        {
            var address = _backend.LayoutMeasure(measure);
            var glyphs = _backend.Glyphs(address, _backend.GlyphLength());
            var widths = new List<int>();
            // ForEach runs the lambda at once, while glyphs is fresh.
            new List<int> { 0, 4, 8 }.ForEach(offset => widths.Add(glyphs.Span[offset]));
            return widths;
        }

        public void ScheduleFlush(int measure)
        {
            var glyphs = _backend.Glyphs(_backend.LayoutMeasure(measure), _backend.GlyphLength());
            _backend.LayoutMeasure(measure + 1);
            // Already stale where it is captured, and the delegate is kept in a field.
            _onFlush += () => Emit(glyphs.Span); // expect: WVA001, WVA002
        }

        public void ScheduleFlushSafe(int measure)
        {
            var address = _backend.LayoutMeasure(measure);
            var length = _backend.GlyphLength();
            _onFlush += () => Emit(_backend.Glyphs(address, length).Span); // obtained when it runs
        }

        public void Flush() => _onFlush?.Invoke();

        private async IAsyncEnumerable<ReadOnlyMemory<byte>> SystemsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var address = _backend.LayoutMeasure(i);
                yield return _backend.Glyphs(address, _backend.GlyphLength());
                await Task.Yield();
            }
        }

        public async Task<int> FirstGlyphOfEverySystemAsync(int count)
        {
            var systems = new List<ReadOnlyMemory<byte>>();
            await foreach (var system in SystemsAsync(count))
            {
                systems.Add(system); // expect: WVA002
            }

            return systems.Count == 0 ? 0 : systems[0].Span[0]; // expect: WVA001
        }

        public async Task<int> FirstGlyphSumAsync(int count)
        {
            var sum = 0;
            await foreach (var system in SystemsAsync(count))
            {
                sum += system.Span[0]; // read before the iterator runs the guest again
            }

            return sum;
        }
    }
}
