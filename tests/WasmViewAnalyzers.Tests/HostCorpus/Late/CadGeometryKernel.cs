// CAD kernel compiled to wasm (B-rep tessellation); the host's viewport reads vertex buffers out of guest memory.
// Shape inspired by geometry kernels behind a "kernel" interface with a Wasmtime implementation (exports as delegate properties).
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Late.CadGeometryKernel;

public interface IGeometryKernel
{
    int Tessellate(uint body, float tolerance);
    ReadOnlySpan<Vector3> Vertices(uint body);
    long VertexAddress(uint body);
    int VertexCount(uint body);
}

public readonly record struct MeshView(nint Address, int Count);

public sealed class WasmGeometryKernel : IGeometryKernel
{
    private readonly Instance _instance;

    public WasmGeometryKernel(Instance instance)
    {
        _instance = instance;
        Memory = instance.GetMemory("memory")!;
        TessellateExport = instance.GetFunction<int, float, int>("brep_tessellate")!;
        VertexPtr = instance.GetFunction<int, long>("mesh_vertices")!;
        CountExport = instance.GetFunction<int, int>("mesh_count")!;
    }

    public Memory Memory { get; }

    private Func<int, float, int> TessellateExport { get; }

    private Func<int, long> VertexPtr { get; }

    private Func<int, int> CountExport { get; }

    public int Tessellate(uint body, float tolerance) => TessellateExport((int)body, tolerance);

    public long VertexAddress(uint body) => VertexPtr((int)body);

    public int VertexCount(uint body) => CountExport((int)body);

    public ReadOnlySpan<Vector3> Vertices(uint body)
    {
        long address = VertexAddress(body);
        int count = VertexCount(body);
        return MemoryMarshal.Cast<byte, Vector3>(Memory.GetSpan(address, count * 12));
    }
}

public sealed class Viewport
{
    private readonly IGeometryKernel _kernel;
    private readonly WasmGeometryKernel _wasm;
    private nint _hoveredVertices;
    private long _hoveredBody;

    public Viewport(WasmGeometryKernel kernel)
    {
        _kernel = kernel;
        _wasm = kernel;
    }

    public Vector3 Centroid(uint body)
    {
        var vertices = _kernel.Vertices(body);
        var sum = Vector3.Zero;
        foreach (var v in vertices)
            sum += v;
        _kernel.Tessellate(body, 0.01f); // refine after the centroid is known
        return vertices.Length == 0 ? sum : sum / vertices.Length;
    }

    public Vector3 FirstAfterRefine(uint body)
    {
        var vertices = _kernel.Vertices(body);
        _kernel.Tessellate(body, 0.01f);
        return vertices[0]; // expect: WVA001
    }

    public Vector3 FirstAfterLazyRefine(uint body, IEnumerable<uint> others)
    {
        var vertices = _kernel.Vertices(body);
        var refined = others.Select(o => _kernel.Tessellate(o, 0.1f)).ToList(); // ToList runs the lambda now
        return refined.Count > 0 ? vertices[^1] : Vector3.Zero; // expect: WVA001
    }

    public Vector3 FirstWithPureLinq(uint body, IEnumerable<uint> others)
    {
        var vertices = _kernel.Vertices(body);
        var ids = others.Select(o => o * 2).ToList();
        return ids.Count > 0 ? vertices[^1] : Vector3.Zero; // the lambda only doubles ids
    }

    public IEnumerable<Vector3> Outline(uint body)
    {
        long address = _kernel.VertexAddress(body);
        int count = _kernel.VertexCount(body);
        nint basePtr = _wasm.Memory.GetPointer() + (nint)address;
        for (int i = 0; i < count; i++)
            yield return ReadVertex(basePtr, i); // expect: WVA001
    }

    public IEnumerable<Vector3> OutlineFresh(uint body)
    {
        int count = _kernel.VertexCount(body);
        for (int i = 0; i < count; i++)
        {
            long address = _kernel.VertexAddress(body);
            nint basePtr = _wasm.Memory.GetPointer() + (nint)address; // obtained again after each resume
            yield return ReadVertex(basePtr, i);
        }
    }

    private static unsafe Vector3 ReadVertex(nint basePtr, int index) => ((Vector3*)basePtr)[index];

    public void Hover(uint body)
    {
        _hoveredBody = _kernel.VertexAddress(body); // a guest offset, asked before the pointer is taken
        _hoveredVertices = _wasm.Memory.GetPointer() + (nint)_hoveredBody; // expect: WVA002
    }

    public ImmutableList<MeshView> Snapshot(IReadOnlyList<uint> bodies)
    {
        var builder = ImmutableList.CreateBuilder<MeshView>();
        foreach (var body in bodies)
        {
            _kernel.Tessellate(body, 0.05f);
            long address = _kernel.VertexAddress(body);
            int count = _kernel.VertexCount(body);
            builder.Add(new MeshView(_wasm.Memory.GetPointer() + (nint)address, count)); // expect: WVA002
        }

        // Lead's correction after the blind measurement: the list holds pointers obtained before the
        // next turn's guest call; the WVA001 page counts returning such a collection as a use of
        // them ('return pending;'), as the Unseen set's writer marked the same shape.
        return builder.ToImmutable(); // expect: WVA001
    }

    public Task<float> MaxZAsync(uint body)
    {
        long address = _kernel.VertexAddress(body);
        int count = _kernel.VertexCount(body);
        nint basePtr = _wasm.Memory.GetPointer() + (nint)address;
        return Task.Factory.StartNew(() => MaxZ(basePtr, count)); // expect: WVA002
    }

    public Task<float> MaxZCopiedAsync(uint body)
    {
        var copy = _kernel.Vertices(body).ToArray();
        return Task.Factory.StartNew(() => copy.Max(v => v.Z));
    }

    private static unsafe float MaxZ(nint basePtr, int count)
    {
        float max = float.MinValue;
        for (int i = 0; i < count; i++)
            max = MathF.Max(max, ((Vector3*)basePtr)[i].Z);
        return max;
    }

    public float Measure(uint body)
    {
        long address = _kernel.VertexAddress(body);
        int count = _kernel.VertexCount(body);
        nint basePtr = _wasm.Memory.GetPointer() + (nint)address;
        float Extent() => MaxZ(basePtr, count);
        float before = Extent(); // the local function reads the pointer before any guest call
        _kernel.Tessellate(body, 0.001f);
        return before - Extent(); // expect: WVA001
    }

    public void MeasureInBackground(uint body, Action<float> report)
    {
        long address = _kernel.VertexAddress(body);
        int count = _kernel.VertexCount(body);
        nint basePtr = _wasm.Memory.GetPointer() + (nint)address;
        void Work(object? _) => report(MaxZ(basePtr, count));
        ThreadPool.QueueUserWorkItem(Work); // expect: WVA002
    }

    public int HoverCount(uint body) => _kernel.VertexCount(body) + (_hoveredVertices == 0 ? 0 : 1); // compares the pointer only
}
