using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Wasmtime;

namespace Corpus.Equinox.DkimSigner;

public sealed record MailMessage(IReadOnlyList<KeyValuePair<string, string>> Headers, string Body);

public sealed record DkimOptions(string Domain, string Selector, string[] SignedHeaders, bool RelaxedBody = true);

internal static class GuestMemoryExtensions
{
    public static int WriteUtf8(this Memory memory, Func<int, int> alloc, string text, out int length)
    {
        length = Encoding.UTF8.GetByteCount(text);
        var address = alloc(length);
        Encoding.UTF8.GetBytes(text, memory.GetSpan(address, length));
        return address;
    }

    public static ReadOnlySpan<byte> Bytes(this Memory memory, int address, int length) => memory.GetSpan(address, length);
}

/// <summary>Signs outgoing mail with DKIM; canonicalization (RFC 6376 relaxed/simple) runs in a wasm module shared with the verifier.</summary>
public sealed class DkimMailSigner
{
    private readonly Memory _memory;
    private readonly Lazy<Func<int, int>> _alloc;
    private readonly Func<int, int, int, int> _canonicalizeBody;
    private readonly Func<int, int, int> _canonicalizeHeader;
    private readonly Func<int> _resultLength;
    private readonly RSA _key;

    public DkimMailSigner(Instance instance, RSA key)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = new(() => instance.GetFunction<int, int>("alloc")!);
        _canonicalizeBody = instance.GetFunction<int, int, int, int>("canon_body")!;
        _canonicalizeHeader = instance.GetFunction<int, int, int>("canon_header")!;
        _resultLength = instance.GetFunction<int>("result_length")!;
        _key = key;
    }

    public string Sign(MailMessage message, DkimOptions options)
    {
        var bodyAddress = _memory.WriteUtf8(_alloc.Value, message.Body, out var bodyLength);
        var canonicalBody = _canonicalizeBody(bodyAddress, bodyLength, options.RelaxedBody ? 1 : 0);
        var body = _memory.Bytes(canonicalBody, _resultLength());
        var bodyHash = Convert.ToBase64String(SHA256.HashData(body));

        var headerBlock = new StringBuilder();
        foreach (var name in options.SignedHeaders)
        {
            var header = message.Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (header.Key is null) continue;
            var raw = $"{header.Key}:{header.Value}";
            var at = _memory.WriteUtf8(_alloc.Value, raw, out var rawLength);
            var canonical = _canonicalizeHeader(at, rawLength);
            headerBlock.Append(_memory.ReadString(canonical, _resultLength(), Encoding.UTF8)).Append("\r\n");
        }

        var dkimHeader = $"v=1; a=rsa-sha256; c=relaxed/relaxed; d={options.Domain}; s={options.Selector}; h={string.Join(':', options.SignedHeaders)}; bh={bodyHash}; b=";
        headerBlock.Append("dkim-signature:").Append(dkimHeader);
        var signature = _key.SignData(Encoding.UTF8.GetBytes(headerBlock.ToString()), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Console.WriteLine($"signed {body.Length} body bytes");
        return dkimHeader + Convert.ToBase64String(signature);
    }

    public (string BodyHash, int Length) HashBodyTwice(MailMessage message)
    {
        var bodyAddress = _memory.WriteUtf8(_alloc.Value, message.Body, out var bodyLength);
        var simple = _memory.Bytes(_canonicalizeBody(bodyAddress, bodyLength, 0), _resultLength());
        var relaxedAt = _canonicalizeBody(bodyAddress, bodyLength, 1);
        var relaxedLength = _resultLength();
        var relaxed = _memory.Bytes(relaxedAt, relaxedLength);
        var same = simple.SequenceEqual(relaxed); // expect: WVA001
        return (Convert.ToBase64String(SHA256.HashData(relaxed)), same ? simple.Length : relaxed.Length);
    }

    public byte[] CanonicalHeaderBytes(string name, string value)
    {
        var at = _memory.WriteUtf8(_alloc.Value, $"{name}:{value}", out var length);
        var canonical = _canonicalizeHeader(at, length);
        var view = _memory.Bytes(canonical, _resultLength());
        var copy = view.ToArray();
        _memory.WriteUtf8(_alloc.Value, "\r\n", out _);
        return copy;
    }

    public string DebugDump(MailMessage message)
    {
        var bodyAddress = _memory.WriteUtf8(_alloc.Value, message.Body, out var bodyLength);
        var source = _memory.Bytes(bodyAddress, bodyLength);
        var canonicalBody = _canonicalizeBody(bodyAddress, bodyLength, 1);
        var length = _resultLength();
        return $"{Encoding.UTF8.GetString(source)} => {_memory.ReadString(canonicalBody, length, Encoding.UTF8)}"; // expect: WVA001
    }

    private string HashAfterHeader(ReadOnlySpan<byte> body, string header)
    {
        var at = _memory.WriteUtf8(_alloc.Value, header, out var length);
        _canonicalizeHeader(at, length);
        return Convert.ToBase64String(SHA256.HashData(body));
    }

    private string HashBeforeHeader(ReadOnlySpan<byte> body, string header)
    {
        var hash = Convert.ToBase64String(SHA256.HashData(body));
        var at = _memory.WriteUtf8(_alloc.Value, header, out var length);
        _canonicalizeHeader(at, length);
        return hash;
    }

    public (string, string) BodyHashes(MailMessage message)
    {
        var bodyAddress = _memory.WriteUtf8(_alloc.Value, message.Body, out var bodyLength);
        var canonical = _canonicalizeBody(bodyAddress, bodyLength, 1);
        var body = _memory.Bytes(canonical, _resultLength());
        var safe = HashBeforeHeader(body, "from:" + message.Headers.Count);
        var late = HashAfterHeader(body, "to:" + message.Headers.Count); // expect: WVA001
        return (safe, late);
    }

    public bool StartsWithBlankLine(MailMessage message)
    {
        var bodyAddress = _memory.WriteUtf8(_alloc.Value, message.Body, out var bodyLength);
        var body = _memory.Bytes(_canonicalizeBody(bodyAddress, bodyLength, 0), _resultLength());
        var empty = body is [];
        _canonicalizeBody(bodyAddress, bodyLength, 1);
        return !empty && body is [(byte)'\r', (byte)'\n', ..]; // expect: WVA001
    }
}
