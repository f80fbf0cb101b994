// Device-fleet log archiver: a wasm log decoder (vendor binary format) expands firmware dumps; the host compresses and archives them.
// Shape inspired by log shippers with pluggable sinks and SharpZipLib/DotNetZip archive writers fed from plugin output buffers.
using System;
using System.IO;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Tar;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Late.FirmwareLogArchiver;

public enum SinkKind
{
    Raw,
    Gzip,
    Bzip2,
}

[InterpolatedStringHandler]
public ref struct DecoderLogHandler
{
    private readonly StringBuilder _builder;
    private readonly LogDecoder _decoder;

    public DecoderLogHandler(int literalLength, int formattedCount, LogDecoder decoder)
    {
        _builder = new StringBuilder(literalLength);
        _decoder = decoder;
    }

    public void AppendLiteral(string s) => _builder.Append(s);

    // Formatting a record id asks the guest for its symbolic name.
    public void AppendFormatted(int recordId) => _builder.Append(_decoder.SymbolName(recordId));

    public void AppendFormatted(string s) => _builder.Append(s);

    public override string ToString() => _builder.ToString();
}

public sealed class LogDecoder
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _decode;
    private readonly Func<int, int> _symbol;
    private readonly Stream _archiveSink;
    private const int Out = 0x100000;

    public LogDecoder(Instance instance, Stream file, SinkKind kind)
    {
        _memory = instance.GetMemory("memory")!;
        _decode = instance.GetFunction<int, int, int>("decode_dump")!;
        _symbol = instance.GetFunction<int, int>("symbol_name")!;
        _archiveSink = kind switch
        {
            SinkKind.Gzip => new GZipOutputStream(file),
            SinkKind.Bzip2 => new BZip2OutputStream(file),
            _ => file,
        };
    }

    public string SymbolName(int recordId) => _memory.ReadString(_symbol(recordId), 32, Encoding.ASCII).TrimEnd('\0');

    public string Format([InterpolatedStringHandlerArgument("")] DecoderLogHandler handler) => handler.ToString();

    private int Decode(int dumpPtr, int dumpLen) => _decode(dumpPtr, dumpLen);

    private unsafe UnmanagedMemoryStream Decoded(int length) => new((byte*)_memory.GetPointer() + Out, length);

    public void AppendToSink(int dumpPtr, int dumpLen)
    {
        int length = Decode(dumpPtr, dumpLen);
        _archiveSink.Write(_memory.GetSpan(Out, length)); // expect: WVA004
    }

    public string Describe(int dumpPtr, int dumpLen, int recordId)
    {
        int length = Decode(dumpPtr, dumpLen);
        var decoded = _memory.GetSpan(Out, length);
        string line = Format($"record {recordId}"); // the handler's AppendFormatted calls the guest
        return line + decoded[0]; // expect: WVA001
    }

    public string DescribeFirst(int dumpPtr, int dumpLen, int recordId)
    {
        int length = Decode(dumpPtr, dumpLen);
        byte first = _memory.GetSpan(Out, length)[0];
        return Format($"record {recordId}") + first;
    }

    public void WriteTar(TarOutputStream tar, string name, int dumpPtr, int dumpLen)
    {
        int length = Decode(dumpPtr, dumpLen);
        var entry = TarEntry.CreateTarEntry(name);
        entry.Size = length;
        tar.PutNextEntry(entry);
        using var decoded = Decoded(length);
        decoded.CopyTo(tar); // expect: WVA004
        tar.CloseEntry();
    }

    public void WriteZipEntry(ZipOutputStream zip, string name, int dumpPtr, int dumpLen)
    {
        int length = Decode(dumpPtr, dumpLen);
        zip.PutNextEntry(new ZipEntry(name) { Size = length });
        var copy = _memory.GetSpan(Out, length).ToArray();
        zip.Write(copy, 0, copy.Length);
        zip.CloseEntry();
    }

    public void WriteZipEntryDirect(ZipOutputStream zip, string name, int dumpPtr, int dumpLen)
    {
        int length = Decode(dumpPtr, dumpLen);
        zip.PutNextEntry(new ZipEntry(name) { Size = length });
        zip.Write(_memory.GetSpan(Out, length)); // expect: WVA004
        zip.CloseEntry();
    }

    public void UpdateDotNetZip(Ionic.Zip.ZipFile zip, string name, int dumpPtr, int dumpLen)
    {
        int length = Decode(dumpPtr, dumpLen);
        zip.UpdateEntry(name, Decoded(length)); // expect: WVA003
    }

    public void ReplaceEntryStream(Ionic.Zip.ZipFile zip, string name, int dumpPtr, int dumpLen)
    {
        int length = Decode(dumpPtr, dumpLen);
        var entry = zip[name];
        if (entry is null)
            return;
        entry.InputStream = Decoded(length); // expect: WVA003
    }

    public void ReplaceEntryCopy(Ionic.Zip.ZipFile zip, string name, int dumpPtr, int dumpLen)
    {
        int length = Decode(dumpPtr, dumpLen);
        var entry = zip[name];
        if (entry is not null)
            entry.InputStream = new MemoryStream(_memory.GetSpan(Out, length).ToArray());
    }

    public async Task ShipAsync(Stream network, int dumpPtr, int dumpLen, int nextPtr, int nextLen)
    {
        var gzip = new GZipStream(network, CompressionLevel.Fastest, leaveOpen: true);
        int length = Decode(dumpPtr, dumpLen);
        _ = Decoded(length).CopyToAsync(gzip); // expect: WVA003
        Decode(nextPtr, nextLen);
        await gzip.FlushAsync();
    }

    public async Task ShipAwaitedAsync(Stream network, int dumpPtr, int dumpLen, int nextPtr, int nextLen)
    {
        await using var gzip = new GZipStream(network, CompressionLevel.Fastest, leaveOpen: true);
        int length = Decode(dumpPtr, dumpLen);
        var copy = new MemoryStream(_memory.GetSpan(Out, length).ToArray());
        await copy.CopyToAsync(gzip);
        Decode(nextPtr, nextLen);
    }

    public long DecodeTwice(int dumpPtr, int dumpLen)
    {
        int length = Decode(dumpPtr, dumpLen);
        using var first = Decoded(length);
        Decode(dumpPtr + dumpLen, dumpLen);
        var buffer = new byte[16];
        int read = first.Read(buffer, 0, buffer.Length); // expect: WVA001
        return read + first.Length;
    }
}
