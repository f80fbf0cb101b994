using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Wasmtime;

namespace Corpus.Equinox.WebAuthnVerifier;

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct AuthenticatorDataHeader
{
    public Rp32 RpIdHash;
    public byte Flags;
    public uint SignCountBigEndian;
}

[InlineArray(32)]
public struct Rp32
{
    private byte _b;
}

public readonly record struct AttestedCredential(byte[] CredentialId, byte[] CosePublicKey, uint SignCount);

/// <summary>A span over the guest's decoded attestation object: CBOR fields the guest located for us.</summary>
public readonly ref struct AttestationView
{
    public readonly ReadOnlySpan<byte> AuthData;
    public readonly ReadOnlySpan<byte> Signature;
    public readonly int Format;

    public AttestationView(ReadOnlySpan<byte> authData, ReadOnlySpan<byte> signature, int format)
    {
        AuthData = authData;
        Signature = signature;
        Format = format;
    }
}

/// <summary>Verifies WebAuthn registrations: CBOR/COSE decoding runs in a wasm module fuzzed separately from the relying party.</summary>
public sealed class AttestationVerifier(Instance instance)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("alloc")!;
    private readonly Func<int, int, int> _decode = instance.GetFunction<int, int, int>("decode_attestation")!;
    private readonly Func<int, int, int> _coseToSpki = instance.GetFunction<int, int, int>("cose_to_spki")!;
    private readonly Func<int> _spkiLength = instance.GetFunction<int>("spki_length")!;
    private readonly Dictionary<string, uint> _signCounts = new();

    private int Upload(ReadOnlySpan<byte> data)
    {
        var at = _alloc(data.Length);
        data.CopyTo(_memory.GetSpan(at, data.Length));
        return at;
    }

    private AttestationView Decode(int input, int length, out int decoded)
    {
        decoded = _decode(input, length);
        var authLength = _memory.ReadInt32(decoded);
        var sigLength = _memory.ReadInt32(decoded + 4);
        var format = _memory.ReadInt32(decoded + 8);
        return new AttestationView(_memory.GetSpan(decoded + 12, authLength), _memory.GetSpan(decoded + 12 + authLength, sigLength), format);
    }

    private ref AuthenticatorDataHeader Header(int decoded) => ref MemoryMarshal.AsRef<AuthenticatorDataHeader>(_memory.GetSpan(decoded + 12, 37));

    private bool TryCredential(int decoded, out ReadOnlySpan<byte> credentialId)
    {
        var authLength = _memory.ReadInt32(decoded);
        if (authLength <= 55)
        {
            credentialId = default;
            return false;
        }

        var idLength = BinaryPrimitives.ReadUInt16BigEndian(_memory.GetSpan(decoded + 12 + 53, 2));
        credentialId = _memory.GetSpan(decoded + 12 + 55, idLength);
        return true;
    }

    public AttestedCredential Verify(ReadOnlySpan<byte> attestationObject, ReadOnlySpan<byte> clientDataHash, ReadOnlySpan<byte> expectedRpIdHash)
    {
        var input = Upload(attestationObject);
        var view = Decode(input, attestationObject.Length, out var decoded);
        ref readonly var header = ref Header(decoded);

        if (!((ReadOnlySpan<byte>)header.RpIdHash).SequenceEqual(expectedRpIdHash))
            throw new CryptographicException("rpIdHash mismatch");
        if ((header.Flags & 0x41) != 0x41)
            throw new CryptographicException("user not present or no attested credential");

        var signed = new byte[view.AuthData.Length + clientDataHash.Length];
        view.AuthData.CopyTo(signed);
        clientDataHash.CopyTo(signed.AsSpan(view.AuthData.Length));
        var signature = view.Signature.ToArray();

        if (!TryCredential(decoded, out var credentialId))
            throw new CryptographicException("no credential");

        var coseAt = decoded + 12 + 55 + credentialId.Length;
        var spkiAt = _coseToSpki(coseAt, view.AuthData.Length - (55 + credentialId.Length));
        var spki = _memory.GetSpan(spkiAt, _spkiLength()).ToArray();

        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        if (!key.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            throw new CryptographicException("bad attestation signature");

        var count = BinaryPrimitives.ReverseEndianness(header.SignCountBigEndian); // expect: WVA001
        return new AttestedCredential(credentialId.ToArray(), spki, count); // expect: WVA001
    }

    public AttestedCredential VerifyCopied(ReadOnlySpan<byte> attestationObject)
    {
        var input = Upload(attestationObject);
        Decode(input, attestationObject.Length, out var decoded);
        var header = Header(decoded);
        var credentialId = TryCredential(decoded, out var id) ? id.ToArray() : [];
        var spkiAt = _coseToSpki(decoded + 12 + 55 + credentialId.Length, 0);
        var spki = _memory.GetSpan(spkiAt, _spkiLength()).ToArray();
        return new AttestedCredential(credentialId, spki, BinaryPrimitives.ReverseEndianness(header.SignCountBigEndian));
    }

    public bool CheckSignCount(string credential, ReadOnlySpan<byte> attestationObject)
    {
        var input = Upload(attestationObject);
        Decode(input, attestationObject.Length, out var decoded);
        ref var header = ref Header(decoded);
        var count = BinaryPrimitives.ReverseEndianness(header.SignCountBigEndian);
        var previous = _signCounts.GetValueOrDefault(credential);
        _signCounts[credential] = count;
        Upload([0]);
        header.SignCountBigEndian = 0; // expect: WVA001
        return count == 0 || count > previous;
    }

    public int SignatureLength(ReadOnlySpan<byte> attestationObject)
    {
        var input = Upload(attestationObject);
        var view = Decode(input, attestationObject.Length, out var decoded);
        _coseToSpki(decoded, 0);
        return view.Signature.Length + view.AuthData.Length;
    }

    public byte FirstSignatureByte(ReadOnlySpan<byte> attestationObject)
    {
        var input = Upload(attestationObject);
        var view = Decode(input, attestationObject.Length, out var decoded);
        ref readonly var first = ref MemoryMarshal.GetReference(view.Signature);
        ref readonly var third = ref Unsafe.Add(ref Unsafe.AsRef(in first), 2);
        var head = first;
        _coseToSpki(decoded, 0);
        return (byte)(head ^ third); // expect: WVA001
    }

    public bool FormatIsPacked(ReadOnlySpan<byte> attestationObject)
    {
        var input = Upload(attestationObject);
        var view = Decode(input, attestationObject.Length, out var decoded);
        var format = view.Format;
        _coseToSpki(decoded, 0);
        return format == 1 && view.Format == 1;
    }

    public int CredentialIdPrefix(ReadOnlySpan<byte> attestationObject)
    {
        var input = Upload(attestationObject);
        Decode(input, attestationObject.Length, out var decoded);
        if (!TryCredential(decoded, out var id)) return -1;
        _coseToSpki(decoded, 0);
        return id.Length > 0 ? id[0] : 0; // expect: WVA001
    }
}
