// A renderer's texture cache: textures decoded by a WebAssembly decoder, cached by address.
using System;
using System.Collections.Generic;
using Wasmtime;

namespace Corpus.Textures;

readonly record struct TextureHandle(nint Address, int Width, int Height);

sealed unsafe class TextureCache
{
    private readonly Memory _memory;
    private readonly Func<int, int> _decode;
    private readonly Dictionary<string, TextureHandle> _handles = new();
    private readonly Queue<(nint Address, int Length)> _uploads = new();
    private byte* _current;

    public TextureCache(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _decode = instance.GetFunction<int, int>("decode")!;
    }

    public void Load(string name, int source, int width, int height)
    {
        var address = _decode(source);
        _handles[name] = new TextureHandle(_memory.GetPointer() + address, width, height);
    }

    public void QueueUpload(int source, int length)
    {
        var address = _decode(source);
        _uploads.Enqueue((_memory.GetPointer() + address, length));
    }

    public void Select(int source)
    {
        _current = (byte*)_memory.GetPointer() + _decode(source);
    }

    public uint PixelAt(string name, int x, int y)
    {
        var handle = _handles[name];
        var pixels = (uint*)handle.Address;
        return pixels[y * handle.Width + x];
    }

    public uint FirstPixel(int source)
    {
        var pixels = (uint*)(_memory.GetPointer() + _decode(source));
        _decode(0);
        return pixels[0];
    }
}
