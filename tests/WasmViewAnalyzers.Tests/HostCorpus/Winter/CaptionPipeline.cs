// A subtitle/caption pipeline: a wasm module parses SRT/WebVTT cues, stages are joined by channels and async
// streams. Shape: ffmpeg.wasm-style media helpers with producer/consumer stages over System.Threading.Channels.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Winter.CaptionPipeline
{
    [StructLayout(LayoutKind.Sequential)]
    public struct CueHeader
    {
        public long StartMs;
        public long EndMs;
        public int TextOffset;
        public int TextLength;
    }

    public sealed record Cue(TimeSpan Start, TimeSpan End, string Text);

    public sealed class CueParser
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _parse;      // (srcPtr, len) -> cue count
        private readonly Func<int, int> _cueAt;           // index -> CueHeader address
        private readonly Func<int, int> _alloc;
        private readonly Action<int, long> _shift;        // (index, deltaMs)

        public CueParser(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _parse = instance.GetFunction<int, int, int>("parse_cues")!;
            _cueAt = instance.GetFunction<int, int>("cue_at")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
            _shift = instance.GetAction<int, long>("shift_cue")!;
        }

        public int Parse(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var address = _alloc(bytes.Length);
            bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
            return _parse(address, bytes.Length);
        }

        // Yields views: each is fresh when MoveNext hands it out (cue_at runs inside the iterator).
        public IEnumerable<ReadOnlyMemory<byte>> CueTexts(int count)
        {
            for (int i = 0; i < count; i++)
            {
                yield return TextAt(i);
            }
        }

        // A helper that calls the guest (cue_at), then returns a view built after that call.
        private unsafe ReadOnlyMemory<byte> TextAt(int index)
        {
            var header = MemoryMarshal.Read<CueHeader>(_memory.GetSpan(_cueAt(index), Unsafe.SizeOf<CueHeader>()));
            return new GuestSlice((byte*)_memory.GetPointer() + header.TextOffset, header.TextLength).Memory;
        }

        public Cue ReadCue(int index)
        {
            var header = MemoryMarshal.Read<CueHeader>(_memory.GetSpan(_cueAt(index), Unsafe.SizeOf<CueHeader>()));
            return new Cue(TimeSpan.FromMilliseconds(header.StartMs), TimeSpan.FromMilliseconds(header.EndMs),
                _memory.ReadString(header.TextOffset, header.TextLength, Encoding.UTF8));
        }

        public void Shift(int index, long deltaMs) => _shift(index, deltaMs);
        public Memory Memory => _memory;
    }

    public sealed class CaptionStages
    {
        private readonly CueParser _parser;
        private readonly Channel<ReadOnlyMemory<byte>> _texts = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
        private readonly BlockingCollection<string> _lines = new();

        public CaptionStages(CueParser parser) => _parser = parser;

        public List<string> Retime(string srt, long deltaMs)
        {
            var count = _parser.Parse(srt);
            var texts = new List<string>();
            foreach (var text in _parser.CueTexts(count))
            {
                texts.Add(Encoding.UTF8.GetString(text.Span));       // read as handed out: fresh
            }
            for (int i = 0; i < count; i++) _parser.Shift(i, deltaMs);
            return texts;
        }

        public string[] RetimeStale(string srt, long deltaMs)
        {
            var count = _parser.Parse(srt);
            var views = _parser.CueTexts(count).ToList();             // materialized while fresh
            for (int i = 0; i < count; i++) _parser.Shift(i, deltaMs);
            return views.Select(v => Encoding.UTF8.GetString(v.Span)).ToArray();   // expect: WVA001
        }

        public int LongestCue(string srt)
        {
            var count = _parser.Parse(srt);
            ReadOnlyMemory<byte> longest = default;
            foreach (var text in _parser.CueTexts(count))            // the next MoveNext calls cue_at
            {
                if (text.Length > longest.Length) longest = text;    // Length only
            }
            return longest.Length;
        }

        public string LongestCueText(string srt)
        {
            var count = _parser.Parse(srt);
            ReadOnlyMemory<byte> longest = default;
            foreach (var text in _parser.CueTexts(count))
            {
                if (text.Length > longest.Length) longest = text;
            }
            // Later turns of the loop ran cue_at after 'longest' was kept.
            return Encoding.UTF8.GetString(longest.Span);            // expect: WVA001
        }

        public async Task ProduceAsync(string srt, CancellationToken token)
        {
            var count = _parser.Parse(srt);
            foreach (var text in _parser.CueTexts(count))
            {
                await _texts.Writer.WriteAsync(text, token);         // expect: WVA002
            }
            _texts.Writer.Complete();
        }

        public async Task ProduceCopiesAsync(string srt, CancellationToken token)
        {
            var count = _parser.Parse(srt);
            foreach (var text in _parser.CueTexts(count))
            {
                _lines.Add(Encoding.UTF8.GetString(text.Span));     // a string: a copy
                await Task.Yield();                                   // the view is not used after it
            }
            _lines.CompleteAdding();
            await Task.CompletedTask.WaitAsync(token);
        }

        public async IAsyncEnumerable<string> StreamCuesAsync(string srt, [EnumeratorCancellation] CancellationToken token = default)
        {
            var count = _parser.Parse(srt);
            for (int i = 0; i < count; i++)
            {
                var cue = _parser.ReadCue(i);                        // a record of copies
                yield return $"{cue.Start:hh\\:mm\\:ss} {cue.Text}";
                await Task.Delay(cue.End - cue.Start, token);
            }
        }

        public void Preview(string srt)
        {
            var count = _parser.Parse(srt);
            var first = _parser.CueTexts(count).First();
            ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(Encoding.UTF8.GetString(first.Span)));   // expect: WVA002
            var firstCopy = first.ToArray();
            ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(Encoding.UTF8.GetString(firstCopy)));
        }

        public Task<int> CountWordsLater(string srt)
        {
            var count = _parser.Parse(srt);
            var texts = _parser.CueTexts(count).Select(t => t.ToArray()).ToList();   // copies while enumerating
            return Task.Delay(10).ContinueWith(_ => texts.Sum(t => t.Count(b => b == (byte)' ') + 1));
        }
    }

    internal sealed unsafe class GuestSlice : System.Buffers.MemoryManager<byte>
    {
        private readonly byte* _p;
        private readonly int _n;
        public GuestSlice(byte* p, int n) { _p = p; _n = n; }
        public override Span<byte> GetSpan() => new Span<byte>(_p, _n);
        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_p + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
