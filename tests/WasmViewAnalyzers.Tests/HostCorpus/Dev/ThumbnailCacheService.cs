// Thumbnail service for a photo library: a wasm image decoder renders previews; the service caches and serves them.
// Shape from PixiEditor-style hosts that cache decoded guest buffers per document, and MemoryManager-backed previews.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Dev.ThumbnailCacheService;

internal sealed unsafe class PreviewMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public PreviewMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed class RenderTarget
{
    public ReadOnlyMemory<byte> Pixels { get; set; }

    public int Width { get; set; }
}

public sealed class RenderJob
{
    public RenderTarget Target { get; } = new();

    public string Name { get; init; } = "";
}

public sealed record ServiceState(string LastDocument, nint Preview, int PreviewOffset);

public sealed unsafe class ThumbnailService
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _decode;      // (document, size) -> address
    private readonly Func<int> _previewLength;
    private readonly Dictionary<string, ReadOnlyMemory<byte>> _cache = new();
    private readonly Dictionary<string, byte[]> _copies = new();
    private readonly Dictionary<string, int> _offsets = new();
    private readonly LinkedList<nint> _recent = new();
    private readonly HashSet<nint> _seen = new();
    private readonly nint[] _slots = new nint[8];
    private readonly int[] _slotOffsets = new int[8];
    private nint[] _pinned = [];
    private RenderJob? _current;
    private ServiceState _state = new("", 0, 0);

    public ThumbnailService(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _decode = instance.GetFunction<int, int, int>("decode_preview")!;
        _previewLength = instance.GetFunction<int>("preview_length")!;
    }

    private ReadOnlyMemory<byte> Preview(int address, int length) =>
        new PreviewMemory((byte*)_memory.GetPointer() + address, length).Memory;

    public void Cache(string name, int document)
    {
        var address = _decode(document, 128);
        var preview = Preview(address, _previewLength());
        _cache[name] = preview; // expect: WVA002
        _copies[name] = preview.ToArray();
        _offsets[name] = address;                       // an int
    }

    public void Remember(int document)
    {
        var address = _decode(document, 64);
        var pointer = _memory.GetPointer() + address;
        _recent.AddLast(pointer); // expect: WVA002
        if (_recent.Count > 16)
        {
            _recent.RemoveFirst();
        }
    }

    public bool MarkSeen(int document)
    {
        var address = _decode(document, 64);
        return _seen.Add(_memory.GetPointer() + address); // expect: WVA002
    }

    public void Slot(int index, int document)
    {
        var address = _decode(document, 64);
        _slotOffsets[index] = address;                  // an int offset
        // An element of an array held in a field outlives the method (only arrays in locals are followed as locals).
        _slots[index] = _memory.GetPointer() + address; // expect: WVA002
    }

    public void Pin(int first, int second)
    {
        var a = _decode(first, 64);
        var b = _decode(second, 64);
        var basePointer = _memory.GetPointer();
        _pinned = [basePointer + a, basePointer + b]; // expect: WVA002
    }

    // Decodes everything first, then builds the views: none is stale when the array is returned.
    public ImmutableArray<ReadOnlyMemory<byte>> Batch(IReadOnlyList<int> documents)
    {
        var decoded = new List<(int Address, int Length)>();
        foreach (var document in documents)
        {
            var address = _decode(document, 64);
            decoded.Add((address, _previewLength()));   // ints
        }

        var builder = ImmutableArray.CreateBuilder<ReadOnlyMemory<byte>>(decoded.Count);
        foreach (var (address, length) in decoded)
        {
            builder.Add(Preview(address, length)); // expect: WVA002
        }

        return builder.ToImmutable();
    }

    public List<ReadOnlyMemory<byte>> PendingPreviews(IReadOnlyList<int> documents)
    {
        var pending = new List<ReadOnlyMemory<byte>>();
        foreach (var document in documents)
        {
            var address = _decode(document, 64);
            pending.Add(Preview(address, _previewLength())); // expect: WVA002
        }

        // Every preview but the last was obtained before a later decode.
        return pending; // expect: WVA001
    }

    public ImmutableArray<byte[]> BatchCopied(IReadOnlyList<int> documents)
    {
        var builder = ImmutableArray.CreateBuilder<byte[]>(documents.Count);
        foreach (var document in documents)
        {
            var address = _decode(document, 64);
            builder.Add(_memory.GetSpan(address, _previewLength()).ToArray());
        }

        return builder.ToImmutable();
    }

    public void StartJob(string name, int document)
    {
        var address = _decode(document, 256);
        var pixels = Preview(address, _previewLength());
        _current = new RenderJob { Name = name, Target = { Pixels = pixels, Width = 256 } }; // expect: WVA002
    }

    // The job object stays in this method: the nested initializer does not make the view escape.
    public int RenderNow(string name, int document, Stream output)
    {
        var address = _decode(document, 256);
        var pixels = Preview(address, _previewLength());
        var job = new RenderJob { Name = name, Target = { Pixels = pixels, Width = 256 } };
        output.Write(job.Target.Pixels.Span);
        return job.Target.Width;
    }

    public void Track(string name, int document)
    {
        var address = _decode(document, 64);
        _state = _state with { LastDocument = name, Preview = _memory.GetPointer() + address }; // expect: WVA002
    }

    public void TrackOffset(string name, int document)
    {
        var address = _decode(document, 64);
        _state = _state with { LastDocument = name, PreviewOffset = address };
    }

    public void Prefetch(IReadOnlyList<int> documents, Stream output)
    {
        var first = Preview(_decode(documents[0], 64), _previewLength());
        foreach (var document in documents)
        {
            _decode(document, 32);
        }

        output.Write(first.Span); // expect: WVA001
    }

    public void PrefetchGuarded(GuestMemoryGuard guard, IReadOnlyList<int> documents, Stream output)
    {
        var decode = guard.Wrap(_decode, "decode_preview")!;
        var first = guard.GetView(decode(documents[0], 64), _previewLength());
        var previews = new List<GuardedView> { first };     // guarded views may be kept
        foreach (var document in documents)
        {
            decode(document, 32);
        }

        Console.WriteLine($"{previews.Count} previews, first stale: {first.IsStale}");
        output.Write(guard.GetView(decode(documents[0], 64), _previewLength()).Span);   // obtained again, used at once
    }

    public ReadOnlyMemory<byte> Serve(string name) =>
        _copies.TryGetValue(name, out var copy) ? copy : ReadOnlyMemory<byte>.Empty;

    public int Describe() => _slotOffsets[0] + _pinned.Length + (_current?.Target.Width ?? 0) + _state.PreviewOffset;
}
