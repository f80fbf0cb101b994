// QR / DataMatrix encoder: the guest builds the module matrix (one byte per module) and the host rasterizes it.
// Shape: UnityWasmScripting-style unsafe host that keeps raw pointers into linear memory between frames.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using Wasmtime;

namespace Corpus.Autumn.QrEncoder;

public struct MatrixInfo
{
    public int Size;
    public int Version;
    public int MaskPattern;
    public int ModulesOffset;
}

public sealed unsafe class QrHost
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int> _encode; // (textPtr, len, ecc) -> info address
    private readonly Func<int, int> _alloc;
    private readonly Action _reset;

    private nint _lastMatrix;              // a raw pointer kept between calls
    private nint _scratch;
    private MatrixInfo* _infoCache;
    private static nint s_sharedLogo;
    private int _lastMatrixOffset;         // safe twin: the guest offset
    private byte[]? _lastModules;          // safe twin: a copy

    public QrHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _encode = instance.GetFunction<int, int, int, int>("qr_encode")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _reset = instance.GetAction("reset")!;
    }

    private MatrixInfo* Info(int address) => (MatrixInfo*)((byte*)_memory.GetPointer() + address);

    private int Upload(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var p = _alloc(bytes.Length);
        bytes.CopyTo(new Span<byte>((byte*)_memory.GetPointer() + p, bytes.Length));
        return p;
    }

    public int EncodeAndRemember(string text, int ecc)
    {
        var info = Info(_encode(Upload(text), text.Length, ecc));
        var modules = (byte*)_memory.GetPointer() + info->ModulesOffset;
        _lastMatrix = (nint)modules; // expect: WVA002
        _lastMatrixOffset = info->ModulesOffset;                                   // an int: not a view
        _lastModules = new ReadOnlySpan<byte>(modules, info->Size * info->Size).ToArray(); // a copy
        return info->Size;
    }

    public void CacheInfo(int address)
    {
        _infoCache = Info(address); // expect: WVA002
    }

    public void ShareLogo(int logoAddress)
    {
        var logo = (nint)((byte*)_memory.GetPointer() + logoAddress);
        Interlocked.Exchange(ref s_sharedLogo, logo); // expect: WVA002
    }

    public void SetScratch(int address)
    {
        Volatile.Write(ref _scratch, (nint)((byte*)_memory.GetPointer() + address)); // expect: WVA002
    }

    public byte[] RenderBitmap(string text, int ecc, int scale)
    {
        var info = Info(_encode(Upload(text), text.Length, ecc));
        var size = info->Size;
        var modules = (byte*)_memory.GetPointer() + info->ModulesOffset;
        var bitmap = new byte[size * scale * size * scale];
        for (var y = 0; y < size; y++)
        for (var x = 0; x < size; x++)
        {
            var dark = modules[y * size + x] != 0; // read with no guest call in the loop
            for (var dy = 0; dy < scale; dy++)
            for (var dx = 0; dx < scale; dx++)
                bitmap[(y * scale + dy) * size * scale + x * scale + dx] = dark ? (byte)0 : (byte)255;
        }
        return bitmap;
    }

    public (int Size, int Mask) EncodeTwice(string primary, string fallback)
    {
        var info = Info(_encode(Upload(primary), primary.Length, 1));
        if (info->Size > 40)
        {
            info = Info(_encode(Upload(fallback), fallback.Length, 0)); // obtained again from the new call's result
        }
        return (info->Size, info->MaskPattern);
    }

    public int MaskOfBoth(string a, string b)
    {
        var first = Info(_encode(Upload(a), a.Length, 2));
        var second = Info(_encode(Upload(b), b.Length, 2)); // the guest reuses its info block
        return first->MaskPattern * 8 + second->MaskPattern; // expect: WVA001
    }

    public int VersionAfterReset(int address)
    {
        ref var info = ref Unsafe.AsRef<MatrixInfo>((byte*)_memory.GetPointer() + address);
        var version = info.Version; // read before reset: a value
        _reset();
        info.Version = version + 1; // expect: WVA001
        return version;
    }

    public bool SameMatrix(int address)
    {
        var current = (nint)((byte*)_memory.GetPointer() + address);
        return current == _lastMatrix; // comparing pointers reads no guest memory
    }

    public int DarkModulesOfLast()
    {
        var modules = (byte*)_memory.GetPointer() + _lastMatrixOffset; // obtained from the offset, now
        var info = Info(_lastMatrixOffset - 16);
        var dark = 0;
        for (var i = 0; i < info->Size * info->Size; i++) dark += modules[i];
        return dark;
    }

    public Dictionary<string, int> BatchSizes(IEnumerable<string> payloads)
    {
        var infos = new Dictionary<string, nint>();
        foreach (var payload in payloads)
        {
            var address = _encode(Upload(payload), payload.Length, 1);
            infos.Add(payload, (nint)Info(address)); // expect: WVA002
        }
        var sizes = new Dictionary<string, int>();
        foreach (var (payload, info) in infos)
        {
            sizes[payload] = ((MatrixInfo*)info)->Size; // expect: WVA001
        }
        return sizes;
    }

    public Dictionary<string, int> BatchSizesSafe(IEnumerable<string> payloads)
    {
        var offsets = new Dictionary<string, int>();
        foreach (var payload in payloads)
        {
            offsets.Add(payload, _encode(Upload(payload), payload.Length, 1)); // guest offsets: numbers
        }
        var sizes = new Dictionary<string, int>();
        foreach (var (payload, offset) in offsets)
        {
            sizes[payload] = Info(offset)->Size; // pointer obtained at the read
        }
        return sizes;
    }
}
