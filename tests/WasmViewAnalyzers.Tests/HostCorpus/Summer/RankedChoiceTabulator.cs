// A ranked-choice election tabulator: ballots packed in guest memory, a wasm kernel runs elimination rounds, auditors
// hook rounds (shape: plugin hosts keeping exports in dictionaries and delegates, Linker callbacks capturing host state).
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Summer.RankedChoiceTabulator;

public sealed class RoundState
{
    public nint Tallies;
    public int TalliesOffset;
}

public sealed class TallyBlock
{
    public nint Start;
    public int Length;
}

public sealed class Report
{
    public TallyBlock Block { get; } = new();
    public string Title { get; set; } = "";
}

public sealed class BallotBox
{
    private readonly Tabulator _tabulator;
    public BallotBox(Tabulator tabulator) => _tabulator = tabulator;

    // Reading a candidate's tally runs the guest's counting kernel.
    public int this[int candidate] => _tabulator.CountFor(candidate);

    // Setting the quota re-runs the threshold computation in the guest.
    public int Quota { get => _tabulator.LastQuota; set => _tabulator.SetQuota(value); }
}

public sealed unsafe class Tabulator
{
    private readonly Memory _memory;
    private readonly Dictionary<string, Func<int, int>> _exports = new();
    private readonly Func<int, int> _count;
    private readonly Action<int> _setQuota;
    private Action? _onRound;
    private Report? _lastReport;
    private List<nint> _roundStarts = new();
    private readonly List<int> _roundOffsets = new();

    public Tabulator(Engine engine, Module module, Store store)
    {
        var state = new RoundState();
        var linker = new Linker(engine);
        linker.DefineFunction("tally", "round_done", (Caller caller, int tallies) =>
        {
            state.Tallies = caller.GetMemory("memory")!.GetPointer() + tallies;   // expect: WVA002
            state.TalliesOffset = tallies;
        });
        var instance = linker.Instantiate(store, module);
        _memory = instance.GetMemory("memory")!;
        _count = instance.GetFunction<int, int>("count_for")!;
        _setQuota = instance.GetAction<int>("set_quota")!;
        _exports["eliminate"] = instance.GetFunction<int, int>("eliminate")!;
        _exports["transfer"] = instance.GetFunction<int, int>("transfer")!;
        State = state;
    }

    public RoundState State { get; }
    public int LastQuota { get; private set; }
    internal int CountFor(int candidate) => _count(candidate);
    internal void SetQuota(int quota) { LastQuota = quota; _setQuota(quota); }

    private static void Put<T>(ref T slot, T value) => slot = value;

    public int Eliminate(int ballots, int count)
    {
        var header = _memory.GetSpan(ballots, 8);
        var round = header[0];
        var eliminated = _exports["eliminate"](round);                      // a guest delegate out of a dictionary
        return eliminated + header[1];                                       // expect: WVA001
    }

    public int EliminateReadFirst(int ballots, int count)
    {
        var header = _memory.GetSpan(ballots, 8);
        var round = header[0];
        var carried = header[1];
        var eliminated = _exports["eliminate"](round);
        return eliminated + carried;
    }

    public int Leader(BallotBox box, int talliesPtr, int candidates)
    {
        var tallies = MemoryMarshal.Cast<byte, int>(_memory.GetSpan(talliesPtr, candidates * 4));
        var first = box[0];                                                  // the indexer counts in the guest
        var best = 0;
        for (var c = 1; c < candidates; c++)
        {
            if (tallies[c] > tallies[best]) best = c;                        // expect: WVA001
        }
        return first > tallies.Length ? 0 : best;
    }

    public int QuotaAfterReset(BallotBox box, int talliesPtr)
    {
        var tallies = MemoryMarshal.Cast<byte, int>(_memory.GetSpan(talliesPtr, 16));
        box.Quota = 0;                                                       // the setter runs the guest
        return tallies[0];                                                   // expect: WVA001
    }

    public int QuotaRead(BallotBox box, int talliesPtr)
    {
        var tallies = MemoryMarshal.Cast<byte, int>(_memory.GetSpan(talliesPtr, 16));
        var quota = box.Quota;                                               // the getter returns a field
        return tallies[0] - quota;
    }

    public void HookRound(int talliesPtr)
    {
        var tallies = _memory.GetPointer() + talliesPtr;
        _onRound += () => Console.WriteLine(*(int*)tallies);                // expect: WVA002
        var offset = talliesPtr;
        _onRound += () => Console.WriteLine(_memory.ReadInt32(offset));
    }

    public void HookAfterTransfer(int talliesPtr)
    {
        var tallies = _memory.GetPointer() + talliesPtr;
        _exports["transfer"](talliesPtr);
        _onRound = () => Console.WriteLine(*(int*)tallies);                 // expect: WVA001, WVA002
    }

    public void KeepReport(int talliesPtr, int candidates)
    {
        _lastReport = new Report { Title = "round", Block = { Start = _memory.GetPointer() + talliesPtr, Length = candidates } };   // expect: WVA002
    }

    public int ReportTotal(int talliesPtr, int candidates)
    {
        // The report lives in a local and is read at once: the nested initializer's view never escapes.
        var report = new Report { Title = "round", Block = { Start = _memory.GetPointer() + talliesPtr, Length = candidates } };
        var total = 0;
        for (var i = 0; i < report.Block.Length; i++) total += ((int*)report.Block.Start)[i];
        return total;
    }

    public void TrackRounds(int firstRound, int secondRound)
    {
        _roundStarts = new List<nint> { _memory.GetPointer() + firstRound, _memory.GetPointer() + secondRound };   // expect: WVA002
        _roundOffsets.AddRange(new[] { firstRound, secondRound });
    }

    public void RememberTallies(int talliesPtr)
    {
        nint latest = 0;
        Put(ref State.Tallies, _memory.GetPointer() + talliesPtr);          // expect: WVA002
        Put(ref latest, _memory.GetPointer() + talliesPtr);                 // a local: stays here
        Console.WriteLine(*(int*)latest);
    }

    public void RunRounds(int rounds)
    {
        for (var r = 0; r < rounds; r++)
        {
            _exports["eliminate"](r);
            // The hooks read pointers captured in other methods: that is where they escaped (WVA002 there),
            // not a stale use of this method's own views.
            _onRound?.Invoke();
        }
    }
}
