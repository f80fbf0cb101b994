// A collaborative-editing sync engine: a wasm CRDT merges updates and encodes state vectors, relayed to peers and
// archived (shape: plugin hosts wrapping exports in properties behind an interface, DotNetZip/SharpZipLib exporters).
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Summer.CrdtSyncEngine;

public interface ICrdtDocument
{
    int ApplyUpdate(int address, int length);
    int EncodeStateVector();
    int EncodedLength { get; }
    Memory Memory { get; }
}

public sealed class WasmCrdtDocument : ICrdtDocument
{
    public WasmCrdtDocument(Instance instance)
    {
        Memory = instance.GetMemory("memory")!;
        Apply = instance.GetFunction<int, int, int>("apply_update")!;
        Encode = instance.GetFunction<int>("encode_state_vector")!;
        Length = instance.GetFunction<int>("encoded_len")!;
    }

    private Func<int, int, int> Apply { get; }
    private Func<int> Encode { get; }
    private Func<int> Length { get; }

    public Memory Memory { get; }
    public int ApplyUpdate(int address, int length) => Apply(address, length);
    public int EncodeStateVector() => Encode();
    public int EncodedLength => Length();                       // a property whose getter runs the guest
}

// Peers keep what they are sent until their socket drains.
public sealed class PeerOutbox
{
    private readonly Queue<UnmanagedMemoryStream> _queued = new();
    private readonly Queue<byte[]> _queuedCopies = new();
    public void Post(UnmanagedMemoryStream update) => _queued.Enqueue(update);
    public void PostCopy(byte[] update) => _queuedCopies.Enqueue(update);
    public long Pending => _queued.Count + _queuedCopies.Count;
}

public sealed class Relay
{
    private readonly PeerOutbox _outbox = new();
    public void Forward(UnmanagedMemoryStream update) => Stage(update);
    private void Stage(UnmanagedMemoryStream update) => _outbox.Post(update);   // two calls down, the stream is kept
    public void Measure(UnmanagedMemoryStream update) => Console.WriteLine(update.Length);   // reads only Length
}

// A SharpZipLib data source that builds its stream over guest memory only when the archive commits.
public sealed class SnapshotSource : IStaticDataSource
{
    private readonly Memory _memory;
    private readonly int _address;
    private readonly int _length;
    public SnapshotSource(Memory memory, int address, int length) { _memory = memory; _address = address; _length = length; }
    public unsafe Stream GetSource() => new UnmanagedMemoryStream((byte*)_memory.GetPointer() + _address, _length);
}

public sealed class SyncEngine
{
    private readonly ICrdtDocument _doc;
    private readonly Relay _relay = new();
    private readonly PeerOutbox _outbox = new();

    public SyncEngine(ICrdtDocument doc) => _doc = doc;

    private unsafe UnmanagedMemoryStream StateVectorStream()
    {
        var address = _doc.EncodeStateVector();
        var length = _doc.EncodedLength;
        return new UnmanagedMemoryStream((byte*)_doc.Memory.GetPointer() + address, length);
    }

    public void Broadcast()
    {
        var vector = StateVectorStream();
        _relay.Measure(vector);                                  // reads Length, keeps nothing
        _relay.Forward(vector);                                  // expect: WVA002
    }

    public void BroadcastCopy()
    {
        using var vector = StateVectorStream();
        var copy = new byte[vector.Length];
        vector.ReadExactly(copy);                                // copied while fresh
        _outbox.PostCopy(copy);
    }

    public int Merge(int updateAddress, int updateLength)
    {
        var update = _doc.Memory.GetSpan(updateAddress, updateLength);
        var kind = update[0];
        var merged = _doc.ApplyUpdate(updateAddress, updateLength);   // the CRDT compacts the update buffer
        return kind == 1 ? merged + update[1] : merged;              // expect: WVA001
    }

    public int VectorLengthAfterEncode()
    {
        var vector = StateVectorStream();
        var length = _doc.EncodedLength;                             // the getter calls the guest
        var first = vector.ReadByte();                               // expect: WVA001
        return first + length;
    }

    public unsafe void ExportDotNetZip(string path, IReadOnlyList<(string Name, int Address, int Length)> docs)
    {
        using var zip = new Ionic.Zip.ZipFile();
        foreach (var d in docs)
        {
            var entry = zip.AddEntry(d.Name, Array.Empty<byte>());
            entry.InputStream = new UnmanagedMemoryStream((byte*)_doc.Memory.GetPointer() + d.Address, d.Length);   // expect: WVA003
        }
        zip.Save(path);
    }

    public void UpdateDotNetZip(string path, string name, int address, int length)
    {
        using var zip = Ionic.Zip.ZipFile.Read(path);
        zip.UpdateEntry(name, _doc.Memory.GetSpan(address, length).ToArray());   // byte[]: the host's copy
        zip.Save();
    }

    public void ExportSharpZip(Stream output, IReadOnlyList<(string Name, int Address, int Length)> docs)
    {
        using var zip = ICSharpCode.SharpZipLib.Zip.ZipFile.Create(output);
        zip.BeginUpdate();
        foreach (var d in docs)
        {
            zip.Add(new SnapshotSource(_doc.Memory, d.Address, d.Length), d.Name);   // expect: WVA003
        }
        zip.CommitUpdate();
    }

    public async Task ExportGzipAsync(Stream output, int address, int length)
    {
        using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        var snapshot = new SnapshotSource(_doc.Memory, address, length).GetSource();
        _ = snapshot.CopyToAsync(gzip);                              // expect: WVA003
        _doc.ApplyUpdate(address, 0);
        await gzip.FlushAsync();
    }

    public async Task ExportGzipAwaitedAsync(Stream output, int address, int length)
    {
        using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        var bytes = _doc.Memory.GetSpan(address, length).ToArray();
        await gzip.WriteAsync(bytes);                                // a copy, awaited at once
        _doc.ApplyUpdate(address, 0);
        await gzip.FlushAsync();
    }
}
