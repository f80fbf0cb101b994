// A crypto/hash RPC service: a guest (a BLAKE3/HMAC library compiled to wasm) hashes request bodies streamed in
// chunks; the handler reads the digest back from the guest's context, the input/call/output shape of Extism plugins.
using System;
using System.IO;
using System.Text;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Unseen.HashService;

public sealed class HashRequest
{
    public HashRequest(string algorithm, Stream body, byte[]? key)
    {
        Algorithm = algorithm;
        Body = body;
        Key = key;
    }

    public string Algorithm { get; }

    public Stream Body { get; }

    public byte[]? Key { get; }
}

public sealed unsafe class HashRequestHandler
{
    private const int ChunkSize = 16 * 1024;

    private static nint s_lastDigest;

    private readonly Memory _memory;
    private readonly GuestMemoryGuard _guard;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int, int> _init;
    private readonly Action<int, int, int> _update;
    private readonly Func<int, int> _final;
    private readonly Action<int> _release;
    private readonly Action<int> _guardedRelease;
    private GuardedView _lastGuarded;

    public HashRequestHandler(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _guard = new GuestMemoryGuard(_memory);
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _init = instance.GetFunction<int, int, int, int>("hash_init")!;
        _update = instance.GetAction<int, int, int>("hash_update")!;
        _final = instance.GetFunction<int, int>("hash_final")!;
        _release = instance.GetAction<int>("hash_release")!;
        _guardedRelease = _guard.GetRequiredAction<int>(instance, "hash_release");
    }

    private static int AlgorithmId(string name) => name switch
    {
        "blake3" => 1,
        "sha256" => 2,
        "hmac-sha256" => 3,
        _ => throw new ArgumentException(name),
    };

    private static int DigestSize(string name) => name == "blake3" ? 32 : 32;

    // Reads only the length: passing a stale view here reads no guest memory.
    private static bool IsFullDigest(scoped ReadOnlySpan<byte> digest) => digest.Length == 32;

    // Reads an element: passing a stale view here is a use.
    private static byte Version(ReadOnlySpan<byte> digest) => digest[0];

    private int Begin(HashRequest request)
    {
        int keyAddress = 0;
        int keyLength = 0;
        if (request.Key is { } key)
        {
            keyLength = key.Length;
            keyAddress = _alloc(keyLength);
            key.CopyTo(_memory.GetSpan(keyAddress, keyLength));
        }

        return _init(AlgorithmId(request.Algorithm), keyAddress, keyLength);
    }

    public string Handle(HashRequest request)
    {
        int context = Begin(request);
        int buffer = _alloc(ChunkSize);
        Span<byte> window = _memory.GetSpan(buffer, ChunkSize);
        int read;
        // The next turn's Read fills 'window' after hash_update ran in the guest.
        while ((read = request.Body.Read(window)) > 0) // expect: WVA001
        {
            _update(context, buffer, read);
        }

        int digestAddress = _final(context);
        ReadOnlySpan<byte> digest = _memory.GetSpan(digestAddress, DigestSize(request.Algorithm));
        string hex = Convert.ToHexString(digest);
        _release(context);
        return $"{request.Algorithm}:{hex}";
    }

    public string HandleChunked(HashRequest request)
    {
        int context = Begin(request);
        int buffer = _alloc(ChunkSize);
        while (true)
        {
            Span<byte> window = _memory.GetSpan(buffer, ChunkSize);
            int read = request.Body.Read(window);
            if (read == 0)
            {
                break;
            }

            _update(context, buffer, read);
        }

        int digestAddress = _final(context);
        ReadOnlySpan<byte> digest = _memory.GetSpan(digestAddress, DigestSize(request.Algorithm));
        _release(context);
        bool complete = IsFullDigest(digest);
        return complete ? $"{request.Algorithm}:{Convert.ToHexString(digest)}" : "partial"; // expect: WVA001
    }

    public string HandleSmall(string algorithm, byte[] body)
    {
        int context = _init(AlgorithmId(algorithm), 0, 0);
        int input = _alloc(body.Length);
        body.CopyTo(_memory.GetSpan(input, body.Length));
        _update(context, input, body.Length);
        int digestAddress = _final(context);
        ReadOnlySpan<byte> digest = _memory.GetSpan(digestAddress, DigestSize(algorithm));
        byte version = Version(digest);
        string text = $"{version:x2}{digest[1]:x2}";
        _release(context);
        return text + Convert.ToHexString(digest.Slice(2)); // expect: WVA001
    }

    public byte HandleVersionAfterRelease(string algorithm, int context)
    {
        int digestAddress = _final(context);
        ReadOnlySpan<byte> digest = _memory.GetSpan(digestAddress, DigestSize(algorithm));
        _release(context);
        return Version(digest); // expect: WVA001
    }

    private bool TryFinish(int context, int size, out ReadOnlySpan<byte> digest)
    {
        int address = _final(context);
        if (address == 0)
        {
            digest = default;
            return false;
        }

        digest = _memory.GetSpan(address, size);
        return true;
    }

    public string FinishAndRelease(int context)
    {
        if (!TryFinish(context, 32, out ReadOnlySpan<byte> digest))
        {
            return "error";
        }

        _release(context);
        return Convert.ToBase64String(digest); // expect: WVA001
    }

    public string FinishThenRelease(int context)
    {
        if (!TryFinish(context, 32, out ReadOnlySpan<byte> digest))
        {
            return "error";
        }

        string text = Convert.ToBase64String(digest);
        _release(context);
        // Only the length, after the release.
        return text + "/" + digest.Length;
    }

    public void RememberLastDigest(int context)
    {
        int digestAddress = _final(context);
        s_lastDigest = _memory.GetPointer() + digestAddress; // expect: WVA002
    }

    public void RememberLastDigestGuarded(int context)
    {
        int digestAddress = _final(context);
        // A guarded view may be stored: it checks itself when read.
        _lastGuarded = _guard.GetView(digestAddress, 32);
    }

    public string LastGuardedHex() => _lastGuarded.IsStale ? "stale" : Convert.ToHexString(_lastGuarded.Span);

    public int PeekThenRelease(int context, bool keepPointer)
    {
        int digestAddress = _final(context);
        nint? cached = null;
        if (keepPointer)
        {
            cached = _memory.GetPointer() + digestAddress;
        }

        _release(context);
        // HasValue reads the Nullable, not guest memory.
        if (!cached.HasValue)
        {
            return -1;
        }

        return *(byte*)cached.Value; // expect: WVA001
    }

    public int PeekBeforeRelease(int context)
    {
        int digestAddress = _final(context);
        nint? cached = _memory.GetPointer() + digestAddress;
        int first = *(byte*)cached.GetValueOrDefault();
        _release(context);
        return cached.HasValue ? first : -1;
    }

    public string VerifyMac(HashRequest request, byte[] expected)
    {
        int context = Begin(request);
        int buffer = _alloc(ChunkSize);
        int read;
        while ((read = request.Body.Read(_memory.GetSpan(buffer, ChunkSize))) > 0)
        {
            _update(context, buffer, read);
        }

        int macAddress = _final(context);
        GuardedView mac = _guard.GetView(macAddress, expected.Length);
        bool matches = mac.Span.SequenceEqual(expected);
        _guardedRelease(context);
        // Length and IsStale never read guest memory; the guard saw the release, so IsStale is true here.
        Console.WriteLine($"compared {mac.Length} bytes, view released: {mac.IsStale}");
        return matches ? "ok" : "mismatch";
    }

    public static string Describe()
    {
        return s_lastDigest == 0 ? "none" : Encoding.ASCII.GetString(new ReadOnlySpan<byte>((void*)s_lastDigest, 4));
    }
}
