// A small ML inference runtime: tensors live in guest memory, an abstract "backend" hides Wasmtime behind an
// interface (shape: HakoJS's WasmMemory/WasmCaller backends, ONNX-in-wasm runners that return output tensors).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Winter.TensorRuntime
{
    public readonly record struct TensorDesc(int Address, int Elements, int[] Shape);

    public interface IInferenceBackend
    {
        int Allocate(int bytes);
        void Run(int graph, int input, int output);
        Span<float> Tensor(TensorDesc desc);
        ReadOnlySpan<float> TensorReadOnly(TensorDesc desc);
        ReadOnlyMemory<float> TensorMemory(TensorDesc desc);
    }

    public abstract class BackendBase : IInferenceBackend
    {
        public abstract int Allocate(int bytes);
        public abstract void Run(int graph, int input, int output);
        public abstract Span<float> Tensor(TensorDesc desc);
        public ReadOnlySpan<float> TensorReadOnly(TensorDesc desc) => Tensor(desc);
        public abstract ReadOnlyMemory<float> TensorMemory(TensorDesc desc);
    }

    public sealed class WasmtimeBackend : BackendBase
    {
        private readonly Memory _memory;
        private readonly Func<int, int> _malloc;
        private readonly Action<int, int, int> _run;

        public WasmtimeBackend(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _malloc = instance.GetFunction<int, int>("malloc")!;
            _run = instance.GetAction<int, int, int>("run_graph")!;
        }

        public override int Allocate(int bytes) => _malloc(bytes);
        public override void Run(int graph, int input, int output) => _run(graph, input, output);
        public override Span<float> Tensor(TensorDesc desc) => _memory.GetSpan<float>(desc.Address, desc.Elements);

        public override unsafe ReadOnlyMemory<float> TensorMemory(TensorDesc desc) =>
            new FloatManager((float*)((byte*)_memory.GetPointer() + desc.Address), desc.Elements).Memory;
    }

    internal sealed unsafe class FloatManager : System.Buffers.MemoryManager<float>
    {
        private readonly float* _p;
        private readonly int _n;
        public FloatManager(float* p, int n) { _p = p; _n = n; }
        public override Span<float> GetSpan() => new Span<float>(_p, _n);
        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_p + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }

    public sealed class InferenceSession
    {
        private readonly IInferenceBackend _backend;
        private readonly int _graph;
        private ReadOnlyMemory<float> _lastLogits;
        private float[] _lastLogitsCopy = Array.Empty<float>();

        public InferenceSession(IInferenceBackend backend, int graph)
        {
            _backend = backend;
            _graph = graph;
        }

        private TensorDesc NewTensor(params int[] shape)
        {
            var elements = shape.Aggregate(1, (a, b) => a * b);
            return new TensorDesc(_backend.Allocate(elements * sizeof(float)), elements, shape);
        }

        public float[] Classify(float[] pixels)
        {
            var input = NewTensor(1, 3, 224, 224);
            var inputView = _backend.Tensor(input);
            pixels.CopyTo(inputView);                            // written before any guest call
            var output = NewTensor(1, 1000);                    // Allocate is a guest call (malloc may grow memory)
            _backend.Run(_graph, input.Address, output.Address);
            var logits = _backend.Tensor(output);
            var result = Softmax(logits);
            inputView.Clear();                                    // expect: WVA001
            return result;
        }

        public float[] ClassifyFixed(float[] pixels)
        {
            var input = NewTensor(1, 3, 224, 224);
            var output = NewTensor(1, 1000);                     // allocate both first
            pixels.CopyTo(_backend.Tensor(input));
            _backend.Run(_graph, input.Address, output.Address);
            return Softmax(_backend.Tensor(output));             // obtained after the run
        }

        public (int Label, float Score)[] TopK(float[] pixels, int k)
        {
            var input = NewTensor(1, 3, 224, 224);
            var output = NewTensor(1, 1000);
            pixels.CopyTo(_backend.Tensor(input));
            _backend.Run(_graph, input.Address, output.Address);
            ReadOnlySpan<float> scores = _backend.TensorReadOnly(output);
            var best = new List<(int, float)>();
            for (int i = 0; i < scores.Length; i++)
            {
                best.Add((i, scores[i]));                       // a value read out: a copy
            }
            var scratch = NewTensor(16);                          // guest call after the loop
            _ = scratch;
            return best.OrderByDescending(b => b.Item2).Take(k).ToArray();
        }

        public float ResidualNorm(float[] pixels)
        {
            var input = NewTensor(1, 3, 224, 224);
            var residual = NewTensor(1, 3, 224, 224);
            var x = _backend.TensorReadOnly(input);
            pixels.CopyTo(_backend.Tensor(input));
            _backend.Run(_graph, input.Address, residual.Address);
            float norm = 0;
            foreach (var v in x)                                 // expect: WVA001
            {
                norm += v * v;
            }
            return MathF.Sqrt(norm);
        }

        public void KeepLogits(float[] pixels)
        {
            var input = NewTensor(1, 3, 224, 224);
            var output = NewTensor(1, 1000);
            pixels.CopyTo(_backend.Tensor(input));
            _backend.Run(_graph, input.Address, output.Address);
            _lastLogitsCopy = _backend.TensorMemory(output).ToArray();   // a copy
            _lastLogits = _backend.TensorMemory(output);                 // expect: WVA002
        }

        private Task<ReadOnlyMemory<float>> InferAsync(TensorDesc input, TensorDesc output)
        {
            _backend.Run(_graph, input.Address, output.Address);
            return Task.FromResult(_backend.TensorMemory(output));
        }

        public async Task<float> ConfidenceAsync(float[] pixels)
        {
            var input = NewTensor(1, 3, 224, 224);
            var output = NewTensor(1, 1000);
            pixels.CopyTo(_backend.Tensor(input));
            var logits = await InferAsync(input, output);                // the task carries a view
            var top = logits.Span[0];                                    // fresh: nothing ran since
            NewTensor(4);                                                // malloc
            return top + logits.Span[1];                                 // expect: WVA001
        }

        // Only reads the length of what it is given: passing a stale span to it is not a use.
        private static int ElementCount(scoped ReadOnlySpan<float> t) => t.Length;

        public int Batch(IReadOnlyList<float[]> images)
        {
            var output = NewTensor(1, 1000);
            var outView = _backend.Tensor(output);
            var total = 0;
            foreach (var image in images)
            {
                var input = NewTensor(1, 3, 224, 224);
                image.CopyTo(_backend.Tensor(input));
                _backend.Run(_graph, input.Address, output.Address);
                total += ElementCount(outView);                  // judged by its body: length only
                total += (int)outView[0];                        // expect: WVA001
            }
            return total;
        }

        private static float[] Softmax(ReadOnlySpan<float> logits)
        {
            var max = float.MinValue;
            foreach (var l in logits) max = Math.Max(max, l);
            var result = new float[logits.Length];
            float sum = 0;
            for (int i = 0; i < logits.Length; i++) sum += result[i] = MathF.Exp(logits[i] - max);
            for (int i = 0; i < result.Length; i++) result[i] /= sum;
            return result;
        }
    }

    public static unsafe class TensorPinning
    {
        // A raw pointer kept in a local that never leaves the method.
        public static float Trace(Memory memory, Action<int> normalize, TensorDesc square)
        {
            var n = square.Shape[0];
            float* p = (float*)((byte*)memory.GetPointer() + square.Address);
            float trace = 0;
            for (int i = 0; i < n; i++) trace += p[i * n + i];
            // A delegate parameter: its origin is unknown (no caller in this compilation), so by default
            // (unknown_delegates = ignore) invoking it is not a guest call and p stays fresh for the rule.
            normalize(square.Address);
            trace += p[0];
            return trace;
        }
    }
}
