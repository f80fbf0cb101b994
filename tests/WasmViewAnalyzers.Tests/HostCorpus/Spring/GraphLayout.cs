// Force-directed graph layout engine in wasm: the host uploads edges, steps the simulation and renders node positions
// on worker threads. Shape: UnityWasmScripting's per-frame update loop and its span-over-guest-array reads.
using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Spring.GraphLayout;

public sealed class LayoutProgressEventArgs : EventArgs
{
    public int Iteration { get; init; }
}

public sealed class ForceLayout
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _init;
    private readonly Func<float, float> _step;
    private readonly Func<int> _positionsPtr;
    private readonly Func<int, int> _malloc;
    private readonly Channel<(nint Positions, int Count)> _frames = Channel.CreateUnbounded<(nint, int)>();
    private readonly Channel<Vector2[]> _copiedFrames = Channel.CreateUnbounded<Vector2[]>();
    private int _nodeCount;

    public event EventHandler<LayoutProgressEventArgs>? Progress;

    public ForceLayout(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _init = instance.GetFunction<int, int, int>("layout_init")!;
        _step = instance.GetFunction<float, float>("layout_step")!;
        _positionsPtr = instance.GetFunction<int>("positions_ptr")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
    }

    private Span<Vector2> Positions(int address) => MemoryMarshal.Cast<byte, Vector2>(_memory.GetSpan(address, _nodeCount * 8));

    public void Load(int nodeCount, IReadOnlyList<(int From, int To)> edges)
    {
        _nodeCount = nodeCount;
        var at = _malloc(edges.Count * 8);
        var span = _memory.GetSpan<int>(at, edges.Count * 2);
        for (var i = 0; i < edges.Count; i++)
        {
            span[2 * i] = edges[i].From;
            span[2 * i + 1] = edges[i].To;
        }
        _init(nodeCount, at);
    }

    public float Run(int iterations, float temperature)
    {
        var address = _positionsPtr();
        var positions = Positions(address);
        float energy = 0;
        for (var i = 0; i < iterations; i++)
        {
            energy = _step(temperature);
            temperature *= 0.95f;
            // 'positions' was obtained before the loop; every step may grow memory.
            if (float.IsNaN(positions[0].X)) // expect: WVA001
            {
                break;
            }
        }
        return energy;
    }

    public Vector2[] RunAndSnapshot(int iterations)
    {
        var address = _positionsPtr();
        for (var i = 0; i < iterations; i++)
        {
            _step(1f);
            // Safe: obtained again after each step.
            var current = Positions(address);
            Progress?.Invoke(this, new LayoutProgressEventArgs { Iteration = i });
            if (current.Length > 0 && float.IsNaN(current[0].X)) break;
        }
        var view = Positions(address);
        var copy = new Vector2[view.Length];
        for (var i = 0; i < view.Length; i++)
        {
            // Safe: a copy loop, element by element, before any guest call.
            copy[i] = view[i];
        }
        return copy;
    }

    public unsafe void PublishFrame()
    {
        var address = _positionsPtr();
        var basePtr = (nint)((byte*)_memory.GetPointer() + address);
        _frames.Writer.TryWrite((basePtr, _nodeCount)); // expect: WVA002
        var copy = Positions(address).ToArray();
        _copiedFrames.Writer.TryWrite(copy);
    }

    public unsafe void RenderInBackground(Action<Vector2> plot)
    {
        var address = _positionsPtr();
        var start = (Vector2*)((byte*)_memory.GetPointer() + address);
        var count = _nodeCount;
        _ = Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                plot(start[i]); // expect: WVA002
            }
        });

        // Safe: Parallel.For returns only when every body has run; nothing calls the guest meanwhile.
        Parallel.For(0, count, i => plot(start[i]));

        // Safe: the copy is captured, not the pointer.
        var snapshot = new ReadOnlySpan<Vector2>(start, count).ToArray();
        ThreadPool.QueueUserWorkItem(_ => Array.ForEach(snapshot, plot));
    }

    public unsafe void WatchCancellation(CancellationToken token)
    {
        var address = _positionsPtr();
        var centre = (Vector2*)((byte*)_memory.GetPointer() + address);
        void ReportCentre() => Console.WriteLine($"centre at {centre->X},{centre->Y}");
        // Safe: the local function runs now, before any guest call.
        ReportCentre();
        // Declared above and handed over here: the registration runs it whenever the token is cancelled.
        token.Register(ReportCentre); // expect: WVA002
    }

    public unsafe void AttachProgressLogger()
    {
        var address = _positionsPtr();
        var first = (float*)((byte*)_memory.GetPointer() + address);
        Progress += (sender, e) => Console.WriteLine($"iteration {e.Iteration}: x0={*first}"); // expect: WVA002
        // Safe: the handler captures only the offset and obtains the pointer when it runs.
        Progress += (sender, e) => Console.WriteLine($"iteration {e.Iteration}: x0={_memory.GetSpan<float>(address, 1)[0]}");
    }

    public async Task DrainAsync(Action<Vector2[]> draw, CancellationToken token)
    {
        await foreach (var frame in _copiedFrames.Reader.ReadAllAsync(token))
        {
            draw(frame);
        }
    }

    public unsafe float StepWithCentre(float temperature)
    {
        var address = _positionsPtr();
        var centre = (Vector2*)((byte*)_memory.GetPointer() + address);
        var before = *centre;
        var energy = _step(temperature);
        var after = *centre; // expect: WVA001
        return energy + Vector2.Distance(before, after);
    }
}
