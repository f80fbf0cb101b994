// A GraphQL resolver sandbox: each field resolver is a guest export behind a "backend" interface, arguments and
// results are serialized into guest memory (shape: Extism-style plugin hosts, PixiEditor's WasmRuntime helpers).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Wasmtime;

namespace Corpus.Summer.GraphQlResolverSandbox;

public interface IResolverBackend
{
    Span<byte> Arena(int offset, int length);
    int Alloc(int size);
    int Resolve(int fieldId, int argsPtr, int argsLength);
    int ResultLength();
}

public sealed class WasmtimeResolverBackend : IResolverBackend
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int, int> _resolve;
    private readonly Func<int> _resultLength;

    public WasmtimeResolverBackend(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("gql_alloc")!;
        _resolve = instance.GetFunction<int, int, int, int>("gql_resolve")!;
        _resultLength = instance.GetFunction<int>("gql_result_len")!;
    }

    public Memory Memory => _memory;
    public Span<byte> Arena(int offset, int length) => _memory.GetSpan(offset, length);
    public int Alloc(int size) => _alloc(size);
    public int Resolve(int fieldId, int argsPtr, int argsLength) => _resolve(fieldId, argsPtr, argsLength);
    public int ResultLength() => _resultLength();
}

public sealed record FieldRequest(int FieldId, string Path, IReadOnlyDictionary<string, string> Arguments);

public sealed unsafe class ResolverSandbox
{
    private readonly IResolverBackend _backend;
    private readonly Memory _memory;
    private nint _lastResponse;                       // pointer kept between requests (the bug below)
    private int _lastResponseOffset;                  // offset kept instead (the safe twin)
    private readonly Dictionary<string, (nint Start, int Length)> _responseCache = new();
    private readonly Dictionary<string, (int Offset, int Length)> _responseOffsets = new();

    public ResolverSandbox(WasmtimeResolverBackend backend)
    {
        _backend = backend;
        _memory = backend.Memory;
    }

    private static int WriteArguments(Span<byte> target, IReadOnlyDictionary<string, string> args)
    {
        var written = 0;
        foreach (var (key, value) in args)
        {
            written += Encoding.UTF8.GetBytes($"{key}={value};", target[written..]);
        }
        return written;
    }

    // Only the length of the view is read: not a use of guest memory.
    private static int Budget(ReadOnlySpan<byte> view) => view.Length;

    public string ResolveField(FieldRequest request)
    {
        var argsPtr = _backend.Alloc(512);
        var args = _backend.Arena(argsPtr, 512);
        var used = WriteArguments(args, request.Arguments);

        var resultPtr = _backend.Resolve(request.FieldId, argsPtr, used);
        var status = args[0];                                   // expect: WVA001
        var remaining = Budget(args);                           // only Length: not a use

        var resultLength = _backend.ResultLength();
        var result = _backend.Arena(resultPtr, resultLength);   // obtained after the calls: fresh
        return status == 0 ? Encoding.UTF8.GetString(result) : $"error {status} ({remaining} bytes)";
    }

    public string ResolveAndRemember(FieldRequest request)
    {
        var argsPtr = _backend.Alloc(256);
        var used = WriteArguments(_backend.Arena(argsPtr, 256), request.Arguments);
        var resultPtr = _backend.Resolve(request.FieldId, argsPtr, used);
        var resultLength = _backend.ResultLength();

        _lastResponse = _memory.GetPointer() + resultPtr;      // expect: WVA002
        _lastResponseOffset = resultPtr;                        // an offset: a number, not a view

        _responseCache[request.Path] = (_memory.GetPointer() + resultPtr, resultLength);   // expect: WVA002
        _responseOffsets[request.Path] = (resultPtr, resultLength);

        return _memory.ReadString(resultPtr, resultLength, Encoding.UTF8);
    }

    public string Replay()
    {
        // The offset is turned into a view only now, right before it is read.
        var view = new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + _lastResponseOffset, 64);
        return Encoding.UTF8.GetString(view);
    }

    public string[] ResolveBatch(IReadOnlyList<FieldRequest> requests)
    {
        var results = new string[requests.Count];
        var header = _backend.Arena(0, 16);
        header[0] = (byte)requests.Count;                       // written before any guest call: fine

        for (var i = 0; i < requests.Count; i++)
        {
            results[i] = ResolveField(requests[i]);             // calls the guest through the interface
        }

        header[1] = 0xFF;                                       // expect: WVA001
        return results;
    }

    public IReadOnlyList<string> FieldNames(int tablePtr, int[] nameOffsets)
    {
        // The lambda runs at once inside ToList, before any guest call, and reads only the memory.
        var basePtr = _memory.GetPointer() + tablePtr;
        var names = nameOffsets.Select(o => Marshal(basePtr + o)).ToList();
        _backend.Resolve(0, tablePtr, 0);
        return names;
    }

    private static string Marshal(nint p) => System.Runtime.InteropServices.Marshal.PtrToStringUTF8(p) ?? "";

    public string ErrorsOf(int errorsPtr, int count)
    {
        var errors = _backend.Arena(errorsPtr, count * 4);
        var copy = new int[count];
        for (var i = 0; i < count; i++)
        {
            copy[i] = BitConverter.ToInt32(errors.Slice(i * 4, 4));   // copy loop: values, not the view
        }

        _backend.Resolve(-1, errorsPtr, count);                  // acknowledge the errors
        return string.Join(",", copy);                           // the host's own array
    }

    public int ResolveCached(string path, FieldRequest request)
    {
        if (!_responseOffsets.TryGetValue(path, out var entry))
        {
            ResolveAndRemember(request);
            entry = _responseOffsets[path];
        }

        var fresh = _backend.Arena(entry.Offset, entry.Length);  // re-obtained from an offset: fresh
        return fresh.Length > 0 ? fresh[0] : -1;
    }
}
