// A rigid-body physics step (Box2D/Rapier-like) running in wasm; the host reads body states by ref for rendering
// and applies impulses. Shape: Rapier's wasm bindings (body handles, a world step, raw body arrays).
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using Wasmtime;

namespace Corpus.Winter.PhysicsWorld
{
    [StructLayout(LayoutKind.Sequential)]
    public struct Body
    {
        public float X, Y, Angle;
        public float Vx, Vy, Omega;
        public int Flags;
    }

    public readonly struct BodyHandle
    {
        public BodyHandle(World world, int id) { World = world; Id = id; }
        public World World { get; }
        public int Id { get; }

        // Deconstructing asks the guest for the body's current pose (a guest call C# makes implicitly).
        public void Deconstruct(out float x, out float y)
        {
            var address = World.Locate(Id);
            x = World.Memory.ReadSingle(address);
            y = World.Memory.ReadSingle(address + 4);
        }

        // A user-defined operator: joining two bodies creates a joint in the guest.
        public static int operator +(BodyHandle a, BodyHandle b) => a.World.Joint(a.Id, b.Id);
    }

    public sealed class StepScope : IDisposable
    {
        private readonly World _world;
        private readonly float _dt;
        public StepScope(World world, float dt) { _world = world; _dt = dt; }   // no guest call
        public void Dispose()                                                  // runs the solver in the guest
        {
            _world.BeginStep(_dt);
            _world.EndStep();
        }
    }

    // A collection of joints whose Add creates each joint in the guest (collection initializers call it).
    public sealed class JointSet : IEnumerable<int>
    {
        private readonly List<int> _ids = new();
        public void Add(BodyHandle a, BodyHandle b) => _ids.Add(a.World.Joint(a.Id, b.Id));
        public IEnumerator<int> GetEnumerator() => _ids.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public sealed unsafe class World
    {
        private readonly Func<int, int> _locate;
        private readonly Func<int, int, int> _joint;
        private readonly Action<float> _begin;
        private readonly Action _end;
        private readonly Func<int, int> _spawn;
        private readonly int _bodiesBase;
        private nint _hotBody;

        public Memory Memory { get; }

        public World(Instance instance)
        {
            Memory = instance.GetMemory("memory")!;
            _locate = instance.GetFunction<int, int>("locate_body")!;
            _joint = instance.GetFunction<int, int, int>("create_joint")!;
            _begin = instance.GetAction<float>("begin_step")!;
            _end = instance.GetAction("end_step")!;
            _spawn = instance.GetFunction<int, int>("spawn")!;
            _bodiesBase = instance.GetFunction<int>("bodies_base")!();
        }

        internal int Locate(int id) => _locate(id);
        internal int Joint(int a, int b) => _joint(a, b);
        internal void BeginStep(float dt) => _begin(dt);
        internal void EndStep() => _end();

        // Pure: base and stride only, no guest call. Views from it may be obtained again.
        public ref Body BodyAt(int index) =>
            ref MemoryMarshal.AsRef<Body>(Memory.GetSpan(_bodiesBase + index * Unsafe.SizeOf<Body>(), Unsafe.SizeOf<Body>()));

        // An indexer whose getter calls the guest (spawns on first access).
        public int this[string name] => _spawn(name.GetHashCode() & 0xFFFF);

        public void Step(float dt, Span<float> renderXs)
        {
            ref Body player = ref BodyAt(0);
            player.Vx += 0.5f;                                  // written before the step: the guest reads it
            using (new StepScope(this, dt))
            {
                renderXs[0] = player.X;                          // inside the scope, before Dispose: fine
            }
            renderXs[1] = player.X;                              // expect: WVA001
        }

        public void StepFixed(float dt, Span<float> renderXs)
        {
            BodyAt(0).Vx += 0.5f;
            using (new StepScope(this, dt)) { }
            ref Body player = ref BodyAt(0);                     // obtained again after the scope's Dispose
            renderXs[0] = player.X;
        }

        public float Attach(BodyHandle a, BodyHandle b)
        {
            ref Body anchor = ref BodyAt(a.Id);
            var joint = a + b;                                   // the operator calls create_joint
            return anchor.X + joint;                             // expect: WVA001
        }

        public float Chain(BodyHandle a, BodyHandle b, BodyHandle c)
        {
            ref Body head = ref BodyAt(a.Id);
            var joints = new JointSet { { a, b }, { b, c } };    // each Add calls create_joint
            head.Omega = 0;                                      // expect: WVA001
            head = ref BodyAt(a.Id);                             // re-bound from the pure helper: fresh
            var count = 0;
            foreach (var j in joints) count += j;
            return head.X + count;
        }

        public float Distance(BodyHandle a)
        {
            ref Body other = ref BodyAt(1);
            var (x, y) = a;                                      // Deconstruct calls locate_body
            return MathF.Sqrt((other.X - x) * (other.X - x) + (other.Y - y) * (other.Y - y)); // expect: WVA001
        }

        public float DistanceFixed(BodyHandle a)
        {
            var (x, y) = a;
            ref Body other = ref BodyAt(1);                      // obtained after the Deconstruct
            return MathF.Sqrt((other.X - x) * (other.X - x) + (other.Y - y) * (other.Y - y));
        }

        public void Impulse(int index, float strength)
        {
            ref Body body = ref BodyAt(index);
            // The target is fixed before the right-hand side runs: Locate calls the guest first.
            body.Vx = strength * Memory.ReadSingle(Locate(index) + 12);   // expect: WVA001
        }

        public int SpawnNamed(string name)
        {
            ref Body root = ref BodyAt(0);
            var flags = root.Flags;                              // read before
            var id = this[name];                                 // the indexer getter calls spawn
            root.Flags = flags | 1;                              // expect: WVA001
            return id;
        }

        public void TrackHot(int index)
        {
            var p = (nint)Unsafe.AsPointer(ref BodyAt(index));
            Interlocked.Exchange(ref _hotBody, p);               // expect: WVA002
        }

        public int CountSleeping(int count)
        {
            var bodies = MemoryMarshal.Cast<byte, Body>(Memory.GetSpan(_bodiesBase, count * Unsafe.SizeOf<Body>()));
            var sleeping = 0;
            foreach (ref readonly var b in bodies)
                if ((b.Flags & 2) != 0) sleeping++;
            _end();
            return sleeping + (bodies.IsEmpty ? 0 : 1);          // IsEmpty reads nothing
        }

        public List<int> SpawnWave(int n)
        {
            ref Body leader = ref BodyAt(0);
            // The collection initializer's Add is List.Add: it does not run the guest, but each element
            // expression (_spawn) does, before leader.X is read for the last one.
            var ids = new List<int> { _spawn(1), _spawn(2), (int)leader.X };   // expect: WVA001
            return ids;
        }
    }
}
