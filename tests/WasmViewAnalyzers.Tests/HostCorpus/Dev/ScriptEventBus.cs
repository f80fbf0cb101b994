// Scripting host for a game UI: wasm scripts handle events; exports are kept in a table and handlers run later.
// Shape from UnityWasmScripting's event forwarders and Extism-like hosts that schedule plugin work on the thread pool.
using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Dev.ScriptEventBus;

public sealed unsafe class ScriptEventBus : IDisposable
{
    private readonly Memory _memory;
    private readonly Dictionary<string, Func<int, int>> _exports = new();
    private readonly List<int> _handlers = new();
    private readonly List<Action> _deferred = new();
    private readonly Stream _telemetry;
    private Action? _onFrame;
    private Func<int>? _pendingRead;
    private Timer? _sampler;

    public ScriptEventBus(Instance instance, Stream telemetry)
    {
        _memory = instance.GetMemory("memory")!;
        foreach (var name in new[] { "dispatch", "tick", "event_payload", "payload_length" })
        {
            _exports[name] = instance.GetFunction<int, int>(name)!;
        }

        _telemetry = telemetry;
    }

    private int Dispatch(int handler) => _exports["dispatch"](handler);

    public int Tick(int dt)
    {
        var payload = _memory.GetSpan(_exports["event_payload"](0), 16);
        _exports["tick"](dt);                         // an export called through the dictionary
        return payload[0]; // expect: WVA001
    }

    public int TickReadFirst(int dt)
    {
        var payload = _memory.GetSpan(_exports["event_payload"](0), 16);
        var kind = payload[0];                         // a value read out: a copy
        _exports["tick"](dt);
        return kind;
    }

    public byte Broadcast(int address)
    {
        var flags = _memory.GetSpan(address, 4);
        _handlers.ForEach(h => Dispatch(h));          // ForEach runs the lambda: guest calls
        return flags[0]; // expect: WVA001
    }

    public byte QueueBroadcast(int address)
    {
        var flags = _memory.GetSpan(address, 4);
        foreach (var h in _handlers)
        {
            _deferred.Add(() => Dispatch(h));          // only stored: nothing runs yet
        }

        return flags[0];
    }

    public byte BroadcastLater(int address)
    {
        var flags = _memory.GetSpan(address, 4);
        Func<int> dispatchAll = () => Dispatch(0);    // created, not run
        var first = flags[0];
        dispatchAll();                                 // runs the guest
        return (byte)(first + flags[1]); // expect: WVA001
    }

    // The frame hook reads the payload when the next frame is drawn.
    public void HookFrame(int address)
    {
        var payload = (byte*)_memory.GetPointer() + address;
        _onFrame += () => _telemetry.WriteByte(payload[0]); // expect: WVA002
    }

    public void HookFrameCopied(int address)
    {
        var kind = _memory.ReadByte(address);
        _onFrame += () => _telemetry.WriteByte(kind);  // captures a copied byte
    }

    public void ReportAsync(int address, int length)
    {
        var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        Task.Run(() => stream.CopyTo(_telemetry)); // expect: WVA002
    }

    public void ReportAsyncCopied(int address, int length)
    {
        var bytes = _memory.GetSpan(address, length).ToArray();
        Task.Run(() => _telemetry.Write(bytes));       // captures a copy
    }

    public void ReportNow(int address, int length)
    {
        using var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        Parallel.Invoke(() => stream.CopyTo(_telemetry));   // runs and completes before Invoke returns
    }

    public void ReportInBackground(int address, int length)
    {
        var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        void Send() => stream.CopyTo(_telemetry);

        Task.Run(Send); // expect: WVA002
    }

    public void ReportInline(int address, int length)
    {
        using var stream = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + address, length);
        void Send() => stream.CopyTo(_telemetry);

        Send();                                        // a local function run at once
        Dispatch(0);
    }

    public void WatchUntilCancelled(int address, CancellationToken token)
    {
        var flag = (int*)((byte*)_memory.GetPointer() + address);
        token.Register(() => Console.WriteLine($"last state {*flag}")); // expect: WVA002
    }

    public void Sample(int address)
    {
        var counter = (nint)((byte*)_memory.GetPointer() + address);
        _sampler = new Timer(_ => Console.WriteLine(*(int*)counter), null, 0, 100); // expect: WVA002
    }

    public void SampleByAddress(int address)
    {
        _sampler = new Timer(_ => Console.WriteLine(_memory.ReadInt32(address)), null, 0, 100);   // reads through the int address each time
    }

    public void QueueWorker(int address)
    {
        var header = (long*)((byte*)_memory.GetPointer() + address);
        ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(header[0])); // expect: WVA002
    }

    public Func<int> DeferRead(int address)
    {
        var value = (int*)((byte*)_memory.GetPointer() + address);
        return () => *value; // expect: WVA002
    }

    public void ArmPendingRead(int address)
    {
        var value = (int*)((byte*)_memory.GetPointer() + address);
        Dispatch(0);
        _pendingRead = () => *value; // expect: WVA001, WVA002
    }

    public int ReadViaLocalFunction(int address)
    {
        var values = (int*)((byte*)_memory.GetPointer() + address);
        int First() => values[0];

        var before = First();                          // called before any guest call
        Dispatch(before);
        return before + First(); // expect: WVA001
    }

    public int ReadViaFreshLocalFunction(int address)
    {
        // The local function obtains the pointer again each time it runs.
        int Current(int i) => ((int*)((byte*)_memory.GetPointer() + address))[i];

        var before = Current(0);
        Dispatch(before);
        return before + Current(1);
    }

    // 'log' comes from callers that pass console writers; a delegate of unknown origin is not a guest call.
    public int DispatchLogged(int address, Action<string> log)
    {
        var payload = _memory.GetSpan(address, 8);
        log("dispatching");
        var kind = payload[0];
        return Dispatch(kind);
    }

    public int Run(int address) => DispatchLogged(address, Console.WriteLine);

    public void RunDeferred()
    {
        foreach (var action in _deferred)
        {
            action();
        }

        _deferred.Clear();
        _onFrame?.Invoke();
        Console.WriteLine(_pendingRead?.Invoke());
    }

    public void Dispose()
    {
        _sampler?.Dispose();
    }
}
