// XBRL filer: a wasm taxonomy validator produces the instance document and inline-XBRL report in guest memory;
// the host compresses and submits them. Shape: exporters that stream guest output into GZip/Brotli/zip packages.
using System;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.Zip;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Autumn.XbrlFiler;

public sealed class TaxonomyValidator
{
    public Memory Memory { get; }
    private readonly Func<int, int, int> _validate;    // (facts, len) -> status
    private readonly Func<int> _instanceDoc;           // address of the instance document
    private readonly Func<int> _instanceLength;
    private readonly Func<int> _reportDoc;
    private readonly Func<int> _reportLength;

    public TaxonomyValidator(Instance instance)
    {
        Memory = instance.GetMemory("memory")!;
        _validate = instance.GetFunction<int, int, int>("validate")!;
        _instanceDoc = instance.GetFunction<int>("instance_doc")!;
        _instanceLength = instance.GetFunction<int>("instance_len")!;
        _reportDoc = instance.GetFunction<int>("report_doc")!;
        _reportLength = instance.GetFunction<int>("report_len")!;
    }

    public int Validate(int facts, int length) => _validate(facts, length);
    public int InstanceAddress() => _instanceDoc();
    public int InstanceLength() => _instanceLength();
    public int ReportAddress() => _reportDoc();
    public int ReportLength() => _reportLength();

    public unsafe UnmanagedMemoryStream OpenInstance()
    {
        var address = _instanceDoc();
        var length = _instanceLength();
        return new UnmanagedMemoryStream((byte*)Memory.GetPointer() + address, length);
    }
}

public sealed class Filer
{
    private readonly TaxonomyValidator _validator;
    private readonly GuestMemoryGuard _guard;
    private Stream? _cachedInstance;

    public Filer(TaxonomyValidator validator)
    {
        _validator = validator;
        _guard = new GuestMemoryGuard(validator.Memory);
    }

    public void WriteGzip(Stream destination, int facts, int length)
    {
        _validator.Validate(facts, length);
        var doc = _validator.Memory.GetSpan(_validator.InstanceAddress(), _validator.InstanceLength());
        using var gzip = new GZipStream(destination, CompressionLevel.SmallestSize, leaveOpen: true);
        gzip.Write(doc); // expect: WVA004
    }

    public void WriteGzipCopy(Stream destination, int facts, int length)
    {
        _validator.Validate(facts, length);
        using var lease = _validator.Memory.LeaseCopy(_validator.InstanceAddress(), _validator.InstanceLength());
        using var gzip = new GZipStream(destination, CompressionLevel.SmallestSize, leaveOpen: true);
        gzip.Write(lease.Span); // a pooled copy
    }

    public void WriteEither(Stream file, bool compress, int facts, int length)
    {
        _validator.Validate(facts, length);
        Stream target = compress ? new BrotliStream(file, CompressionLevel.Optimal, leaveOpen: true) : file;
        using var instance = _validator.OpenInstance();
        instance.CopyTo(target); // expect: WVA004
        target.Flush();
    }

    public void WritePlain(Stream file, int facts, int length)
    {
        _validator.Validate(facts, length);
        using var instance = _validator.OpenInstance();
        instance.CopyTo(file);          // an ordinary stream parameter: not a compressor
    }

    public async Task SubmitAsync(Stream upload, int facts, int length)
    {
        _validator.Validate(facts, length);
        var address = _validator.ReportAddress();
        var report = new GuardedOrRaw(_validator.Memory, address, _validator.ReportLength()).Raw;
        await using var deflate = new DeflateStream(upload, CompressionLevel.Fastest, leaveOpen: true);
        var pending = deflate.WriteAsync(report); // expect: WVA003
        _validator.Validate(facts, length);        // the guest runs while the write is still pending
        await pending;
    }

    public async Task SubmitAwaitedAsync(Stream upload, int facts, int length)
    {
        _validator.Validate(facts, length);
        var report = _validator.Memory.GetSpan(_validator.ReportAddress(), _validator.ReportLength()).ToArray();
        await using var deflate = new DeflateStream(upload, CompressionLevel.Fastest, leaveOpen: true);
        await deflate.WriteAsync(report);          // a copy, awaited
        _validator.Validate(facts, length);
    }

    public void Package(string path, int facts, int length)
    {
        using var zip = new ZipOutputStream(File.Create(path));
        _validator.Validate(facts, length);
        zip.PutNextEntry(new ZipEntry("instance.xbrl"));
        var view = _guard.GetView(_validator.InstanceAddress(), _validator.InstanceLength());
        zip.Write(view.ToArray(), 0, view.Length);  // a copy from the guarded view
        zip.PutNextEntry(new ZipEntry("report.xhtml"));
        var report = _validator.Memory.GetSpan(_validator.ReportAddress(), _validator.ReportLength());
        zip.Write(report); // expect: WVA004
        zip.CloseEntry();
    }

    public long CachedInstanceLength(int facts, int length)
    {
        _cachedInstance ??= _validator.OpenInstance(); // expect: WVA002
        var n = _cachedInstance.Length;
        _validator.Validate(facts, length);
        return n;
    }

    public string Summary(int facts, int length)
    {
        _validator.Validate(facts, length);
        var doc = _validator.Memory.GetSpan(_validator.InstanceAddress(), _validator.InstanceLength());
        var head = Encoding.UTF8.GetString(doc[..Math.Min(64, doc.Length)]);
        var status = _validator.Validate(facts, length); // re-validate with the same facts
        return $"{status}: {head} / {doc.Length} bytes"; // head is a string, doc only by Length
    }
}

// Wraps a memory region; Raw hands the view out (a view source by its body).
public readonly struct GuardedOrRaw
{
    private readonly Memory _memory;
    private readonly int _address;
    private readonly int _length;
    public GuardedOrRaw(Memory memory, int address, int length) { _memory = memory; _address = address; _length = length; }
    public unsafe ReadOnlyMemory<byte> Raw => new PointerManager((byte*)_memory.GetPointer() + _address, _length).Memory;
}

internal sealed unsafe class PointerManager : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    public PointerManager(byte* start, int length) { _start = start; _length = length; }
    public override Span<byte> GetSpan() => new Span<byte>(_start, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new System.Buffers.MemoryHandle(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
