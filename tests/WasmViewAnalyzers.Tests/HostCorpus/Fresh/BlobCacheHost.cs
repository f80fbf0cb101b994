// Content-addressed blob cache: a zstd-like compressor compiled to wasm packs blobs; compressed frames are cached,
// handed to upload workers and indexed. Shape from build caches (Bazel-remote-style) that pool guest output buffers.
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Wasmtime;

namespace Corpus.Fresh.BlobCacheHost;

internal sealed unsafe class FrameMemory(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public readonly record struct BlobKey(string Digest, long Size);

public sealed unsafe class BlobCompressor(Instance instance)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("zalloc")!;
    private readonly Func<int, int, int> _compress = instance.GetFunction<int, int, int>("compress_frame")!;
    private readonly Func<int> _frameLength = instance.GetFunction<int>("frame_length")!;
    private readonly BlockingCollection<ReadOnlyMemory<byte>> _uploads = new(boundedCapacity: 32);
    private readonly ConcurrentBag<(BlobKey Key, nint Frame, int Length)> _spill = new();
    private readonly HashSet<nint> _liveFrames = new();
    private readonly ConcurrentDictionary<BlobKey, byte[]> _cache = new();
    private Timer? _flushTimer;

    public int Upload(ReadOnlySpan<byte> blob)
    {
        int address = _alloc(blob.Length);
        blob.CopyTo(_memory.GetSpan(address, blob.Length));
        return address;
    }

    private ReadOnlyMemory<byte> CompressToView(int address, int length)
    {
        int frame = _compress(address, length);
        int frameLength = _frameLength();
        return new FrameMemory((byte*)_memory.GetPointer() + frame, frameLength).Memory;
    }

    public byte[] GetOrCompress(BlobKey key, byte[] blob)
    {
        // The factory runs inside GetOrAdd, and what it returns is a copy.
        return _cache.GetOrAdd(key, static (_, state) => state.self.CompressToView(state.self.Upload(state.blob), state.blob.Length).ToArray(), (self: this, blob));
    }

    public void QueueUpload(byte[] blob)
    {
        ReadOnlyMemory<byte> frame = CompressToView(Upload(blob), blob.Length);
        _uploads.Add(frame); // expect: WVA002
        _uploads.Add(frame.ToArray()); // a copy for the worker
    }

    public void Spill(BlobKey key, byte[] blob)
    {
        int address = Upload(blob);
        int frame = _compress(address, blob.Length);
        int length = _frameLength();
        nint start = (nint)((byte*)_memory.GetPointer() + frame);
        _spill.Add((key, start, length)); // expect: WVA002
        _liveFrames.Add(start); // expect: WVA002
    }

    public int CompressAll(IReadOnlyList<byte[]> blobs, Stream sink)
    {
        var builder = ImmutableArray.CreateBuilder<ReadOnlyMemory<byte>>(blobs.Count);
        foreach (byte[] blob in blobs)
        {
            builder.Add(CompressToView(Upload(blob), blob.Length)); // expect: WVA002
        }
        foreach (ReadOnlyMemory<byte> frame in builder)
        {
            sink.Write(frame.Span); // expect: WVA001
        }
        return builder.Count;
    }

    public ImmutableArray<byte[]> CompressAllCopied(IReadOnlyList<byte[]> blobs) =>
        [.. blobs.Select(blob => CompressToView(Upload(blob), blob.Length).ToArray())]; // each copied inside the lambda

    public int RatioAfterBatch(byte[] first, List<byte[]> rest)
    {
        ReadOnlyMemory<byte> frame = CompressToView(Upload(first), first.Length);
        rest.ForEach(blob => _compress(Upload(blob), blob.Length)); // ForEach runs the lambda, and the lambda runs the guest
        return frame.Span[0] * 100 / first.Length; // expect: WVA001
    }

    public int RatioBeforeBatch(byte[] first, List<byte[]> rest)
    {
        ReadOnlyMemory<byte> frame = CompressToView(Upload(first), first.Length);
        int ratio = frame.Span[0] * 100 / first.Length;
        rest.ForEach(blob => Console.WriteLine(blob.Length)); // host-only lambda
        return ratio + frame.Span[1]; // nothing ran the guest since the frame was obtained
    }

    public byte FrameTag(byte[] blob, byte[] next)
    {
        int frame = _compress(Upload(blob), blob.Length);
        byte* start = (byte*)_memory.GetPointer() + frame;
        byte Tag() => start[0];
        byte early = Tag(); // called while fresh
        _compress(Upload(next), next.Length);
        return (byte)(early ^ Tag()); // expect: WVA001
    }

    public void ScheduleFlush(byte[] blob, Stream sink)
    {
        ReadOnlyMemory<byte> frame = CompressToView(Upload(blob), blob.Length);
        _flushTimer = new Timer(_ => sink.Write(frame.Span), null, 1000, Timeout.Infinite); // expect: WVA002
        byte[] copy = frame.ToArray();
        _flushTimer = new Timer(_ => sink.Write(copy), null, 1000, Timeout.Infinite);
    }

    public int CountLive() => _liveFrames.Count + _spill.Count; // counts, never dereferences

    private Stream OpenFrame(byte[] blob)
    {
        int frame = _compress(Upload(blob), blob.Length);
        int length = _frameLength();
        return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + frame, length);
    }

    public void ExportFrames(string path, IReadOnlyList<(string Name, byte[] Blob)> blobs)
    {
        using var zip = Ionic.Zip.ZipFile.Read(path);
        foreach (var (name, blob) in blobs)
        {
            Stream frame = OpenFrame(blob);
            zip.UpdateEntry(name, frame); // expect: WVA003
        }
        zip.Save();
    }

    public void ExportFrameLazily(Ionic.Zip.ZipFile zip, string name, byte[] blob)
    {
        Stream frame = OpenFrame(blob);
        zip.AddEntry(name, entryName => frame, (entryName, stream) => stream.Dispose()); // expect: WVA003
    }

    public void ExportFrameCopied(Ionic.Zip.ZipFile zip, string name, byte[] blob)
    {
        byte[] copy;
        using (Stream frame = OpenFrame(blob))
        using (var buffer = new MemoryStream())
        {
            frame.CopyTo(buffer); // a MemoryStream copies at once
            copy = buffer.ToArray();
        }
        zip.UpdateEntry(name, copy);
    }
}
