// ONNX-like graph optimizer: a guest folds constants and fuses nodes; the host packages the optimized model and its initializers.
// Shape inspired by exporters that hand guest output to DotNetZip, SharpZipLib ZipFile.Add and System.Formats.Tar.
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Solstice.OnnxGraphPackager
{
    public interface IModelStore
    {
        Stream OpenModel(int address, int length);
    }

    public sealed unsafe class WasmModelStore : IModelStore
    {
        private readonly Memory _memory;

        public WasmModelStore(Memory memory) => _memory = memory;

        public Stream OpenModel(int address, int length)
            => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
    }

    // Builds a stream over guest memory each time SharpZipLib asks for it (at CommitUpdate).
    public sealed unsafe class TensorSource(Memory memory, int address, int length) : IStaticDataSource
    {
        public Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
    }

    public sealed unsafe class PointerSource : IStaticDataSource
    {
        private readonly byte* _start;
        private readonly int _length;

        public PointerSource(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public Stream GetSource() => new UnmanagedMemoryStream(_start, _length);
    }

    public sealed class BytesSource(byte[] bytes) : IStaticDataSource
    {
        public Stream GetSource() => new MemoryStream(bytes, writable: false);
    }

    public sealed unsafe class GraphPackager
    {
        private readonly Memory _memory;
        private readonly IModelStore _store;
        private readonly Func<int, int> _optimize;
        private readonly Func<int> _modelLength;
        private readonly Func<int, int> _initializer;
        private readonly Func<int> _initializerLength;
        private UnmanagedMemoryStream? _pendingModel;

        public GraphPackager(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _store = new WasmModelStore(_memory);
            _optimize = instance.GetFunction<int, int>("optimize")!;
            _modelLength = instance.GetFunction<int>("model_length")!;
            _initializer = instance.GetFunction<int, int>("initializer")!;
            _initializerLength = instance.GetFunction<int>("initializer_length")!;
        }

        private UnmanagedMemoryStream OpenInitializer(int index)
        {
            var address = _initializer(index);
            var length = _initializerLength();
            return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        }

        public void PackageWithDotNetZip(string path, int graph, int initializers)
        {
            using var zip = new Ionic.Zip.ZipFile();
            var model = _store.OpenModel(_optimize(graph), _modelLength());
            zip.AddEntry("model.onnx", model); // expect: WVA003
            for (var i = 0; i < initializers; i++)
            {
                zip.AddEntry($"initializers/{i}.bin", OpenInitializer(i)); // expect: WVA003
            }

            zip.Save(path);
        }

        public void PackageCopiesWithDotNetZip(string path, int graph, int initializers)
        {
            using var zip = new Ionic.Zip.ZipFile();
            var address = _optimize(graph);
            zip.AddEntry("model.onnx", _memory.GetSpan(address, _modelLength()).ToArray());
            zip.AddEntry("model.txt", "optimized by guest"); // a string: the host's own
            for (var i = 0; i < initializers; i++)
            {
                using var initializer = OpenInitializer(i);
                var copy = new MemoryStream();
                initializer.CopyTo(copy); // read now, while fresh
                copy.Position = 0;
                zip.AddEntry($"initializers/{i}.bin", copy);
            }

            zip.Save(path);
        }

        public void PackageLazyWeights(string path, int graph)
        {
            using var zip = new Ionic.Zip.ZipFile();
            var address = _optimize(graph);
            // Operands run left to right: the pointer is taken, then _modelLength runs the guest, then the stream is built on it.
            var weights = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, _modelLength());
            // Building the stream reads nothing; handing it over is the first use of the stale pointer.
            zip.AddEntry("weights.bin", (name, output) => weights.CopyTo(output)); // expect: WVA001, WVA003
            var entry = zip.AddEntry("graph.bin", Array.Empty<byte>());
            entry.InputStream = OpenInitializer(0); // expect: WVA003
            zip.Save(path);
        }

        public void PackageWithSharpZipLib(Stream archive, int graph, int initializers)
        {
            using var zip = ZipFile.Create(archive);
            zip.BeginUpdate();
            var address = _optimize(graph);
            var length = _modelLength();
            zip.Add(new TensorSource(_memory, address, length), "model.onnx"); // expect: WVA003
            for (var i = 0; i < initializers; i++)
            {
                var at = _initializer(i);
                var n = _initializerLength();
                zip.Add(new PointerSource((byte*)_memory.GetPointer() + at, n), $"initializers/{i}.bin"); // expect: WVA003
            }

            zip.CommitUpdate();
        }

        public void StageAndPackage(string path, int graph)
        {
            var address = _optimize(graph);
            var length = _modelLength();
            _pendingModel = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length); // expect: WVA002
            using var zip = new Ionic.Zip.ZipFile();
            zip.AddEntry("model.onnx", _pendingModel); // expect: WVA003
            zip.Save(path);
        }

        public void PackageCopiesWithSharpZipLib(Stream archive, int graph)
        {
            using var zip = ZipFile.Create(archive);
            zip.BeginUpdate();
            var address = _optimize(graph);
            zip.Add(new BytesSource(_memory.GetSpan(address, _modelLength()).ToArray()), "model.onnx");
            zip.CommitUpdate();
        }

        public void PackageAsTar(Stream archive, int graph, int initializers)
        {
            using var tar = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true);
            var address = _optimize(graph);
            var modelLength = _modelLength();
            var model = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, modelLength);
            var modelEntry = new PaxTarEntry(TarEntryType.RegularFile, "model.onnx") { DataStream = model }; // expect: WVA003
            tar.WriteEntry(modelEntry);

            var first = OpenInitializer(0);
            var second = OpenInitializer(1);
            var firstEntry = new PaxTarEntry(TarEntryType.RegularFile, "initializers/0.bin");
            // OpenInitializer(1) ran the guest after 'first' was made.
            firstEntry.DataStream = first; // expect: WVA001, WVA003
            tar.WriteEntry(firstEntry);
            second.Dispose();
        }

        public void PackageAsTarCopied(Stream archive, int graph)
        {
            using var tar = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true);
            var address = _optimize(graph);
            var bytes = _memory.GetSpan(address, _modelLength()).ToArray();
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "model.onnx") { DataStream = new MemoryStream(bytes) });

            var pending = new List<(string Name, byte[] Bytes)>();
            for (var i = 0; i < 4; i++)
            {
                using var initializer = OpenInitializer(i);
                var buffer = new byte[initializer.Length];
                initializer.ReadExactly(buffer);
                pending.Add(($"initializers/{i}.bin", buffer));
            }

            foreach (var (name, content) in pending)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }
    }
}
