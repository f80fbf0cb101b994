// FITS sky-survey cutout exporter: a guest decodes tiled FITS images and cuts stamps; the host ships them as .fits.gz, tarballs and zips.
// Shape inspired by archive exporters over SharpZipLib/DotNetZip streams and backends that hand out guest output as a Stream.
using System;
using System.IO;
using System.IO.Compression;
using System.Formats.Tar;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Tar;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Solstice.FitsCutoutExporter
{
    public enum Packing { None, Gzip, Zlib, Deflate }

    public interface ICutoutBackend
    {
        int Cut(int image, int x, int y, int size);
        int StampLength();
        Stream OpenStamp(int address, int length);
    }

    public sealed unsafe class WasmCutoutBackend : ICutoutBackend
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int, int, int> _cut;
        private readonly Func<int> _stampLength;

        public WasmCutoutBackend(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _cut = instance.GetFunction<int, int, int, int, int>("cut")!;
            _stampLength = instance.GetFunction<int>("stamp_length")!;
        }

        public int Cut(int image, int x, int y, int size) => _cut(image, x, y, size);
        public int StampLength() => _stampLength();
        public Stream OpenStamp(int address, int length)
            => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
    }

    public sealed class CutoutExporter
    {
        private readonly ICutoutBackend _backend;
        private readonly Memory _memory;
        private readonly GuestMemoryGuard _guard;
        private Stream? _catalog;

        public CutoutExporter(ICutoutBackend backend, Memory memory)
        {
            _backend = backend;
            _memory = memory;
            _guard = new GuestMemoryGuard(memory);
        }

        public void WriteStamp(Stream file, Packing packing, int image, int x, int y)
        {
            var address = _backend.Cut(image, x, y, 64);
            var stamp = _memory.GetSpan(address, _backend.StampLength());
            using Stream target = packing switch
            {
                Packing.Gzip => new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true),
                Packing.Zlib => new ZLibStream(file, CompressionLevel.Optimal, leaveOpen: true),
                Packing.Deflate => new DeflateStream(file, CompressionLevel.Optimal, leaveOpen: true),
                _ => file,
            };
            target.Write(stamp); // expect: WVA004
        }

        public void WriteStampUncompressed(Stream network, int image, int x, int y)
        {
            var address = _backend.Cut(image, x, y, 64);
            var stamp = _memory.GetSpan(address, _backend.StampLength());
            network.Write(stamp); // an ordinary stream: not a compressor
            using var buffer = new MemoryStream();
            buffer.Write(stamp);
        }

        public void AppendCatalog(Stream file, int image, int x, int y)
        {
            _catalog ??= new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
            using var stamp = _backend.OpenStamp(_backend.Cut(image, x, y, 16), 256);
            stamp.CopyTo(_catalog); // expect: WVA004
        }

        public void SharpZipGzip(Stream file, int image)
        {
            var (target, name) = (new GZipOutputStream(file) { IsStreamOwner = false }, "stamp.fits.gz");
            var address = _backend.Cut(image, 0, 0, 128);
            var stamp = _memory.GetSpan(address, _backend.StampLength());
            target.FileName = name;
            target.Write(stamp); // expect: WVA004
            target.Finish();
        }

        public void BZip2Stamp(Stream file, int image)
        {
            using var bzip = new BZip2OutputStream(file) { IsStreamOwner = false };
            var address = _backend.Cut(image, 0, 0, 128);
            var length = _backend.StampLength();
            using var guarded = _guard.OpenStream(address, length);
            guarded.CopyTo(bzip); // a guarded stream checks itself when read
            bzip.Write(_memory.GetSpan(address, length).ToArray());
        }

        public void TarballWithSharpZip(Stream file, int image, int count)
        {
            using var tar = new TarOutputStream(file, System.Text.Encoding.ASCII) { IsStreamOwner = false };
            for (var i = 0; i < count; i++)
            {
                var address = _backend.Cut(image, i * 64, 0, 64);
                var length = _backend.StampLength();
                var entry = ICSharpCode.SharpZipLib.Tar.TarEntry.CreateTarEntry($"stamps/{i}.fits");
                entry.Size = length;
                tar.PutNextEntry(entry);
                tar.Write(_memory.GetSpan(address, length)); // expect: WVA004
                tar.CloseEntry();
            }
        }

        public void TarballWithSystemFormats(Stream file, int image, int count)
        {
            using var tar = new TarWriter(file, TarEntryFormat.Ustar, leaveOpen: true);
            for (var i = 0; i < count; i++)
            {
                var address = _backend.Cut(image, i * 64, 0, 64);
                var stamp = _backend.OpenStamp(address, _backend.StampLength());
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"stamps/{i}.fits") { DataStream = stamp }); // expect: WVA003
            }
        }

        public void ZipUpdate(string path, int image)
        {
            using var zip = Ionic.Zip.ZipFile.Read(path);
            var address = _backend.Cut(image, 0, 0, 256);
            var stamp = _backend.OpenStamp(address, _backend.StampLength());
            zip.UpdateEntry("preview.fits", stamp); // expect: WVA003
            zip.Save();
        }

        public void ZipUpdateCopied(string path, int image)
        {
            using var zip = Ionic.Zip.ZipFile.Read(path);
            var address = _backend.Cut(image, 0, 0, 256);
            zip.UpdateEntry("preview.fits", _memory.GetSpan(address, _backend.StampLength()).ToArray());
            zip.Save();
        }

        public async Task ShipAsync(Stream file, int image)
        {
            await using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
            var stamp = _backend.OpenStamp(_backend.Cut(image, 0, 0, 64), 4096);
            _ = stamp.CopyToAsync(gzip); // expect: WVA003
            _backend.Cut(image, 64, 0, 64);
        }

        public async Task ShipAwaitedCopyAsync(Stream file, int image)
        {
            await using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
            var address = _backend.Cut(image, 0, 0, 64);
            var copy = _memory.GetSpan(address, _backend.StampLength()).ToArray();
            await gzip.WriteAsync(copy);
            _backend.Cut(image, 64, 0, 64);
        }

        public Task CompressInBackground(Stream file, int image)
        {
            var stamp = _backend.OpenStamp(_backend.Cut(image, 0, 0, 64), 4096);

            void Compress()
            {
                using var deflate = new Ionic.Zlib.DeflateStream(file, Ionic.Zlib.CompressionMode.Compress, leaveOpen: true);
                stamp.CopyTo(deflate); // expect: WVA004
            }

            return Task.Run(Compress); // expect: WVA002
        }
    }
}
