using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Equinox.BgpRoutePolicy;

public readonly record struct RouteAnnouncement(IPAddress Prefix, int Length, uint[] AsPath, uint LocalPref);

public enum PolicyVerdict { Accept, Reject, Modify }

public sealed record PolicyResult(PolicyVerdict Verdict, uint LocalPref, string? Reason);

/// <summary>Runs operator route-maps compiled to wasm against announcements received from peers.</summary>
public sealed unsafe class RoutePolicyHost : IDisposable
{
    private readonly Store _store;
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _evaluate;
    private readonly Func<int, int, int> _matchCommunity;
    private readonly Action _resetArena;
    private readonly Dictionary<string, nint> _communityCache = new();
    private readonly Dictionary<string, int> _communityOffsets = new();
    private nint _lastRewrite;

    public RoutePolicyHost(Engine engine, Module module)
    {
        _store = new Store(engine);
        using var linker = new Linker(engine);
        linker.DefineFunction("bgp", "log", (Caller caller, int ptr, int len) =>
        {
            if (caller.TryGetMemorySpan<byte>("memory", ptr, len, out var text))
            {
                Console.WriteLine($"[policy] {Encoding.UTF8.GetString(text)}");
            }
        });
        linker.DefineFunction("bgp", "register_community", (Caller caller, int namePtr, int nameLen, int valuePtr) =>
        {
            var memory = caller.GetMemory("memory")!;
            var name = memory.ReadString(namePtr, nameLen, Encoding.ASCII);
            _communityCache[name] = memory.GetPointer() + valuePtr; // expect: WVA002
            _communityOffsets[name] = valuePtr;
        });

        var instance = linker.Instantiate(_store, module);
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("policy_alloc")!;
        _evaluate = instance.GetFunction<int, int, int>("evaluate")!;
        _matchCommunity = instance.GetFunction<int, int, int>("match_community")!;
        _resetArena = instance.GetAction("reset_arena")!;
    }

    public PolicyResult Evaluate(RouteAnnouncement route)
    {
        _resetArena();
        var size = 24 + route.AsPath.Length * 4;
        var input = _alloc(size);
        var request = _memory.GetSpan(input, size);
        route.Prefix.TryWriteBytes(request[..16], out _);
        BinaryPrimitives.WriteInt32LittleEndian(request[16..], route.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(request[20..], route.LocalPref);
        MemoryMarshal.AsBytes(route.AsPath.AsSpan()).CopyTo(request[24..]);

        var outPtr = _evaluate(input, size);
        var verdict = _memory.GetSpan(outPtr, 12);
        var code = verdict[0];
        var pref = BinaryPrimitives.ReadUInt32LittleEndian(verdict[4..]);
        var reasonLength = BinaryPrimitives.ReadInt32LittleEndian(verdict[8..]);

        string? reason = null;
        if (reasonLength > 0)
        {
            reason = _memory.ReadString(outPtr + 12, reasonLength, Encoding.UTF8);
        }

        Console.WriteLine($"policy for {route.Prefix}/{request[16]}"); // expect: WVA001
        return new PolicyResult((PolicyVerdict)code, pref, reason);
    }

    public int CountCommunityHits(ReadOnlySpan<uint> communities)
    {
        var address = _alloc(communities.Length * 4);
        var staged = MemoryMarshal.Cast<byte, uint>(_memory.GetSpan(address, communities.Length * 4));
        communities.CopyTo(staged);

        var hits = 0;
        for (var i = 0; i < staged.Length; i++)
        {
            if (_matchCommunity((int)staged[i], i) != 0) // expect: WVA001
            {
                hits++;
            }
        }

        return hits;
    }

    public uint[] RewriteAsPath(RouteAnnouncement route, uint prependAs, int times)
    {
        var address = _alloc((route.AsPath.Length + times) * 4);
        var path = MemoryMarshal.Cast<byte, uint>(_memory.GetSpan(address, (route.AsPath.Length + times) * 4));
        path[..times].Fill(prependAs);
        route.AsPath.CopyTo(path[times..]);
        var length = path.Length;
        _lastRewrite = (nint)(_memory.GetPointer() + address); // expect: WVA002

        _resetArena();
        var copy = new uint[length];
        var fresh = MemoryMarshal.Cast<byte, uint>(_memory.GetSpan(address, length * 4));
        fresh.CopyTo(copy);
        return copy;
    }

    public uint[] PrependedCopy(RouteAnnouncement route, uint prependAs)
    {
        var address = _alloc((route.AsPath.Length + 1) * 4);
        var path = MemoryMarshal.Cast<byte, uint>(_memory.GetSpan(address, (route.AsPath.Length + 1) * 4));
        path[0] = prependAs;
        route.AsPath.CopyTo(path[1..]);
        var copy = path.ToArray();
        _resetArena();
        return copy.Distinct().Count() == copy.Length ? copy : path.ToArray(); // expect: WVA001
    }

    public bool HasCommunity(string name) => _communityOffsets.ContainsKey(name);

    public void Dispose() => _store.Dispose();

    public int PeekRewrite(int address)
    {
        _lastRewrite = _memory.GetPointer() + address; // expect: WVA002
        _resetArena();
        return *(int*)_lastRewrite; // expect: WVA001
    }
}
