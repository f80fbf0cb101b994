using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Wasmtime;

namespace Corpus.Equinox.LightClient;

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockHeader
{
    public ulong Height;
    public ulong Timestamp;
    public Bytes32 ParentHash;
    public Bytes32 StateRoot;
    public uint Difficulty;
    public uint Verified;
}

[InlineArray(32)]
public struct Bytes32
{
    private byte _element;
}

public readonly record struct HeaderRef(ulong Height, nint Address);

/// <summary>A light client: header sync and Merkle proof checks run in a wasm verifier audited separately from the node.</summary>
public sealed unsafe class LightClientHost(Instance instance)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _allocHeaders = instance.GetFunction<int, int>("alloc_headers")!;
    private readonly Func<int, int, int> _verifyChain = instance.GetFunction<int, int, int>("verify_chain")!;
    private readonly Func<int, int, int, int> _verifyProof = instance.GetFunction<int, int, int, int>("verify_proof")!;
    private readonly Func<int, int> _headerAt = instance.GetFunction<int, int>("header_at")!;
    private readonly ConcurrentDictionary<ulong, HeaderRef> _byHeight = new();
    private readonly ConcurrentDictionary<ulong, byte[]> _stateRoots = new();
    private HeaderRef _tip;
    private nint _lastHeader;

    private ref BlockHeader Header(int address) => ref MemoryMarshal.AsRef<BlockHeader>(_memory.GetSpan(address, Unsafe.SizeOf<BlockHeader>()));

    public int Sync(IReadOnlyList<byte[]> rawHeaders)
    {
        var size = Unsafe.SizeOf<BlockHeader>();
        var batch = _allocHeaders(rawHeaders.Count);
        for (var i = 0; i < rawHeaders.Count; i++)
        {
            rawHeaders[i].AsSpan(0, size).CopyTo(_memory.GetSpan(batch + i * size, size));
        }

        var valid = _verifyChain(batch, rawHeaders.Count);
        for (var i = 0; i < valid; i++)
        {
            ref var header = ref Header(batch + i * size);
            _byHeight[header.Height] = new HeaderRef(header.Height, _memory.GetPointer() + batch + i * size); // expect: WVA002
            _stateRoots.TryAdd(header.Height, ((ReadOnlySpan<byte>)header.StateRoot).ToArray());
        }

        if (valid > 0)
        {
            var last = Header(batch + (valid - 1) * size);
            _tip = new HeaderRef(last.Height, 0);
        }

        return valid;
    }

    public bool VerifyAccount(ulong height, ReadOnlySpan<byte> proof, ReadOnlySpan<byte> key)
    {
        if (!_stateRoots.TryGetValue(height, out var root)) return false;

        var proofAt = _allocHeaders(1 + proof.Length / Unsafe.SizeOf<BlockHeader>());
        var staged = _memory.GetSpan(proofAt, proof.Length + key.Length + 32);
        root.CopyTo(staged);
        proof.CopyTo(staged[32..]);
        key.CopyTo(staged[(32 + proof.Length)..]);

        var ok = _verifyProof(proofAt, proof.Length, key.Length) == 1;
        if (!ok)
        {
            Console.WriteLine($"proof failed for key {Convert.ToHexString(staged.Slice(32 + proof.Length, key.Length))}"); // expect: WVA001
        }

        return ok;
    }

    public ulong MarkVerified(int address)
    {
        ref var header = ref Header(address);
        var height = header.Height;
        var parent = _headerAt((int)height - 1);
        header.Verified = 1; // expect: WVA001
        ref var parentHeader = ref Header(parent);
        parentHeader.Verified = 1;
        return height;
    }

    public byte[] ParentHash(int address)
    {
        var copy = Header(address);
        _headerAt((int)copy.Height);
        return ((ReadOnlySpan<byte>)copy.ParentHash).ToArray();
    }

    public IEnumerable<ulong> Gaps()
    {
        var heights = _byHeight.Keys.OrderBy(h => h).ToArray();
        for (var i = 1; i < heights.Length; i++)
        {
            if (heights[i] != heights[i - 1] + 1) yield return heights[i - 1] + 1;
        }
    }

    public byte[] TipHash()
    {
        var p = (BlockHeader*)_memory.GetPointer() + 0;
        var at = _headerAt(-1);
        var header = (BlockHeader*)((byte*)_memory.GetPointer() + at);
        var hash = SHA256.HashData(new ReadOnlySpan<byte>(header, sizeof(BlockHeader)));
        return p == header ? [] : hash;
    }

    public ulong TipHeight()
    {
        var at = _headerAt(-1);
        var tip = new HeaderRef(0, _memory.GetPointer() + at);
        var height = ((BlockHeader*)tip.Address)->Height;
        _tip = tip; // expect: WVA002
        return height;
    }

    public void Remember(int at)
    {
        System.Threading.Interlocked.Exchange(ref _lastHeader, _memory.GetPointer() + at); // expect: WVA002
    }

    public int CountVerified(int batch, int count)
    {
        var size = Unsafe.SizeOf<BlockHeader>();
        var headers = MemoryMarshal.Cast<byte, BlockHeader>(_memory.GetSpan(batch, count * size));
        var verified = 0;
        for (var i = 0; i < count; i++)
        {
            if (headers[i].Verified == 0) // expect: WVA001
            {
                _verifyChain(batch + i * size, 1);
            }
            else
            {
                verified++;
            }
        }

        return verified;
    }
}
