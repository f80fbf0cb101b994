// Document render service: a Markdown-to-HTML renderer compiled to wasm, hosted through WasmViewAnalyzers.Runtime's guard
// (guarded exports, guarded views kept for a batch, lease copies). Shape from the runtime library's documented designs.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Fresh.GuardedRenderService;

public sealed class RenderService
{
    private readonly GuestMemoryGuard _guard;
    private readonly Func<int, int, int> _render;
    private readonly Func<int> _htmlLength;
    private readonly Func<int, int> _alloc;
    private readonly Action _reset;
    private readonly List<GuardedView> _pending = [];
    private readonly List<(string Name, WasmLease<byte> Html)> _leased = [];
    private Memory<byte> _preview;

    public RenderService(Instance instance)
    {
        _guard = new GuestMemoryGuard(instance.GetMemory("memory")!);
        _render = _guard.GetRequiredFunction<int, int, int>(instance, "render_markdown");
        _htmlLength = _guard.GetRequiredFunction<int>(instance, "html_length");
        _alloc = _guard.GetRequiredFunction<int, int>(instance, "alloc");
        _reset = _guard.GetRequiredAction(instance, "reset_arena");
    }

    private int Upload(string markdown)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(markdown);
        int address = _alloc(bytes.Length);
        bytes.CopyTo(_guard.Memory.GetSpan(address, bytes.Length));
        return address;
    }

    public void Queue(string markdown)
    {
        int input = Upload(markdown);
        int html = _render(input, Encoding.UTF8.GetByteCount(markdown));
        GuardedView view = _guard.GetView(html, _htmlLength());
        _pending.Add(view); // a guarded view may be kept: it throws if read stale
        _preview = view.Memory; // the guarded Memory<byte> re-checks when read
    }

    public void QueueLeased(string name, string markdown)
    {
        int input = Upload(markdown);
        int html = _render(input, Encoding.UTF8.GetByteCount(markdown));
        _leased.Add((name, _guard.Memory.LeaseCopy(html, _htmlLength()))); // a pooled copy
        _reset();
    }

    public string RenderTitle(string markdown)
    {
        int input = Upload(markdown);
        int html = _render(input, Encoding.UTF8.GetByteCount(markdown));
        GuardedView view = _guard.GetView(html, _htmlLength());
        Span<byte> raw = view.Span; // raw again: the guard checks only when it hands it out
        _reset(); // a guarded call: the guard knows, the raw span does not
        int end = raw.IndexOf((byte)'<'); // expect: WVA001
        return end.ToString();
    }

    public string RenderTitleChecked(string markdown)
    {
        int input = Upload(markdown);
        int html = _render(input, Encoding.UTF8.GetByteCount(markdown));
        GuardedView view = _guard.GetView(html, _htmlLength());
        _reset();
        if (view.IsStale) // reads nothing
        {
            return $"stale view of {view.Length} bytes at {view.Address}"; // Length and Address never read guest memory
        }
        view.ThrowIfStale();
        return "";
    }

    public byte[] RenderWithLease(string markdown)
    {
        int input = Upload(markdown);
        int html = _render(input, Encoding.UTF8.GetByteCount(markdown));
        using WasmLease<byte> lease = _guard.Memory.GetSpan(html, _htmlLength()).LeaseCopy();
        _reset();
        return lease.Span.ToArray(); // the lease is the host's copy
    }

    public int GrowForLargeDocument(string markdown, int extraPages)
    {
        int input = Upload(markdown);
        ReadOnlySpan<byte> source = _guard.Memory.GetSpan(input, Encoding.UTF8.GetByteCount(markdown));
        _guard.Grow(extraPages); // may move memory
        return _render(input, source.Length) + source[0]; // expect: WVA001
    }

    public void RenderInCallback(Linker linker)
    {
        _guard.DefineFunction(linker, "host", "emit_heading", (Caller caller, int address, int length) =>
        {
            Span<byte> heading = caller.GetMemory("memory")!.GetSpan(address, length);
            string text = Encoding.UTF8.GetString(heading); // read inside the callback, while fresh
            _guard.NotifyGuestCall("heading hook");
            Console.WriteLine(text + heading.Length);
        });
        _guard.DefineFunction(linker, "host", "emit_code", (Caller caller, int address, int length) =>
        {
            Span<byte> code = caller.GetMemory("memory")!.GetSpan(address, length);
            _guard.NotifyGuestCall("code hook"); // recorded as a guest call
            Console.WriteLine(Encoding.UTF8.GetString(code)); // expect: WVA001
        });
    }

    public void Archive(string path)
    {
        using var zip = new Ionic.Zip.ZipFile();
        int index = 0;
        foreach (GuardedView view in _pending)
        {
            GuardedStream stream = view.AsStream();
            zip.AddEntry($"page{index++}.html", stream); // a guarded stream checks itself when DotNetZip reads it
        }
        foreach (var (name, html) in _leased)
        {
            zip.AddEntry(name, html.ToArray());
        }
        zip.Save(path);
    }

    public void Compress(Stream destination, string markdown)
    {
        int input = Upload(markdown);
        int html = _render(input, Encoding.UTF8.GetByteCount(markdown));
        using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        using GuardedStream guarded = _guard.OpenStream(html, _htmlLength());
        guarded.CopyTo(gzip); // guarded: throws instead of compressing stale bytes
        ReadOnlySpan<byte> raw = _guard.Memory.GetSpan(html, _htmlLength());
        gzip.Write(raw); // expect: WVA004
    }
}
