// A spell checker (Hunspell in wasm) behind an editor's plugin-session interface, exports wrapped in a delegate
// table, host functions with Caller and per-plugin store data. Shape: Extism-like plugin hosts.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Winter.SpellCheckPlugin
{
    public interface IGuestSession
    {
        int Call(string export, int a, int b);
        ReadOnlySpan<byte> Output(int address, int length);
        Memory Memory { get; }
    }

    public sealed class PluginState
    {
        public int PagesServed;
        public nint LastPage;
        public int LastPageOffset;
        public readonly Dictionary<string, byte[]> Pages = new();
    }

    public sealed class WasmSession : IGuestSession
    {
        private readonly Dictionary<string, Func<int, int, int>> _exports = new();
        public Memory Memory { get; }

        public WasmSession(Instance instance, IEnumerable<string> exportNames)
        {
            Memory = instance.GetMemory("memory")!;
            foreach (var name in exportNames)
                _exports[name] = instance.GetFunction<int, int, int>(name)!;
        }

        public int Call(string export, int a, int b) => _exports[export](a, b);
        public ReadOnlySpan<byte> Output(int address, int length) => Memory.GetSpan(address, length);
    }

    public sealed class SpellChecker
    {
        private readonly IGuestSession _session;
        private readonly PluginState _state;
        private readonly Func<string, int> _put;

        public SpellChecker(IGuestSession session, PluginState state)
        {
            _session = session;
            _state = state;
            _put = word =>
            {
                var address = _session.Call("alloc", word.Length * 3, 0);
                return _session.Memory.WriteString(address, word) << 16 | address;
            };
        }

        public static void DefineHostFunctions(Linker linker, Store store, PluginState state)
        {
            // The guest asks for a dictionary page; the host writes it into a guest buffer.
            linker.DefineFunction("host", "load_page", (Caller caller, int nameAddress, int nameLength, int target) =>
            {
                var memory = caller.GetMemory("memory")!;
                var name = memory.ReadString(nameAddress, nameLength, Encoding.UTF8);
                var data = (PluginState)caller.GetData()!;
                if (!data.Pages.TryGetValue(name, out var page)) return 0;
                page.CopyTo(memory.GetSpan(target, page.Length));
                data.PagesServed++;
                data.LastPageOffset = target;                          // an offset
                return page.Length;
            });

            linker.DefineFunction("host", "remember_page", (Caller caller, int target, int length) =>
            {
                var memory = caller.GetMemory("memory")!;
                var data = (PluginState)caller.GetData()!;
                data.LastPage = memory.GetPointer() + target;        // expect: WVA002
            });

            var pinned = store.GetData() is PluginState s ? s.LastPageOffset : 0;
            linker.Define("host", "page_byte", Function.FromCallback(store, (Caller caller, int index) =>
            {
                // Obtains the view each time the guest calls: nothing captured.
                return caller.TryGetMemorySpan<byte>("memory", pinned + index, 1, out var one) ? one[0] : -1;
            }));
        }

        public unsafe void DefineWatch(Linker linker, Store store, Memory memory, int address)
        {
            var watched = (byte*)memory.GetPointer() + address;
            linker.Define("host", "watched_byte", Function.FromCallback(store, () => (int)watched[0]));   // expect: WVA002
        }

        public bool Check(string word)
        {
            var packed = _put(word);
            return _session.Call("spell", packed & 0xFFFF, packed >> 16) != 0;
        }

        public string[] Suggest(string word)
        {
            var packed = _put(word);
            var count = _session.Call("suggest", packed & 0xFFFF, packed >> 16);
            var listAddress = _session.Call("suggestions_ptr", 0, 0);
            var offsets = MemoryMarshal.Cast<byte, int>(_session.Output(listAddress, count * 8));
            var result = new string[count];
            for (int i = 0; i < count; i++)
            {
                result[i] = _session.Memory.ReadString(offsets[2 * i], offsets[2 * i + 1], Encoding.UTF8);   // copies; no call
            }
            _session.Call("free_suggestions", listAddress, count);
            return result;
        }

        public string[] SuggestLazily(string word)
        {
            var packed = _put(word);
            var count = _session.Call("suggest", packed & 0xFFFF, packed >> 16);
            var offsets = MemoryMarshal.Cast<byte, int>(_session.Output(_session.Call("suggestions_ptr", 0, 0), count * 8));
            var result = new string[count];
            for (int i = 0; i < count; i++)
            {
                var stem = _session.Call("stem", offsets[2 * i], offsets[2 * i + 1]);   // expect: WVA001
                result[i] = stem.ToString();
            }
            return result;
        }

        public string FirstSuggestion(string word)
        {
            var packed = _put(word);
            var count = _session.Call("suggest", packed & 0xFFFF, packed >> 16);
            if (count == 0) return word;
            var offsets = MemoryMarshal.Cast<byte, int>(_session.Output(_session.Call("suggestions_ptr", 0, 0), 8));
            var second = _put(word + "s");                              // the Func field's lambda calls alloc
            return second == 0 ? word : _session.Memory.ReadString(offsets[0], offsets[1], Encoding.UTF8);   // expect: WVA001
        }

        private ref T Header<T>(int address) where T : unmanaged =>
            ref MemoryMarshal.AsRef<T>(_session.Memory.GetSpan(address, Unsafe.SizeOf<T>()));

        public int AffixFlags(string word)
        {
            var packed = _put(word);
            var entry = _session.Call("lookup", packed & 0xFFFF, packed >> 16);
            ref long flags = ref Header<long>(entry);
            var copy = flags;                                           // a copy of the value
            _session.Call("touch", entry, 0);
            return (int)(copy & 0xFF);
        }

        public int AffixFlagsStale(string word)
        {
            var packed = _put(word);
            var entry = _session.Call("lookup", packed & 0xFFFF, packed >> 16);
            ref long flags = ref Header<long>(entry);
            _session.Call("touch", entry, 0);
            flags |= 1;                                                  // expect: WVA001
            return (int)(flags & 0xFF);                                  // expect: WVA001
        }

        public async Task<string> CheckDocumentAsync(string[] words)
        {
            var wrong = new StringBuilder();
            foreach (var w in words)
            {
                if (!Check(w)) wrong.Append(w).Append(' ');
                await Task.Yield();                                      // no view is live across it
            }
            return wrong.ToString();
        }
    }
}
