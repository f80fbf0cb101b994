// Git packfile reader: a guest inflates and delta-resolves pack objects into its heap; the host exports blobs as tar/zip.
// Shape: async host loops over exported "next object" calls (PixiEditor WasmRuntime-style async wrappers), backend typed Stream.
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Autumn.GitPackReader;

public readonly record struct PackObject(string Sha, int Kind, int Address, int Length);

public sealed class PackInflater
{
    private readonly Memory _memory;
    private readonly Func<int> _nextObject;          // returns a descriptor address, 0 at the end
    private readonly Func<int, int> _resolveDelta;   // base descriptor -> resolved descriptor
    private readonly Action _compact;

    public PackInflater(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _nextObject = instance.GetFunction<int>("pack_next")!;
        _resolveDelta = instance.GetFunction<int, int>("pack_resolve")!;
        _compact = instance.GetAction("pack_compact")!;
    }

    private PackObject Describe(int descriptor) => new(
        _memory.ReadString(descriptor, 40, Encoding.ASCII),
        _memory.ReadInt32(descriptor + 40),
        _memory.ReadInt32(descriptor + 44),
        _memory.ReadInt32(descriptor + 48));

    // Typed as Stream on purpose: callers do not see that it is a view.
    public unsafe Stream OpenBody(in PackObject obj) =>
        new UnmanagedMemoryStream((byte*)_memory.GetPointer() + obj.Address, obj.Length);

    public async IAsyncEnumerable<PackObject> ObjectsAsync([EnumeratorCancellation] CancellationToken token = default)
    {
        while (!token.IsCancellationRequested)
        {
            var descriptor = _nextObject();
            if (descriptor == 0) yield break;
            await Task.Yield();
            yield return Describe(descriptor); // a record of numbers and a string: no view
        }
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> BodiesAsync()
    {
        int descriptor;
        while ((descriptor = _nextObject()) != 0)
        {
            var obj = Describe(descriptor);
            yield return new BodyManager(_memory, obj.Address, obj.Length).Memory;
            await Task.Yield();
        }
    }

    public async Task<int> CountBlobBytesAsync()
    {
        var total = 0;
        await foreach (var body in BodiesAsync())
        {
            total += body.Span[0] == (byte)'b' ? body.Length : 0; // read at once, before the next MoveNextAsync
        }
        return total;
    }

    public async Task<List<byte>> FirstBytesAsync(Stream log)
    {
        var firsts = new List<byte>();
        await foreach (var body in BodiesAsync())
        {
            await log.WriteAsync(Encoding.ASCII.GetBytes($"{body.Length}\n")); // only the length before the await
            firsts.Add(body.Span[0]); // lead: no WVA001, BodyManager obtains the span again from the memory and address at each access (GetSpan => _memory.GetSpan(_address, _length)), as reading at an offset does
        }
        return firsts;
    }

    public async Task ExportTarAsync(Stream destination, CancellationToken token)
    {
        await using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        await foreach (var obj in ObjectsAsync(token))
        {
            if (obj.Kind != 3) continue;
            var body = OpenBody(obj);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"objects/{obj.Sha}");
            entry.DataStream = body; // expect: WVA003
            await tar.WriteEntryAsync(entry, token);
        }
    }

    public async Task ExportTarCopiedAsync(Stream destination, CancellationToken token)
    {
        await using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        await foreach (var obj in ObjectsAsync(token))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"objects/{obj.Sha}")
            {
                DataStream = new MemoryStream(_memory.GetSpan(obj.Address, obj.Length).ToArray()), // a copy
            };
            await tar.WriteEntryAsync(entry, token);
        }
    }

    public void ExportResolved(IEnumerable<int> deltaDescriptors, string zipPath)
    {
        using var zip = ZipFile.Create(zipPath);
        zip.BeginUpdate();
        foreach (var d in deltaDescriptors)
        {
            var resolved = Describe(_resolveDelta(d));
            zip.Add(new GuestBodySource(OpenBody(resolved)), $"resolved/{resolved.Sha}"); // expect: WVA003
        }
        zip.CommitUpdate();
    }

    public void ExportResolvedSafe(IEnumerable<int> deltaDescriptors, string zipPath)
    {
        using var zip = ZipFile.Create(zipPath);
        zip.BeginUpdate();
        foreach (var d in deltaDescriptors)
        {
            var resolved = Describe(_resolveDelta(d));
            var bytes = _memory.GetSpan(resolved.Address, resolved.Length).ToArray();
            zip.Add(new GuestBodySource(new MemoryStream(bytes, writable: false)), $"resolved/{resolved.Sha}");
        }
        zip.CommitUpdate();
    }

    public async Task<string> PeekAfterCompactAsync(int descriptor)
    {
        var obj = Describe(descriptor);
        var body = OpenBody(obj);
        var header = new byte[16];
        var n = body.Read(header, 0, header.Length); // fresh
        _compact();                                   // moves objects in the guest heap
        await Task.Delay(1);
        var rest = new byte[obj.Length - n];
        body.ReadExactly(rest); // expect: WVA001
        return Convert.ToHexString(header) + Convert.ToHexString(rest);
    }

    public async Task<long> LengthAfterCompactAsync(int descriptor)
    {
        var body = OpenBody(Describe(descriptor));
        _compact();
        await Task.Yield();
        var length = body.Length; // Length of the stream reads no guest memory
        body.Dispose();           // nor does Dispose
        return length;
    }
}

public sealed class GuestBodySource : IStaticDataSource
{
    private readonly Stream _body;
    public GuestBodySource(Stream body) => _body = body;
    public Stream GetSource() => _body;
}

internal sealed unsafe class BodyManager : System.Buffers.MemoryManager<byte>
{
    private readonly Memory _memory;
    private readonly int _address;
    private readonly int _length;

    public BodyManager(Memory memory, int address, int length)
    {
        _memory = memory;
        _address = address;
        _length = length;
    }

    public override Span<byte> GetSpan() => _memory.GetSpan(_address, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) =>
        new System.Buffers.MemoryHandle((byte*)_memory.GetPointer() + _address + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
