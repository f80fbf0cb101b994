// A shader compiler running as WebAssembly: sources go in as UTF-8, diagnostics and bytecode come
// out; the host grows memory for large inputs.
using System;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Shaders;

sealed class ShaderCompiler
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Func<int, int, int> _compile;
    private readonly Func<int> _errorCount;
    private readonly Func<int, int> _errorText;
    private readonly Func<int, int> _errorLength;

    public ShaderCompiler(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _compile = instance.GetFunction<int, int, int>("compile")!;
        _errorCount = instance.GetFunction<int>("error_count")!;
        _errorText = instance.GetFunction<int, int>("error_text")!;
        _errorLength = instance.GetFunction<int, int>("error_length")!;
    }

    public byte[] Compile(string source)
    {
        var bytes = Encoding.UTF8.GetBytes(source);
        if (_memory.GetLength() < bytes.Length * 2)
        {
            _memory.Grow(1);
        }

        var input = _alloc(bytes.Length);
        var destination = _memory.GetSpan(input, bytes.Length);
        bytes.CopyTo(destination);
        var output = _compile(input, bytes.Length);
        var header = _memory.GetSpan<int>(output, 2);
        var code = _memory.GetSpan(output + 8, header[1]);
        _errorCount();
        return code.ToArray();
    }

    public List<string> Errors()
    {
        var errors = new List<string>();
        var count = _errorCount();
        for (var i = 0; i < count; i++)
        {
            var text = _memory.GetSpan(_errorText(i), 256);
            var length = _errorLength(i);
            errors.Add(Encoding.UTF8.GetString(text[..length]));
        }

        return errors;
    }

    public string FirstError()
    {
        ReadOnlySpan<byte> text = _memory.GetSpan(_errorText(0), 256);
        _memory.Grow(1);
        return Encoding.UTF8.GetString(text.Slice(0, 16));
    }
}
