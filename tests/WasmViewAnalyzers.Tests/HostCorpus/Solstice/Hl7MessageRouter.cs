// HL7 v2 message router: a guest splits messages into segments and calls back into the host per segment; the host routes them.
// Shape inspired by wasmtime-dotnet's Caller examples (GetMemory/ReadString in host functions, store data via GetData).
using System;
using System.Collections.Generic;
using System.Text;
using Wasmtime;

namespace Corpus.Solstice.Hl7MessageRouter
{
    public sealed class RouteContext
    {
        public nint CurrentSegment;
        public int CurrentOffset;
        public string? LastType;
    }

    public sealed class RouteStats
    {
        public nint LastAck;
        public int LastAckOffset;
        public int Count;
    }

    public sealed unsafe class Hl7Router
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _route;
        private readonly Func<int, int> _ack;
        private readonly Stack<nint> _history = new();
        private readonly Stack<int> _historyOffsets = new();

        public event Action<int>? Routed;
        public event Action<string>? Logged;

        public Hl7Router(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _route = instance.GetFunction<int, int, int>("route")!;
            _ack = instance.GetFunction<int, int>("ack")!;
            Routed += id => _ack(id); // raising Routed runs the guest
            Logged += line => Console.Error.WriteLine(line);
        }

        public static void Define(Linker linker, Memory memory, int segmentTable)
        {
            linker.DefineFunction("hl7", "segment", (Caller caller, int address, int length) =>
            {
                var context = (RouteContext)caller.GetData()!;
                var guest = caller.GetMemory("memory")!;
                context.CurrentSegment = guest.GetPointer() + address; // expect: WVA002
                context.CurrentOffset = address;
                context.LastType = guest.ReadString(address, Math.Min(3, length), Encoding.ASCII);
            });

            var stats = new RouteStats();
            linker.DefineFunction("hl7", "acked", (Caller caller, int address) =>
            {
                stats.LastAck = caller.GetMemory("memory")!.GetPointer() + address; // expect: WVA002
                stats.LastAckOffset = address;
                stats.Count++;
            });

            var table = memory.GetPointer() + segmentTable;
            linker.DefineFunction("hl7", "segment_at", (int index) => ((int*)table)[index]); // expect: WVA002

            linker.DefineFunction("hl7", "segment_at_safe", (int index) => memory.ReadInt32(segmentTable + index * 4));

            linker.DefineFunction("hl7", "field", (Caller caller, int address, int length) =>
            {
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var field))
                {
                    var separators = field.Count((byte)'^');
                    Console.WriteLine($"{Encoding.ASCII.GetString(field)} ({separators} components)");
                }
            });

            linker.DefineFunction("hl7", "field_escaped", (Caller caller, int address, int length) =>
            {
                if (caller.TryGetMemorySpan<byte>("memory", address, length, out var field))
                {
                    var unescape = caller.GetFunction("unescape")!;
                    var unescaped = (int)unescape.Invoke(address, length)!;
                    Console.WriteLine($"{unescaped}: {field[0]}"); // expect: WVA001
                }
            });
        }

        public byte RouteAndAck(int message, int length, int id)
        {
            var msh = _memory.GetSpan(message, 8);
            Routed?.Invoke(id);
            return msh[3]; // expect: WVA001
        }

        public byte RouteAndLog(int message, int length)
        {
            var msh = _memory.GetSpan(message, 8);
            Logged?.Invoke("routing " + length); // its only handler writes to stderr
            _memory.WriteString(message + length, "ACK", Encoding.ASCII); // a write, not a call into the guest
            return msh[3];
        }

        public int RouteSegments(int message, int length)
        {
            var body = _memory.GetSpan(message, length);
            var destination = _route(message, length);
            var last = body[^1]; // expect: WVA001
            return destination + last;
        }

        public int RouteSegmentsSafe(int message, int length)
        {
            var segments = _memory.GetSpan(message, length).Count((byte)'\r');
            var destination = _route(message, length);
            var body = _memory.GetSpan(message, length); // obtained again after the route call
            return destination + segments + body[^1];
        }

        public void Stash(RouteContext target, int address)
        {
            target.CurrentSegment = _memory.GetPointer() + address; // expect: WVA002
        }

        public void StashOffset(RouteContext target, int address)
        {
            target.CurrentOffset = address;
        }

        private void Keep(nint segment) => _history.Push(segment);
        private void Remember(nint segment, bool keep)
        {
            if (keep)
            {
                Keep(segment);
            }
        }

        public void Archive(int address, bool keep)
        {
            var segment = _memory.GetPointer() + address;
            Remember(segment, keep); // expect: WVA002
            _historyOffsets.Push(address);
        }

        public string LastArchived()
            => _historyOffsets.TryPeek(out var address) ? _memory.ReadString(address, 3, Encoding.ASCII) : "";
    }
}
