// A Markdown renderer (pulldown-cmark/md4c-like) in wasm behind a documentation site's preview server; it uses
// the runtime library's guarded views in one path. Shape: md4c's callback API (enter/leave block, text spans).
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Winter.MarkdownPreview
{
    public enum BlockKind { Paragraph = 1, Heading = 2, Code = 3, Quote = 4 }

    // Walks the guest's block list: MoveNext asks the guest for the next block (a guest call per turn of foreach).
    public sealed class BlockCursor : IEnumerable<(BlockKind Kind, int Start, int Length)>
    {
        private readonly Func<int, long> _next;
        private readonly int _document;
        public BlockCursor(Func<int, long> next, int document) { _next = next; _document = document; }

        public Enumerator GetEnumerator() => new(_next, _document);
        IEnumerator<(BlockKind Kind, int Start, int Length)> IEnumerable<(BlockKind Kind, int Start, int Length)>.GetEnumerator() => GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public struct Enumerator : IEnumerator<(BlockKind Kind, int Start, int Length)>
        {
            private readonly Func<int, long> _next;
            private readonly int _document;
            private long _packed;
            public Enumerator(Func<int, long> next, int document) { _next = next; _document = document; _packed = 0; }
            public (BlockKind Kind, int Start, int Length) Current =>
                ((BlockKind)(_packed >> 56), (int)(_packed & 0xFFFFFF), (int)((_packed >> 24) & 0xFFFFFFFF));
            object IEnumerator.Current => Current;
            public bool MoveNext() { _packed = _next(_document); return _packed != 0; }
            public void Reset() => throw new NotSupportedException();
            public void Dispose() { }
        }
    }

    public sealed class MarkdownRenderer
    {
        private readonly Memory _memory;
        private readonly GuestMemoryGuard _guard;
        private readonly Func<int, int, int> _parse;          // (srcPtr, len) -> document
        private readonly Func<int, long> _nextBlock;
        private readonly Func<int, int> _alloc;
        private readonly Func<int, int> _renderHtml;          // document -> html length at html_ptr()
        private readonly Func<int> _htmlPtr;
        private readonly Func<int, int> _guardedRender;
        private readonly Func<int, int, int> _guardedParse;
        private readonly List<GuardedView> _headings = new();
        private Memory<byte> _lastHeading;

        public MarkdownRenderer(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _guard = new GuestMemoryGuard(_memory);
            _parse = instance.GetFunction<int, int, int>("md_parse")!;
            _nextBlock = instance.GetFunction<int, long>("md_next_block")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
            _renderHtml = instance.GetFunction<int, int>("md_render_html")!;
            _htmlPtr = instance.GetFunction<int>("html_ptr")!;
            _guardedRender = _guard.GetRequiredFunction<int, int>(instance, "md_render_html");
            _guardedParse = _guard.GetRequiredFunction<int, int, int>(instance, "md_parse");
        }

        private int Load(string markdown, out int length)
        {
            var bytes = Encoding.UTF8.GetBytes(markdown);
            var address = _alloc(bytes.Length);
            bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
            length = bytes.Length;
            return address;
        }

        public string Outline(string markdown)
        {
            var src = Load(markdown, out var length);
            var doc = _parse(src, length);
            var source = _memory.GetSpan(src, length);
            var sb = new StringBuilder();
            foreach (var (kind, start, len) in new BlockCursor(_nextBlock, doc))   // MoveNext calls the guest
            {
                if (kind == BlockKind.Heading)
                    sb.AppendLine(Encoding.UTF8.GetString(source.Slice(start, len)));   // expect: WVA001
            }
            return sb.ToString();
        }

        public string OutlineFixed(string markdown)
        {
            var src = Load(markdown, out var length);
            var doc = _parse(src, length);
            var sb = new StringBuilder();
            foreach (var (kind, start, len) in new BlockCursor(_nextBlock, doc))
            {
                if (kind == BlockKind.Heading)
                    sb.AppendLine(_memory.ReadString(src + start, len, Encoding.UTF8));   // reads fresh each turn
            }
            return sb.ToString();
        }

        public string ToHtml(string markdown)
        {
            var src = Load(markdown, out var length);
            var doc = _parse(src, length);
            var htmlLength = _renderHtml(doc);
            return _memory.ReadString(_htmlPtr(), htmlLength, Encoding.UTF8);
        }

        public string ToHtmlWithTitle(string markdown)
        {
            var src = Load(markdown, out var length);
            var doc = _parse(src, length);
            var firstLine = _memory.GetSpan(src, Math.Min(length, 80));
            var htmlLength = _renderHtml(doc);
            var html = _memory.ReadString(_htmlPtr(), htmlLength, Encoding.UTF8);
            return $"<title>{Encoding.UTF8.GetString(firstLine)}</title>{html}";   // expect: WVA001
        }

        public string ToHtmlGuarded(string markdown)
        {
            var src = Load(markdown, out var length);
            var doc = _parse(src, length);
            var title = _guard.GetView(src, Math.Min(length, 80));   // a guarded view may be kept across calls
            var htmlLength = _guardedRender(doc);
            var html = _memory.ReadString(_htmlPtr(), htmlLength, Encoding.UTF8);
            // Checked when read: throws StaleWasmViewException instead of reading reused bytes.
            return title.IsStale ? html : $"<title>{Encoding.UTF8.GetString(title.Span)}</title>{html}";
        }

        public byte[] HtmlLease(string markdown)
        {
            var src = Load(markdown, out var length);
            var doc = _parse(src, length);
            var htmlLength = _renderHtml(doc);
            using var lease = _memory.LeaseCopy(_htmlPtr(), htmlLength);   // a pooled copy
            _alloc(1024);
            return lease.Span.ToArray();                                     // the copy survives the call
        }

        public void WriteHtml(string markdown, TextWriter output)
        {
            var src = Load(markdown, out var length);
            var doc = _parse(src, length);
            var htmlLength = _renderHtml(doc);
            var address = _htmlPtr();
            var html = _memory.GetSpan(address, htmlLength);
            output.Write(Encoding.UTF8.GetString(html));               // decoded at once
            _renderHtml(doc);
            output.Write(html.Length);                                  // Length only
        }

        public string HeadingRaw(string markdown)
        {
            var src = Load(markdown, out var length);
            var view = _guard.GetView(src, length);
            var raw = view.Span;                                        // a raw span taken out of the guarded view
            var doc = _guardedParse(src, length);
            var htmlLength = _guardedRender(doc);
            return Encoding.UTF8.GetString(raw[..Math.Min(raw.Length, htmlLength)]);   // expect: WVA001
        }

        public void KeepHeading(string markdown)
        {
            var src = Load(markdown, out var length);
            var view = _guard.GetView(src, Math.Min(length, 40));
            view.ThrowIfStale();
            _headings.Add(view);                                        // a guarded view may be kept
            _lastHeading = view.Memory;                                 // its Memory re-checks when read later
        }

        public int HeadingLengths()
        {
            _guardedRender(0);
            var total = 0;
            foreach (var h in _headings) total += h.Length + (int)(h.Address & 0);   // Length/Address never read memory
            return total + _lastHeading.Length;
        }

        public void CompressSource(string markdown, Stream destination)
        {
            var src = Load(markdown, out var length);
            using var gz = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
            using (var guarded = _guard.OpenStream(src, length))
            {
                guarded.CopyTo(gz);                                     // a guarded stream checks itself
            }
            var raw = _memory.GetSpan(src, length);
            gz.Write(raw);                                              // expect: WVA004
        }

        public int CountCodeBlocks(string markdown)
        {
            var src = Load(markdown, out var length);
            var doc = _parse(src, length);
            var source = _memory.GetSpan(src, length);
            var fence = source.IndexOf("```"u8);                       // read before the loop
            var count = 0;
            foreach (var block in new BlockCursor(_nextBlock, doc))
                if (block.Kind == BlockKind.Code) count++;
            return fence >= 0 ? count : 0;
        }
    }
}
