// Plugin host of a build server that hot-reloads user plugins (wasm) and reads their manifests and reports out of guest memory.
// Shape inspired by Extism-like plugin managers (instantiate per load, untyped Function.Invoke, retry loops, report buffers).
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Late.PluginHotReloader;

[StructLayout(LayoutKind.Sequential)]
public struct ManifestHeader
{
    public uint Magic;
    public uint Version;
    public uint NameOffset;
    public uint NameLength;
}

// Awaiting a plugin tick runs the plugin's tick export when the awaiter completes.
public readonly struct TickAwaitable
{
    private readonly Function _tick;

    public TickAwaitable(Function tick) => _tick = tick;

    public TaskAwaiter GetAwaiter()
    {
        _tick.Invoke();
        return Task.CompletedTask.GetAwaiter();
    }
}

public sealed class PluginReloader
{
    private readonly Store _store;
    private readonly Linker _linker;
    private readonly object _gate = new();
    private Instance _instance;
    private Memory _memory;

    public PluginReloader(Store store, Linker linker, Module module)
    {
        _store = store;
        _linker = linker;
        _instance = linker.Instantiate(store, module);
        _memory = _instance.GetMemory("memory")!;
    }

    private Function Export(string name) => _instance.GetFunction(name) ?? throw new MissingMethodException(name);

    private static T ReadCopy<T>(Memory memory, uint offset) where T : unmanaged =>
        MemoryMarshal.Read<T>(memory.GetSpan(offset, Unsafe.SizeOf<T>()));

    public string Reload(Module module)
    {
        var header = MemoryMarshal.Cast<byte, ManifestHeader>(_memory.GetSpan(0, 16));
        _instance = _linker.Instantiate(_store, module); // start functions run
        _memory = _instance.GetMemory("memory")!;
        return header[0].Version.ToString(); // expect: WVA001
    }

    public string ReloadCopied(Module module)
    {
        var header = ReadCopy<ManifestHeader>(_memory, 0);
        _instance = _linker.Instantiate(_store, module);
        _memory = _instance.GetMemory("memory")!;
        return $"{header.Version} -> {ReadCopy<ManifestHeader>(_memory, 0).Version}";
    }

    public string Name()
    {
        var header = ReadCopy<ManifestHeader>(_memory, 0);
        var name = _memory.GetSpan(header.NameOffset, (int)header.NameLength);
        Export("describe").Invoke((int)header.NameOffset);
        return Encoding.UTF8.GetString(name); // expect: WVA001
    }

    public int Report(int attempts)
    {
        int tries = 0;
        var report = _memory.GetSpan<int>(0x400, 4);
    retry:
        if (report[0] == 0 && tries++ < attempts) // expect: WVA001
        {
            Export("build_report").Invoke();
            goto retry;
        }

        return report[1]; // expect: WVA001
    }

    public int ReportFresh(int attempts)
    {
        int tries = 0;
        while (_memory.GetSpan<int>(0x400, 4)[0] == 0 && tries++ < attempts)
            Export("build_report").Invoke();
        return _memory.ReadInt32(0x404);
    }

    public int Validate()
    {
        var status = _memory.GetSpan(0x500, 8);
        try
        {
            Export("validate").Invoke();
            return 0;
        }
        catch (WasmtimeException) when (status[0] == 0xEE) // expect: WVA001
        {
            return -1;
        }
    }

    public int ValidateCopied()
    {
        byte before = _memory.GetSpan(0x500, 8)[0];
        try
        {
            Export("validate").Invoke();
            return 0;
        }
        catch (WasmtimeException) when (before == 0xEE)
        {
            return -1;
        }
    }

    public int Locked()
    {
        lock (_gate)
        {
            var counters = _memory.GetSpan<long>(0x600, 2);
            long builds = counters[0];
            Export("reset_counters").Invoke();
            return (int)(builds + counters[1]); // expect: WVA001
        }
    }

    public async Task<uint> VersionAfterTickAsync()
    {
        var header = ReadCopy<ManifestHeader>(_memory, 0); // a copy survives the awaited tick
        await new TickAwaitable(Export("tick"));
        return header.Version;
    }

    public async Task<int> ProgressAfterTickAsync()
    {
        var progress = _memory.GetSpan<int>(0x700, 1).ToArray();
        await new TickAwaitable(Export("tick"));
        return progress[0] + _memory.ReadInt32(0x700);
    }

    public async Task<int> ProgressThroughPointerAsync()
    {
        nint basePtr = _memory.GetPointer();
        await new TickAwaitable(Export("tick")); // GetAwaiter runs the tick export, and the await may let other guest calls run
        return Marshal.ReadInt32(basePtr, 0x700); // expect: WVA001
    }

    public unsafe uint MagicAfterNewInstance(Module module)
    {
        var magic = (uint*)_memory.GetPointer();
        var sandbox = new Instance(_store, module); // its start function runs in the same store
        GC.KeepAlive(sandbox);
        return *magic; // expect: WVA001
    }

    public List<uint> Versions(IReadOnlyList<Module> modules)
    {
        var versions = new List<uint>();
        foreach (var module in modules)
        {
            var instance = _linker.Instantiate(_store, module);
            var memory = instance.GetMemory("memory")!;
            versions.Add(ReadCopy<ManifestHeader>(memory, 0).Version); // read right after its own instantiation
        }

        return versions;
    }
}
