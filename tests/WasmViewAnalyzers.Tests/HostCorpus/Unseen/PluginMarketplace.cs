// A plugin marketplace host: per-plugin instances over pooled stores, exports wrapped in properties, indexers and a
// dictionary of delegates, sessions whose Dispose calls the guest, the shape of Extism-like hosts and game mod loaders.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Unseen.PluginMarketplace;

public interface IPlugin
{
    string Id { get; }

    int Call(string export, int address, int length);
}

public sealed class PluginInstance : IPlugin, IDisposable
{
    private readonly Store _store;
    private readonly Dictionary<string, Func<int, int, int>> _exports = new();

    public PluginInstance(string id, Engine engine, Module module, Linker linker)
    {
        Id = id;
        _store = new Store(engine);
        // Instantiation runs the module's start function.
        var instance = linker.Instantiate(_store, module);
        Memory = instance.GetMemory("memory")!;
        foreach (string name in new[] { "handle", "api_version", "frame_count", "alloc", "session_open", "session_close", "shutdown" })
        {
            _exports[name] = instance.GetFunction<int, int, int>(name)!;
        }
    }

    public event Action? Updated;

    public string Id { get; }

    public Memory Memory { get; }

    // Each read asks the guest.
    public int ApiVersion => _exports["api_version"](0, 0);

    public int this[string counter] => _exports["frame_count"](counter.Length, 0);

    public int Call(string export, int address, int length) => _exports[export](address, length);

    public int Alloc(int size) => _exports["alloc"](size, 0);

    public Span<byte> Output(int address, int length) => Memory.GetSpan(address, length);

    public nint Pointer(int address) => Memory.GetPointer() + address;

    public unsafe ReadOnlyMemory<byte> OutputMemory(int address, int length) =>
        new PluginOutputMemory((byte*)Memory.GetPointer() + address, length).Memory;

    public void RaiseUpdated() => Updated?.Invoke();

    public void Dispose()
    {
        _exports["shutdown"](0, 0);
        _store.Dispose();
    }
}

public sealed class PluginContext
{
    public nint LastOutput;
    public int LastOutputOffset;
    public int Calls;
}

internal sealed unsafe class PluginOutputMemory(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new Span<byte>(start, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed class PluginSession : IDisposable, IAsyncDisposable
{
    private readonly PluginInstance _plugin;

    public PluginSession(PluginInstance plugin, string tenant)
    {
        _plugin = plugin;
        // Opening a session allocates the tenant's state in the guest.
        Handle = plugin.Call("session_open", tenant.Length, 0);
    }

    public int Handle { get; }

    public int Run(int address, int length) => _plugin.Call("handle", address, length);

    public void Dispose() => _plugin.Call("session_close", Handle, 0);

    public ValueTask DisposeAsync()
    {
        _plugin.Call("session_close", Handle, 0);
        return ValueTask.CompletedTask;
    }
}

public sealed class GuestBufferPool(PluginInstance plugin)
{
    private readonly Stack<nint> _free = new();

    // Pops a pooled buffer or allocates a new one in the guest.
    public nint Rent(int size) => _free.Count > 0 ? _free.Pop() : plugin.Pointer(plugin.Alloc(size));

    public void Return(nint buffer) => _free.Push(buffer);

    public int Pooled => _free.Count;
}

public sealed class Marketplace
{
    private readonly Dictionary<string, PluginInstance> _plugins = new();
    private readonly GuestMemoryGuard? _guard;
    private nint _lastManifest;
    private GuardedView _lastManifestGuarded;

    public Marketplace(GuestMemoryGuard? guard = null)
    {
        _guard = guard;
    }

    public void Register(PluginInstance plugin) => _plugins[plugin.Id] = plugin;

    public string Describe(PluginInstance plugin, int manifestAddress, int manifestLength)
    {
        Span<byte> manifest = plugin.Output(manifestAddress, manifestLength);
        int version = plugin.ApiVersion;
        return $"{Encoding.UTF8.GetString(manifest)} v{version}"; // expect: WVA001
    }

    public string DescribeInOrder(PluginInstance plugin, int manifestAddress, int manifestLength)
    {
        int version = plugin.ApiVersion;
        Span<byte> manifest = plugin.Output(manifestAddress, manifestLength);
        return $"{Encoding.UTF8.GetString(manifest)} v{version}";
    }

    public int FrameDelta(PluginInstance plugin, int statsAddress)
    {
        Span<byte> raw = plugin.Output(statsAddress, 8);
        // The indexer runs the guest's frame_count export.
        int frames = plugin["frames"];
        return frames - raw[0]; // expect: WVA001
    }

    public string Handle(PluginInstance plugin, string tenant, string payload, int scratchAddress)
    {
        Span<byte> scratch = plugin.Output(scratchAddress, 256);
        using var session = new PluginSession(plugin, tenant);
        int written = Encoding.UTF8.GetBytes(payload, scratch); // expect: WVA001
        int result = session.Run(scratchAddress, written);
        return result.ToString();
    }

    public string HandleAndRead(PluginInstance plugin, string tenant, int requestAddress, int requestLength)
    {
        Span<byte> reply;
        using (var session = new PluginSession(plugin, tenant))
        {
            int address = session.Run(requestAddress, requestLength);
            reply = plugin.Output(address, 64);
        }

        // Dispose closed the session in the guest before the reply is decoded.
        return Encoding.UTF8.GetString(reply); // expect: WVA001
    }

    public async Task ForwardAsync(PluginInstance plugin, string tenant, int requestAddress, Stream sink)
    {
        ReadOnlyMemory<byte> result;
        await using (var session = new PluginSession(plugin, tenant))
        {
            int address = session.Run(requestAddress, 16);
            result = plugin.Memory.GetSpan(address, 64).ToArray();
        }

        // A copy made inside the session: closing it changes nothing here.
        await sink.WriteAsync(result);
    }

    public unsafe void FillTwo(GuestBufferPool pool)
    {
        nint first = pool.Rent(64);
        // A second Rent may allocate in the guest and move memory.
        nint second = pool.Rent(64);
        *(byte*)first = 1; // expect: WVA001
        *(byte*)second = 2;
        pool.Return(first); // expect: WVA001, WVA002
        pool.Return(second); // expect: WVA002
    }

    public int PoolSize(GuestBufferPool pool) => pool.Pooled;

    public async Task ForwardViewAsync(PluginInstance plugin, string tenant, int requestAddress, Stream sink)
    {
        ReadOnlyMemory<byte> result;
        await using (var session = new PluginSession(plugin, tenant))
        {
            int address = session.Run(requestAddress, 16);
            result = plugin.OutputMemory(address, 64);
        }

        // DisposeAsync closed the session in the guest, and was awaited, before the write.
        await sink.WriteAsync(result); // expect: WVA001
    }

    public void Annotate(PluginContext context, PluginInstance plugin, int outputAddress)
    {
        context.Calls++;
        // The context belongs to the caller: it keeps the pointer after this method returns.
        context.LastOutput = plugin.Pointer(outputAddress); // expect: WVA002
    }

    public void AnnotateOffset(PluginContext context, int outputAddress)
    {
        context.Calls++;
        context.LastOutputOffset = outputAddress;
    }

    public void TrackManifest(PluginInstance plugin, int manifestAddress)
    {
        Volatile.Write(ref _lastManifest, plugin.Pointer(manifestAddress)); // expect: WVA002
    }

    public void TrackManifestGuarded(int manifestAddress, int manifestLength)
    {
        if (_guard is not null)
        {
            _lastManifestGuarded = _guard.GetView(manifestAddress, manifestLength);
        }
    }

    public unsafe void WatchStatus(PluginInstance plugin, int statusAddress)
    {
        nint status = plugin.Pointer(statusAddress);
        plugin.Updated += () => Console.WriteLine(*(int*)status); // expect: WVA002
    }

    public void WatchStatusOffset(PluginInstance plugin, int statusAddress)
    {
        plugin.Updated += () => Console.WriteLine(plugin.Memory.ReadInt32(statusAddress));
    }

    public int Broadcast(string export, int address, int length)
    {
        int total = 0;
        foreach (IPlugin plugin in _plugins.Values)
        {
            total += plugin.Call(export, address, length);
        }

        return total;
    }

    public int BroadcastAndPeek(PluginInstance origin, string export, int address, int length)
    {
        Span<byte> input = origin.Output(address, length);
        int total = Broadcast(export, address, length);
        // Broadcast reaches PluginInstance.Call through the interface, two calls down.
        return total + input[0]; // expect: WVA001
    }

    public string Manifest() => _lastManifest == 0 ? "none" : $"{_lastManifestGuarded.Length} bytes";
}
