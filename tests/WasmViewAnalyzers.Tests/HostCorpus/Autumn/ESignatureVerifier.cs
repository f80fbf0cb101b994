// E-signature verifier: a wasm PKCS#7/CAdES verifier parses certificates and walks chains; the host caches keys.
// Shape: helpers several calls deep around exports, an interface implemented over Wasmtime in the same file, caches.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Security.Cryptography;
using Wasmtime;

namespace Corpus.Autumn.ESignatureVerifier;

public interface ICryptoGuest
{
    int Parse(int der, int length);          // -> certificate handle
    int Issuer(int certificate);             // -> issuer handle, 0 at the root
    ReadOnlySpan<byte> PublicKey(int certificate);
    int Upload(ReadOnlySpan<byte> bytes);
}

public sealed class WasmCryptoGuest : ICryptoGuest
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _parse;
    private readonly Func<int, int> _issuer;
    private readonly Func<int, int> _alloc;

    public WasmCryptoGuest(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _parse = instance.GetFunction<int, int, int>("cert_parse")!;
        _issuer = instance.GetFunction<int, int>("cert_issuer")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
    }

    public int Parse(int der, int length) => _parse(der, length);
    public int Issuer(int certificate) => _issuer(certificate);
    public ReadOnlySpan<byte> PublicKey(int certificate) =>
        _memory.GetSpan(_memory.ReadInt32(certificate + 16), _memory.ReadInt32(certificate + 20));

    public int Upload(ReadOnlySpan<byte> bytes)
    {
        var address = _alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        return address;
    }

    public unsafe nint KeyPointer(int certificate) =>
        (nint)((byte*)_memory.GetPointer() + _memory.ReadInt32(certificate + 16));
}

public sealed class ChainWalker
{
    private readonly ICryptoGuest _guest;
    private readonly WasmCryptoGuest _wasm;
    private readonly ConcurrentDictionary<string, nint> _keysByFingerprint = new();
    private readonly Dictionary<string, byte[]> _keyCopies = new();
    private readonly HashSet<nint> _seenKeys = new();

    public ChainWalker(WasmCryptoGuest guest)
    {
        _guest = guest;
        _wasm = guest;
    }

    // Three calls deep: Load -> UploadAndParse -> ICryptoGuest.Parse -> export.
    private int UploadAndParse(byte[] der) => _guest.Parse(_guest.Upload(der), der.Length);
    private int Load(byte[] der) => UploadAndParse(der);

    private static string Fingerprint(ReadOnlySpan<byte> key) => Convert.ToHexString(SHA256.HashData(key))[..16];

    public bool SameKey(byte[] leafDer, byte[] otherDer)
    {
        var leaf = Load(leafDer);
        var leafKey = _guest.PublicKey(leaf);
        var other = Load(otherDer);              // allocates and parses in the guest
        var otherKey = _guest.PublicKey(other);
        return leafKey.SequenceEqual(otherKey); // expect: WVA001
    }

    public bool SameKeySafe(byte[] leafDer, byte[] otherDer)
    {
        var leafFingerprint = Fingerprint(_guest.PublicKey(Load(leafDer))); // hashed at once
        var otherFingerprint = Fingerprint(_guest.PublicKey(Load(otherDer)));
        return leafFingerprint == otherFingerprint;
    }

    public int ChainLength(byte[] leafDer)
    {
        var certificate = Load(leafDer);
        var depth = 0;
        var key = _guest.PublicKey(certificate);
        var keyLength = key.Length;
        while (certificate != 0)
        {
            depth++;
            certificate = _guest.Issuer(certificate);
        }
        return depth * 1000 + keyLength;         // the length was taken while fresh; key itself is not read
    }

    public List<string> ChainFingerprints(byte[] leafDer)
    {
        var certificate = Load(leafDer);
        var result = new List<string>();
        var key = _guest.PublicKey(certificate);
        while (certificate != 0)
        {
            result.Add(Fingerprint(key)); // expect: WVA001
            certificate = _guest.Issuer(certificate);
        }
        return result;
    }

    public List<string> ChainFingerprintsSafe(byte[] leafDer)
    {
        var certificate = Load(leafDer);
        var result = new List<string>();
        while (certificate != 0)
        {
            var key = _guest.PublicKey(certificate);   // obtained again on every turn
            result.Add(Fingerprint(key));
            certificate = _guest.Issuer(certificate);
        }
        return result;
    }

    public void Remember(byte[] der)
    {
        var certificate = Load(der);
        var fingerprint = Fingerprint(_guest.PublicKey(certificate));
        _keysByFingerprint.TryAdd(fingerprint, _wasm.KeyPointer(certificate)); // expect: WVA002
        _keyCopies[fingerprint] = _guest.PublicKey(certificate).ToArray();      // a copy
        _seenKeys.Add(_wasm.KeyPointer(certificate)); // expect: WVA002
    }

    public unsafe byte FirstKeyByte(string fingerprint, byte[] anotherDer)
    {
        // Read out of the cache of pointers (a view again), then the guest allocates: the pointer is stale at the read.
        var found = _keysByFingerprint.TryGetValue(fingerprint, out var key);
        Load(anotherDer);
        return found ? *(byte*)key : (byte)0; // lead: no WVA001 here, the pointer comes out of a field filled by another method, which the rule page makes WVA002's subject at the store (line 130), as for the same shape in Unseen
    }

    public byte FirstKeyByteCopy(string fingerprint, byte[] anotherDer)
    {
        var found = _keyCopies.TryGetValue(fingerprint, out var key);
        Load(anotherDer);
        return found ? key![0] : (byte)0;        // a byte[] copy
    }

    public bool Contains(byte[] der)
    {
        var certificate = Load(der);
        var pointer = _wasm.KeyPointer(certificate);
        return _seenKeys.Contains(pointer);      // a lookup compares pointers; nothing is read through them
    }

    public IEnumerable<int> IssuerHandles(int certificate)
    {
        while ((certificate = _guest.Issuer(certificate)) != 0) yield return certificate; // handles: numbers
    }

    public int KeyBytesOfChain(byte[] leafDer)
    {
        var leaf = Load(leafDer);
        var leafKey = _guest.PublicKey(leaf);
        var total = 0;
        foreach (var issuer in IssuerHandles(leaf)) // MoveNext runs cert_issuer in the guest
        {
            total += _guest.PublicKey(issuer).Length;
        }
        return total + leafKey[0]; // expect: WVA001
    }
}
