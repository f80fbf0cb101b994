using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Text;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Equinox.LottieRasterizer;

public sealed record RenderRequest(string AnimationJson, int Width, int Height, float Fps);

/// <summary>Rasterizes Lottie animations to RGBA frames with a wasm port of a vector renderer; frames go into a tar of PNG-less raw RGBA.</summary>
public sealed unsafe class LottieFrameRenderer
{
    private readonly GuestMemoryGuard _guard;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _load;
    private readonly Func<int, float, int, int, int> _renderFrame;
    private readonly Func<int, int> _frameCount;

    public LottieFrameRenderer(Instance instance)
    {
        _guard = new GuestMemoryGuard(instance.GetMemory("memory")!);
        _alloc = _guard.GetRequiredFunction<int, int>(instance, "alloc");
        _load = _guard.GetRequiredFunction<int, int, int>(instance, "load_animation");
        _renderFrame = _guard.GetRequiredFunction<int, float, int, int, int>(instance, "render_frame");
        _frameCount = _guard.GetRequiredFunction<int, int>(instance, "frame_count");
    }

    private int Load(RenderRequest request)
    {
        var json = Encoding.UTF8.GetBytes(request.AnimationJson);
        var address = _alloc(json.Length);
        json.CopyTo(_guard.Memory.GetSpan(address, json.Length));
        return _load(address, json.Length);
    }

    public IReadOnlyList<GuardedView> RenderAllGuarded(RenderRequest request)
    {
        var animation = Load(request);
        var frames = new List<GuardedView>();
        var count = _frameCount(animation);
        for (var i = 0; i < count; i++)
        {
            var pixels = _renderFrame(animation, i / request.Fps, request.Width, request.Height);
            frames.Add(_guard.GetView(pixels, request.Width * request.Height * 4));
        }

        // lead: marker added: a guarded view is a view for WVA001 (the runtime page's sample reports its read); the views
        // of all but the last frame are stale when the list is returned, the page's `return pending;` form.
        return frames; // expect: WVA001
    }

    public List<byte[]> RenderAllLeased(RenderRequest request)
    {
        var animation = Load(request);
        var frames = new List<byte[]>();
        for (var i = 0; i < _frameCount(animation); i++)
        {
            var pixels = _renderFrame(animation, i / request.Fps, request.Width, request.Height);
            using var lease = _guard.Memory.LeaseCopy(pixels, request.Width * request.Height * 4);
            frames.Add(lease.ToArray());
        }

        return frames;
    }

    public uint BlendFirstTwo(RenderRequest request)
    {
        var animation = Load(request);
        var size = request.Width * request.Height * 4;
        var first = _guard.GetView(_renderFrame(animation, 0f, request.Width, request.Height), size);
        var raw = first.Span;
        var second = _guard.GetView(_renderFrame(animation, 1f / request.Fps, request.Width, request.Height), size);
        uint diff = 0;
        var other = second.Span;
        for (var i = 0; i < size; i++)
        {
            diff += (uint)Math.Abs(raw[i] - other[i]); // expect: WVA001
        }

        return diff;
    }

    public byte PeekCorner(RenderRequest request)
    {
        var animation = Load(request);
        var view = _guard.GetView(_renderFrame(animation, 0f, request.Width, request.Height), request.Width * request.Height * 4);
        _frameCount(animation);
        if (view.IsStale)
        {
            return 0;
        }

        return view.Span[0];
    }

    public void WriteTar(RenderRequest request, Stream destination)
    {
        var animation = Load(request);
        var size = request.Width * request.Height * 4;
        using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        var count = _frameCount(animation);
        for (var i = 0; i < count; i++)
        {
            var pixels = _renderFrame(animation, i / request.Fps, request.Width, request.Height);
            var frame = new UnmanagedMemoryStream((byte*)_guard.Memory.GetPointer() + pixels, size);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"frame{i:D5}.rgba") { DataStream = frame }; // expect: WVA003
            tar.WriteEntry(entry);
        }
    }

    public void WriteTarGuarded(RenderRequest request, Stream destination)
    {
        var animation = Load(request);
        var size = request.Width * request.Height * 4;
        using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        var count = _frameCount(animation);
        for (var i = 0; i < count; i++)
        {
            var pixels = _renderFrame(animation, i / request.Fps, request.Width, request.Height);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"frame{i:D5}.rgba") { DataStream = _guard.OpenStream(pixels, size) };
            tar.WriteEntry(entry);
        }
    }

    public void WritePoster(RenderRequest request, Stream destination)
    {
        var animation = Load(request);
        var size = request.Width * request.Height * 4;
        // lead: marker removed: building the stream reads nothing (the WVA001 page reports the variable a stale view is read
        // through); the pointer, obtained before _renderFrame in this expression, is reported where the stream is read (below).
        var poster = new UnmanagedMemoryStream((byte*)_guard.Memory.GetPointer() + _renderFrame(animation, 0f, request.Width, request.Height), size);
        var thumbnail = _renderFrame(animation, 0f, request.Width / 4, request.Height / 4);
        using var tar = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        tar.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "poster.rgba") { DataStream = poster }); // expect: WVA001, WVA003
        tar.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "thumb.rgba") { DataStream = new MemoryStream(_guard.Memory.GetSpan(thumbnail, size / 16).ToArray()) });
    }

    public int Brightness(RenderRequest request)
    {
        var animation = Load(request);
        var address = _renderFrame(animation, 0f, request.Width, request.Height);
        var start = (byte*)_guard.Memory.GetPointer() + address;
        int Luma(int i) => (start[i * 4] * 3 + start[i * 4 + 1] * 6 + start[i * 4 + 2]) / 10;
        var before = Luma(0);
        _frameCount(animation);
        return before + Luma(1); // expect: WVA001
    }
}
