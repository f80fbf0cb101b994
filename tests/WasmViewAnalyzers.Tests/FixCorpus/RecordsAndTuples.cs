// A document renderer: rendered pages come back as views, kept in records and tuples until the
// document is assembled.
using System;
using System.Buffers;
using System.Collections.Generic;
using Wasmtime;

namespace Corpus.Render;

sealed unsafe class PageMemory : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public PageMemory(byte* pointer, int length)
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

record RenderedPage(int Number, ReadOnlyMemory<byte> Content);

record struct PageSlice(int Number, Memory<byte> Bytes);

record PagePointer(int Number, nint Address, int Length);

sealed unsafe class Renderer
{
    private readonly Memory _memory;
    private readonly Func<int, int> _render;
    private readonly Func<int> _renderedLength;
    private readonly List<RenderedPage> _pages = new();
    private readonly List<(int Number, ReadOnlyMemory<byte> Content)> _tuples = new();
    private readonly List<PagePointer> _pointers = new();
    private PageSlice _last;

    public Renderer(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _render = instance.GetFunction<int, int>("render")!;
        _renderedLength = instance.GetFunction<int>("rendered_length")!;
    }

    public void RenderPage(int number)
    {
        var address = _render(number);
        var content = new PageMemory((byte*)_memory.GetPointer() + address, _renderedLength()).Memory;
        _pages.Add(new RenderedPage(number, content));
    }

    public void RenderAsTuple(int number)
    {
        var address = _render(number);
        var manager = new PageMemory((byte*)_memory.GetPointer() + address, _renderedLength());
        _tuples.Add((number, manager.Memory));
    }

    public void RenderLast(int number)
    {
        var address = _render(number);
        _last = new PageSlice(number, new PageMemory((byte*)_memory.GetPointer() + address, _renderedLength()).Memory);
    }

    public void RenderPointer(int number)
    {
        var address = _render(number);
        _pointers.Add(new PagePointer(number, _memory.GetPointer() + address, _renderedLength()));
    }

    public int LastNumber => _last.Number;
}
