// A backup tool: a wasm snapshotter serializes application tables and the host packs them into ZIP/TAR archives.
// Shape: export hosts over DotNetZip, SharpZipLib and System.Formats.Tar (the seed ImageBatch story, another guest).
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Winter.SnapshotBackup
{
    public interface ISnapshotSource
    {
        IReadOnlyList<string> Tables { get; }
        int Snapshot(string table);              // -> length; bytes at Output
        int Output { get; }
        Stream Open(int length);
    }

    public sealed unsafe class WasmSnapshotSource : ISnapshotSource
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _snapshot;
        private readonly Func<int> _output;
        private readonly Func<int, int> _alloc;

        public WasmSnapshotSource(Instance instance, IReadOnlyList<string> tables)
        {
            _memory = instance.GetMemory("memory")!;
            _snapshot = instance.GetFunction<int, int, int>("snapshot_table")!;
            _output = instance.GetFunction<int>("output_ptr")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
            Tables = tables;
        }

        public IReadOnlyList<string> Tables { get; }
        public Memory Memory => _memory;

        public int Snapshot(string table)
        {
            var address = _alloc(table.Length * 3);
            var written = _memory.WriteString(address, table);
            return _snapshot(address, written);
        }

        public int Output => _output();

        public Stream Open(int length)
        {
            var address = _output();
            return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        }
    }

    // A SharpZipLib data source that opens guest memory when the archive is committed.
    public sealed unsafe class GuestDataSource(Memory memory, int address, int length) : IStaticDataSource
    {
        public Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
    }

    public sealed class BytesDataSource(byte[] bytes) : IStaticDataSource
    {
        public Stream GetSource() => new MemoryStream(bytes, writable: false);
    }

    public sealed class BackupWriter
    {
        private readonly WasmSnapshotSource _source;
        public BackupWriter(WasmSnapshotSource source) => _source = source;

        public void ToDotNetZip(string path)
        {
            using var zip = new Ionic.Zip.ZipFile();
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                var content = _source.Open(length);
                zip.AddEntry(table + ".bin", content);               // expect: WVA003
            }
            zip.Save(path);
        }

        public void ToDotNetZipCopied(string path)
        {
            using var zip = new Ionic.Zip.ZipFile();
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                var bytes = _source.Memory.GetSpan(_source.Output, length).ToArray();
                zip.AddEntry(table + ".bin", bytes);                  // byte[]: the host's own memory
            }
            zip.Save(path);
        }

        public void ToDotNetZipStreamed(string path)
        {
            using var zip = new Ionic.Zip.ZipFile();
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                var content = _source.Open(length);
                zip.AddEntry(table + ".bin", (name, output) => content.CopyTo(output));   // expect: WVA003
            }
            zip.Save(path);
        }

        public void ToSharpZip(string path)
        {
            using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(path);
            zip.BeginUpdate();
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                zip.Add(new GuestDataSource(_source.Memory, _source.Output, length), table + ".bin");   // expect: WVA003
            }
            zip.CommitUpdate();
        }

        public void ToSharpZipCopied(string path)
        {
            using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(path);
            zip.BeginUpdate();
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                var source = new BytesDataSource(_source.Memory.GetSpan(_source.Output, length).ToArray());
                zip.Add(source, table + ".bin");
            }
            zip.CommitUpdate();
        }

        public void ToTar(Stream destination)
        {
            using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                var entry = new PaxTarEntry(TarEntryType.RegularFile, table + ".bin")
                {
                    DataStream = _source.Open(length),                   // expect: WVA003
                };
                tar.WriteEntry(entry);
            }
        }

        public void ToTarImmediate(Stream destination)
        {
            using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                var entry = new PaxTarEntry(TarEntryType.RegularFile, table + ".bin")
                {
                    DataStream = new MemoryStream(_source.Memory.GetSpan(_source.Output, length).ToArray()),
                };
                tar.WriteEntry(entry);
            }
        }

        public void ToZipArchive(Stream destination)
        {
            using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                var view = _source.Memory.GetSpan(_source.Output, length);
                using var entry = archive.CreateEntry(table + ".bin", CompressionLevel.Optimal).Open();
                entry.Write(view);                                        // expect: WVA004
            }
        }

        public void ToZipArchiveStale(Stream destination)
        {
            using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
            var tables = _source.Tables;
            var length = _source.Snapshot(tables[0]);
            var first = _source.Open(length);
            var secondLength = tables.Count > 1 ? _source.Snapshot(tables[1]) : 0;
            using (var entry = archive.CreateEntry(tables[0] + ".bin").Open())
            {
                first.CopyTo(entry);                                      // expect: WVA001, WVA004
            }
            _ = secondLength;
        }

        public void ToZipArchiveLeased(Stream destination)
        {
            using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var table in _source.Tables)
            {
                var length = _source.Snapshot(table);
                using var lease = WasmViewAnalyzers.Runtime.LeaseExtensions.LeaseCopy(_source.Memory, _source.Output, length);
                using var entry = archive.CreateEntry(table + ".bin").Open();
                entry.Write(lease.Span);                                  // a pooled copy
            }
        }
    }
}
