using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Formats.Asn1;
using System.Text;
using Wasmtime;

namespace Corpus.Equinox.DerCertificateDecoder;

public sealed record CertificateSummary(string Subject, string Issuer, DateTimeOffset NotAfter, byte[] SerialNumber, byte[] SubjectPublicKeyInfo);

/// <summary>A cursor over a TLV tree the guest has already walked: one 12-byte node per element.</summary>
public ref struct TlvCursor
{
    private readonly ReadOnlySpan<byte> _nodes;
    private int _index;

    public TlvCursor(ReadOnlySpan<byte> nodes)
    {
        _nodes = nodes;
        _index = 0;
    }

    public readonly int Count => _nodes.Length / 12;

    public bool MoveNext() => ++_index <= Count;

    public readonly (int Tag, int Offset, int Length) Current
    {
        get
        {
            var node = _nodes.Slice((_index - 1) * 12, 12);
            return (BinaryPrimitives.ReadInt32LittleEndian(node), BinaryPrimitives.ReadInt32LittleEndian(node[4..]), BinaryPrimitives.ReadInt32LittleEndian(node[8..]));
        }
    }
}

/// <summary>Decodes X.509 DER with a wasm build of a hardened ASN.1 parser (the host never parses untrusted DER itself).</summary>
public sealed class DerDecoderHost(Instance instance)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Function _alloc = instance.GetFunction("asn1_alloc")!;
    private readonly Func<int, int, int> _parse = instance.GetFunction<int, int, int>("asn1_parse")!;
    private readonly Func<int> _nodeCount = instance.GetFunction<int>("asn1_node_count")!;
    private readonly Func<int, int, int> _decodeTime = instance.GetFunction<int, int, int>("asn1_decode_time")!;
    private readonly Func<int, int, int> _printableName = instance.GetFunction<int, int, int>("asn1_rdn_to_string")!;

    private int Upload(ReadOnlySpan<byte> der)
    {
        var address = (int)_alloc.Invoke(der.Length)!;
        der.CopyTo(_memory.GetSpan(address, der.Length));
        return address;
    }

    private ReadOnlySpan<byte> Nodes(int treeAddress) => _memory.GetSpan(treeAddress, _nodeCount() * 12);

    public CertificateSummary Decode(byte[] der)
    {
        var input = Upload(der);
        var tree = _parse(input, der.Length);
        var nodes = Nodes(tree);
        var cursor = new TlvCursor(nodes);

        int serialAt = -1, serialLength = 0, spkiAt = -1, spkiLength = 0, subjectAt = -1, issuerAt = -1, notAfterAt = -1;
        var seenNames = 0;
        while (cursor.MoveNext())
        {
            var (tag, offset, length) = cursor.Current;
            switch (tag)
            {
                case 0x02 when serialAt < 0:
                    (serialAt, serialLength) = (offset, length);
                    break;
                case 0x30 when length > 0 && seenNames < 2 && offset > 0:
                    if (seenNames++ == 0) issuerAt = offset; else subjectAt = offset;
                    break;
                case 0x17 or 0x18:
                    notAfterAt = offset;
                    break;
                case 0x03 when spkiAt < 0:
                    (spkiAt, spkiLength) = (offset, length);
                    break;
            }
        }

        var serial = _memory.GetSpan(input + serialAt, serialLength).ToArray();
        var spki = _memory.GetSpan(input + spkiAt, spkiLength);

        var issuer = ReadName(input, issuerAt);
        var subject = ReadName(input, subjectAt);
        var notAfter = DateTimeOffset.FromUnixTimeSeconds(_decodeTime(input, notAfterAt));

        return new CertificateSummary(subject, issuer, notAfter, serial, spki.ToArray()); // expect: WVA001
    }

    private string ReadName(int input, int at)
    {
        var textAddress = _printableName(input, at);
        var length = _memory.ReadInt32(textAddress);
        return _memory.ReadString(textAddress + 4, length, Encoding.UTF8);
    }

    public IReadOnlyList<string> ExtensionOids(byte[] der)
    {
        var input = Upload(der);
        var tree = _parse(input, der.Length);
        var nodes = Nodes(tree);
        var oids = new List<string>();
        for (var i = 0; i + 12 <= nodes.Length; i += 12)
        {
            if (nodes[i] != 0x06) continue;
            var offset = BinaryPrimitives.ReadInt32LittleEndian(nodes[(i + 4)..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(nodes[(i + 8)..]);
            var reader = new AsnReader(_memory.GetSpan(input + offset - 2, length + 2).ToArray(), AsnEncodingRules.DER);
            oids.Add(reader.ReadObjectIdentifier());
        }

        return oids;
    }

    public bool IsSelfSigned(byte[] der)
    {
        var input = Upload(der);
        var tree = _parse(input, der.Length);
        var nodes = Nodes(tree);
        var count = nodes.Length / 12;
        var issuer = ReadName(input, BinaryPrimitives.ReadInt32LittleEndian(nodes[16..]));
        var subject = ReadName(input, BinaryPrimitives.ReadInt32LittleEndian(nodes[40..])); // expect: WVA001
        return count > 3 && issuer == subject;
    }

    public int NodeKinds(byte[] der, ISet<int> kinds)
    {
        var input = Upload(der);
        var nodes = Nodes(_parse(input, der.Length));
        var total = nodes.Length;
        Upload(der);
        for (var i = 0; i < total; i += 12)
        {
            kinds.Add(nodes[i]); // expect: WVA001
        }

        return kinds.Count;
    }

    public int FirstTag(byte[] der, bool useScratch)
    {
        Span<byte> scratch = stackalloc byte[12];
        var input = Upload(der);
        var nodes = useScratch ? scratch : _memory.GetSpan(_parse(input, der.Length), 12);
        Upload(der);
        return nodes[0]; // expect: WVA001
    }

    public long TotalLength(byte[] der)
    {
        var nodes = Nodes(_parse(Upload(der), der.Length));
        long total = 0;
        for (var i = 8; i + 4 <= nodes.Length; i += 12)
        {
            total += BinaryPrimitives.ReadInt32LittleEndian(nodes[i..]);
        }

        var again = Nodes(_parse(Upload(der), der.Length));
        return total + again.Length - nodes.Length;
    }
}
