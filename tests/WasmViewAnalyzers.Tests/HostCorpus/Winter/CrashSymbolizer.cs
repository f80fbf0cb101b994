// A crash-report symbolizer (DWARF/PDB reader in wasm) whose reports are exported into compressed bundles.
// Shape: report exporters writing guest output into SharpZipLib and DotNetZip streams (Extism-style plugin output).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Tar;
using SharpZip = ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Winter.CrashSymbolizer
{
    public sealed unsafe class Symbolizer
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _symbolize;     // (dumpPtr, len) -> report length
        private readonly Func<int> _reportPtr;
        private readonly Func<int, int> _alloc;

        public Symbolizer(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _symbolize = instance.GetFunction<int, int, int>("symbolize")!;
            _reportPtr = instance.GetFunction<int>("report_ptr")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
        }

        public Memory Memory => _memory;

        public int Run(byte[] dump)
        {
            var address = _alloc(dump.Length);
            dump.CopyTo(_memory.GetSpan(address, dump.Length));
            return _symbolize(address, dump.Length);
        }

        public int ReportAddress() => _reportPtr();

        public ReadOnlySpan<byte> Report(int length) => _memory.GetSpan(_reportPtr(), length);

        // Offsets into the symbol cache come from the guest as u32.
        public ReadOnlySpan<byte> Window(uint offset, int length) => _memory.GetSpan(offset, length);

        public UnmanagedMemoryStream ReportStream(int length)
        {
            var address = _reportPtr();
            return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        }
    }

    public sealed class ReportExporter
    {
        private readonly Symbolizer _sym;
        public ReportExporter(Symbolizer sym) => _sym = sym;

        public void ToSharpZipStream(Stream destination, IReadOnlyDictionary<string, byte[]> dumps)
        {
            using var zip = new SharpZip.ZipOutputStream(destination) { IsStreamOwner = false };
            foreach (var (name, dump) in dumps)
            {
                var length = _sym.Run(dump);
                zip.PutNextEntry(new SharpZip.ZipEntry(name + ".txt"));
                var report = _sym.Report(length);
                zip.Write(report);                                      // expect: WVA004
                zip.CloseEntry();
            }
        }

        public void ToTarGz(Stream destination, IReadOnlyDictionary<string, byte[]> dumps)
        {
            using var gz = new GZipOutputStream(destination) { IsStreamOwner = false };
            using var tar = new TarOutputStream(gz, Encoding.UTF8);
            foreach (var (name, dump) in dumps)
            {
                var length = _sym.Run(dump);
                var entry = TarEntry.CreateTarEntry(name + ".txt");
                entry.Size = length;
                tar.PutNextEntry(entry);
                using var report = _sym.ReportStream(length);
                report.CopyTo(tar);                                     // expect: WVA004
                tar.CloseEntry();
            }
        }

        public void ToBZip2(Stream destination, byte[] dump)
        {
            using var bz = new BZip2OutputStream(destination) { IsStreamOwner = false };
            var length = _sym.Run(dump);
            var copy = _sym.Report(length).ToArray();
            bz.Write(copy, 0, copy.Length);                             // a copy
        }

        public void ToIonicZip(string path, IReadOnlyDictionary<string, byte[]> dumps)
        {
            using var zip = new Ionic.Zip.ZipFile();
            foreach (var (name, dump) in dumps)
            {
                var length = _sym.Run(dump);
                var entry = zip.AddEntry(name + ".txt", Array.Empty<byte>());
                entry.InputStream = _sym.ReportStream(length);            // expect: WVA003
            }
            zip.Save(path);
        }

        public void RefreshIonicZip(string path, string name, byte[] dump)
        {
            using var zip = Ionic.Zip.ZipFile.Read(path);
            var length = _sym.Run(dump);
            var report = _sym.ReportStream(length);
            zip.UpdateEntry(name + ".txt", report);                      // expect: WVA003
            zip.Save();
        }

        public void ToIonicZipOpenClose(string path, IReadOnlyDictionary<string, byte[]> dumps)
        {
            using var zip = new Ionic.Zip.ZipFile();
            foreach (var (name, dump) in dumps)
            {
                // The open delegate runs at Save and symbolizes then, reading the report at once: no view is
                // captured, only the dump (the host's array).
                zip.AddEntry(name + ".txt",
                    entryName =>
                    {
                        var length = _sym.Run(dump);
                        return new MemoryStream(_sym.Report(length).ToArray());
                    },
                    (entryName, stream) => stream.Dispose());
            }
            zip.Save(path);
        }

        public void ToIonicZipStream(Stream destination, IReadOnlyDictionary<string, byte[]> dumps)
        {
            using var zip = new Ionic.Zip.ZipOutputStream(destination, leaveOpen: true);
            foreach (var (name, dump) in dumps)
            {
                var length = _sym.Run(dump);
                zip.PutNextEntry(name + ".txt");
                var report = _sym.ReportStream(length);
                report.CopyTo(zip);                                      // expect: WVA004
            }
        }

        public async Task ToGzipAsync(Stream destination, byte[] first, byte[] second)
        {
            await using var gz = new System.IO.Compression.GZipStream(destination, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);
            var length = _sym.Run(first);
            var report = _sym.ReportStream(length);
            var copying = report.CopyToAsync(gz);                        // expect: WVA003
            _sym.Run(second);
            await copying;
        }

        public async Task ToGzipAwaitedAsync(Stream destination, byte[] first, byte[] second)
        {
            await using var gz = new System.IO.Compression.GZipStream(destination, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);
            var length = _sym.Run(first);
            var bytes = _sym.Report(length).ToArray();
            await gz.WriteAsync(bytes);                                  // a copy, awaited
            _sym.Run(second);
        }

        public string Headline(byte[] dump, byte[] next)
        {
            var length = _sym.Run(dump);
            using var report = _sym.ReportStream(length);
            using var reader = new StreamReader(report, Encoding.UTF8);
            var first = reader.ReadLine() ?? "";
            _sym.Run(next);
            var second = reader.ReadLine();                               // expect: WVA001
            return first + second;
        }

        public int CountLines(byte[] dump, uint offset)
        {
            var length = _sym.Run(dump);
            var window = _sym.Window(offset, length);
            var lines = window.Count((byte)'\n');
            _sym.Run(dump);
            return lines + window.Length;                                 // Length only
        }

        public int FirstByteAfterRerun(byte[] dump, long at)
        {
            var length = _sym.Run(dump);
            var window = _sym.Window((uint)at, length);
            _sym.Run(dump);
            return window.IsEmpty ? -1 : window[0];                       // expect: WVA001
        }

        public long Size(byte[] dump, byte[] next)
        {
            var length = _sym.Run(dump);
            using var report = _sym.ReportStream(length);
            _sym.Run(next);
            return report.Length;                                         // Length reads nothing
        }
    }
}
