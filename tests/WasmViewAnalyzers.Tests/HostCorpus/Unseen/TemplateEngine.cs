// A sandboxed template engine (Liquid/Handlebars-like) running in the guest: it calls back into the host for
// variables and includes through Caller, and applies filters the host implements, the shape of plugin-rendered CMS hosts.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Wasmtime;

namespace Corpus.Unseen.TemplateEngine;

public interface IFilter
{
    string Name { get; }

    int Apply(int address, int length);
}

public sealed class UpcaseFilter(TemplateSandbox sandbox) : IFilter
{
    public string Name => "upcase";

    // Runs the guest's own upcase: allocates a new string in guest memory.
    public int Apply(int address, int length) => sandbox.RunFilter("filter_upcase", address, length);
}

public sealed class TruncateFilter(int limit) : IFilter
{
    public string Name => "truncate";

    // Host-only: the result is the same string, shortened.
    public int Apply(int address, int length) => Math.Min(length, limit);
}

public sealed class RenderState
{
    public nint LastSection;
    public int LastSectionOffset;
    public int Includes;
}

// Each Add writes the pair into guest memory through the sandbox's allocator.
public sealed class TemplateScope(TemplateSandbox sandbox) : IEnumerable<KeyValuePair<string, int>>
{
    private readonly Dictionary<string, int> _entries = new();

    public void Add(string name, string value) => _entries[name] = sandbox.AllocString(value);

    public IEnumerator<KeyValuePair<string, int>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class TemplateSandbox
{
    private readonly Dictionary<string, string> _model = new();
    private readonly Dictionary<string, IFilter> _filters = new();
    private readonly Dictionary<string, string> _partials = new();
    private readonly RenderState _state = new();
    private readonly TruncateFilter _truncate = new(80);
    private Memory _memory = null!;
    private Func<int, int> _alloc = null!;
    private Func<int, int, int> _render = null!;
    private Func<int> _outputLength = null!;
    private Action<int> _audit = null!;
    private Instance _instance = null!;

    public event Action<string>? Rendered;

    public TemplateSandbox()
    {
        _filters["upcase"] = new UpcaseFilter(this);
        _filters["truncate"] = _truncate;
        // The audit hook is an export: raising Rendered runs the guest.
        Rendered += name => _audit(name.Length);
    }

    public void Define(Linker linker)
    {
        var state = _state;
        linker.DefineFunction("env", "lookup", (Caller caller, int namePtr, int nameLen, int outSlot) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", namePtr, nameLen, out var nameBytes))
            {
                return -1;
            }

            // Decoded before the guest allocates: a copy.
            string name = Encoding.UTF8.GetString(nameBytes);
            string value = _model.TryGetValue(name, out var v) ? v : string.Empty;
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            int destination = (int)caller.GetFunction("tmpl_alloc")!.Invoke(utf8.Length)!;
            caller.TryGetMemorySpan<byte>("memory", destination, utf8.Length, out var target);
            utf8.CopyTo(target);
            caller.TryGetMemorySpan<int>("memory", outSlot, 2, out var slot);
            slot[0] = destination;
            slot[1] = utf8.Length;
            return 0;
        });

        linker.DefineFunction("env", "include", (Caller caller, int namePtr, int nameLen, int outSlot) =>
        {
            string name = caller.GetMemory("memory")!.ReadString(namePtr, nameLen, Encoding.UTF8);
            if (!caller.TryGetMemorySpan<int>("memory", outSlot, 2, out var slot))
            {
                return -1;
            }

            byte[] partial = Encoding.UTF8.GetBytes(_partials.TryGetValue(name, out var p) ? p : string.Empty);
            int destination = (int)caller.GetFunction("tmpl_alloc")!.Invoke(partial.Length)!;
            partial.CopyTo(caller.GetMemory("memory")!.GetSpan(destination, partial.Length));
            // 'slot' was obtained before tmpl_alloc ran in the guest.
            slot[0] = destination; // expect: WVA001
            slot[1] = partial.Length; // expect: WVA001
            state.Includes++;
            return 0;
        });

        linker.DefineFunction("env", "section_begin", (Caller caller, int sectionPtr) =>
        {
            // 'state' is captured by a callback: its object outlives this call.
            state.LastSection = caller.GetMemory("memory")!.GetPointer() + sectionPtr; // expect: WVA002
            state.LastSectionOffset = sectionPtr;
        });
    }

    public void Bind(Instance instance)
    {
        _instance = instance;
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("tmpl_alloc")!;
        _render = instance.GetFunction<int, int, int>("tmpl_render")!;
        _outputLength = instance.GetFunction<int>("tmpl_output_length")!;
        _audit = instance.GetAction<int>("tmpl_audit")!;
    }

    public int AllocString(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        int address = _alloc(utf8.Length);
        utf8.CopyTo(_memory.GetSpan(address, utf8.Length));
        return address;
    }

    public int RunFilter(string export, int address, int length) =>
        _instance.GetFunction<int, int, int>(export)!(address, length);

    public void RenderTo(string templateName, int templateAddress, int templateLength, TextWriter writer)
    {
        int output = _render(templateAddress, templateLength);
        ReadOnlySpan<byte> text = _memory.GetSpan(output, _outputLength());
        Rendered?.Invoke(templateName);
        writer.Write(Encoding.UTF8.GetString(text)); // expect: WVA001
    }

    public void RenderToThenNotify(string templateName, int templateAddress, int templateLength, TextWriter writer)
    {
        int output = _render(templateAddress, templateLength);
        ReadOnlySpan<byte> text = _memory.GetSpan(output, _outputLength());
        writer.Write(Encoding.UTF8.GetString(text));
        Rendered?.Invoke(templateName);
    }

    public string ApplyFilter(string filterName, int address, int length)
    {
        ReadOnlySpan<byte> before = _memory.GetSpan(address, length);
        IFilter filter = _filters[filterName];
        // Through the interface: UpcaseFilter.Apply runs the guest.
        int after = filter.Apply(address, length);
        if (after == address)
        {
            return Encoding.UTF8.GetString(before); // expect: WVA001
        }

        return _memory.ReadNullTerminatedString(after);
    }

    public string Truncate(int address, int length)
    {
        ReadOnlySpan<byte> text = _memory.GetSpan(address, length);
        // A sealed type known here: its Apply never enters the guest.
        int kept = _truncate.Apply(address, length);
        return Encoding.UTF8.GetString(text.Slice(0, kept));
    }

    public int RenderPage(string pageName, string title, int headerAddress)
    {
        Span<byte> header = _memory.GetSpan(headerAddress, 16);
        header.Clear();
        var scope = new TemplateScope(this) { { "page", pageName }, { "title", title } };
        header[0] = 1; // expect: WVA001
        int count = 0;
        foreach (var pair in scope)
        {
            count += pair.Value;
        }

        return count;
    }

    public int RenderPagePrepared(string pageName, string title, int headerAddress)
    {
        var scope = new TemplateScope(this) { { "page", pageName }, { "title", title } };
        Span<byte> header = _memory.GetSpan(headerAddress, 16);
        header.Clear();
        header[0] = 1;
        return scope.GetHashCode();
    }

    public string SectionSummary() => $"{_state.LastSectionOffset}/{_state.Includes}";
}
