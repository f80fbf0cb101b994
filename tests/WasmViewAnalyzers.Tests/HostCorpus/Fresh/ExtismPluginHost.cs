// Extism-style plugin host: the PDK's host functions (var_set/var_share/var_get, config_get, output) over one store.
// Shape from Extism's kernel ABI (alloc/length/output offsets) and the wasmtime-dotnet Caller examples; C# 12 style.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Wasmtime;

namespace Corpus.Fresh.ExtismPluginHost;

internal sealed unsafe class PinnedGuestMemory(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public sealed unsafe class PluginHost(Engine engine, Module module, IReadOnlyDictionary<string, string> config) : IDisposable
{
    private readonly Store _store = new(engine);
    private readonly Linker _linker = new(engine);
    private readonly Dictionary<string, byte[]> _vars = [];
    private readonly Dictionary<string, ReadOnlyMemory<byte>> _sharedVars = [];
    private Instance? _instance;
    private Memory? _memory;
    private Func<long>? _outputOffset;
    private Func<long>? _outputLength;
    private Stream? _lastOutput;
    private byte[] _lastOutputCopy = [];

    public void Load()
    {
        _linker.DefineFunction("extism:host/env", "var_set", (Caller caller, long keyOffset, int keyLength, long valueOffset, int valueLength) =>
        {
            if (caller.TryGetMemorySpan<byte>("memory", keyOffset, keyLength, out var key) &&
                caller.TryGetMemorySpan<byte>("memory", valueOffset, valueLength, out var value))
            {
                _vars[Encoding.UTF8.GetString(key)] = value.ToArray(); // a copy outlives the callback
            }
        });

        _linker.DefineFunction("extism:host/env", "var_share", (Caller caller, long keyOffset, int keyLength, long valueOffset, int valueLength) =>
        {
            Memory memory = caller.GetMemory("memory")!;
            string key = memory.ReadString(keyOffset, keyLength, Encoding.UTF8);
            byte* value = (byte*)memory.GetPointer() + valueOffset;
            _sharedVars[key] = new PinnedGuestMemory(value, valueLength).Memory; // expect: WVA002
        });

        _linker.DefineFunction("extism:host/env", "var_get", (Caller caller, long keyOffset, int keyLength) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", keyOffset, keyLength, out var key))
            {
                return 0L;
            }
            int keyHash = key.Length; // length only, before and after the call alike
            Function alloc = caller.GetFunction("extism_alloc")!;
            long target = (long)alloc.Invoke(64)!; // allocating in the guest runs guest code
            if (!_vars.TryGetValue(Encoding.UTF8.GetString(key), out var stored)) // expect: WVA001
            {
                return 0L;
            }
            caller.GetMemory("memory")!.WriteString(target, Convert.ToBase64String(stored), Encoding.UTF8);
            return target + keyHash * 0;
        });

        _linker.DefineFunction("extism:host/env", "config_get", (Caller caller, long keyOffset, int keyLength) =>
        {
            // The key is turned into a string before the guest allocates: nothing stale afterwards.
            string key = caller.TryGetMemorySpan<byte>("memory", keyOffset, keyLength, out var keyBytes)
                ? Encoding.UTF8.GetString(keyBytes)
                : "";
            if (!config.TryGetValue(key, out var value))
            {
                return 0L;
            }
            long target = (long)caller.GetFunction("extism_alloc")!.Invoke(Encoding.UTF8.GetByteCount(value))!;
            if (caller.TryGetMemorySpan<byte>("memory", target, Encoding.UTF8.GetByteCount(value), out var destination))
            {
                Encoding.UTF8.GetBytes(value, destination); // obtained after the allocation
            }
            return target;
        });

        _instance = _linker.Instantiate(_store, module);
        _memory = _instance.GetMemory("memory")!;
        _outputOffset = _instance.GetFunction<long>("extism_output_offset")!;
        _outputLength = _instance.GetFunction<long>("extism_output_length")!;
    }

    // Returns a view stream typed as Stream, after the guest ran: the caller owns its freshness.
    private Stream OpenOutput(string export)
    {
        _instance!.GetFunction<int>(export)!();
        long offset = _outputOffset!();
        long length = _outputLength!();
        return new UnmanagedMemoryStream((byte*)_memory!.GetPointer() + offset, length);
    }

    public void Chain(string first, string second, Stream sink)
    {
        Stream firstOutput = OpenOutput(first);
        Stream secondOutput = OpenOutput(second); // runs the second export
        firstOutput.CopyTo(sink); // expect: WVA001
        secondOutput.CopyTo(sink);
        firstOutput.Dispose(); // disposing reads nothing
    }

    public void ChainInOrder(string first, string second, Stream sink)
    {
        using (Stream firstOutput = OpenOutput(first))
        {
            firstOutput.CopyTo(sink); // read before the next export runs
        }
        using Stream secondOutput = OpenOutput(second);
        secondOutput.CopyTo(sink);
    }

    public void Remember(string export)
    {
        _lastOutput = OpenOutput(export); // expect: WVA002
    }

    public void RememberCopy(string export)
    {
        using Stream output = OpenOutput(export);
        using var copy = new MemoryStream();
        output.CopyTo(copy);
        _lastOutputCopy = copy.ToArray();
    }

    public void LinkChild(Module child, long configOffset)
    {
        nint configBase = (nint)((byte*)_memory!.GetPointer() + configOffset);
        _linker.Define("child", "config_byte", Function.FromCallback(_store, (int index) => (int)((byte*)configBase)[index])); // expect: WVA002
        long offsetCopy = configOffset;
        _linker.Define("child", "config_byte_fresh", Function.FromCallback(_store, (int index) => (int)((byte*)_memory!.GetPointer())[offsetCopy + index])); // the pointer is obtained each time it runs
        _linker.Instantiate(_store, child);
    }

    public byte[] Call(string export, ReadOnlySpan<byte> input)
    {
        _vars["input"] = input.ToArray();
        _instance!.GetFunction<int>(export)!();
        long offset = _outputOffset!();
        long length = _outputLength!();
        return _memory!.GetSpan(offset, (int)length).ToArray();
    }

    public void Dispose()
    {
        _lastOutput?.Dispose();
        _store.Dispose();
    }
}
