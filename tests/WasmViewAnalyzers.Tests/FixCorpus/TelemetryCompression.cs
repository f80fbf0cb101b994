// A telemetry agent: a WebAssembly aggregator produces batches, compressed with SharpZipLib and
// DotNetZip streams.
using System;
using System.IO;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Telemetry;

sealed unsafe class TelemetryAgent
{
    private readonly Memory _memory;
    private readonly Func<int> _aggregate;
    private readonly Func<int> _batchLength;

    public TelemetryAgent(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _aggregate = instance.GetFunction<int>("aggregate")!;
        _batchLength = instance.GetFunction<int>("batch_length")!;
    }

    public void WriteGzip(Stream destination)
    {
        var address = _aggregate();
        var batch = _memory.GetSpan(address, _batchLength());
        using var gzip = new GZipOutputStream(destination);
        gzip.Write(batch);
    }

    public void WriteZip(Stream destination, int batches)
    {
        using var zip = new ZipOutputStream(destination);
        for (var i = 0; i < batches; i++)
        {
            var address = _aggregate();
            var length = _batchLength();
            zip.PutNextEntry(new ZipEntry($"batch-{i}.bin"));
            var batch = _memory.GetSpan(address, length);
            zip.Write(batch);
            zip.CloseEntry();
        }
    }

    public void WriteDotNetZip(Stream destination)
    {
        var address = _aggregate();
        var length = _batchLength();
        using var zip = new Ionic.Zip.ZipOutputStream(destination);
        zip.PutNextEntry("batch.bin");
        using var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        content.CopyTo(zip);
    }

    public void WriteDeflateInBackground(Stream destination)
    {
        var address = _aggregate();
        var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _batchLength());
        var deflate = new Ionic.Zlib.DeflateStream(destination, Ionic.Zlib.CompressionMode.Compress);
        _ = Task.Run(() => stream.CopyTo(deflate));
    }
}
