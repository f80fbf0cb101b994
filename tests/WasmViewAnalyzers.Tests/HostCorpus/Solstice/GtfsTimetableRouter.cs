// GTFS timetable router: a guest (RAPTOR-style) plans journeys over a compiled feed; the host passes 64-bit/uint offsets and reads legs back.
// Shape inspired by hosts that call untyped Function.Invoke with ValueBox arguments and instantiate per-feed modules through a Linker.
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Solstice.GtfsTimetableRouter
{
    [StructLayout(LayoutKind.Sequential)]
    public struct Leg
    {
        public int FromStop;
        public int ToStop;
        public int Depart;
        public int Arrive;
        public int Route;
    }

    public sealed record StopRef(string Id, nint Entry, int Transfers);

    public sealed unsafe class TimetableRouter
    {
        private readonly Linker _linker;
        private readonly Store _store;
        private readonly Module _feedModule;
        private readonly Memory _memory;
        private readonly Function _plan;
        private readonly Func<long, int> _legCount;
        private readonly LinkedList<nint> _recentLegs = new();
        private readonly LinkedList<long> _recentLegOffsets = new();
        private readonly ImmutableArray<nint>.Builder _stopEntries = ImmutableArray.CreateBuilder<nint>();

        public TimetableRouter(Linker linker, Store store, Module feedModule, Instance instance)
        {
            _linker = linker;
            _store = store;
            _feedModule = feedModule;
            _memory = instance.GetMemory("memory")!;
            _plan = instance.GetFunction("plan")!;
            _legCount = instance.GetFunction<long, int>("leg_count")!;
        }

        private Function Plan => _plan;

        private long PlanJourney(uint from, uint to, int departAfter)
            => (long)Plan.Invoke((int)from, (int)to, departAfter)!;

        private Span<Leg> Legs(long journey, int count) => _memory.GetSpan<Leg>(journey, count);

        public int ArrivalOfFirstLeg(uint from, uint to, int departAfter)
        {
            var journey = PlanJourney(from, to, departAfter);
            var legs = Legs(journey, _legCount(journey));
            var alternative = PlanJourney(from, to, legs[0].Depart + 60);
            return Math.Min(legs[0].Arrive, (int)alternative); // expect: WVA001
        }

        public int ArrivalOfFirstLegSafe(uint from, uint to, int departAfter)
        {
            var journey = PlanJourney(from, to, departAfter);
            var legs = Legs(journey, _legCount(journey));
            var (depart, arrive) = (legs[0].Depart, legs[0].Arrive);
            var alternative = PlanJourney(from, to, depart + 60);
            return Math.Min(arrive, (int)alternative);
        }

        public int TransfersAfterReload(long journey, byte[] feed)
        {
            var legs = Legs(journey, _legCount(journey));
            // A new feed instance runs its start function.
            var reloaded = _linker.Instantiate(_store, _feedModule);
            return legs.Length > 1 ? legs[1].Route : reloaded.GetHashCode(); // expect: WVA001
        }

        public int LegCountAfterReload(long journey)
        {
            var legs = Legs(journey, _legCount(journey));
            var reloaded = new Instance(_store, _feedModule);
            return legs.Length + reloaded.GetHashCode(); // only the length
        }

        public void RememberLeg(long journey, int index)
        {
            var entry = _memory.GetPointer() + (nint)journey + index * sizeof(Leg);
            _recentLegs.AddLast(entry); // expect: WVA002
            _recentLegOffsets.AddLast(journey + index * sizeof(Leg));
        }

        public void IndexStop(uint stopOffset)
        {
            _stopEntries.Add(_memory.GetPointer() + (nint)stopOffset); // expect: WVA002
        }

        public int Transfers(string id, uint offset, long journey)
        {
            var stop = new StopRef(id, _memory.GetPointer() + (nint)offset, 1);
            if (stop is StopRef(_, var entry, > 0))
            {
                _legCount(journey);
                return *(int*)entry; // expect: WVA001
            }

            return 0;
        }

        public List<StopRef> ResolveStops(string[] ids, uint[] offsets, long journey)
        {
            var stops = new List<StopRef>();
            for (var i = 0; i < ids.Length; i++)
            {
                var entry = _memory.GetPointer() + (nint)offsets[i];
                stops.Add(new StopRef(ids[i], entry, *(int*)entry)); // expect: WVA002
            }

            _legCount(journey);
            // Hands every stale pointer to the caller: the list is read out as a whole here.
            return stops; // expect: WVA001
        }

        public int EarliestArrival(uint[] origins, uint to, int departAfter)
        {
            var best = int.MaxValue;
            foreach (var origin in origins)
            {
                var journey = PlanJourney(origin, to, departAfter);
                var legs = Legs(journey, _legCount(journey));
                best = Math.Min(best, legs[^1].Arrive); // read before the next plan
            }

            return best;
        }

        public void DefineCallbacks()
        {
            _linker.DefineFunction("gtfs", "on_leg", (Caller caller, long address, int count) =>
            {
                var memory = caller.GetMemory("memory")!;
                var legs = memory.GetSpan<Leg>(address, count);
                var fare = caller.GetFunction("fare_for")!;
                var cents = (int)fare.Invoke(legs[0].Route)!;
                Console.WriteLine($"{legs[^1].ToStop}: {cents}"); // expect: WVA001
            });

            _linker.DefineFunction("gtfs", "on_leg_safe", (Caller caller, long address, int count) =>
            {
                var memory = caller.GetMemory("memory")!;
                var route = memory.GetSpan<Leg>(address, count)[0].Route;
                var cents = (int)caller.GetFunction("fare_for")!.Invoke(route)!;
                var lastStop = memory.GetSpan<Leg>(address, count)[^1].ToStop;
                Console.WriteLine($"{lastStop}: {cents}");
            });
        }
    }
}
