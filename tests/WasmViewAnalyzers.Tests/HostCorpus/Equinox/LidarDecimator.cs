using System;
using System.IO;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Equinox.LidarDecimator;

[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct LasPoint
{
    public float X, Y, Z;
    public ushort Intensity;
    public byte Classification;
    public byte ReturnNumber;
}

public sealed class TileStats
{
    public int Kept { get; set; }
    public float MinZ { get; set; }
    public float MaxZ { get; set; }
}

/// <summary>Voxel-grid decimation of LAS tiles by a SIMD wasm kernel; output written as gzip'd point blobs.</summary>
public sealed unsafe class PointCloudDecimator
{
    private const int PageSize = 65536;
    private readonly Memory _memory;
    private readonly Func<int, int, float, int> _decimate;
    private readonly Func<int, int, int> _classify;
    private readonly Action<int> _setGround;
    private readonly int _scratch;

    public PointCloudDecimator(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _decimate = instance.GetFunction<int, int, float, int>("decimate")!;
        _classify = instance.GetFunction<int, int, int>("classify_ground")!;
        _setGround = instance.GetAction<int>("set_ground_class")!;
        _scratch = instance.GetFunction<int>("scratch_base")!();
    }

    private void EnsureCapacity(long bytes)
    {
        var needed = _scratch + bytes;
        var have = _memory.GetSize() * PageSize;
        if (needed > have)
        {
            _memory.Grow((needed - have + PageSize - 1) / PageSize);
        }
    }

    public TileStats Decimate(ReadOnlySpan<LasPoint> tile, float voxel, Stream output)
    {
        var bytes = tile.Length * sizeof(LasPoint);
        EnsureCapacity(bytes * 2L);
        var input = _memory.GetSpan<LasPoint>(_scratch, tile.Length);
        tile.CopyTo(input);

        var kept = _decimate(_scratch, tile.Length, voxel);
        var points = _memory.GetSpan<LasPoint>(_scratch, kept);

        var stats = new TileStats { Kept = kept, MinZ = float.MaxValue, MaxZ = float.MinValue };
        foreach (ref readonly var p in points)
        {
            stats.MinZ = MathF.Min(stats.MinZ, p.Z);
            stats.MaxZ = MathF.Max(stats.MaxZ, p.Z);
        }

        using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        gzip.Write(MemoryMarshal.AsBytes(points)); // expect: WVA004
        return stats;
    }

    public void DecimateCopied(ReadOnlySpan<LasPoint> tile, float voxel, Stream output)
    {
        EnsureCapacity(tile.Length * (long)sizeof(LasPoint));
        tile.CopyTo(_memory.GetSpan<LasPoint>(_scratch, tile.Length));
        var kept = _decimate(_scratch, tile.Length, voxel);
        var blob = MemoryMarshal.AsBytes(_memory.GetSpan<LasPoint>(_scratch, kept)).ToArray();

        using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        gzip.Write(blob);
    }

    public int ClassifyGround(ReadOnlySpan<LasPoint> tile, byte groundClass)
    {
        EnsureCapacity(tile.Length * (long)sizeof(LasPoint));
        var staged = _memory.GetSpan<LasPoint>(_scratch, tile.Length);
        tile.CopyTo(staged);
        ref var firstPoint = ref staged[0];
        _setGround(groundClass);
        var ground = _classify(_scratch, tile.Length);
        firstPoint.Classification = groundClass; // expect: WVA001

        return ground;
    }

    public Vector3 Centroid(int count)
    {
        var basePtr = (LasPoint*)((byte*)_memory.GetPointer() + _scratch);
        var sum = Vector3.Zero;
        for (var i = 0; i < count; i++)
        {
            sum += new Vector3(basePtr[i].X, basePtr[i].Y, basePtr[i].Z);
        }

        EnsureCapacity(count * (long)sizeof(LasPoint) * 4);
        var first = new Vector3(basePtr->X, basePtr->Y, basePtr->Z); // expect: WVA001
        return count == 0 ? first : sum / count;
    }

    public float HighestAfterGrow(int count)
    {
        var points = _memory.GetSpan<LasPoint>(_scratch, count);
        var best = float.MinValue;
        foreach (var p in points)
        {
            best = MathF.Max(best, p.Z);
        }

        _memory.Grow(1);
        points = _memory.GetSpan<LasPoint>(_scratch, count);
        return points.IsEmpty ? best : MathF.Max(best, points[^1].Z);
    }

    public int WriteRaw(int count, Stream file)
    {
        var points = _memory.GetSpan<LasPoint>(_scratch, count);
        file.Write(MemoryMarshal.AsBytes(points));
        return points.Length;
    }

    public void WriteBrotli(int count, Stream output)
    {
        var raw = new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + _scratch, count * sizeof(LasPoint));
        using var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true);
        brotli.Write(raw); // expect: WVA004
    }

    public float LoudestScaled(int count, float scale)
    {
        var points = _memory.GetSpan<LasPoint>(_scratch, count);
        ref var top = ref points[0];
        for (var i = 1; i < points.Length; i++)
        {
            if (points[i].Intensity > top.Intensity) top = ref points[i];
        }

        EnsureCapacity(count * (long)sizeof(LasPoint) * 8);
        return top.Intensity * scale; // expect: WVA001
    }
}
