// RPC request router: frames arrive in guest memory, routes are guest exports held in a dictionary or host handlers derived
// from an abstract base (one of them a guest export); frame headers are matched with patterns; wasmtime-dotnet example style.
using System;
using System.Collections.Generic;
using Wasmtime;

namespace Corpus.HeldOut.RequestRouter;

public abstract class RouteHandler
{
    public abstract int Handle(int address, int length);
}

public sealed class GuestRoute : RouteHandler
{
    private readonly Func<int, int, int> _export;

    public GuestRoute(Func<int, int, int> export) => _export = export;

    public override int Handle(int address, int length) => _export(address, length);
}

// A host-only route: it never enters the guest.
public sealed class EchoRoute : RouteHandler
{
    public int Calls { get; private set; }

    public override int Handle(int address, int length)
    {
        Calls++;
        return address + length;
    }
}

public sealed class RequestRouter
{
    private const byte Magic = 0x57;
    private const int Busy = -2;

    private readonly Memory _memory;
    private readonly Dictionary<string, Func<int, int, int>> _routes = new(StringComparer.Ordinal);
    private readonly Action<int> _ack;
    private readonly RouteHandler _fallback;
    private readonly EchoRoute _echo = new();
    private readonly object _gate = new();

    public RequestRouter(Instance instance)
    {
        _memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        foreach (var route in new[] { "get", "put", "delete" })
        {
            _routes[route] = instance.GetFunction<int, int, int>("route_" + route) ?? throw new InvalidOperationException(route);
        }

        _ack = instance.GetAction<int>("ack") ?? throw new InvalidOperationException("ack");
        _fallback = new GuestRoute(instance.GetFunction<int, int, int>("route_fallback") ?? throw new InvalidOperationException("fallback"));
    }

    public int Dispatch(string route, int address, int length)
    {
        var frame = _memory.GetSpan(address, length);
        var status = _routes[route](address, length);       // an export held in a dictionary
        return status == 0 ? frame[0] : status; // expect: WVA001
    }

    public int DispatchChecked(string route, int address, int length)
    {
        var kind = _memory.GetSpan(address, length)[0];
        var status = _routes[route](address, length);
        return status == 0 ? kind : status;
    }

    public int Fallback(int address, int length)
    {
        var frame = _memory.GetSpan(address, length);
        RouteHandler handler = _fallback;
        var status = handler.Handle(address, length);       // virtual: an override in this file calls the guest
        return status + frame[1]; // expect: WVA001
    }

    public int Echo(int address, int length)
    {
        var frame = _memory.GetSpan(address, length);
        var status = _echo.Handle(address, length);         // statically EchoRoute: host code only
        return status + frame[1];
    }

    public int GuardedDispatch(int address, int length)
    {
        var frame = _memory.GetSpan(address, length);
        try
        {
            return _fallback.Handle(address, length);
        }
        catch (WasmtimeException) when (frame[0] == Magic) // expect: WVA001
        {
            return -1;
        }
    }

    public int GuardedDispatchCopied(int address, int length)
    {
        var magic = _memory.GetSpan(address, length)[0];
        try
        {
            return _fallback.Handle(address, length);
        }
        catch (WasmtimeException) when (magic == Magic)
        {
            return -1;
        }
    }

    public int Retry(int address, int length)
    {
        var frame = _memory.GetSpan(address, length);
        var attempts = 0;
        int status;
    retry:
        if (frame[0] != Magic) return -1; // expect: WVA001
        status = _fallback.Handle(address, length);
        if (status == Busy && ++attempts < 3)
        {
            goto retry;
        }

        return status;
    }

    public int RetryReacquired(int address, int length)
    {
        var attempts = 0;
        int status;
        Span<byte> frame;
    retry:
        frame = _memory.GetSpan(address, length);           // obtained again on every pass
        if (frame[0] != Magic)
        {
            return -1;
        }

        status = _fallback.Handle(address, length);
        if (status == Busy && ++attempts < 3)
        {
            goto retry;
        }

        return status;
    }

    public string Classify(int address, int length)
    {
        var header = _memory.GetSpan(address, Math.Min(length, 8));
        _ack(address);
        if (header is [] or [_])                            // length-only patterns read nothing
        {
            return "short";
        }

        return header is [Magic, (byte)'A', ..] ? "wasm-rpc" : "other"; // expect: WVA001
    }

    public string ClassifyFirst(int address, int length)
    {
        var header = _memory.GetSpan(address, Math.Min(length, 8));
        var kind = header switch
        {
            [Magic, (byte)'A', ..] => "wasm-rpc",
            { Length: < 2 } => "short",
            _ => "other",
        };
        _ack(address);
        return kind;
    }

    public int Opcode(int address, int length)
    {
        var header = _memory.GetSpan(address, length);
        _ack(address);
        return header[1] switch // expect: WVA001
        {
            0x01 => 1,
            0x02 => 2,
            _ => 0,
        };
    }

    public unsafe int PeekByPointer(int address)
    {
        if (_memory.GetPointer() is var basePointer && basePointer != IntPtr.Zero)
        {
            _ack(address);
            return *((byte*)basePointer + address); // expect: WVA001
        }

        return -1;
    }

    public unsafe bool MemoryMoved(int address)
    {
        var before = _memory.GetPointer();
        _ack(address);
        return before != _memory.GetPointer();              // comparing pointers reads nothing
    }

    public long SumAcknowledged(int address, int count)
    {
        var frame = _memory.GetSpan(address, count);
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            total += frame[i]; // expect: WVA001
            _ack(address + i);
        }

        return total;
    }

    public long SumAcknowledgedReacquired(int address, int count)
    {
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            var frame = _memory.GetSpan(address, count);
            total += frame[i];
            _ack(address + i);
        }

        return total;
    }

    public int LockedTotal(int address, int length)
    {
        lock (_gate)
        {
            var frame = _memory.GetSpan(address, length);
            var total = 0;
            foreach (var b in frame)
            {
                total = checked(total + b);
            }

            _ack(address);
            return checked(total + frame.Length);           // Length only
        }
    }
}
