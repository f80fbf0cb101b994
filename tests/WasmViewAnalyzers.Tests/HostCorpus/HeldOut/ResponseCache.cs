// Response cache of an RPC gateway: guest-rendered responses exposed as ReadOnlyMemory<byte> through a MemoryManager over
// the guest pointer (the IsolatedRuntime : MemoryManager<byte> shape), wrapped in records, tuples and nullables.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Wasmtime;

namespace Corpus.HeldOut.ResponseCache;

internal sealed unsafe class GuestSegment : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public GuestSegment(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed record CachedResponse(string Key, int Status, ReadOnlyMemory<byte> Body);

public sealed record CachedCopy(string Key, int Status, byte[] Body);

public sealed unsafe class ResponseCache
{
    private readonly Memory _memory;
    private readonly Func<int, int> _render;
    private readonly Func<int> _renderedLength;
    private readonly List<CachedResponse> _entries = new();
    private readonly List<CachedCopy> _copies = new();
    private (string Key, ReadOnlyMemory<byte> Body) _latest;
    private ReadOnlyMemory<byte>? _fallback;
    private CachedResponse _slot = new("", 0, ReadOnlyMemory<byte>.Empty);
    private CachedCopy _copySlot = new("", 0, Array.Empty<byte>());
    private ProbeRequest? _lastProbe;

    public ResponseCache(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _render = instance.GetFunction<int, int>("render") ?? throw new InvalidOperationException("render");
        _renderedLength = instance.GetFunction<int>("rendered_length") ?? throw new InvalidOperationException("rendered_length");
    }

    public ReadOnlyMemory<byte> LastBody { get; private set; }

    public string LatestKey => _latest.Key;                 // a plain member of the kept tuple

    // A helper that returns a view over guest memory.
    private ReadOnlyMemory<byte> Segment(int address, int length)
        => new GuestSegment((byte*)_memory.GetPointer() + address, length).Memory;

    private (int Address, int Length) RenderOne(int template)
    {
        var address = _render(template);
        return (address, _renderedLength());
    }

    public void Store(string key, int template)
    {
        var (address, length) = RenderOne(template);
        _entries.Add(new CachedResponse(key, 200, Segment(address, length))); // expect: WVA002
        _copies.Add(new CachedCopy(key, 200, Segment(address, length).ToArray()));
    }

    public void StoreLatest(string key, int template)
    {
        var (address, length) = RenderOne(template);
        _latest = (key, Segment(address, length)); // expect: WVA002
    }

    public void StoreFallback(int template)
    {
        var (address, length) = RenderOne(template);
        _fallback = Segment(address, length); // expect: WVA002
    }

    public void StoreFallbackCopy(int template)
    {
        var (address, length) = RenderOne(template);
        _fallback = Segment(address, length).ToArray();     // ReadOnlyMemory<byte>? over a host array
    }

    public void StoreLastBody(int template)
    {
        var (address, length) = RenderOne(template);
        LastBody = Segment(address, length); // expect: WVA002
    }

    public void Refresh(int template)
    {
        var (address, length) = RenderOne(template);
        _slot = _slot with { Body = Segment(address, length) }; // expect: WVA002
        _copySlot = _copySlot with { Body = Segment(address, length).ToArray() };
    }

    public void Serve(string key, int template, int next, Stream output)
    {
        var (address, length) = RenderOne(template);
        var entry = new CachedResponse(key, 200, Segment(address, length));
        RenderOne(next);                                    // prefetch the next template
        output.WriteByte((byte)entry.Status);               // plain members are not uses
        output.Write(entry.Body.Span); // expect: WVA001
    }

    public void ServePair(string key, int template, int next, Stream output)
    {
        var (address, length) = RenderOne(template);
        var pair = (Key: key, Body: Segment(address, length));
        RenderOne(next);
        output.Write(pair.Body.Span); // expect: WVA001
    }

    public void ServeAnonymous(string key, int template, int next, Stream output)
    {
        var (address, length) = RenderOne(template);
        var item = new { Key = key, Body = Segment(address, length) };
        RenderOne(next);
        output.Write(item.Body.Span); // expect: WVA001
    }

    public void ServeAnonymousSafe(string key, int template, int next, Stream output)
    {
        var (address, length) = RenderOne(template);
        var item = new { Key = key, Body = Segment(address, length) };
        output.Write(item.Body.Span);
        RenderOne(next);
        Console.WriteLine($"{item.Key}: {item.Body.Length} bytes");
    }

    public int ServeNullable(int template, int next, bool useCache, Stream output)
    {
        ReadOnlyMemory<byte>? maybe = null;
        if (useCache)
        {
            var (address, length) = RenderOne(template);
            maybe = Segment(address, length);
        }

        RenderOne(next);
        if (maybe.HasValue) output.Write(maybe.Value.Span); // expect: WVA001
        return next;
    }

    public byte ZeroFreeFlag(int template, int next)
    {
        var (address, length) = RenderOne(template);
        ReadOnlyMemory<byte>? maybe = length > 0 ? Segment(address, length) : null;
        RenderOne(next);
        return maybe.GetValueOrDefault().Span.IndexOf((byte)0) >= 0 ? (byte)0 : (byte)1; // expect: WVA001
    }

    public void ServeDesignated(int template, int next, Stream output)
    {
        var (address, length) = RenderOne(template);
        ReadOnlyMemory<byte>? candidate = Segment(address, length);
        if (candidate is { } body)
        {
            RenderOne(next);
            output.Write(body.Span); // expect: WVA001
        }
    }

    public int MaxLeadingByte(int[] templates)
    {
        var bodies = new ReadOnlyMemory<byte>[templates.Length];
        for (var i = 0; i < templates.Length; i++)
        {
            var (address, length) = RenderOne(templates[i]);
            bodies[i] = Segment(address, length);
        }

        var total = bodies.Select(b => b.Length).Sum();     // LINQ over the views reading only lengths
        return total == 0 ? 0 : bodies.Max(b => b.Span[0]); // expect: WVA001
    }

    public int MaxLeadingByteCopied(int[] templates)
    {
        var bodies = new byte[templates.Length][];
        for (var i = 0; i < templates.Length; i++)
        {
            var (address, length) = RenderOne(templates[i]);
            bodies[i] = Segment(address, length).ToArray();
        }

        return bodies.Length == 0 ? 0 : bodies.Max(b => b.Length == 0 ? 0 : b[0]);
    }

    public int Describe(string key, int template)
    {
        var (address, length) = RenderOne(template);
        // Nested member initializer into a local that never escapes: read at once, then dropped.
        var probe = new ProbeRequest { Target = { Key = key, Body = Segment(address, length) } };
        return probe.Target.Body.Span.IndexOf((byte)'\n');
    }

    public void KeepProbe(string key, int template)
    {
        var (address, length) = RenderOne(template);
        // The same nested initializer, but the object is kept in a field: the view goes with it.
        _lastProbe = new ProbeRequest { Target = { Key = key, Body = Segment(address, length) } }; // expect: WVA002
    }

    public void KeepProbeCopy(string key, int template)
    {
        var (address, length) = RenderOne(template);
        _lastProbe = new ProbeRequest { Target = { Key = key, Body = Segment(address, length).ToArray() } };
    }
}

public sealed class ProbeTarget
{
    public string Key { get; set; } = "";
    public ReadOnlyMemory<byte> Body { get; set; }
}

public sealed class ProbeRequest
{
    public ProbeTarget Target { get; } = new();
}
