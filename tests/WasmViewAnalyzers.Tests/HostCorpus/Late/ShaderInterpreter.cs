// GPU-less shader interpreter: a wasm rasterizer runs fragment programs into a framebuffer in guest memory; the host blits tiles.
// Shape inspired by software renderers compiled to wasm (uniform blocks cast from bytes, framebuffer pointers, memory.grow for targets).
using System;
using System.Numerics;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Late.ShaderInterpreter;

[StructLayout(LayoutKind.Sequential)]
public struct Uniforms
{
    public Matrix4x4 Mvp;
    public Vector4 Tint;
    public float Time;
}

public sealed partial class SoftRasterizer
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _drawTile;
    private readonly Func<int, int> _resizeTarget;
    private int _framebuffer;
    private int _uniforms;
    private int _width;
    private int _height;

    public SoftRasterizer(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _drawTile = instance.GetFunction<int, int, int>("draw_tile")!;
        _resizeTarget = instance.GetFunction<int, int>("resize_target")!;
    }

    private Span<uint> Pixels => _memory.GetSpan<uint>(_framebuffer, _width * _height);

    private ref Uniforms UniformBlock => ref MemoryMarshal.Cast<byte, Uniforms>(_memory.GetSpan(_uniforms, Marshal.SizeOf<Uniforms>()))[0];
}

public sealed partial class SoftRasterizer
{
    public void SetUniforms(in Matrix4x4 mvp, Vector4 tint, float time)
    {
        ref var block = ref UniformBlock;
        block.Mvp = mvp;
        block.Tint = tint;
        block.Time = time;
    }

    public void DrawFrame(float time)
    {
        ref var block = ref UniformBlock;
        block.Time = time;
        _drawTile(0, 0);
        block.Time += 0.016f; // expect: WVA001
    }

    public uint[] RenderTile(int tx, int ty)
    {
        var pixels = Pixels;
        _drawTile(tx, ty);
        return pixels.Slice(ty * 16 * _width + tx * 16, 16).ToArray(); // expect: WVA001
    }

    public uint[] RenderTileFresh(int tx, int ty)
    {
        _drawTile(tx, ty);
        return Pixels.Slice(ty * 16 * _width + tx * 16, 16).ToArray();
    }

    public void Resize(int width, int height)
    {
        var old = MemoryMarshal.AsBytes(Pixels);
        int needed = width * height * 4;
        if (needed > old.Length)
            _memory.Grow((needed - old.Length + 65535) / 65536);
        _framebuffer = _resizeTarget(needed);
        old.Clear(); // expect: WVA001
        _width = width;
        _height = height;
    }

    public void ResizeKeepingStats(int width, int height)
    {
        int oldBytes = Pixels.Length * 4;
        if (width * height * 4 > oldBytes)
            _memory.Grow(1);
        _framebuffer = _resizeTarget(width * height * 4);
        _width = width;
        _height = height;
        Pixels.Clear(); // the property obtains the framebuffer again
    }

    public unsafe void Blit(uint* destination, int stride)
    {
        fixed (uint* src = Pixels)
        {
            for (int y = 0; y < _height; y++)
                Buffer.MemoryCopy(src + y * _width, destination + y * stride, _width * 4, _width * 4);
        }

        _drawTile(0, 0); // the blit finished before the next tile
    }

    public unsafe void BlitAfterDraw(uint* destination, int stride)
    {
        fixed (uint* src = Pixels)
        {
            _drawTile(0, 0);
            for (int y = 0; y < _height; y++)
                Buffer.MemoryCopy(src + y * _width, destination + y * stride, _width * 4, _width * 4); // expect: WVA001
        }
    }

    public uint Sample(int x, int y, bool fromAccumulator, Span<uint> accumulator)
    {
        Span<uint> source = fromAccumulator ? accumulator : Pixels;
        _drawTile(x / 16, y / 16);
        return source[y * _width + x]; // expect: WVA001
    }

    public uint SampleScratch(int x, int y)
    {
        Span<uint> scratch = stackalloc uint[16];
        Pixels.Slice(y * _width + x, 16).CopyTo(scratch);
        _drawTile(x / 16, y / 16);
        return scratch[^1]; // stackalloc copy
    }

    public float TimeAfterDraw()
    {
        var u = UniformBlock; // copied by value out of the ref-returning property
        _drawTile(0, 0);
        return u.Time;
    }

    public Vector4 TintAfterDraw()
    {
        ref readonly var u = ref UniformBlock;
        _drawTile(0, 0);
        return u.Tint * 2f; // expect: WVA001
    }

    public int Checked(int count)
    {
        var floats = _memory.GetSpan<float>(_uniforms, 16);
        _resizeTarget(count);
        return checked((int)floats[15]); // expect: WVA001
    }
}
