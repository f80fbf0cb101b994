// A search-engine ranking plugin: a wasm scorer reranks candidate documents, score vectors live in a pool of guest
// buffers that the host rents and returns (shape: DotNetIsolator's guest buffer rental, Extism-like plugin calls).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Wasmtime;
using WasmViewAnalyzers.Runtime;

namespace Corpus.Summer.SearchRankingPlugin;

public sealed class GuestBufferPool
{
    private readonly Func<int, int> _malloc;
    private readonly Stack<int> _free = new();
    public GuestBufferPool(Func<int, int> malloc) => _malloc = malloc;
    public int Rent(int size) => _free.Count > 0 ? _free.Pop() : _malloc(size);   // may allocate in the guest
    public void Return(int address) => _free.Push(address);
}

public readonly record struct Candidate(int DocId, float Bm25);

public sealed class Reranker
{
    private const int MaxCandidates = 256;
    private readonly Memory _memory;
    private readonly GuestBufferPool _pool;
    private readonly Action<int, int, int> _score;          // (candidates ptr, count, scores ptr)
    private readonly Action<int> _loadModel;
    private readonly List<Memory<float>> _history = new();

    public Reranker(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _pool = new GuestBufferPool(instance.GetFunction<int, int>("malloc")!);
        _score = instance.GetAction<int, int, int>("score")!;
        _loadModel = instance.GetAction<int>("load_model")!;
    }

    private Span<float> Scores(int address, int count) => MemoryMarshal.Cast<byte, float>(_memory.GetSpan(address, count * 4));

    private void Upload(int address, IReadOnlyList<Candidate> candidates)
    {
        var target = MemoryMarshal.Cast<byte, Candidate>(_memory.GetSpan(address, candidates.Count * 8));
        for (var i = 0; i < candidates.Count; i++) target[i] = candidates[i];
    }

    // Three levels down, this reaches the guest: Prepare -> EnsureModel -> _loadModel.
    private void Prepare(int modelId) => EnsureModel(modelId);
    private void EnsureModel(int modelId) { if (modelId >= 0) Load(modelId); }
    private void Load(int modelId) => _loadModel(modelId);

    public int[] Rerank(IReadOnlyList<Candidate> candidates, int modelId)
    {
        var input = _pool.Rent(MaxCandidates * 8);
        var output = _pool.Rent(MaxCandidates * 4);
        Upload(input, candidates);
        var scores = Scores(output, candidates.Count);
        scores.Clear();                                          // written before any guest call
        Prepare(modelId);                                        // loads the model through the guest
        _score(input, candidates.Count, output);
        var order = Enumerable.Range(0, candidates.Count).ToArray();
        var keys = new float[candidates.Count];
        for (var i = 0; i < keys.Length; i++) keys[i] = -scores[i];   // expect: WVA001
        Array.Sort(keys, order);
        _pool.Return(input);
        _pool.Return(output);
        return order.Select(i => candidates[i].DocId).ToArray();
    }

    public int[] RerankFresh(IReadOnlyList<Candidate> candidates, int modelId)
    {
        Prepare(modelId);
        var input = _pool.Rent(MaxCandidates * 8);
        var output = _pool.Rent(MaxCandidates * 4);
        Upload(input, candidates);
        _score(input, candidates.Count, output);
        var scores = Scores(output, candidates.Count);           // obtained after the scorer ran
        var keys = new float[candidates.Count];
        for (var i = 0; i < keys.Length; i++) keys[i] = -scores[i];
        var order = Enumerable.Range(0, candidates.Count).ToArray();
        Array.Sort(keys, order);
        _pool.Return(input);
        _pool.Return(output);
        return order.Select(i => candidates[i].DocId).ToArray();
    }

    public float[] ScoreWithLease(IReadOnlyList<Candidate> candidates, int warmupModel)
    {
        var input = _pool.Rent(MaxCandidates * 8);
        var output = _pool.Rent(MaxCandidates * 4);
        Upload(input, candidates);
        _score(input, candidates.Count, output);
        using var lease = _memory.LeaseCopy(output, candidates.Count * 4);   // a pooled copy
        Prepare(warmupModel);                                     // warms the next model: guest code runs
        return MemoryMarshal.Cast<byte, float>(lease.Span).ToArray();
    }

    public float TopScore(IReadOnlyList<Candidate> candidates)
    {
        var input = _pool.Rent(MaxCandidates * 8);
        var output = _pool.Rent(MaxCandidates * 4);            // Rent may call malloc: the guest runs
        Upload(input, candidates);
        var scores = Scores(output, candidates.Count);
        var scratch = _pool.Rent(64);                          // may allocate in the guest
        _score(input, candidates.Count, output);
        _pool.Return(scratch);
        return scores.Length == 0 ? 0f : scores[0];               // expect: WVA001
    }

    public void Record(int output, int count)
    {
        var scores = new GuestFloats(_memory, output, count).Memory;
        _history.Add(scores);                                    // expect: WVA002
        _history.Add(scores.ToArray());                          // a copy
    }

    public float BestOfHistory(int output, int count, IReadOnlyList<Candidate> candidates)
    {
        var views = new List<ReadOnlyMemory<float>>();           // views kept only in this local list
        var current = new GuestFloats(_memory, output, count).Memory;
        views.Add(current);                                      // expect: WVA002
        _score(0, candidates.Count, output);
        return views.Select(v => v.Span[0]).Max();               // expect: WVA001
    }
}

// A MemoryManager over guest floats: the object is the view.
public sealed unsafe class GuestFloats : System.Buffers.MemoryManager<float>
{
    private readonly float* _start;
    private readonly int _count;
    public GuestFloats(Memory memory, int address, int count)
    {
        _start = (float*)((byte*)memory.GetPointer() + address);
        _count = count;
    }
    public override Span<float> GetSpan() => new(_start, _count);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
