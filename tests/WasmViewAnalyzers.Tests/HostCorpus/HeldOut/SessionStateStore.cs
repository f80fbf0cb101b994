// RPC session store: each session is a guest-side object behind a handle, and handles convert, compare, deconstruct and
// stage arguments through guest exports (a handle table in the guest); shaped after DotNetIsolator's IsolatedObject wrappers.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.HeldOut.SessionStateStore;

public sealed class GuestRuntime
{
    public GuestRuntime(Instance instance)
    {
        Memory = instance.GetMemory("memory") ?? throw new InvalidOperationException("memory");
        Resolve = instance.GetFunction<int, int>("handle_resolve") ?? throw new InvalidOperationException("handle_resolve");
        SizeOf = instance.GetFunction<int, int>("handle_size") ?? throw new InvalidOperationException("handle_size");
        Open = instance.GetFunction<int, int>("session_open") ?? throw new InvalidOperationException("session_open");
        Close = instance.GetAction<int>("session_close") ?? throw new InvalidOperationException("session_close");
        Compare = instance.GetFunction<int, int, int>("handle_compare") ?? throw new InvalidOperationException("handle_compare");
        Malloc = instance.GetFunction<int, int>("malloc") ?? throw new InvalidOperationException("malloc");
    }

    public Memory Memory { get; }

    internal Func<int, int> Resolve { get; }

    internal Func<int, int> SizeOf { get; }

    internal Func<int, int> Open { get; }

    internal Action<int> Close { get; }

    internal Func<int, int, int> Compare { get; }

    internal Func<int, int> Malloc { get; }
}

public readonly struct SessionHandle : IEquatable<SessionHandle>
{
    private readonly GuestRuntime _runtime;

    public SessionHandle(GuestRuntime runtime, int id)
    {
        _runtime = runtime;
        Id = id;
    }

    public int Id { get; }

    // Resolving a handle asks the guest's handle table: a conversion that calls the guest.
    public static implicit operator int(SessionHandle handle) => handle._runtime.Resolve(handle.Id);

    public static bool operator ==(SessionHandle left, SessionHandle right) => left._runtime.Compare(left.Id, right.Id) == 0;

    public static bool operator !=(SessionHandle left, SessionHandle right) => !(left == right);

    // A pure offset arithmetic operator: no guest call.
    public static SessionHandle operator +(SessionHandle handle, int delta) => new(handle._runtime, handle.Id + delta);

    public void Deconstruct(out int address, out int size)
    {
        address = _runtime.Resolve(Id);
        size = _runtime.SizeOf(Id);
    }

    public bool Equals(SessionHandle other) => Id == other.Id;

    public override bool Equals(object? obj) => obj is SessionHandle other && Equals(other);

    public override int GetHashCode() => Id;
}

public sealed class GuestSession : IDisposable
{
    private readonly GuestRuntime _runtime;

    // The constructor opens the session in the guest.
    public GuestSession(GuestRuntime runtime, int kind)
    {
        _runtime = runtime;
        Handle = new SessionHandle(runtime, runtime.Open(kind));
    }

    public SessionHandle Handle { get; }

    // A property whose getter calls the guest.
    public int StateAddress => _runtime.Resolve(Handle.Id);

    public int Kind { get; init; }

    public void Dispose() => _runtime.Close(Handle.Id);
}

// Arguments staged in guest memory; a collection initializer calls Add, and Add mallocs in the guest.
public sealed class GuestArgs : IEnumerable<int>
{
    private readonly GuestRuntime _runtime;
    private readonly List<int> _addresses = new();

    public GuestArgs(GuestRuntime runtime) => _runtime = runtime;

    public void Add(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var address = _runtime.Malloc(bytes.Length + 4);
        _runtime.Memory.WriteInt32(address, bytes.Length);
        _runtime.Memory.WriteString(address + 4, value, Encoding.UTF8);
        _addresses.Add(address);
    }

    public IEnumerator<int> GetEnumerator() => _addresses.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class SessionStateStore
{
    private readonly GuestRuntime _runtime;
    private nint? _pinnedState;
    private int? _pinnedStateOffset;

    public SessionStateStore(GuestRuntime runtime) => _runtime = runtime;

    public static nint LastState { get; private set; }

    public static int LastStateOffset { get; private set; }

    private Span<byte> State(int address, int size) => _runtime.Memory.GetSpan(address, size);

    private static int Checksum(ReadOnlySpan<byte> bytes)
    {
        var sum = 0;
        foreach (var b in bytes)
        {
            sum = unchecked(sum * 16777619) ^ b;
        }

        return sum;
    }

    public int Fork(SessionHandle parent)
    {
        var (address, size) = parent;
        var state = State(address, size);
        using var child = new GuestSession(_runtime, kind: 2);   // the constructor runs the guest
        return Checksum(state); // expect: WVA001
    }

    public int ForkFresh(SessionHandle parent)
    {
        using var child = new GuestSession(_runtime, kind: 2);
        var (address, size) = parent;
        return Checksum(State(address, size));
    }

    public byte Peek(SessionHandle handle, SessionHandle other)
    {
        var (address, size) = handle;
        var state = State(address, size);
        int otherAddress = other;                           // the implicit conversion calls the guest
        return otherAddress == 0 ? (byte)0 : state[0]; // expect: WVA001
    }

    public byte PeekAfterConversion(SessionHandle handle, SessionHandle other)
    {
        int otherAddress = other;
        var (address, size) = handle;
        var state = State(address, size);
        return otherAddress == 0 ? (byte)0 : state[0];
    }

    public byte[] Snapshot(SessionHandle handle, SessionHandle previous)
    {
        var (address, size) = handle;
        var state = State(address, size);
        if (handle == previous)                             // operator == asks the guest
        {
            return Array.Empty<byte>();
        }

        return state.ToArray(); // expect: WVA001
    }

    public byte[] SnapshotNext(SessionHandle handle)
    {
        var (address, size) = handle;
        var state = State(address, size);
        var next = handle + 1;                              // pure operator: no guest call
        return next.Id > 0 ? state.ToArray() : Array.Empty<byte>();
    }

    public int Compare(SessionHandle left, SessionHandle right)
    {
        var (leftAddress, leftSize) = left;
        var leftState = State(leftAddress, leftSize);
        var (rightAddress, rightSize) = right;              // Deconstruct resolves through the guest
        var rightState = State(rightAddress, rightSize);
        return leftState.SequenceCompareTo(rightState); // expect: WVA001
    }

    public int CompareCopied(SessionHandle left, SessionHandle right)
    {
        var (leftAddress, leftSize) = left;
        var leftState = State(leftAddress, leftSize).ToArray();
        var (rightAddress, rightSize) = right;
        return leftState.AsSpan().SequenceCompareTo(State(rightAddress, rightSize));
    }

    public int Login(SessionHandle handle, string user, string token)
    {
        var (address, size) = handle;
        var state = State(address, size);
        var args = new GuestArgs(_runtime) { user, token };   // each Add mallocs in the guest
        state[0] = 1; // expect: WVA001
        return args.GetHashCode();
    }

    public int LoginStaged(SessionHandle handle, string user, string token)
    {
        var args = new GuestArgs(_runtime) { user, token };
        var (address, size) = handle;
        State(address, size)[0] = 1;
        return args.GetHashCode();
    }

    public int Touch(GuestSession session, int cachedAddress, int size)
    {
        var state = State(cachedAddress, size);
        var address = session.StateAddress;                 // the getter calls the guest
        state[1] = (byte)(address == cachedAddress ? 1 : 0); // expect: WVA001
        return address;
    }

    public int TouchOrdered(GuestSession session, int size)
    {
        var address = session.StateAddress;
        var state = State(address, size);
        state[1] = (byte)(address & 0xFF);
        return session.Kind + state.Length;
    }

    public unsafe void Pin(SessionHandle handle)
    {
        var (address, _) = handle;
        _pinnedState = (nint)((byte*)_runtime.Memory.GetPointer() + address); // expect: WVA002
        _pinnedStateOffset = address;
    }

    public void Publish(SessionHandle handle)
    {
        var (address, _) = handle;
        LastState = _runtime.Memory.GetPointer() + address; // expect: WVA002
        LastStateOffset = address;
    }

    public bool IsPinned => _pinnedState.HasValue || _pinnedStateOffset.HasValue;
}
