// Trading-card game rules engine: card state lives in guest memory as structs the host reads and writes by ref; triggers run in the guest.
// Shape inspired by DotNetIsolator's ShadowStack (Push<T> returns a slot over guest memory) and ECS-style hosts that hand out refs.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Solstice.CardGameRules
{
    [StructLayout(LayoutKind.Sequential)]
    public struct CardState
    {
        public int Id;
        public int Power;
        public int Toughness;
        public int Counters;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct AttackArgs
    {
        public int Attacker;
        public int Defender;
        public int Damage;
    }

    public readonly ref struct StackSlot<T> where T : unmanaged
    {
        public StackSlot(int address, ref T value)
        {
            Address = address;
            Value = ref value;
        }

        public int Address { get; }
        public readonly ref T Value;
    }

    public ref struct CardCursor
    {
        public CardCursor(ref CardState current) => Current = ref current;
        public ref CardState Current;
    }

    public sealed class RulesEngine
    {
        private const int MaxCards = 512;
        private readonly Memory _memory;
        private readonly int _cardBase;
        private readonly Action _resolveStack;
        private readonly Func<int, int> _trigger;
        private readonly Func<int, int> _stackPush;
        private readonly Action<int> _stackPop;
        private readonly Func<int, int> _attack;

        public RulesEngine(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _resolveStack = instance.GetAction("resolve_stack")!;
            _trigger = instance.GetFunction<int, int>("trigger")!;
            _stackPush = instance.GetFunction<int, int>("stack_push")!;
            _stackPop = instance.GetAction<int>("stack_pop")!;
            _attack = instance.GetFunction<int, int>("attack")!;
            _cardBase = instance.GetFunction<int>("card_base")!();
        }

        // Pure: obtains the ref again from a readonly field and an index.
        private ref CardState Card(int id)
            => ref Unsafe.Add(ref MemoryMarshal.GetReference(_memory.GetSpan<CardState>(_cardBase, MaxCards)), id);

        // Allocates on the guest's shadow stack, then hands out a slot over it.
        private StackSlot<T> Push<T>() where T : unmanaged
        {
            var size = Unsafe.SizeOf<T>();
            var address = _stackPush(size);
            return new StackSlot<T>(address, ref MemoryMarshal.AsRef<T>(_memory.GetSpan(address, size)));
        }

        private static void Buff(ref CardState card, int amount)
        {
            card.Power += amount;
            card.Toughness += amount;
        }

        private int PowerAfterResolve(ref CardState card)
        {
            _resolveStack();
            return card.Power;
        }

        private int PowerThenResolve(ref CardState card)
        {
            var power = card.Power;
            _resolveStack();
            return power;
        }

        public bool ApplyDamage(int id, int damage)
        {
            ref var card = ref Card(id);
            card.Toughness -= damage;
            var died = _trigger(id) != 0;
            card.Counters++; // expect: WVA001
            return died;
        }

        public bool ApplyDamageSafe(int id, int damage)
        {
            ref var card = ref Card(id);
            card.Toughness -= damage;
            var died = _trigger(id) != 0;
            card = ref Card(id); // obtained again after the trigger
            card.Counters++;
            return died;
        }

        public void MarkTriggered(int id)
        {
            ref var card = ref Card(id);
            card.Flags |= 1;
            card.Counters = _trigger(id); // expect: WVA001
        }

        public void MarkTriggeredSafe(int id)
        {
            var counters = _trigger(id);
            ref var card = ref Card(id);
            card.Flags |= 1;
            card.Counters = counters;
        }

        public void Anthem(int id)
        {
            ref var card = ref Card(id);
            _resolveStack();
            Buff(ref card, 1); // expect: WVA001
        }

        public void AnthemSafe(int id)
        {
            ref var card = ref Card(id);
            Buff(ref card, 1);
            _resolveStack();
        }

        public int PowerOnceResolved(int id)
        {
            ref var card = ref Card(id);
            return PowerAfterResolve(ref card); // expect: WVA001
        }

        public int PowerBeforeResolved(int id)
        {
            ref var card = ref Card(id);
            return PowerThenResolve(ref card);
        }

        public int CursorPower(int id)
        {
            var cursor = new CardCursor(ref Card(id));
            cursor.Current.Flags |= 2;
            _resolveStack();
            return cursor.Current.Power; // expect: WVA001
        }

        public int SnapshotPower(int id)
        {
            var snapshot = Card(id); // a copy of the struct, not a ref
            _resolveStack();
            return snapshot.Power;
        }

        public int Attack(int attacker, int defender)
        {
            var args = Push<AttackArgs>();
            args.Value.Attacker = attacker;
            args.Value.Defender = defender;
            _attack(args.Address);
            var damage = args.Value.Damage; // expect: WVA001
            _stackPop(args.Address); // Address reads only the int member
            return damage;
        }

        public int AttackSafe(int attacker, int defender)
        {
            var args = Push<AttackArgs>();
            args.Value.Attacker = attacker;
            args.Value.Defender = defender;
            _attack(args.Address);
            var damage = _memory.ReadInt32(args.Address + 8); // read again at the guest address
            _stackPop(args.Address);
            return damage;
        }
    }
}
