using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;

namespace Corpus.Equinox.NetCdfReader;

public sealed record VariableInfo(string Name, int Type, int[] Shape, int DataOffset);

internal sealed unsafe class SlabSource(byte* start, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream(start, length);
}

internal sealed class CopiedSlab(byte[] bytes) : IStaticDataSource
{
    public Stream GetSource() => new MemoryStream(bytes, writable: false);
}

internal sealed class GuestSlabSource(Memory memory, int address, int length) : IStaticDataSource
{
    public unsafe Stream GetSource() => new UnmanagedMemoryStream((byte*)memory.GetPointer() + address, length);
}

internal sealed class SlabWindow(Memory memory, int address, int length) : System.Buffers.MemoryManager<byte>
{
    public override Span<byte> GetSpan() => memory.GetSpan(address, length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

/// <summary>Reads NetCDF-3/4 files through a wasm build of netcdf-c + HDF5; hyperslabs land in guest memory.</summary>
public sealed unsafe class NetCdfHost
{
    private readonly Memory _memory;
    private readonly Function _open;
    private readonly Function _readSlab;
    private readonly Function _variableCount;
    private readonly Func<int, int> _variableName;
    private readonly Func<int, int, int, int> _attribute;

    public NetCdfHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _open = instance.GetFunction("nc_open_mem")!;
        _readSlab = instance.GetFunction("nc_get_vara")!;
        _variableCount = instance.GetFunction("nc_inq_nvars")!;
        _variableName = instance.GetFunction<int, int>("nc_inq_varname")!;
        _attribute = instance.GetFunction<int, int, int, int>("nc_get_att")!;
    }

    public int Open(ReadOnlySpan<byte> file)
    {
        var pages = (file.Length + 65535) / 65536;
        var at = _memory.GetSize() * 65536;
        _memory.Grow(pages);
        file.CopyTo(_memory.GetSpan(at, file.Length));
        return (int)_open.Invoke((int)at, file.Length)!;
    }

    public string[] VariableNames(int handle)
    {
        var count = (int)_variableCount.Invoke(handle)!;
        return Enumerable.Range(0, count).Select(i => _memory.ReadNullTerminatedString(_variableName(i))).ToArray();
    }

    private Span<float> Slab(int handle, int variable, int start, int count)
    {
        var address = (int)_readSlab.Invoke(handle, variable, start, count)!;
        return _memory.GetSpan<float>(address, count);
    }

    private static float Mean(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += v;
        return values.IsEmpty ? float.NaN : (float)(sum / values.Length);
    }

    private float ScaledMean(ReadOnlySpan<float> values, int handle, int variable)
    {
        var scale = BitConverter.Int32BitsToSingle(_attribute(handle, variable, 0));
        return Mean(values) * scale;
    }

    private static int Count(ReadOnlySpan<float> values) => values.Length;

    public float Anomaly(int handle, int variable, int baselineStart, int sampleStart, int count)
    {
        var baseline = Slab(handle, variable, baselineStart, count);
        var baselineMean = Mean(baseline);
        var sample = Slab(handle, variable, sampleStart, count);
        return Mean(sample) - Mean(baseline); // expect: WVA001
    }

    public float AnomalyCopied(int handle, int variable, int baselineStart, int sampleStart, int count)
    {
        var baseline = Slab(handle, variable, baselineStart, count).ToArray();
        var sample = Slab(handle, variable, sampleStart, count);
        return Mean(sample) - Mean(baseline);
    }

    public float Scaled(int handle, int variable, int start, int count)
    {
        var values = Slab(handle, variable, start, count);
        return ScaledMean(values, handle, variable); // expect: WVA001
    }

    public int SlabLengthAfterRead(int handle, int variable, int start, int count)
    {
        var values = Slab(handle, variable, start, count);
        Slab(handle, variable, start + count, count);
        return Count(values) + values.Length;
    }

    public float[] Column(int handle, int variable, int rows, int columns, int column)
    {
        var grid = Slab(handle, variable, 0, rows * columns);
        var result = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            result[r] = grid[r * columns + column];
        }

        return result;
    }

    public void ExportZip(int handle, IReadOnlyList<VariableInfo> variables, string path)
    {
        using var zip = ZipFile.Create(path);
        zip.BeginUpdate();
        foreach (var v in variables)
        {
            var count = v.Shape.Aggregate(1, (a, b) => a * b);
            var address = (int)_readSlab.Invoke(handle, v.DataOffset, 0, count)!;
            var slab = new SlabSource((byte*)_memory.GetPointer() + address, count * sizeof(float));
            zip.Add(slab, v.Name + ".f32"); // expect: WVA003
        }

        foreach (var v in variables.Where(v => v.Type == 2))
        {
            var address = (int)_readSlab.Invoke(handle, v.DataOffset, 0, v.Shape[0])!;
            zip.Add(new GuestSlabSource(_memory, address, v.Shape[0]), v.Name + ".txt"); // expect: WVA003
        }

        zip.CommitUpdate();
    }

    public void ExportZipCopied(int handle, IReadOnlyList<VariableInfo> variables, string path)
    {
        using var zip = ZipFile.Create(path);
        zip.BeginUpdate();
        foreach (var v in variables)
        {
            var count = v.Shape.Aggregate(1, (a, b) => a * b);
            var bytes = MemoryMarshal.AsBytes(Slab(handle, v.DataOffset, 0, count)).ToArray();
            zip.Add(new CopiedSlab(bytes), v.Name + ".f32");
        }

        zip.CommitUpdate();
    }

    public string Units(int handle, int variable)
    {
        var at = _attribute(handle, variable, 1);
        var units = _memory.GetSpan(at + 4, _memory.ReadInt32(at));
        var text = Encoding.ASCII.GetString(units);
        _memory.Grow(1);
        return units.Length > 32 ? text[..32] : text;
    }

    public byte[] TimeAxisRaw(int handle, int timeVariable, int steps)
    {
        var address = (int)_readSlab.Invoke(handle, timeVariable, 0, steps)!;
        var pointer = (float*)((byte*)_memory.GetPointer() + address);
        _memory.Grow(4);
        return new ReadOnlySpan<byte>(pointer, steps * sizeof(float)).ToArray(); // expect: WVA001
    }

    public byte FirstByteOfNextSlab(int handle, int variable, int count)
    {
        var address = (int)_readSlab.Invoke(handle, variable, 0, count)!;
        var window = new SlabWindow(_memory, address, count * sizeof(float)).Memory;
        _readSlab.Invoke(handle, variable, count, count);
        return window.Span[0];
    }
}
