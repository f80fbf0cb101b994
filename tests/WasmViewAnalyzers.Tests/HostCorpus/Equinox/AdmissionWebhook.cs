using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Equinox.AdmissionWebhook;

public sealed record AdmissionReview(string Uid, string Kind, string Namespace, JsonElement Object);

public sealed record AdmissionResponse(string Uid, bool Allowed, string? Message, string? PatchBase64);

public interface IAuditSink
{
    void Record(string uid, ReadOnlyMemory<byte> decision);
}

/// <summary>A Kubernetes validating/mutating admission webhook whose policies are wasm modules (Gatekeeper-style).</summary>
public sealed class WasmAdmissionController : IDisposable
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _validate;
    private readonly Func<int, int, int> _mutate;
    private readonly Func<int> _resultLength;
    private readonly Action _gc;
    private readonly ConcurrentDictionary<string, nint> _lastDecisions = new();
    private readonly List<Action> _afterResponse = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Timer? _flushTimer;
    private ReadOnlyMemory<byte> _lastPatch;

    public WasmAdmissionController(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _validate = instance.GetFunction<int, int, int>("validate")!;
        _mutate = instance.GetFunction<int, int, int>("mutate")!;
        _resultLength = instance.GetFunction<int>("result_length")!;
        _gc = instance.GetAction("gc")!;
    }

    private int Upload(AdmissionReview review)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(review.Object);
        var address = _alloc(json.Length);
        json.CopyTo(_memory.GetSpan(address, json.Length));
        return address;
    }

    private nint Decision(AdmissionReview review, out int length)
    {
        var input = Upload(review);
        var output = _validate(input, review.Kind.Length);
        length = _resultLength();
        return _memory.GetPointer() + output;
    }

    private static unsafe string Text(nint pointer, int length) => Encoding.UTF8.GetString((byte*)pointer, length);

    public async Task<AdmissionResponse> ReviewAsync(AdmissionReview review, IAuditSink audit, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var decision = Decision(review, out var length);
            var text = Text(decision, length);
            var allowed = text.StartsWith("allow", StringComparison.Ordinal);

            _lastDecisions[review.Uid] = decision; // expect: WVA002
            await Task.Delay(1, cancellationToken);
            Console.WriteLine($"[admission] {review.Uid}: {Text(decision, length)}"); // expect: WVA001
            return new AdmissionResponse(review.Uid, allowed, allowed ? null : text, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<AdmissionResponse> MutateAsync(AdmissionReview review, CancellationToken cancellationToken)
    {
        var input = Upload(review);
        var output = _mutate(input, 0);
        var length = _resultLength();
        var patch = PatchMemory.Over(_memory, output, length);
        var base64 = Convert.ToBase64String(patch.Span);
        _lastPatch = patch; // expect: WVA002

        await File.AppendAllTextAsync("/var/log/admission/patches.log", base64 + "\n", cancellationToken);
        return new AdmissionResponse(review.Uid, true, null, base64);
    }

    public void ScheduleAudit(AdmissionReview review, IAuditSink audit)
    {
        var input = Upload(review);
        var output = _validate(input, review.Kind.Length);
        var length = _resultLength();
        var decision = PatchMemory.Over(_memory, output, length);

        ThreadPool.QueueUserWorkItem(_ => audit.Record(review.Uid, decision)); // expect: WVA002
        _afterResponse.Add(() => _gc());
    }

    public void ScheduleAuditCopied(AdmissionReview review, IAuditSink audit)
    {
        var input = Upload(review);
        var output = _validate(input, review.Kind.Length);
        var decision = _memory.GetSpan(output, _resultLength()).ToArray();
        ThreadPool.QueueUserWorkItem(_ => audit.Record(review.Uid, decision));
    }

    public void AuditNow(AdmissionReview review, IAuditSink audit)
    {
        var decision = Decision(review, out var length);
        audit.Record(review.Uid, PatchMemory.Over(decision, length));
    }

    public void StartFlushTimer(IAuditSink audit)
    {
        var pointer = _memory.GetPointer();
        _flushTimer = new Timer(_ => audit.Record("flush", PatchMemory.Over(pointer, 64)), null, 1000, 1000); // expect: WVA002
    }

    public void RegisterCancellation(AdmissionReview review, CancellationToken token)
    {
        var decision = Decision(review, out var length);
        var summary = Text(decision, Math.Min(length, 32));
        token.Register(() => Console.WriteLine($"cancelled {review.Uid} after {summary}"));
    }

    public void RegisterCancellationLate(AdmissionReview review, CancellationToken token)
    {
        var decision = Decision(review, out var length);
        token.Register(() => Console.WriteLine($"cancelled {review.Uid} after {Text(decision, length)}")); // expect: WVA002
    }

    public string RunAfterResponse(AdmissionReview review)
    {
        var decision = Decision(review, out var length);
        foreach (var action in _afterResponse)
        {
            action();
        }

        return Text(decision, length); // expect: WVA001
    }

    public string Revalidate(AdmissionReview review)
    {
        var first = Decision(review, out var firstLength);
        var second = Decision(review, out var secondLength);
        return firstLength == secondLength ? Text(second, secondLength) : Text(first, firstLength); // expect: WVA001
    }

    public void Dispose()
    {
        _flushTimer?.Dispose();
        _gate.Dispose();
    }
}

internal sealed unsafe class PatchMemory : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    private PatchMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public static ReadOnlyMemory<byte> Over(Memory memory, int address, int length) => new PatchMemory((byte*)memory.GetPointer() + address, length).Memory;

    public static ReadOnlyMemory<byte> Over(nint pointer, int length) => new PatchMemory((byte*)pointer, length).Memory;

    public override Span<byte> GetSpan() => new(_start, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
