// A three-way text diff/merge engine in wasm: hunks are reported as (start, length, text pointer) records, an undo
// stack keeps previous buffers (shape: UnityWasmScripting's pointer bookkeeping, wasmtime-dotnet memory tests).
using System;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Summer.TextMergeEngine;

public sealed record Hunk(int Start, int Length, nint Text);
public sealed record HunkRef(int Start, int Length, int TextOffset);

public sealed class Revision
{
    public Revision(MergeEngine engine, int id)
    {
        Engine = engine;
        Id = id;
    }

    public MergeEngine Engine { get; }
    public int Id { get; private set; }

    // Applying a patch runs the guest's patcher.
    public static Revision operator +(Revision revision, int patchId)
    {
        revision.Id = revision.Engine.ApplyPatch(revision.Id, patchId);
        return revision;
    }
}

public sealed unsafe class MergeEngine
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int> _diff;
    private readonly Func<int> _hunkCount;
    private readonly Func<int, int> _hunkAt;
    private readonly Func<int, int, int> _apply;
    private readonly Action _merge;
    private readonly Stack<(nint Text, int Length)> _undo = new();
    private readonly Stack<(int Offset, int Length)> _undoOffsets = new();

    public MergeEngine(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _diff = instance.GetFunction<int, int, int, int>("diff")!;
        _hunkCount = instance.GetFunction<int>("hunk_count")!;
        _hunkAt = instance.GetFunction<int, int>("hunk_at")!;
        _apply = instance.GetFunction<int, int, int>("apply_patch")!;
        _merge = instance.GetAction("merge")!;
    }

    public int ApplyPatch(int revision, int patch) => _apply(revision, patch);

    public List<string> Diff(int left, int right, int length)
    {
        _diff(left, right, length);
        var hunks = new List<Hunk>();
        var count = _hunkCount();
        for (var i = 0; i < count; i++)
        {
            var record = _hunkAt(i);                     // address of {start, length, text} in the guest
            var start = _memory.ReadInt32(record);
            var len = _memory.ReadInt32(record + 4);
            var text = _memory.ReadInt32(record + 8);
            hunks.Add(new Hunk(start, len, _memory.GetPointer() + text));   // expect: WVA002
        }

        _merge();                                        // the merge rewrites the hunk texts in place

        var lines = new List<string>();
        foreach (var hunk in hunks)
        {
            lines.Add(Encoding.UTF8.GetString((byte*)hunk.Text, hunk.Length));   // expect: WVA001
        }
        return lines;
    }

    public List<string> DiffByOffsets(int left, int right, int length)
    {
        _diff(left, right, length);
        var hunks = new List<HunkRef>();
        var count = _hunkCount();
        for (var i = 0; i < count; i++)
        {
            var record = _hunkAt(i);
            hunks.Add(new HunkRef(_memory.ReadInt32(record), _memory.ReadInt32(record + 4), _memory.ReadInt32(record + 8)));
        }

        _merge();

        var lines = new List<string>();
        foreach (var (start, len, textOffset) in hunks)
        {
            lines.Add(_memory.ReadString(textOffset, len, Encoding.UTF8));   // read from offsets after the merge
        }
        return lines;
    }

    public void CheckpointBuffer(int buffer, int length)
    {
        _undo.Push((_memory.GetPointer() + buffer, length));   // expect: WVA002
        _undoOffsets.Push((buffer, length));
    }

    public string Undo()
    {
        var (offset, length) = _undoOffsets.Pop();
        var span = _memory.GetSpan(offset, length);          // obtained where it is read
        return Encoding.UTF8.GetString(span);
    }

    public byte FirstByteAfterPatch(Revision revision, int document, int patch)
    {
        var before = _memory.GetSpan(document, 16);
        revision += patch;                                   // the user-defined operator calls the guest
        return before[0];                                    // expect: WVA001
    }

    public byte FirstByteBeforePatch(Revision revision, int document, int patch)
    {
        var before = _memory.GetSpan(document, 16);
        var first = before[0];                               // read before the operator runs
        revision += patch;
        var nextId = revision.Id + 1;                        // a property of the host's own object
        return (byte)(first ^ nextId);
    }

    public int ConflictMarkers(int document, int length)
    {
        var text = _memory.GetSpan(document, length);
        var conflicts = 0;
        for (var i = 0; i + 7 <= text.Length; i++)      // Length only: not a use
        {
            if (text.Slice(i, 7).SequenceEqual("<<<<<<<"u8))   // expect: WVA001
            {
                conflicts++;
                _merge();                                    // resolves one conflict and rewrites the document
            }
        }
        return conflicts;
    }

    public int ConflictMarkersFresh(int document, int length)
    {
        var conflicts = 0;
        for (var i = 0; i + 7 <= length; i++)
        {
            var text = _memory.GetSpan(document, length);   // obtained again on every turn
            if (text.Slice(i, 7).SequenceEqual("<<<<<<<"u8))
            {
                conflicts++;
                _merge();
            }
        }
        return conflicts;
    }
}
