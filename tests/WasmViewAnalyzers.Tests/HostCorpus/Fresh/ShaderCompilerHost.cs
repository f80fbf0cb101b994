// Shader compiler host, part 2 of 2 (the exports' wrappers are in ShaderCompilerHostExports.cs): GLSL compiled to SPIR-V by
// a compiler in wasm, then run through passes and stages. Shape from naga/glslang-in-wasm build tools; generics, LINQ, events.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Wasmtime;

namespace Corpus.Fresh.ShaderCompilerHost;

public sealed partial class ShaderCompiler
{
    public event EventHandler<int>? Compiled;

    private int UploadSource(string glsl)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(glsl);
        int address = _exports.Alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        return address;
    }

    private int RunStages(int module)
    {
        foreach (CompilerStage stage in _stages)
        {
            module = stage.Run(module); // virtual: OptimizeStage.Run calls the guest
        }
        return module;
    }

    private int Pipeline(int module) => RunStages(Pass("strip_debug")(module));

    private T ReadHeader<T>(int address) where T : unmanaged => _memory.Read<T>(address); // a copy

    public uint[] Compile(string glsl, int stage)
    {
        int source = UploadSource(glsl);
        int module = _exports.Compile(source, Encoding.UTF8.GetByteCount(glsl), stage);
        int count = _exports.SpirvWordCount();
        ReadOnlySpan<uint> words = _memory.Words(module, count);
        uint magic = words[0]; // fresh
        int optimized = Pipeline(module); // two calls deep: RunStages -> OptimizeStage.Run
        if (magic != 0x07230203 || words[1] == 0) // expect: WVA001
        {
            throw new InvalidDataException("not SPIR-V");
        }
        return _memory.CopyWords(optimized, _exports.SpirvWordCount());
    }

    public uint[] CompileChecked(string glsl, int stage)
    {
        int source = UploadSource(glsl);
        int module = _exports.Compile(source, Encoding.UTF8.GetByteCount(glsl), stage);
        uint[] header = _memory.CopyWords(module, 5); // copied before the pipeline runs
        int optimized = Pipeline(module);
        if (header[0] != 0x07230203)
        {
            throw new InvalidDataException("not SPIR-V");
        }
        return _memory.CopyWords(optimized, _exports.SpirvWordCount());
    }

    public int Validate(int module)
    {
        int count = _exports.SpirvWordCount();
        ReadOnlySpan<uint> words = _memory.Words(module, count);
        foreach (CompilerStage stage in _stages.Where(s => s is ValidateStage))
        {
            Console.WriteLine(stage.Name); // Name is host-only on every stage
        }
        return (int)words[0];
    }

    public int Bound(int module)
    {
        ReadOnlySpan<uint> words = _memory.Words(module, 5);
        ValidateStage validate = new ValidateStage();
        int same = validate.Run(module); // the receiver's type is known and sealed: it runs the base Run, which calls nothing
        return (int)words[3] + same;
    }

    public int Remapped(int module)
    {
        ReadOnlySpan<uint> words = _memory.Words(module, 5);
        Func<int, int> remap = Pass("remap_ids"); // a delegate read out of the dictionary of exports
        int remapped = remap(module);
        return (int)words[3] + remapped; // expect: WVA001
    }

    public void Announce(int module)
    {
        ReadOnlySpan<uint> words = _memory.Words(module, 5);
        uint version = words[1];
        Compiled?.Invoke(this, module); // its handlers are subscribed below
        Console.WriteLine($"{version:X8} {words[2]}"); // expect: WVA001
    }

    public void Subscribe()
    {
        Compiled += (_, module) => Pass("remap_ids")(module); // a handler that runs the guest
    }

    public unsafe void Keep(int module)
    {
        int count = _exports.SpirvWordCount();
        nint words = _memory.GetPointer() + module;
        Track(words, count); // expect: WVA002
        Track(module, count); // an offset, passed as a plain number
    }

    public string Disassemble(int module)
    {
        int count = _exports.SpirvWordCount();
        ReadOnlySpan<uint> words = _memory.Words(module, count);
        var text = new StringBuilder();
        foreach (uint word in words)
        {
            text.Append(word.ToString("X8")).Append(' '); // the loop body never enters the guest
        }
        SpirvHeader header = ReadHeader<SpirvHeader>(module);
        return text.Append(header.Bound).ToString();
    }

    public struct SpirvHeader
    {
        public uint Magic, Version, Generator, Bound, Schema;
    }
}
