// Shader compiler host: a wasm build of a shader cross-compiler turns HLSL-like source into SPIR-V blobs and diagnostics.
// Shape from plugin hosts that wrap exports behind an interface (DotNetIsolator's IsolatedRuntime, Extism's Plugin.Call).
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;
using WasmViewAnalyzers;

namespace Corpus.Dev.ShaderCompilerHost;

[StructLayout(LayoutKind.Sequential)]
public struct CompileResult
{
    public int BlobPtr;
    public int BlobLen;
    public int DiagPtr;
    public int DiagLen;
}

public interface IShaderBackend
{
    // Compiles the source and returns the guest address of a CompileResult.
    int Compile(string source, int stage);

    void Reset();
}

// Blob views handed out by a store the host does not see into (declared here as an interface only).
public interface IBlobStore
{
    [GuestViewSource]
    ReadOnlySpan<byte> Peek(int handle);

    int Count { get; }
}

public sealed class WasmShaderBackend : IShaderBackend
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int, int> _compile;
    private readonly Action _reset;

    public WasmShaderBackend(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _compile = instance.GetFunction<int, int, int, int>("compile")!;
        _reset = instance.GetAction("reset")!;
    }

    public Memory Memory => _memory;

    public int Compile(string source, int stage)
    {
        var bytes = Encoding.UTF8.GetBytes(source);
        var address = _alloc(bytes.Length);
        _memory.WriteString(address, source, Encoding.UTF8);
        return _compile(address, bytes.Length, stage);
    }

    public void Reset() => _reset();
}

public abstract class ShaderStage
{
    public abstract string Name { get; }

    public virtual void Prepare()
    {
    }
}

public sealed class PixelStage(IShaderBackend backend) : ShaderStage
{
    public override string Name => "ps";

    // Resets the compiler between stages: a guest call through the interface.
    public override void Prepare() => backend.Reset();
}

public sealed unsafe class ShaderCompiler
{
    private readonly WasmShaderBackend _backend;
    private readonly Memory _memory;
    private readonly Dictionary<string, ReadOnlyMemory<byte>> _blobCache = new();
    private readonly Dictionary<string, byte[]> _blobCopies = new();
    private readonly ConcurrentDictionary<string, nint> _diagnosticPointers = new();
    private readonly ConcurrentDictionary<string, string> _diagnostics = new();
    private int _lastBlobPtr;
    private int _lastBlobLen;

    public ShaderCompiler(WasmShaderBackend backend)
    {
        _backend = backend;
        _memory = backend.Memory;
    }

    // A property that returns a view of the last blob: its callers hold guest memory.
    public ReadOnlySpan<byte> LastBlob => _memory.GetSpan(_lastBlobPtr, _lastBlobLen);

    public bool TryGetDiagnostics(int resultAddress, out ReadOnlySpan<byte> text)
    {
        var result = _memory.Read<CompileResult>(resultAddress);
        text = result.DiagLen == 0 ? default : _memory.GetSpan(result.DiagPtr, result.DiagLen);
        return result.DiagLen != 0;
    }

    private CompileResult Run(IShaderBackend backend, string source, int stage)
    {
        var result = _memory.Read<CompileResult>(backend.Compile(source, stage));   // a copy of the struct
        _lastBlobPtr = result.BlobPtr;                 // ints: fine
        _lastBlobLen = result.BlobLen;
        return result;
    }

    public byte[] CompilePair(string vertex, string pixel)
    {
        Run(_backend, vertex, 0);
        var vertexBlob = LastBlob;
        Run(_backend, pixel, 1);                        // the interface call compiles in the guest
        var pixelBlob = LastBlob;
        var linked = new byte[vertexBlob.Length + pixelBlob.Length];   // Length only
        vertexBlob.CopyTo(linked); // expect: WVA001
        pixelBlob.CopyTo(linked.AsSpan(vertexBlob.Length));
        return linked;
    }

    public byte[] CompilePairCopied(string vertex, string pixel)
    {
        Run(_backend, vertex, 0);
        var vertexBlob = LastBlob.ToArray();
        Run(_backend, pixel, 1);
        var pixelBlob = LastBlob;
        return [.. vertexBlob, .. pixelBlob];          // pixelBlob obtained after the last call
    }

    public string CompileWithLog(string source, ShaderStage stage)
    {
        var resultAddress = _backend.Compile(source, 1);
        if (!TryGetDiagnostics(resultAddress, out var diagnostics))
        {
            return "";
        }

        stage.Prepare();                                // virtual: PixelStage resets the compiler
        return Encoding.UTF8.GetString(diagnostics); // expect: WVA001
    }

    public string CompileWithLogFirst(string source, ShaderStage stage)
    {
        var resultAddress = _backend.Compile(source, 1);
        var log = TryGetDiagnostics(resultAddress, out var diagnostics) ? Encoding.UTF8.GetString(diagnostics) : "";
        stage.Prepare();
        return log;                                     // a string decoded before the call
    }

    public void CacheBlob(string key, string source, int stage)
    {
        var result = Run(_backend, source, stage);
        var blob = new BlobMemory((byte*)_memory.GetPointer() + result.BlobPtr, result.BlobLen).Memory;
        _blobCache[key] = blob; // expect: WVA002
        _blobCopies[key] = blob.ToArray();              // a copy
    }

    public void CacheDiagnostics(string key, string source)
    {
        var result = Run(_backend, source, 1);
        _diagnostics.TryAdd(key, _memory.ReadString(result.DiagPtr, result.DiagLen, Encoding.UTF8));   // a string
        _diagnosticPointers.TryAdd(key, _memory.GetPointer() + result.DiagPtr); // expect: WVA002
    }

    public int CountMatches(IBlobStore store, string source, byte[] expected)
    {
        var first = store.Peek(0);
        Run(_backend, source, 0);
        var matches = store.Count;                      // a property of the store, not of the view
        if (first.SequenceEqual(expected)) // expect: WVA001
        {
            matches++;
        }

        return matches;
    }

    public int CountMatchesFirst(IBlobStore store, string source, byte[] expected)
    {
        var matches = store.Peek(0).SequenceEqual(expected) ? 1 : 0;   // read before the call
        Run(_backend, source, 0);
        return matches + store.Count;
    }

    public void CompileAll(IReadOnlyList<(string Source, int Stage)> units, List<byte[]> output)
    {
        var firstHeader = _memory.GetSpan(_lastBlobPtr, Math.Min(_lastBlobLen, 20));
        var magic = MemoryMarshal.Read<uint>(firstHeader);   // a copy
        foreach (var (source, stage) in units)
        {
            Run(_backend, source, stage);
            output.Add(LastBlob.ToArray());
        }

        Console.WriteLine($"{magic:X8} {firstHeader.Length}");   // Length only
    }

    private sealed class BlobMemory : System.Buffers.MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public BlobMemory(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new(_start, _length);

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
