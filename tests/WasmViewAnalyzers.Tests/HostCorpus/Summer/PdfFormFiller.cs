// A PDF form filler: a wasm PDF library parses the AcroForm, the host looks fields up by name and writes values
// (shape: wasmtime-dotnet ReadString/WriteString hosts, PixiEditor's WasmRuntime malloc-then-write helpers).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Summer.PdfFormFiller;

public sealed class FormSession
{
    public nint CurrentField;          // set from host callbacks
    public int CurrentFieldOffset;
}

public sealed unsafe class FormFiller
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Func<int, int, int> _findField;        // (name ptr, name len) -> field record address
    private readonly Func<int, int, int, int> _setValue;   // (field, value ptr, value len) -> status
    private readonly Action _layout;
    private readonly Dictionary<string, nint> _fieldPointers = new();
    private readonly Dictionary<string, int> _fieldOffsets = new();
    private nint? _scratch;
    private int? _scratchOffset;

    public FormFiller(Engine engine, Module module, Store store, FormSession session)
    {
        store.SetData(session);
        var linker = new Linker(engine);
        linker.DefineFunction("env", "field_focused", (Caller caller, int field) =>
        {
            var memory = caller.GetMemory("memory")!;
            ((FormSession)caller.GetData()!).CurrentField = memory.GetPointer() + field;   // expect: WVA002
            ((FormSession)caller.GetData()!).CurrentFieldOffset = field;                   // an offset
        });
        var instance = linker.Instantiate(store, module);
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _findField = instance.GetFunction<int, int, int>("find_field")!;
        _setValue = instance.GetFunction<int, int, int, int>("set_value")!;
        _layout = instance.GetAction("layout")!;
    }

    private int StageString(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var address = _malloc(bytes.Length);
        _memory.WriteString(address, text, Encoding.UTF8);
        return address;
    }

    private nint At(int offset) => _memory.GetPointer() + offset;

    private int Find(string name) => _findField(StageString(name), Encoding.UTF8.GetByteCount(name));

    public void Index(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            var field = Find(name);
            _fieldPointers[name] = _memory.GetPointer() + field;     // expect: WVA002
            _fieldOffsets[name] = field;
        }
    }

    public Dictionary<string, string> ReadDefaults(IReadOnlyList<string> names)
    {
        var records = new Dictionary<string, nint>();
        foreach (var name in names)
        {
            var field = Find(name);                                   // allocates in the guest: may grow memory
            records.Add(name, _memory.GetPointer() + field);          // expect: WVA002
        }

        var defaults = new Dictionary<string, string>();
        foreach (var (name, record) in records)
        {
            defaults[name] = Marshal.PtrToStringUTF8(record + 8) ?? "";   // expect: WVA001
        }
        return defaults;
    }

    public Dictionary<string, string> ReadDefaultsByOffset(IReadOnlyList<string> names)
    {
        var records = new Dictionary<string, int>();
        foreach (var name in names)
        {
            records.Add(name, Find(name));
        }

        var defaults = new Dictionary<string, string>();
        foreach (var (name, record) in records)
        {
            defaults[name] = _memory.ReadNullTerminatedString(record + 8);   // read from the offset now
        }
        return defaults;
    }

    public int Fill(IReadOnlyDictionary<string, string> values)
    {
        var failures = 0;
        var signature = values.ContainsKey("signature") ? At(Find("signature")) : 0;   // Find runs before At
        foreach (var pair in values)
        {
            var value = StageString(pair.Value);
            if (_setValue(Find(pair.Key), value, Encoding.UTF8.GetByteCount(pair.Value)) != 0) failures++;
        }
        if (signature != 0 && *(int*)(signature + 4) == 0)         // expect: WVA001
        {
            failures++;
        }
        return failures;
    }

    public int FillThenCheckSignature(IReadOnlyDictionary<string, string> values)
    {
        var failures = 0;
        foreach (var pair in values)
        {
            var value = StageString(pair.Value);
            if (_setValue(Find(pair.Key), value, Encoding.UTF8.GetByteCount(pair.Value)) != 0) failures++;
        }
        if (values.ContainsKey("signature"))
        {
            var signatureField = Find("signature");
            var signature = _memory.GetPointer() + signatureField;     // obtained after the last call
            if (*(int*)(signature + 4) == 0) failures++;
        }
        return failures;
    }

    public byte[] ScratchBytes(int length)
    {
        _scratch ??= At(_malloc(4096));                               // expect: WVA002
        _scratchOffset ??= _malloc(4096);
        return _memory.GetSpan(_scratchOffset.Value, length).ToArray();
    }

    public string FieldValueAfterLayout(string name)
    {
        var field = Find(name);
        var record = new ReadOnlySpan<byte>((byte*)_memory.GetPointer() + field, 64);
        var widthBefore = record.Length;                             // Length: no read of guest memory
        _layout();                                                   // reflows appearances, may move records
        var lookup = new Dictionary<string, int> { [name] = widthBefore };
        if (lookup.TryGetValue(name, out var width) && width > 0)
        {
            return Encoding.UTF8.GetString(record[..width]);         // expect: WVA001
        }
        return "";
    }

    public string FieldValueByPattern(string name)
    {
        var field = Find(name);
        if (_memory.GetPointer() + field is var record && record != 0)
        {
            var kind = *(byte*)record;                                // read before any later call
            _layout();
            return kind == 1 ? "text" : "other";
        }
        return "";
    }

    public IEnumerable<string> TopFields(IReadOnlyDictionary<string, int> hits)
    {
        // LINQ over plain offsets; the pointer is made inside the selector and read at once.
        return hits.OrderByDescending(h => h.Value)
                   .Take(5)
                   .Select(h => Marshal.PtrToStringUTF8(_memory.GetPointer() + _fieldOffsets[h.Key] + 8) ?? "")
                   .ToList();
    }
}
