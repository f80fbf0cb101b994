// Extism-like plugin host: call(name, input) through host-managed input/output buffers, with watchdog timers, cancellation
// hooks, unload handlers and deferred work around each plugin call; lambdas and local functions capture guest pointers.
using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.HeldOut.PluginHost;

public sealed class PluginHost
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _call;
    private readonly Func<int> _outputLength;
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private readonly List<Func<int>> _deferred = new();
    private readonly Stream _audit;
    private Action? _onUnload;
    private Timer? _watchdog;

    public PluginHost(Instance instance, Stream audit)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        _alloc = instance.GetFunction<int, int>("alloc") ?? throw new InvalidOperationException("alloc");
        _call = instance.GetFunction<int, int, int>("call") ?? throw new InvalidOperationException("call");
        _outputLength = instance.GetFunction<int>("output_length") ?? throw new InvalidOperationException("output_length");
        _audit = audit;
    }

    public event Action<int>? OutputReady;

    public Action? OnIdle { get; set; }

    private int NameId(string name) => _names.TryGetValue(name, out var id) ? id : _names[name] = _names.Count + 1;

    private (int Address, int Length) Invoke(string name, byte[] input)
    {
        var inputAddress = _alloc(input.Length);
        input.CopyTo(_memory.GetSpan(inputAddress, input.Length));
        var outputAddress = _call(NameId(name), inputAddress);
        return (outputAddress, _outputLength());
    }

    private static unsafe int Checksum(nint start, int length)
    {
        var sum = 0;
        foreach (var b in new ReadOnlySpan<byte>((void*)start, length))
        {
            sum = (sum * 31) ^ b;
        }

        return sum;
    }

    private unsafe void Publish(nint start, int length) => _audit.Write(new ReadOnlySpan<byte>((void*)start, length));

    private static unsafe void Zero(nint start, int length) => new Span<byte>((void*)start, length).Clear();

    private static int Measure(Func<int> probe) => probe();

    public int Run(string name, byte[] input)
    {
        var inputAddress = _alloc(input.Length);
        var inputView = _memory.GetPointer() + inputAddress;
        int Digest() => Checksum(inputView, input.Length);
        input.CopyTo(_memory.GetSpan(inputAddress, input.Length));
        var before = Digest();                              // called before the plugin runs
        var rc = _call(NameId(name), inputAddress);
        var after = Digest(); // expect: WVA001
        return rc == 0 && before == after ? 0 : 1;
    }

    public int RunVerified(string name, byte[] input)
    {
        var inputAddress = _alloc(input.Length);
        input.CopyTo(_memory.GetSpan(inputAddress, input.Length));
        var before = Checksum(_memory.GetPointer() + inputAddress, input.Length);
        var rc = _call(NameId(name), inputAddress);
        var after = Checksum(_memory.GetPointer() + inputAddress, input.Length);   // obtained again after the call
        return rc == 0 && before == after ? 0 : 1;
    }

    public void RunAndPublish(string name, byte[] input)
    {
        var (address, _) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        var length = _outputLength();                       // a guest call: 'output' is stale from here on
        // Stale when captured, and the capture escapes to the thread pool: both rules, on the capture.
        Task.Run(() => Publish(output, length)); // expect: WVA001, WVA002
    }

    public void RunAndPublishFresh(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        var sum = Measure(() => Checksum(output, length));  // runs at once, before any guest call
        Publish(output, length);
        _audit.WriteByte((byte)sum);
    }

    public void RunInBackground(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        void Flush() => Publish(output, length);
        // The local function only captures; it escapes where it is handed to the thread.
        new Thread(Flush).Start(); // expect: WVA002
    }

    public void RunInBackgroundCopied(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var copy = _memory.GetSpan(address, length).ToArray();
        new Thread(() => _audit.Write(copy)).Start();
    }

    public void RunWithCancellation(string name, byte[] input, CancellationToken cancellationToken)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        cancellationToken.Register(() => Zero(output, length)); // expect: WVA002
    }

    public void RunWithCancellationOffsets(string name, byte[] input, CancellationToken cancellationToken)
    {
        var (address, length) = Invoke(name, input);
        // Only the offset is captured; the cancellation path obtains memory itself when it runs.
        cancellationToken.Register(() => _memory.GetSpan(address, length).Clear());
    }

    public void ArmWatchdog(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        _watchdog = new Timer(_ => Zero(output, length), null, 1000, Timeout.Infinite); // expect: WVA002
    }

    public void NotifyWhenReady(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        OutputReady += id => Publish(output, length); // expect: WVA002
    }

    public void ZeroWhenIdle(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        OnIdle += () => Zero(output, length); // expect: WVA002
    }

    public int RunAndNotify(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        // Raising a .NET event: subscribers of unknown origin are not guest calls by the rule's default.
        OutputReady?.Invoke(length);
        return Checksum(output, length);
    }

    public void ZeroOnUnload(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        _onUnload += () => Zero(output, length); // expect: WVA002
    }

    public void Defer(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        _deferred.Add(() => Checksum(output, length)); // expect: WVA002
    }

    public void DeferCopied(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var copy = _memory.GetSpan(address, length).ToArray();
        _deferred.Add(() => copy.Length == 0 ? 0 : copy[0]);
    }

    public Func<int> Verifier(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        return () => Checksum(output, length); // expect: WVA002
    }

    public int VerifyNow(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        var checks = new List<int> { 1, 2, 3 };
        var total = 0;
        checks.ForEach(salt => total += Checksum(output, length) ^ salt);   // runs at once, no guest call inside
        return total;
    }

    public int GrowAndRead(string name, byte[] input)
    {
        var (address, length) = Invoke(name, input);
        var output = _memory.GetPointer() + address;
        _memory.Grow(1);                                    // may move the whole memory
        return Checksum(output, length); // expect: WVA001
    }

    public void Unload()
    {
        _onUnload?.Invoke();
        _watchdog?.Dispose();
        foreach (var check in _deferred)
        {
            _audit.WriteByte((byte)check());
        }
    }
}
