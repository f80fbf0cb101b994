// Brotli-like shared-dictionary builder: a guest trains a dictionary from samples; the host exports it compressed and zipped.
// Shape inspired by the ImageBatch-style exporters (views written into ZipArchive entries, GZip/Brotli journals).
using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using WasmViewAnalyzers.Runtime;
using Wasmtime;
using SharpZip = ICSharpCode.SharpZipLib.Zip;

namespace Corpus.Solstice.DictionaryTrainerExport
{
    internal sealed unsafe class DictionaryMemory : MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public DictionaryMemory(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new Span<byte>(_start, _length);
        public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }

    public sealed class DictionaryTrainer : IDisposable
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _train;
        private readonly Func<int> _dictLength;
        private readonly Func<int, int> _encode;
        private readonly Func<int> _encodedLength;
        private readonly Stream _journal;

        public DictionaryTrainer(Instance instance, Stream journalFile)
        {
            _memory = instance.GetMemory("memory")!;
            _train = instance.GetFunction<int, int, int>("train")!;
            _dictLength = instance.GetFunction<int>("dict_length")!;
            _encode = instance.GetFunction<int, int>("encode_sample")!;
            _encodedLength = instance.GetFunction<int>("encoded_length")!;
            _journal = new GZipStream(journalFile, CompressionLevel.Fastest, leaveOpen: true);
        }

        public void Dispose() => _journal.Dispose();

        private unsafe ReadOnlyMemory<byte> EncodedSample(int index)
        {
            var address = _encode(index);
            var length = _encodedLength();
            return new DictionaryMemory((byte*)_memory.GetPointer() + address, length).Memory;
        }

        private static void WriteAll(Stream destination, ReadOnlySpan<byte> bytes) => destination.Write(bytes);

        public void ExportDictionary(Stream file, bool compress, int samples, int count)
        {
            var address = _train(samples, count);
            var dictionary = _memory.GetSpan(address, _dictLength());
            using Stream target = compress ? new BrotliStream(file, CompressionLevel.Optimal, leaveOpen: true) : file;
            target.Write(dictionary); // expect: WVA004
        }

        public void ExportDictionaryRaw(FileStream file, int samples, int count)
        {
            var address = _train(samples, count);
            var dictionary = _memory.GetSpan(address, _dictLength());
            file.Write(dictionary); // a plain file: a memcpy, not a compressor
            using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
            gzip.Write(dictionary.ToArray()); // the host's own copy
            gzip.WriteByte(dictionary[0]); // a single byte read out at the call
        }

        public void ExportToZip(ZipArchive archive, int samples, int count)
        {
            var address = _train(samples, count);
            var dictionary = _memory.GetSpan(address, _dictLength());
            using (var entry = archive.CreateEntry("dictionary.bin").Open())
            {
                entry.Write(dictionary); // expect: WVA004
            }

            var firstEncoded = _encode(0);
            using (var sampleEntry = archive.CreateEntry("sample-0.br").Open())
            {
                // _encode ran after the dictionary view was taken.
                sampleEntry.Write(dictionary); // expect: WVA001, WVA004
                sampleEntry.Write(_memory.GetSpan(firstEncoded, _encodedLength()).ToArray());
            }
        }

        public void ExportToZipLeased(ZipArchive archive, int samples, int count)
        {
            var address = _train(samples, count);
            using var lease = _memory.LeaseCopy(address, _dictLength());
            _encode(0);
            using var entry = archive.CreateEntry("dictionary.bin").Open();
            entry.Write(lease.Span); // a pooled copy
        }

        public void Journal(int index)
        {
            var sample = EncodedSample(index);
            _journal.Write(sample.Span); // expect: WVA004
        }

        public void JournalHelper(int index)
        {
            var sample = EncodedSample(index);
            // A Stream parameter is not known to be a compressor: the page says this is not reported.
            // lead: marker added: the writer's open case (a stricter reviewer might want WVA004); the engine now follows a
            // helper that writes its parameter into its Stream parameter, and the WVA004 page reports it at the call.
            WriteAll(_journal, sample.Span); // expect: WVA004
        }

        public unsafe void JournalSamples(Stream output, int count)
        {
            using var zip = new SharpZip.ZipOutputStream(output) { IsStreamOwner = false };
            for (var i = 0; i < count; i++)
            {
                var address = _encode(i);
                var length = _encodedLength();
                zip.PutNextEntry(new SharpZip.ZipEntry($"samples/{i}.bin"));
                using var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
                content.CopyTo(zip); // expect: WVA004
                zip.CloseEntry();
            }
        }

        public void DeflateWithDotNetZip(Stream output, int index)
        {
            var sample = EncodedSample(index);
            using var deflate = new Ionic.Zlib.DeflateStream(output, Ionic.Zlib.CompressionMode.Compress, leaveOpen: true);
            deflate.Write(sample.Span); // expect: WVA004
        }

        public void InflateIntoGuest(Stream compressed, int address, int length)
        {
            var destination = _memory.GetSpan(address, length);
            using var inflate = new BrotliStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            inflate.ReadExactly(destination); // reading out of a decompressor into guest memory
        }

        public async Task CompressSamplesAsync(Stream output, int count)
        {
            await using var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true);
            for (var i = 0; i < count; i++)
            {
                var sample = EncodedSample(i);
                await gzip.WriteAsync(sample); // expect: WVA004
            }
        }

        public async Task CompressOverlappedAsync(Stream output, int count)
        {
            await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
            var first = EncodedSample(0);
            var pending = gzip.WriteAsync(first).AsTask(); // expect: WVA003
            var next = EncodedSample(1).ToArray();
            await pending;
            await gzip.WriteAsync(next);
        }

        public async Task CompressCopiesAsync(Stream output, int count)
        {
            await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
            for (var i = 0; i < count; i++)
            {
                var sample = EncodedSample(i).ToArray();
                var pending = gzip.WriteAsync(sample).AsTask(); // a copy may be written in the background
                await pending;
            }
        }
    }
}
