// A genome variant caller: a wasm pileup kernel calls variants per chromosome and emits VCF text; results are
// packed with DotNetZip and SharpZipLib (shape: ImageBatch-style exporters, wasmtime-dotnet Caller.GetMemory logging).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using ICSharpCode.SharpZipLib.Zip;
using Wasmtime;
using SharpZip = ICSharpCode.SharpZipLib.Zip.ZipFile;

namespace Corpus.Summer.GenomeVariantCaller;

// A data source that keeps the guest pointer and builds the stream only when SharpZipLib commits.
public sealed unsafe class VcfPointerSource : IStaticDataSource
{
    private readonly byte* _start;
    private readonly int _length;
    public VcfPointerSource(byte* start, int length) { _start = start; _length = length; }
    public Stream GetSource() => new UnmanagedMemoryStream(_start, _length);
}

// The same idea with a primary constructor over an address: the pointer is kept until GetSource runs.
public sealed unsafe class VcfAddressSource(nint start, int length) : IStaticDataSource
{
    public Stream GetSource() => new UnmanagedMemoryStream((byte*)start, length);
}

public sealed class VcfBytesSource : IStaticDataSource
{
    private readonly byte[] _bytes;
    public VcfBytesSource(byte[] bytes) => _bytes = bytes;
    public Stream GetSource() => new MemoryStream(_bytes, writable: false);
}

public sealed unsafe class VariantCaller
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _callVariants;       // (chromosome, min quality) -> VCF pointer
    private readonly Func<int> _vcfLength;
    private readonly List<string> _messages = new();

    public VariantCaller(Engine engine, Module module, Store store)
    {
        var linker = new Linker(engine);
        linker.DefineFunction("env", "log", (Caller caller, int address, int length) =>
        {
            // ReadString copies the message out while the callback runs.
            _messages.Add(caller.GetMemory("memory")!.ReadString(address, length, Encoding.UTF8));
        });
        var instance = linker.Instantiate(store, module);
        _memory = instance.GetMemory("memory")!;
        _callVariants = instance.GetFunction<int, int, int>("call_variants")!;
        _vcfLength = instance.GetFunction<int>("vcf_len")!;
    }

    public void ExportDotNetZip(string path, IReadOnlyList<int> chromosomes)
    {
        using var zip = new Ionic.Zip.ZipFile();
        foreach (var chromosome in chromosomes)
        {
            var vcf = _callVariants(chromosome, 30);
            // C# evaluates left to right: the pointer is taken before vcf_len runs, so the stream is stale at once.
            var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + vcf, _vcfLength());
            zip.AddEntry($"chr{chromosome}.vcf", content);                     // expect: WVA001, WVA003
        }
        zip.Save(path);
    }

    public void ExportDotNetZipCopies(string path, IReadOnlyList<int> chromosomes)
    {
        using var zip = new Ionic.Zip.ZipFile();
        foreach (var chromosome in chromosomes)
        {
            var vcf = _callVariants(chromosome, 30);
            var length = _vcfLength();
            zip.AddEntry($"chr{chromosome}.vcf", _memory.GetSpan(vcf, length).ToArray());   // byte[] overload: a copy
        }
        zip.Save(path);
    }

    public void ExportWithWriter(string path, int chromosome)
    {
        using var zip = new Ionic.Zip.ZipFile();
        var vcf = _callVariants(chromosome, 30);
        var length = _vcfLength();
        var content = new UnmanagedMemoryStream((byte*)_memory.GetPointer() + vcf, length);
        zip.AddEntry($"chr{chromosome}.vcf", (name, target) => content.CopyTo(target));   // expect: WVA003
        _callVariants(chromosome, 50);                                       // the strict pass reuses the VCF buffer
        zip.Save(path);
    }

    public void ExportSharpZip(Stream output, IReadOnlyList<int> chromosomes)
    {
        using var zip = SharpZip.Create(output);
        zip.BeginUpdate();
        foreach (var chromosome in chromosomes)
        {
            var vcf = _callVariants(chromosome, 30);
            var length = _vcfLength();
            var source = new VcfPointerSource((byte*)_memory.GetPointer() + vcf, length);
            zip.Add(source, $"chr{chromosome}.vcf");                          // expect: WVA003
        }
        zip.CommitUpdate();
    }

    public void ExportSharpZipSummary(Stream output, int chromosome)
    {
        using var zip = SharpZip.Create(output);
        zip.BeginUpdate();
        var vcf = _callVariants(chromosome, 30);
        var length = _vcfLength();
        var summary = new VcfAddressSource(_memory.GetPointer() + vcf, Math.Min(length, 4096));
        zip.Add(summary, $"chr{chromosome}.summary.vcf");                     // expect: WVA003
        zip.CommitUpdate();
    }

    public void ExportSharpZipCopies(Stream output, IReadOnlyList<int> chromosomes)
    {
        using var zip = SharpZip.Create(output);
        zip.BeginUpdate();
        foreach (var chromosome in chromosomes)
        {
            var vcf = _callVariants(chromosome, 30);
            var length = _vcfLength();
            zip.Add(new VcfBytesSource(_memory.GetSpan(vcf, length).ToArray()), $"chr{chromosome}.vcf");
        }
        zip.CommitUpdate();
    }

    public int CountHeterozygous(int chromosome)
    {
        var vcf = _callVariants(chromosome, 30);
        var text = _memory.GetSpan(vcf, _vcfLength());
        var copy = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            copy[i] = text[i];                                                   // an element-by-element copy
        }
        _callVariants(chromosome + 1, 30);
        return Encoding.ASCII.GetString(copy).Split("0/1").Length - 1;          // the host's copy
    }

    public string CompareStrictness(int chromosome)
    {
        var relaxed = new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + _callVariants(chromosome, 10), _vcfLength());
        var strict = _callVariants(chromosome, 60);
        var strictText = _memory.ReadString(strict, _vcfLength(), Encoding.ASCII);
        return Encoding.ASCII.GetString(relaxed) + strictText;                   // expect: WVA001
    }
}
