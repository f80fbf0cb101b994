// OpenAPI request validator: a wasm module validates request bodies and returns (pointer, length) error messages.
// Shape: middleware hosts that WriteString the request in and walk an error table in guest memory (DotNetIsolator-like RPC).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Wasmtime;

namespace Corpus.Autumn.OpenApiValidator;

public readonly record struct ErrorView(int Code, Memory<byte> Pointer);
public readonly record struct ErrorText(int Code, string Message);

public sealed class RequestValidator
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int> _validate;  // (operationId, body, length) -> error table
    private readonly Func<int, int> _schemaOf;            // operationId -> schema json address
    private readonly Action _clearErrors;
    private const int BodyArea = 0x20000;

    public RequestValidator(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _validate = instance.GetFunction<int, int, int, int>("validate")!;
        _schemaOf = instance.GetFunction<int, int>("schema_of")!;
        _clearErrors = instance.GetAction("clear_errors")!;
    }

    private int Run(int operation, string body)
    {
        var length = _memory.WriteString(BodyArea, body, Encoding.UTF8);
        return _validate(operation, BodyArea, length);
    }

    private Memory<byte> Message(int table, int i)
    {
        var entry = table + 4 + i * 12;
        return new GuestBytes(_memory, _memory.ReadInt32(entry + 4), _memory.ReadInt32(entry + 8)).Memory;
    }

    public IReadOnlyList<ErrorText> Errors(int operation, string body)
    {
        var table = Run(operation, body);
        var count = _memory.ReadInt32(table);
        var errors = new List<ErrorText>(count);
        for (var i = 0; i < count; i++)
        {
            var entry = table + 4 + i * 12;
            errors.Add(new ErrorText(_memory.ReadInt32(entry), Encoding.UTF8.GetString(Message(table, i).Span))); // decoded now
        }
        return errors;
    }

    public string FirstErrorTwoBodies(int operation, string first, string second)
    {
        var table = Run(operation, first);
        Memory<byte>? firstMessage = _memory.ReadInt32(table) > 0 ? Message(table, 0) : null;
        var secondTable = Run(operation, second);          // WriteString writes over the body area; validate reuses the table
        var secondCount = _memory.ReadInt32(secondTable);
        return firstMessage.HasValue                         // HasValue reads the Nullable, not the memory
            ? Encoding.UTF8.GetString(firstMessage.Value.Span) + $" (+{secondCount})" // expect: WVA001
            : $"ok (+{secondCount})";
    }

    public List<string> AllMessagesLinq(int operation, string[] bodies)
    {
        var views = new List<ErrorView>();
        foreach (var body in bodies)
        {
            var table = Run(operation, body);
            if (_memory.ReadInt32(table) > 0)
            {
                views.Add(new ErrorView(_memory.ReadInt32(table + 4), Message(table, 0))); // expect: WVA002
            }
        }
        return views.Select(v => Encoding.UTF8.GetString(v.Pointer.Span)).ToList(); // expect: WVA001
    }

    public List<string> AllMessagesCopied(int operation, string[] bodies)
    {
        var texts = new List<ErrorText>();
        foreach (var body in bodies)
        {
            var table = Run(operation, body);
            if (_memory.ReadInt32(table) > 0)
            {
                texts.Add(new ErrorText(_memory.ReadInt32(table + 4), Encoding.UTF8.GetString(Message(table, 0).Span)));
            }
        }
        return texts.Select(t => t.Message).ToList();
    }

    public Dictionary<string, int> CodesByField(int operation, string body)
    {
        var table = Run(operation, body);
        var count = _memory.ReadInt32(table);
        var pairs = new Dictionary<int, Memory<byte>>();
        for (var i = 0; i < count; i++)
        {
            pairs[_memory.ReadInt32(table + 4 + i * 12)] = Message(table, i); // expect: WVA002
        }
        _clearErrors();
        var result = new Dictionary<string, int>();
        foreach (var pair in pairs)
        {
            result[Encoding.UTF8.GetString(pair.Value.Span)] = pair.Key; // expect: WVA001
        }
        foreach (var code in pairs.Keys)
        {
            result[$"code-{code}"] = code; // keys are ints: no view
        }
        return result;
    }

    public (string Schema, int Errors) Explain(int operation, string body)
    {
        var schemaAddress = _schemaOf(operation);
        var schemaLength = _memory.ReadInt32(schemaAddress);
        var schema = _memory.GetSpan(schemaAddress + 4, schemaLength);
        var table = Run(operation, body);                     // validate allocates its error table
        var errors = _memory.ReadInt32(table);
        var text = _memory.ReadString(schemaAddress + 4, schemaLength, Encoding.UTF8); // read again by address: fresh
        return (text + (schema.IsEmpty ? " (empty)" : ""), errors); // IsEmpty reads nothing
    }

    public (string Schema, int Errors) ExplainStale(int operation, string body)
    {
        var schemaAddress = _schemaOf(operation);
        var schema = _memory.GetSpan(schemaAddress + 4, _memory.ReadInt32(schemaAddress));
        var table = Run(operation, body);
        var anon = new { Errors = _memory.ReadInt32(table), Head = schema.Length > 0 ? schema[0] : (byte)0 }; // expect: WVA001
        return ($"{anon.Head}", anon.Errors);
    }

    public bool MatchesCached(int operation, string body, ReadOnlySpan<byte> expectedSchemaPrefix)
    {
        var schemaAddress = _schemaOf(operation);
        var prefixMatches = _memory.GetSpan(schemaAddress + 4, expectedSchemaPrefix.Length).SequenceEqual(expectedSchemaPrefix);
        return prefixMatches && _memory.ReadInt32(Run(operation, body)) == 0;
    }
}

internal sealed unsafe class GuestBytes : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    public GuestBytes(Memory memory, int address, int length)
    {
        _start = (byte*)memory.GetPointer() + address;  // the object is the view
        _length = length;
    }
    public override Span<byte> GetSpan() => new(_start, _length);
    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
