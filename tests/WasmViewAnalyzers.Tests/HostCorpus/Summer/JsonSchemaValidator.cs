// A JSON Schema validator compiled to wasm: validation errors are pulled one by one from the guest and exposed as
// ReadOnlyMemory over guest memory through a MemoryManager (shape: DotNetIsolator's GuestMemory-style managers).
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Summer.JsonSchemaValidator;

public sealed unsafe class GuestSlab : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public GuestSlab(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}

public readonly record struct ValidationError(string Pointer, string Message);

public sealed class SchemaValidator
{
    private readonly Memory _memory;
    private readonly Func<int, int, int> _validate;
    private readonly Func<int> _nextError;
    private readonly Func<int> _errorLength;
    private readonly TextWriter _log;

    public SchemaValidator(Instance instance, TextWriter log)
    {
        _memory = instance.GetMemory("memory")!;
        _validate = instance.GetFunction<int, int, int>("validate")!;
        _nextError = instance.GetFunction<int>("next_error")!;
        _errorLength = instance.GetFunction<int>("error_len")!;
        _log = log;
    }

    private unsafe ReadOnlyMemory<byte> Slab(int address, int length) =>
        new GuestSlab((byte*)_memory.GetPointer() + address, length).Memory;

    // Each MoveNext asks the guest for the next error, which reuses one error buffer.
    private IEnumerable<ReadOnlyMemory<byte>> RawErrors()
    {
        int address;
        while ((address = _nextError()) != 0)
        {
            yield return Slab(address, _errorLength());
        }
    }

    public List<ReadOnlyMemory<byte>> CollectRaw(int document, int length)
    {
        _validate(document, length);
        var errors = new List<ReadOnlyMemory<byte>>();
        foreach (var error in RawErrors())
        {
            errors.Add(error);                                       // expect: WVA002
        }
        // Every MoveNext (the last, which ends the loop, too) called next_error after the views were taken.
        return errors;                                               // expect: WVA001
    }

    public List<byte[]> CollectCopies(int document, int length)
    {
        _validate(document, length);
        var errors = new List<byte[]>();
        foreach (var error in RawErrors())
        {
            errors.Add(error.ToArray());                             // a copy while the element is fresh
        }
        return errors;
    }

    public IReadOnlyList<ValidationError> Validate(int document, int length)
    {
        _validate(document, length);
        var result = new List<ValidationError>();
        foreach (var error in RawErrors())
        {
            var text = Encoding.UTF8.GetString(error.Span);          // read at once: fresh for this MoveNext
            var split = text.IndexOf(':');
            result.Add(new ValidationError(text[..Math.Max(split, 0)], text[(split + 1)..]));
        }
        return result;
    }

    public string FirstErrorAfterAll(int document, int length)
    {
        _validate(document, length);
        var all = RawErrors().ToList();                              // the iterator ran to the end
        return all.Count == 0 ? "" : Encoding.UTF8.GetString(all[0].Span);   // expect: WVA001
    }

    public int CountErrors(int document, int length)
    {
        _validate(document, length);
        return RawErrors().Count();                                  // counts, reads no bytes
    }

    public string RevalidateOnError(int document, int length)
    {
        _validate(document, length);
        foreach (var error in RawErrors())
        {
            if (error.Span[0] == (byte)'!')
            {
                _validate(document, length);                         // strict mode: validate again
                return Encoding.UTF8.GetString(error.Span);          // expect: WVA001
            }
        }
        return "";
    }

    public async Task<string> ValidateAndLogAsync(int document, int length)
    {
        _validate(document, length);
        var summary = Slab(_nextError(), _errorLength());
        await _log.WriteLineAsync("validated");                      // other code may call the guest meanwhile
        return Encoding.UTF8.GetString(summary.Span);                // expect: WVA001
    }

    public async Task<string> ValidateThenLogAsync(int document, int length)
    {
        _validate(document, length);
        var summary = Slab(_nextError(), _errorLength());
        var text = Encoding.UTF8.GetString(summary.Span);            // used fully before the await
        await _log.WriteLineAsync("validated");
        return text;
    }

    public string SchemaTitle(int schema, int length)
    {
        var view = Slab(schema, length);
        var title = view.Length > 8 ? Encoding.ASCII.GetString(view.Span[..8]) : "";
        _validate(schema, length);
        return title + view.Length;                                  // Length only after the call
    }
}
