// A tar/cpio archiver whose file filters and header escaping run in wasm, streaming bodies into SharpZipLib tar/gzip
// and DotNetZip deflate streams (shape: backup/packer hosts over compression streams, per-file filter exports).
using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Tar;
using Wasmtime;

namespace Corpus.Summer.CpioTarArchiver;

// An interpolated string handler whose AppendFormatted asks the guest to escape each hole.
[InterpolatedStringHandler]
public ref struct GuestEscapedHandler
{
    private readonly StringBuilder _builder;
    private readonly Archiver _archiver;

    public GuestEscapedHandler(int literalLength, int formattedCount, Archiver archiver)
    {
        _builder = new StringBuilder(literalLength);
        _archiver = archiver;
    }

    public void AppendLiteral(string text) => _builder.Append(text);
    public void AppendFormatted(string value) => _builder.Append(_archiver.Escape(value));
    public void AppendFormatted(int value) => _builder.Append(value);
    public override string ToString() => _builder.ToString();
}

// Releases the guest's per-file filter state when the archive step is disposed.
public sealed class FilterSession : IAsyncDisposable
{
    private readonly Action<int> _release;
    private readonly int _handle;
    public FilterSession(Action<int> release, int handle) { _release = release; _handle = handle; }
    public ValueTask DisposeAsync() { _release(_handle); return ValueTask.CompletedTask; }
}

public sealed class Archiver
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _filter;        // (input ptr, len) -> output ptr
    private readonly Func<int> _filterLength;
    private readonly Func<int, int, int> _escape;
    private readonly Func<int> _openFilter;
    private readonly Action<int> _releaseFilter;
    private readonly int _inputPtr;

    public Archiver(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _filter = instance.GetFunction<int, int, int>("filter")!;
        _filterLength = instance.GetFunction<int>("filter_len")!;
        _escape = instance.GetFunction<int, int, int>("escape")!;
        _openFilter = instance.GetFunction<int>("open_filter")!;
        _releaseFilter = instance.GetAction<int>("release_filter")!;
        _inputPtr = instance.GetFunction<int>("input_ptr")!();
    }

    internal string Escape(string value)
    {
        var written = _memory.WriteString(_inputPtr, value, Encoding.UTF8);
        var output = _escape(_inputPtr, written);
        return _memory.ReadString(output, _filterLength(), Encoding.UTF8);
    }

    public string Label([InterpolatedStringHandlerArgument("")] ref GuestEscapedHandler handler) => handler.ToString();

    private int Filter(byte[] body)
    {
        body.CopyTo(_memory.GetSpan(_inputPtr, body.Length));
        return _filter(_inputPtr, body.Length);
    }

    public void WriteTarGz(Stream output, (string Name, byte[] Body)[] files)
    {
        using var gzip = new GZipOutputStream(output) { IsStreamOwner = false };
        using var tar = new TarOutputStream(gzip, Encoding.UTF8);
        foreach (var (name, body) in files)
        {
            var filtered = Filter(body);
            var length = _filterLength();
            var entry = TarEntry.CreateTarEntry(name);
            entry.Size = length;
            tar.PutNextEntry(entry);
            tar.Write(_memory.GetSpan(filtered, length));                 // expect: WVA004
            tar.CloseEntry();
        }
    }

    public void WriteTarGzCopied(Stream output, (string Name, byte[] Body)[] files)
    {
        using var gzip = new GZipOutputStream(output) { IsStreamOwner = false };
        using var tar = new TarOutputStream(gzip, Encoding.UTF8);
        foreach (var (name, body) in files)
        {
            var filtered = Filter(body);
            var length = _filterLength();
            var bytes = _memory.GetSpan(filtered, length).ToArray();
            var entry = TarEntry.CreateTarEntry(name);
            entry.Size = bytes.Length;
            tar.PutNextEntry(entry);
            tar.Write(bytes, 0, bytes.Length);
            tar.CloseEntry();
        }
    }

    public string HeaderLabel(string name, byte[] body)
    {
        var filtered = Filter(body);
        var view = _memory.GetSpan(filtered, 8);
        var label = Label($"{name}:{body.Length}");                     // the handler escapes through the guest
        return label + view[0];                                          // expect: WVA001
    }

    public string HeaderLabelReadFirst(string name, byte[] body)
    {
        var filtered = Filter(body);
        var kind = _memory.GetSpan(filtered, 8)[0];                      // a value read at once
        var label = Label($"{name}:{body.Length}");
        return label + kind;
    }

    public async Task<int> FilterInSessionAsync(byte[] body, Stream sink)
    {
        var handle = _openFilter();
        var filtered = Filter(body);
        var length = _filterLength();
        var output = new GuestWindow(_memory, filtered, length).Memory;
        await using (var session = new FilterSession(_releaseFilter, handle))
        {
            sink.WriteByte((byte)length);                               // the host's own byte
        }
        sink.Write(output.Span);                                        // expect: WVA001
        return length;
    }

    public async Task<int> FilterThenSessionAsync(byte[] body, Stream sink)
    {
        var handle = _openFilter();
        var filtered = Filter(body);
        var length = _filterLength();
        var output = new GuestWindow(_memory, filtered, length).Memory;
        sink.Write(output.Span);                                        // written before the session ends
        await using (var session = new FilterSession(_releaseFilter, handle))
        {
        }
        return length;
    }

    public void WriteDotNetZipDeflate(Stream output, byte[] body)
    {
        using var deflate = new Ionic.Zlib.DeflateStream(output, Ionic.Zlib.CompressionMode.Compress, leaveOpen: true);
        var filtered = Filter(body);
        var window = new GuestWindow(_memory, filtered, _filterLength());
        deflate.Write(window.Memory.Span);                               // expect: WVA004
    }
}

public sealed unsafe class GuestWindow : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    public GuestWindow(Memory memory, int address, int length)
    {
        _start = (byte*)memory.GetPointer() + address;
        _length = length;
    }
    public override Span<byte> GetSpan() => new(_start, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
