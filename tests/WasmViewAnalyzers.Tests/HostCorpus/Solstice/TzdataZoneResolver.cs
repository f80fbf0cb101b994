// Timezone (tzdata) resolver: a guest compiles zone rules; the host caches zones and reads transition tables out of guest memory.
// Shape inspired by PixiEditor's WasmRuntime (caches of guest offsets, WriteString of names) and concurrent caches in plugin hosts.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using Wasmtime;

namespace Corpus.Solstice.TzdataZoneResolver
{
    public sealed record ZoneHandle(string Name, nint Transitions, int Count);
    public sealed record ZoneOffsets(string Name, int Transitions, int Count);

    public sealed class TransitionWindow
    {
        public nint Start;
        public int Count;
    }

    public sealed class ZoneReport
    {
        public TransitionWindow Window { get; } = new();
        public string Zone = "";
    }

    public sealed unsafe class ZoneResolver
    {
        private static nint s_utcTransitions;
        private static int s_utcTransitionsOffset;

        private readonly Memory _memory;
        private readonly Func<int, int> _alloc;
        private readonly Func<int, int, int> _lookup;
        private readonly Func<int, int> _transitionCount;
        private readonly Func<int, long, int> _resolve;
        private readonly ConcurrentDictionary<string, nint> _zones = new();
        private readonly ConcurrentDictionary<string, int> _zoneOffsets = new();
        private nint _current;
        private ZoneHandle _handle = new("UTC", 0, 0);
        private ZoneOffsets _handleOffsets = new("UTC", 0, 0);
        private ZoneReport? _lastReport;

        public ZoneResolver(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
            _lookup = instance.GetFunction<int, int, int>("zone_lookup")!;
            _transitionCount = instance.GetFunction<int, int>("transition_count")!;
            _resolve = instance.GetFunction<int, long, int>("resolve")!;
        }

        private int LookupOffset(string name)
        {
            var bytes = Encoding.ASCII.GetByteCount(name);
            var address = _alloc(bytes);
            _memory.WriteString(address, name, Encoding.ASCII);
            return _lookup(address, bytes);
        }

        // Calls the guest, then returns a pointer obtained after the call.
        private nint Lookup(string name)
        {
            var zone = LookupOffset(name);
            return _memory.GetPointer() + zone;
        }

        public void Register(string name)
        {
            var transitions = Lookup(name);
            _zones.TryAdd(name, transitions); // expect: WVA002
            _zoneOffsets.GetOrAdd(name, n => LookupOffset(n));
        }

        public void Select(string name)
        {
            var transitions = Lookup(name);
            Volatile.Write(ref _current, transitions); // expect: WVA002
        }

        public void SelectHandle(string name)
        {
            var zone = LookupOffset(name);
            var count = _transitionCount(zone);
            _handle = _handle with { Name = name, Transitions = _memory.GetPointer() + zone, Count = count }; // expect: WVA002
            _handleOffsets = _handleOffsets with { Name = name, Transitions = zone, Count = count };
        }

        public void PinUtc()
        {
            var zone = LookupOffset("UTC");
            s_utcTransitions = _memory.GetPointer() + zone; // expect: WVA002
            s_utcTransitionsOffset = zone;
        }

        public long FirstUtcTransition(string[] names)
        {
            var local = new Dictionary<string, nint>();
            foreach (var name in names)
            {
                local[name] = Lookup(name); // expect: WVA002
            }

            if (local.TryGetValue("UTC", out var utc))
            {
                return *(long*)utc; // expect: WVA001
            }

            return 0;
        }

        public long FirstUtcTransitionSafe(string[] names)
        {
            var local = new Dictionary<string, int>();
            foreach (var name in names)
            {
                local[name] = LookupOffset(name);
            }

            return local.TryGetValue("UTC", out var utc) ? _memory.ReadInt64(utc) : 0;
        }

        public long OffsetAt(string name, long unixSeconds)
        {
            var zone = LookupOffset(name);
            var count = _transitionCount(zone);
            var window = (_memory.GetPointer() + zone, count);
            var offset = _resolve(zone, unixSeconds);
            if (window is (var start, > 0))
            {
                return offset + *(long*)start; // expect: WVA001
            }

            return offset;
        }

        public string Describe(string name, long unixSeconds)
        {
            var zone = LookupOffset(name);
            var first = (long*)(_memory.GetPointer() + zone);
            var firstValue = *first;
            var offset = _resolve(zone, unixSeconds);
            var text = $"{name}: first transition {firstValue}, offset {offset}";
            return text + $" (raw {*first})"; // expect: WVA001
        }

        public int ReportCount(string name)
        {
            var zone = LookupOffset(name);
            var count = _transitionCount(zone);
            // The report is a local object: the pointer it carries never leaves the method.
            var report = new ZoneReport { Zone = name, Window = { Start = _memory.GetPointer() + zone, Count = count } };
            return report.Window.Count + (int)*(long*)report.Window.Start;
        }

        public void KeepReport(string name)
        {
            var zone = LookupOffset(name);
            var count = _transitionCount(zone);
            _lastReport = new ZoneReport { Zone = name, Window = { Start = _memory.GetPointer() + zone, Count = count } }; // expect: WVA002
        }

        public long CurrentOffset(long unixSeconds)
        {
            var zone = _zoneOffsets.TryGetValue(_handle.Name, out var z) ? z : LookupOffset(_handle.Name);
            return _resolve(zone, unixSeconds) + _handleOffsets.Count;
        }
    }
}
