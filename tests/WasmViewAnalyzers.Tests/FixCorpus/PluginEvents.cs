// A plug-in system whose plug-ins publish events; the host notifies subscribers on timers and
// background tasks.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Plugins;

sealed unsafe class EventMemory : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public EventMemory(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new Span<byte>(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

sealed unsafe class PluginHost
{
    private readonly Memory _memory;
    private readonly Func<int, int> _poll;
    private readonly Func<int> _eventLength;
    private readonly List<Action<ReadOnlyMemory<byte>>> _subscribers = new();
    private Timer? _timer;
    private Func<int>? _lastEventKind;

    public PluginHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _poll = instance.GetFunction<int, int>("poll")!;
        _eventLength = instance.GetFunction<int>("event_length")!;
    }

    public void Subscribe(Action<ReadOnlyMemory<byte>> subscriber) => _subscribers.Add(subscriber);

    public void PublishLater(int plugin)
    {
        var address = _poll(plugin);
        var payload = new EventMemory((byte*)_memory.GetPointer() + address, _eventLength()).Memory;
        _timer = new Timer(_ =>
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber(payload);
            }
        }, null, 100, Timeout.Infinite);
    }

    public Task PublishInBackground(int plugin)
    {
        var address = _poll(plugin);
        var manager = new EventMemory((byte*)_memory.GetPointer() + address, _eventLength());
        ReadOnlyMemory<byte> payload = manager.Memory;
        return Task.Run(() =>
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber(payload);
            }
        });
    }

    public void RememberKind(int plugin)
    {
        var address = _poll(plugin);
        var kind = (int*)((byte*)_memory.GetPointer() + address);
        _lastEventKind = () => *kind;
    }

    public void Register(CancellationToken token, int plugin)
    {
        var address = _poll(plugin);
        var payload = new EventMemory((byte*)_memory.GetPointer() + address, _eventLength()).Memory;
        token.Register(() => Console.WriteLine(payload.Length > 0 ? payload.Span[0] : 0));
    }

    public int? LastKind => _lastEventKind?.Invoke();
}
