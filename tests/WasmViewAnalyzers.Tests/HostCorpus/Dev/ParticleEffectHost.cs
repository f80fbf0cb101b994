// Particle-effect host: a wasm particle simulator steps emitters; the host reads particle buffers to draw sprites.
// Shape from game hosts that wrap guest buffers in small C# types (rows, slots, records) and look them up by emitter name.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Dev.ParticleEffectHost;

[StructLayout(LayoutKind.Sequential)]
public struct Particle
{
    public float X;
    public float Y;
    public float Life;
    public int Color;
}

// A row of RGBA sprite pixels in guest memory, next to nothing else.
public readonly ref struct SpriteRow
{
    private readonly Span<byte> _pixels;

    public SpriteRow(Span<byte> pixels) => _pixels = pixels;

    // Only the length: not a read of guest memory.
    public int Width => _pixels.Length / 4;

    public byte Alpha(int x) => _pixels[x * 4 + 3];
}

// A particle buffer handle: a pointer next to plain data.
public sealed unsafe class ParticleSlot
{
    public nint Pointer { get; init; }

    public int Offset { get; init; }

    public int Count { get; init; }

    // Touches only the plain fields.
    public string Describe() => $"{Count} particles at 0x{Offset:X}";

    public float FirstLife() => ((Particle*)Pointer)->Life;
}

public sealed record EmitterOutput(string Name, ReadOnlyMemory<byte> Particles, int Count);

internal sealed unsafe class ParticleMemory : System.Buffers.MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;

    public ParticleMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_start, _length);

    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

public sealed unsafe class ParticleHost
{
    private readonly Memory _memory;
    private readonly Func<int, float, int> _step;          // (emitter, dt) -> buffer address
    private readonly Func<int, int> _count;
    private readonly Func<int, int> _sprite;               // emitter -> sprite pixels address

    public ParticleHost(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _step = instance.GetFunction<int, float, int>("step_emitter")!;
        _count = instance.GetFunction<int, int>("particle_count")!;
        _sprite = instance.GetFunction<int, int>("sprite_row")!;
    }

    private static int Blocks(scoped ReadOnlySpan<byte> data) => data.Length / 16;

    // Reads the particles: a use, whatever the name suggests.
    private static int Count(ReadOnlySpan<Particle> particles)
    {
        var alive = 0;
        foreach (var p in particles)
        {
            if (p.Life > 0)
            {
                alive++;
            }
        }

        return alive;
    }

    public int SpriteWidth(int emitter, float dt)
    {
        var row = new SpriteRow(_memory.GetSpan(_sprite(emitter), 64 * 4));
        _step(emitter, dt);
        return row.Width;                                  // the member reads only the length
    }

    public byte SpriteAlpha(int emitter, float dt)
    {
        var row = new SpriteRow(_memory.GetSpan(_sprite(emitter), 64 * 4));
        _step(emitter, dt);
        return row.Alpha(0); // expect: WVA001
    }

    public int BlocksAfterStep(int emitter, float dt)
    {
        var pixels = _memory.GetSpan(_sprite(emitter), 256);
        _step(emitter, dt);
        return Blocks(pixels);                             // the callee reads only Length
    }

    public int AliveAfterStep(int emitter, float dt)
    {
        var address = _step(emitter, 0);
        var particles = _memory.GetSpan<Particle>(address, _count(emitter));
        _step(emitter, dt);
        return Count(particles); // expect: WVA001
    }

    public string SlotAfterStep(int emitter, float dt)
    {
        var address = _step(emitter, 0);
        // The initializer stores the pointer into an object that stays local: not an escape.
        var slot = new ParticleSlot { Pointer = _memory.GetPointer() + address, Offset = address, Count = _count(emitter) };
        _step(emitter, dt);
        var offset = slot.Offset;                          // plain data
        return slot.Describe() + offset;                   // Describe touches only Count and Offset
    }

    public float LifeAfterStep(int emitter, float dt)
    {
        var address = _step(emitter, 0);
        var count = _count(emitter);
        var slot = new ParticleSlot { Pointer = _memory.GetPointer() + address, Offset = address, Count = count };
        _step(emitter, dt);
        return slot.FirstLife(); // expect: WVA001
    }

    private EmitterOutput Output(string name, int emitter, float dt)
    {
        var address = _step(emitter, dt);
        var count = _count(emitter);
        return new EmitterOutput(name, new ParticleMemory((byte*)_memory.GetPointer() + address, count * sizeof(Particle)).Memory, count);
    }

    public int TotalCount(IReadOnlyDictionary<string, int> emitters, float dt)
    {
        var outputs = new Dictionary<string, EmitterOutput>();
        foreach (var (name, emitter) in emitters)
        {
            outputs.Add(name, Output(name, emitter, dt)); // expect: WVA002
        }

        // Count is plain data of the record: no guest memory is read.
        return outputs.Values.Sum(o => o.Count);
    }

    public float TotalLife(IReadOnlyDictionary<string, int> emitters, float dt)
    {
        var outputs = new Dictionary<string, EmitterOutput>();
        foreach (var (name, emitter) in emitters)
        {
            outputs[name] = Output(name, emitter, dt); // expect: WVA002
        }

        var total = 0f;
        foreach (var pair in outputs)
        {
            total += MemoryMarshal.Cast<byte, Particle>(pair.Value.Particles.Span)[0].Life; // expect: WVA001
        }

        return total;
    }

    public int FirstColor(IReadOnlyDictionary<string, int> emitters, float dt)
    {
        var outputs = new Dictionary<string, EmitterOutput>();
        foreach (var (name, emitter) in emitters)
        {
            outputs[name] = Output(name, emitter, dt); // expect: WVA002
        }

        // The first emitter's output, read after the later steps.
        return MemoryMarshal.Cast<byte, Particle>(outputs.Values.First().Particles.Span)[0].Color; // expect: WVA001
    }

    public Dictionary<string, int> ColorsByName(IReadOnlyDictionary<string, int> emitters, float dt)
    {
        var outputs = new SortedDictionary<string, EmitterOutput>();
        foreach (var (name, emitter) in emitters)
        {
            outputs.Add(name, Output(name, emitter, dt)); // expect: WVA002
        }

        var colors = new Dictionary<string, int>();
        foreach (var (name, output) in outputs)
        {
            colors[name] = output.Count == 0 ? 0 : MemoryMarshal.Cast<byte, Particle>(output.Particles.Span)[0].Color; // expect: WVA001
        }

        return colors;
    }

    public int FirstColorCopied(IReadOnlyDictionary<string, int> emitters, float dt)
    {
        var colors = new Dictionary<string, int>();
        foreach (var (name, emitter) in emitters)
        {
            var output = Output(name, emitter, dt);
            colors[name] = MemoryMarshal.Cast<byte, Particle>(output.Particles.Span)[0].Color;   // read before the next step
        }

        return colors.Values.FirstOrDefault();
    }

    public float LastKnownLife(int emitter, float dt)
    {
        nint? cached = null;
        if (_count(emitter) > 0)
        {
            var address = _step(emitter, 0);
            cached = _memory.GetPointer() + address;
        }

        _step(emitter, dt);
        return cached.HasValue ? ((Particle*)cached.GetValueOrDefault())->Life : 0; // expect: WVA001
    }

    public float DesignatedLife(int emitter, float dt)
    {
        var address = _step(emitter, 0);
        if (_memory.GetPointer() is var basePointer && basePointer != 0)
        {
            var first = (Particle*)(basePointer + address);
            var life = first->Life;                        // read before the next step
            _step(emitter, dt);
            return life + ((Particle*)(basePointer + address))->Life; // expect: WVA001
        }

        return 0;
    }

    public float RecordLife(string name, int emitter, float dt)
    {
        var output = Output(name, emitter, dt);
        _step(emitter, dt);
        if (output is { Count: > 0, Particles: var particles })
        {
            return MemoryMarshal.Cast<byte, Particle>(particles.Span)[0].Life; // expect: WVA001
        }

        return output.Name.Length;                         // plain data of the record
    }
}
