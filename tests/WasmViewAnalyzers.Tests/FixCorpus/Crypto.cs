// A signing service: keys and digests computed by a WebAssembly crypto library.
using System;
using System.Security.Cryptography;
using Wasmtime;

namespace Corpus.Crypto;

sealed class SigningService
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _sign;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _wipe;

    public SigningService(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _sign = instance.GetFunction<int, int, int>("sign")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _wipe = instance.GetAction<int>("wipe")!;
    }

    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var input = _alloc(message.Length);
        message.CopyTo(_memory.GetSpan(input, message.Length));
        var signature = _memory.GetSpan(_sign(input, message.Length), 64);
        _wipe(input);
        return signature.ToArray();
    }

    public byte[] Digest(int address, int length)
    {
        var data = _memory.GetSpan(address, length);
        _wipe(0);
        return SHA256.HashData(data);
    }

    private int Verify(ReadOnlySpan<byte> signature)
    {
        var scratch = _alloc(signature.Length);
        return signature[0] + scratch;
    }

    public int VerifyAt(int address)
    {
        return Verify(_memory.GetSpan(address, 64));
    }

    public bool Matches(int address, ReadOnlySpan<byte> expected)
    {
        ReadOnlySpan<byte> actual = _memory.GetSpan(address, expected.Length);
        _wipe(address);
        return actual.SequenceEqual(expected);
    }
}
