// SoundFont (SF2) sampler: the guest parses the bank and renders voices; the host streams sample data in through callbacks.
// Shape: wasmtime-dotnet's Caller-based host functions (TryGetMemorySpan, GetFunction inside a callback, store data via GetData).
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Autumn.SoundFontSampler;

public sealed class SamplerSession
{
    public nint LastZone;             // public field another object owns
    public int LastZoneOffset;        // the same thing as an offset
    public byte[] LastName = Array.Empty<byte>();
    public Action? OnVoiceEnd;
}

public sealed class SampleBank
{
    private readonly Stream _sf2;
    public SampleBank(Stream sf2) => _sf2 = sf2;

    public int ReadSamples(long offset, Span<byte> destination)
    {
        _sf2.Position = offset;
        return _sf2.Read(destination);
    }
}

public sealed class SamplerHost
{
    private readonly SampleBank _bank;
    private readonly List<string> _log = new();
    private readonly Linker _linker;
    private Memory? _memory;
    public event Action<int>? VoiceStarted;

    public SamplerHost(Engine engine, SampleBank bank)
    {
        _bank = bank;
        _linker = new Linker(engine);

        // The guest asks for PCM: the host writes straight into the guest's buffer during the call. Fresh: no guest code
        // runs between TryGetMemorySpan and the write.
        _linker.DefineFunction("sf2", "read_samples", (Caller caller, long offset, int dest, int length) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", dest, length, out var span)) return -1;
            return _bank.ReadSamples(offset, span);
        });

        // The guest reports a zone; the host asks the guest for the zone's name through its own export first.
        _linker.DefineFunction("sf2", "zone_loaded", (Caller caller, int zone, int nameLength) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", zone, 64, out var zoneBytes)) return;
            var generator = MemoryMarshal.Read<short>(zoneBytes);           // a value
            var nameOf = caller.GetFunction("zone_name")!;
            var namePtr = (int)nameOf.Invoke(zone)!;                        // re-enters the guest, which may grow memory
            var key = zoneBytes[2]; // expect: WVA001
            var name = caller.GetMemory("memory")!.GetSpan(namePtr, nameLength).ToArray(); // obtained after the call
            _log.Add($"zone {generator} key {key} name {name.Length}");
        });

        // Store data: the session object is reached through caller.GetData().
        _linker.DefineFunction("sf2", "voice_started", (Caller caller, int zone) =>
        {
            var memory = caller.GetMemory("memory")!;
            var session = (SamplerSession)caller.GetData()!;
            unsafe
            {
                session.LastZone = (nint)((byte*)memory.GetPointer() + zone); // expect: WVA002
            }
            session.LastZoneOffset = zone;                                    // a number
            session.LastName = memory.GetSpan(zone + 8, 20).ToArray();         // a copy
            VoiceStarted?.Invoke(zone);
        });

        _linker.DefineFunction("sf2", "log_sample_header", (Caller caller, int header) =>
        {
            if (caller.TryGetMemorySpan<int>("memory", header, 4, out var fields))
            {
                var length = fields.Length;                      // not a read of the memory
                var start = fields[0];
                var loopStart = fields[1];
                _log.Add($"sample {start}..{loopStart} ({length} fields)");
            }
        });
    }

    public void Attach(Instance instance) => _memory = instance.GetMemory("memory");

    public void WatchVoices(Instance instance, SamplerSession session, CancellationToken token)
    {
        var render = instance.GetFunction<int, int>("render")!;
        var memory = instance.GetMemory("memory")!;
        var meter = memory.GetPointer() + 0x400;   // level meter block of the guest

        // Runs later, on cancellation: the pointer is captured and read then.
        token.Register(() => Console.WriteLine(Marshal.ReadInt32(meter))); // expect: WVA002

        // Runs later, as an event handler.
        VoiceStarted += zone => _log.Add($"meter {Marshal.ReadInt32(meter)} at voice {zone}"); // expect: WVA002

        // Safe twin: the handler captures the memory and the offset, and obtains the pointer when it runs.
        VoiceStarted += zone => _log.Add($"meter {memory.ReadInt32(0x400)} at voice {zone}");

        render(128);
        var levels = new int[4];
        Marshal.Copy(meter, levels, 0, 4); // expect: WVA001
        session.OnVoiceEnd = () => render(0);
    }

    public int RenderBlock(Instance instance, Span<short> output)
    {
        var render = instance.GetFunction<int, int>("render")!;
        var memory = instance.GetMemory("memory")!;
        var frames = render(output.Length / 2);
        var pcm = memory.GetSpan<short>(0x10000, frames * 2);
        pcm.CopyTo(output);          // copied before anything else runs
        Task.Run(() => render(0));   // a guest call, but after the last use of pcm
        return frames;
    }

    public Task MeterLaterAsync(Instance instance)
    {
        var memory = instance.GetMemory("memory")!;
        var peak = memory.GetSpan<int>(0x400, 1)[0];            // a value read out
        var meter = memory.GetPointer() + 0x400;
        var now = Marshal.ReadInt32(meter);                     // read at once
        return Task.Run(() => Console.WriteLine($"{peak} {now}")); // captures only values
    }
}
