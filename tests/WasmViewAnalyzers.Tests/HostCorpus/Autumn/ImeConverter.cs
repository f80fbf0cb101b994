// IME input converter: a wasm kana-kanji engine turns romaji keystrokes into candidate lists; the host shows them.
// Shape: a host migrated to WasmViewAnalyzers.Runtime guards (guarded exports, guarded host callbacks), with a few raw spans left.
using System;
using System.Collections.Generic;
using System.Text;
using Ionic.Zip;
using WasmViewAnalyzers.Runtime;
using Wasmtime;

namespace Corpus.Autumn.ImeConverter;

public sealed class KanaKanjiEngine
{
    private readonly GuestMemoryGuard _guard = new();
    private readonly Func<int, int, int> _convert;      // (romaji, len) -> candidate table
    private readonly Action<int> _commit;                // candidate index -> learns the choice
    private readonly Func<int> _candidateCount;
    private readonly List<GuardedView> _history = new();
    private GuardedView _preedit;
    private readonly List<string> _dictionaryHits = new();

    public KanaKanjiEngine(Engine engine, Store store, Module module)
    {
        var linker = new Linker(engine);
        // Guarded host callback: the guest reports a dictionary hit while converting.
        _guard.DefineFunction(linker, "ime", "dictionary_hit", (int word, int length) =>
        {
            var view = _guard.GetView(word, length);
            _dictionaryHits.Add(Encoding.UTF8.GetString(view.Span)); // used at once, inside the callback
        });
        var instance = linker.Instantiate(store, module);
        _guard.AttachMemory(instance.GetMemory("memory")!);
        _convert = _guard.GetRequiredFunction<int, int, int>(instance, "convert");
        _commit = _guard.GetRequiredAction<int>(instance, "commit");
        _candidateCount = _guard.GetRequiredFunction<int>(instance, "candidate_count");
    }

    private int Input(string romaji)
    {
        var bytes = Encoding.ASCII.GetBytes(romaji);
        _guard.Memory.GetSpan(0x100, bytes.Length).Clear();
        bytes.CopyTo(_guard.Memory.GetSpan(0x100, bytes.Length));
        return bytes.Length;
    }

    private string Candidate(int table, int i)
    {
        var entry = table + i * 8;
        var address = _guard.Memory.ReadInt32(entry);
        var length = _guard.Memory.ReadInt32(entry + 4);
        return _guard.Memory.ReadString(address, length, Encoding.UTF8);
    }

    public List<string> Candidates(string romaji)
    {
        var table = _convert(0x100, Input(romaji));
        var count = _candidateCount();
        var list = new List<string>(count);
        for (var i = 0; i < count; i++) list.Add(Candidate(table, i));
        return list;
    }

    public string Preview(string romaji)
    {
        var table = _convert(0x100, Input(romaji));
        var first = _guard.GetView(_guard.Memory.ReadInt32(table), _guard.Memory.ReadInt32(table + 4));
        _preedit = first;                        // a GuardedView may be kept: it checks itself when read
        _history.Add(first);                     // likewise
        var count = _candidateCount();           // guarded call: 'first' is stale to the guard from here
        if (!first.IsStale)
        {
            return Encoding.UTF8.GetString(first.Span); // only where its own check said fresh
        }
        return $"{count} candidates, first {first.Length} bytes"; // Length never throws and reads nothing
    }

    public string PreviewChecked(string romaji)
    {
        var table = _convert(0x100, Input(romaji));
        var first = _guard.GetView(_guard.Memory.ReadInt32(table), _guard.Memory.ReadInt32(table + 4));
        _commit(0);
        first = _guard.GetView(_guard.Memory.ReadInt32(table), _guard.Memory.ReadInt32(table + 4)); // taken again
        first.ThrowIfStale();
        return Encoding.UTF8.GetString(first.Span);
    }

    public string PreviewRawSpan(string romaji)
    {
        var table = _convert(0x100, Input(romaji));
        var view = _guard.GetView(_guard.Memory.ReadInt32(table), _guard.Memory.ReadInt32(table + 4));
        var raw = view.Span;                      // a raw span: unchecked from here on
        _commit(0);
        return Encoding.UTF8.GetString(raw); // expect: WVA001
    }

    public string LastPreedit()
    {
        _commit(0);
        // Open case decided: a GuardedView read after a guest call with no check of its own. The runtime throws, but the
        // rule page says a guarded view is exempt only where its own check says fresh; this read is reported.
        var preview = _guard.GetView(0x100, 8);
        _convert(0x100, 8);
        return Encoding.UTF8.GetString(preview.Span); // expect: WVA001
    }

    public void ExportHistory(string path)
    {
        using var zip = new ZipFile();
        var i = 0;
        foreach (var view in _history)
        {
            if (view.IsStale) continue;
            zip.AddEntry($"preedit-{i++}.txt", view.AsStream()); // a guarded stream checks itself when Save reads it
        }
        zip.Save(path);
    }

    public unsafe void ExportRaw(string path, string romaji)
    {
        using var zip = new ZipFile();
        var table = _convert(0x100, Input(romaji));
        var address = _guard.Memory.ReadInt32(table);
        var length = _guard.Memory.ReadInt32(table + 4);
        var stream = new System.IO.UnmanagedMemoryStream((byte*)_guard.Memory.GetPointer() + address, length);
        zip.AddEntry("raw.txt", stream); // expect: WVA003
        zip.AddEntry("copy.txt", _guard.Memory.GetSpan(address, length).ToArray());
        zip.Save(path);
    }

    public int CommitAndMeasure(int candidate)
    {
        var before = _preedit.Length;             // not checked, reads nothing
        _commit(candidate);
        _guard.NotifyGuestCall("learning flush"); // a guest call the guard cannot see otherwise
        var lease = _guard.Memory.LeaseCopy(0x100, 16);
        _commit(candidate);
        var head = lease.Span[0];                 // a lease is a copy
        lease.Dispose();
        return before + head;
    }
}
