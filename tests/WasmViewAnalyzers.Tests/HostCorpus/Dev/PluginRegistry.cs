// Plugin host in the style of Extism: each plugin exports `call(input_ptr, input_len) -> output_ptr`; outputs are published.
// Shape from Extism-like SDKs (input/output buffers in guest memory, outputs kept per plugin, results passed to consumers).
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Dev.PluginRegistry;

public sealed record PluginHistory(string Name, nint LastOutput, int LastLength, int Calls);

public sealed record PluginResult(string Plugin, int Offset, int Length);

internal sealed unsafe class OutputMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public OutputMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed unsafe class Plugin
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _call;
    private readonly Func<int> _outputLength;

    public Plugin(string name, Instance instance)
    {
        Name = name;
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _call = instance.GetFunction<int, int, int>("call")!;
        _outputLength = instance.GetFunction<int>("output_length")!;
    }

    public string Name { get; }

    public Memory Memory => _memory;

    // Calls the plugin and returns the address of its output (an int, not a view).
    public int Call(string input, out int length)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        var address = _alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        var output = _call(address, bytes.Length);
        length = _outputLength();
        return output;
    }

    // Returns a view of the output.
    public ReadOnlyMemory<byte> CallForView(string input)
    {
        var output = Call(input, out var length);
        return new OutputMemory((byte*)_memory.GetPointer() + output, length).Memory;
    }
}

public sealed unsafe class PluginRegistry
{
    private static nint s_lastError;
    private static int s_lastErrorLength;

    private readonly ConcurrentDictionary<string, ReadOnlyMemory<byte>> _latest = new();
    private readonly ConcurrentDictionary<string, byte[]> _latestCopies = new();
    private readonly Channel<ReadOnlyMemory<byte>> _outputs = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
    private readonly Channel<PluginResult> _results = Channel.CreateUnbounded<PluginResult>();
    private readonly BlockingCollection<WasmLease<byte>> _leases = new();
    private nint _lastOutput;
    private int _lastOutputOffset;
    private nint? _pinnedOutput;
    private PluginHistory _history = new("none", 0, 0, 0);

    public void Publish(Plugin plugin, string input)
    {
        var output = plugin.CallForView(input);
        _latest.TryAdd(plugin.Name, output); // expect: WVA002
        _latestCopies[plugin.Name] = output.ToArray();                 // a copy
    }

    public void Stream(Plugin plugin, string input)
    {
        var output = plugin.CallForView(input);
        _outputs.Writer.TryWrite(output); // expect: WVA002
    }

    public void StreamResults(Plugin plugin, string input)
    {
        var offset = plugin.Call(input, out var length);
        _results.Writer.TryWrite(new PluginResult(plugin.Name, offset, length));   // offsets and lengths: plain data
    }

    public void Lease(Plugin plugin, string input)
    {
        var offset = plugin.Call(input, out var length);
        _leases.Add(plugin.Memory.LeaseCopy(offset, length));          // a pooled copy
    }

    public void RememberLast(Plugin plugin, string input)
    {
        var offset = plugin.Call(input, out var length);
        var pointer = plugin.Memory.GetPointer() + offset;
        Interlocked.Exchange(ref _lastOutputOffset, offset);           // an int
        Interlocked.Exchange(ref _lastOutput, pointer); // expect: WVA002
    }

    public void RememberPinned(Plugin plugin, string input)
    {
        var offset = plugin.Call(input, out _);
        _pinnedOutput = plugin.Memory.GetPointer() + offset; // expect: WVA002
    }

    public void RecordError(Plugin plugin, string input)
    {
        var offset = plugin.Call(input, out var length);
        Volatile.Write(ref s_lastErrorLength, length);                 // an int
        Volatile.Write(ref s_lastError, plugin.Memory.GetPointer() + offset); // expect: WVA002
    }

    private static void Store<T>(ref T slot, T value) => slot = value;

    public void RecordErrorThroughHelper(Plugin plugin, string input)
    {
        var offset = plugin.Call(input, out var length);
        Store(ref s_lastErrorLength, length);
        Store(ref s_lastError, plugin.Memory.GetPointer() + offset); // expect: WVA002
    }

    public void Track(Plugin plugin, string input)
    {
        var offset = plugin.Call(input, out var length);
        _history = _history with { Name = plugin.Name, LastOutput = plugin.Memory.GetPointer() + offset, LastLength = length }; // expect: WVA002
    }

    public void TrackCalls(Plugin plugin, string input)
    {
        plugin.Call(input, out _);
        _history = _history with { Name = plugin.Name, Calls = _history.Calls + 1 };   // no view in the new record
    }

    // Chains: the output of one plugin is the input of the next, and the first output is compared at the end.
    public bool Chain(Plugin first, Plugin second, string input)
    {
        var firstOffset = first.Call(input, out var firstLength);
        nint? firstOutput = first.Memory.GetPointer() + firstOffset;
        var text = first.Memory.ReadString(firstOffset, firstLength, Encoding.UTF8);
        second.Call(text, out _);                                       // another plugin: memories are not told apart
        return *(byte*)firstOutput.Value == (byte)'{'; // expect: WVA001
    }

    public bool ChainCopied(Plugin first, Plugin second, string input)
    {
        var firstOffset = first.Call(input, out var firstLength);
        var startsWithBrace = first.Memory.ReadByte(firstOffset) == (byte)'{';
        second.Call(first.Memory.ReadString(firstOffset, firstLength, Encoding.UTF8), out _);
        return startsWithBrace;
    }

    public int Fanout(IReadOnlyList<Plugin> plugins, string input)
    {
        var outputs = new List<(string Name, ReadOnlyMemory<byte> Output)>();
        foreach (var plugin in plugins)
        {
            outputs.Add((plugin.Name, plugin.CallForView(input))); // expect: WVA002
        }

        var total = 0;
        foreach (var (name, output) in outputs)
        {
            total += output.Span.IndexOf((byte)'\n'); // expect: WVA001
            Console.WriteLine(name);
        }

        return total;
    }

    public int FanoutCopied(IReadOnlyList<Plugin> plugins, string input)
    {
        var outputs = new List<(string Name, byte[] Output)>();
        foreach (var plugin in plugins)
        {
            outputs.Add((plugin.Name, plugin.CallForView(input).ToArray()));
        }

        var total = 0;
        foreach (var (name, output) in outputs)
        {
            total += Array.IndexOf(output, (byte)'\n');
        }

        return total;
    }

    public string Latest(Plugin plugin, string input)
    {
        var before = plugin.CallForView(input);
        // A local anonymous object holding the view: it never leaves the method, so nothing escapes.
        var summary = new { plugin.Name, Output = before, Length = before.Length };
        plugin.Call(input + "!", out _);
        return $"{summary.Name}: {summary.Length}";                    // plain members of the anonymous object
    }

    public string LatestStale(Plugin plugin, string input)
    {
        var before = plugin.CallForView(input);
        var summary = new { plugin.Name, Output = before };
        plugin.Call(input + "!", out _);
        return summary.Name + ": " + Encoding.UTF8.GetString(summary.Output.Span); // expect: WVA001
    }

    public ReadOnlyMemory<byte> Current(string name) =>
        _latestCopies.TryGetValue(name, out var copy) ? copy : ReadOnlyMemory<byte>.Empty;

    public void ReportLastError()
    {
        Console.WriteLine(s_lastErrorLength);
        Console.WriteLine(_lastOutputOffset + (_pinnedOutput.HasValue ? 1 : 0) + _history.Calls);
    }
}
