// Shader compiler host, part 1 of 2 (the partial class continues in ShaderCompilerHost.cs): the wrappers of the
// compiler's exports. Shape from naga/glslang-in-wasm build tools that wrap exports behind an interface and extensions.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Fresh.ShaderCompilerHost;

public interface ICompilerExports
{
    int Compile(int sourceAddress, int sourceLength, int stage);
    int SpirvWordCount();
    int Alloc(int bytes);
}

public static class GuestMemoryExtensions
{
    // Returns a view: SPIR-V words straight out of guest memory.
    public static ReadOnlySpan<uint> Words(this Memory memory, int address, int count) =>
        MemoryMarshal.Cast<byte, uint>(memory.GetSpan(address, count * sizeof(uint)));

    // Returns a copy.
    public static uint[] CopyWords(this Memory memory, int address, int count) =>
        memory.Words(address, count).ToArray();
}

public abstract class CompilerStage
{
    public abstract string Name { get; }
    public virtual int Run(int module) => module; // the default stage does nothing in the guest
}

public sealed class ValidateStage : CompilerStage
{
    public override string Name => "validate"; // host-side bookkeeping only
}

public sealed class OptimizeStage(Func<int, int> optimize) : CompilerStage
{
    public override string Name => "optimize";
    public override int Run(int module) => optimize(module);
}

public sealed partial class ShaderCompiler
{
    private readonly Memory _memory;
    private readonly ICompilerExports _exports;
    private readonly Dictionary<string, Func<int, int>> _passes = new();
    private readonly List<CompilerStage> _stages = new();
    private readonly List<nint> _registry = new();

    private sealed class WasmExports(Instance instance) : ICompilerExports
    {
        private readonly Func<int, int, int, int> _compile = instance.GetFunction<int, int, int, int>("compile")!;
        private readonly Func<int> _wordCount = instance.GetFunction<int>("spirv_word_count")!;
        private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("alloc")!;

        public int Compile(int sourceAddress, int sourceLength, int stage) => _compile(sourceAddress, sourceLength, stage);
        public int SpirvWordCount() => _wordCount();
        public int Alloc(int bytes) => _alloc(bytes);
    }

    public ShaderCompiler(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _exports = new WasmExports(instance);
        _passes["strip_debug"] = instance.GetFunction<int, int>("strip_debug")!;
        _passes["remap_ids"] = instance.GetFunction<int, int>("remap_ids")!;
        _stages.Add(new ValidateStage());
        _stages.Add(new OptimizeStage(instance.GetFunction<int, int>("optimize")!));
    }

    public Func<int, int> Pass(string name) => _passes[name];

    private void Register(nint words) => _registry.Add(words);
    private void Track(nint words, int count)
    {
        if (count > 0)
        {
            Register(words);
        }
    }
}
