// ACME certificate tool: a guest crypto module signs JWS payloads and builds CSRs; the host runs the async ACME order flow.
// Shape inspired by async plugin hosts (Task-returning export wrappers, await using sessions) and DotNetIsolator's result staging.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Solstice.AcmeOrderClient
{
    internal sealed unsafe class SignatureMemory : MemoryManager<byte>
    {
        private readonly byte* _start;
        private readonly int _length;

        public SignatureMemory(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new Span<byte>(_start, _length);
        public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_start + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }

    public sealed class JwsEnvelope
    {
        public JwsEnvelope(string protectedHeader, ReadOnlyMemory<byte> signature)
        {
            ProtectedHeader = protectedHeader;
            Signature = signature;
        }

        public string ProtectedHeader { get; }
        public ReadOnlyMemory<byte> Signature { get; }
    }

    // Closing the session runs the guest (it zeroes and frees the key schedule).
    public sealed class CryptoSession : IAsyncDisposable
    {
        private readonly Action _close;

        public CryptoSession(Action close) => _close = close;

        public ValueTask DisposeAsync()
        {
            _close();
            return ValueTask.CompletedTask;
        }
    }

    public sealed class AcmeClient
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _sign;
        private readonly Func<int> _sigLength;
        private readonly Func<int, int, int> _csr;
        private readonly Func<int> _csrLength;
        private readonly Action _sessionClose;
        private readonly Queue<JwsEnvelope> _outbox = new();

        public AcmeClient(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _sign = instance.GetFunction<int, int, int>("sign")!;
            _sigLength = instance.GetFunction<int>("sig_length")!;
            _csr = instance.GetFunction<int, int, int>("csr")!;
            _csrLength = instance.GetFunction<int>("csr_length")!;
            _sessionClose = instance.GetAction("session_close")!;
        }

        private unsafe ReadOnlyMemory<byte> Signature(int payload, int length)
        {
            var address = _sign(payload, length);
            var signatureLength = _sigLength();
            return new SignatureMemory((byte*)_memory.GetPointer() + address, signatureLength).Memory;
        }

        private unsafe ReadOnlyMemory<byte> KeyView(int address)
            => new SignatureMemory((byte*)_memory.GetPointer() + address, 32).Memory;

        private async Task<ReadOnlyMemory<byte>> SignAsync(int payload, int length)
        {
            await Task.Yield();
            return Signature(payload, length);
        }

        private async Task<ReadOnlyMemory<byte>> CsrAsync(int domain, int length)
        {
            var address = _csr(domain, length);
            var csrLength = _csrLength();
            await Task.Yield();
            return _memory.GetSpan(address, csrLength).ToArray();
        }

        private async IAsyncEnumerable<int> PendingAuthorizationsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Delay(10);
                yield return _sign(i, 0);
            }
        }

        private static Task PostAsync(string url, ReadOnlyMemory<byte> body) => Task.CompletedTask;

        public async Task<byte[]> SignInSessionAsync(int payload, int length)
        {
            ReadOnlyMemory<byte> signature;
            await using (new CryptoSession(_sessionClose))
            {
                signature = Signature(payload, length);
            }

            return signature.ToArray(); // expect: WVA001
        }

        public async Task<byte[]> SignInSessionSafeAsync(int payload, int length)
        {
            byte[] signature;
            await using (new CryptoSession(_sessionClose))
            {
                signature = Signature(payload, length).ToArray();
            }

            return signature;
        }

        public async Task FinalizeAsync(int payload, int length, int domain, int domainLength)
        {
            var signature = await SignAsync(payload, length);
            var csr = await CsrAsync(domain, domainLength);
            await PostAsync("finalize", csr);
            await PostAsync("finalize-jws", signature); // lead: no marker: PostAsync's body (=> Task.CompletedTask) never reads `body`, and the WVA001 page judges a method of yours by its body (a view handed to one that does not read it is not a use)
        }

        public async Task FinalizeSafeAsync(int payload, int length, int domain, int domainLength)
        {
            var csr = await CsrAsync(domain, domainLength); // a copy: survives the next await
            var signature = await SignAsync(payload, length);
            await PostAsync("finalize-jws", signature);
            await PostAsync("finalize", csr);
        }

        public async Task SendNowAsync(string header, int payload, int length)
        {
            var envelope = new JwsEnvelope(header, Signature(payload, length)); // a local object, sent at once
            await PostAsync(envelope.ProtectedHeader, envelope.Signature);
        }

        public void Queue(string header, int payload, int length)
        {
            var envelope = new JwsEnvelope(header, Signature(payload, length));
            _outbox.Enqueue(envelope); // expect: WVA002
        }

        public void QueueCopy(string header, int payload, int length)
        {
            var envelope = new JwsEnvelope(header, Signature(payload, length).ToArray());
            _outbox.Enqueue(envelope);
        }

        public unsafe Task AuditLater(Task sent, int payload, int length)
        {
            var address = _sign(payload, length);
            nint nonce = _memory.GetPointer() + address;
            return sent.ContinueWith(_ => Console.WriteLine(*(uint*)nonce)); // expect: WVA002
        }

        public byte NonceAfterSyncSign(int payload, int length)
        {
            var nonce = _memory.GetSpan(payload, 16);
            var signature = SignAsync(payload, length).GetAwaiter().GetResult();
            return (byte)(nonce[0] ^ signature.Length); // expect: WVA001
        }

        public byte NonceAfterDelay(int payload)
        {
            var nonce = _memory.GetSpan(payload, 16);
            Task.Delay(1).GetAwaiter().GetResult(); // no guest code runs here
            return nonce[0];
        }

        public async Task<int> AuthorizeAllAsync(int accountKey, int count)
        {
            var key = KeyView(accountKey);
            var thumbprint = 0;
            await foreach (var authorization in PendingAuthorizationsAsync(count))
            {
                thumbprint ^= authorization + key.Span[0]; // expect: WVA001
            }

            return thumbprint;
        }

        public async Task<int> AuthorizeAllSafeAsync(int accountKey, int count)
        {
            var key = _memory.GetSpan(accountKey, 32).ToArray();
            var thumbprint = 0;
            await foreach (var authorization in PendingAuthorizationsAsync(count))
            {
                thumbprint ^= authorization + key[0];
            }

            return thumbprint;
        }
    }
}
