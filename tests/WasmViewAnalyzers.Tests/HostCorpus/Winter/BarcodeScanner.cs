// A QR/barcode decoder (zbar/zxing-like) in wasm: the host feeds grayscale frames and the guest reports each
// symbol through an imported host function. Shape: wasmtime-dotnet's Caller callbacks and store data objects.
using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Wasmtime;

namespace Corpus.Winter.BarcodeScanner
{
    public sealed class ScanSession
    {
        public List<string> Symbols { get; } = new();
        public nint LastSymbolPointer;                  // written by the callback: a pointer in another object
        public int LastSymbolOffset;
        public int LastSymbolLength;
        public Memory? Memory;
    }

    public sealed class SymbolEventArgs : EventArgs
    {
        public SymbolEventArgs(string text) => Text = text;
        public string Text { get; }
    }

    public sealed unsafe class BarcodeDecoder
    {
        private readonly Store _store;
        private readonly Instance _instance;
        private readonly Memory _memory;
        private readonly Func<int, int, int, int> _scan;    // (imagePtr, w, h) -> symbol count
        private readonly Func<int, int> _alloc;
        private readonly ScanSession _session = new();
        private readonly List<Action> _afterScan = new();

        public event EventHandler<SymbolEventArgs>? SymbolFound;

        public BarcodeDecoder(Engine engine, Module module)
        {
            _store = new Store(engine, _session);
            var linker = new Linker(engine);

            linker.DefineFunction("env", "on_symbol", (Caller caller, int address, int length) =>
            {
                if (!caller.TryGetMemorySpan<byte>("memory", address, length, out var text))
                    return;
                var session = (ScanSession)caller.GetData()!;
                session.Symbols.Add(Encoding.UTF8.GetString(text));          // decoded: a copy
                session.LastSymbolOffset = address;                           // an offset: plain data
                session.LastSymbolLength = length;
                session.LastSymbolPointer = (nint)caller.GetMemory("memory")!.GetPointer() + address; // expect: WVA002
            });

            linker.DefineFunction("env", "checksum", (Caller caller, int address, int length) =>
            {
                if (!caller.TryGetMemorySpan<byte>("memory", address, length, out var data))
                    return 0;
                var verify = caller.GetFunction("verify_block")!;
                var ok = (int)verify.Invoke(address, length)!;
                // The span was obtained before the callback re-entered the guest.
                return ok == 0 ? 0 : data[0] ^ data[^1];                       // expect: WVA001
            });

            linker.DefineFunction("env", "checksum_fixed", (Caller caller, int address, int length) =>
            {
                var verify = caller.GetFunction("verify_block")!;
                var ok = (int)verify.Invoke(address, length)!;
                if (ok == 0 || !caller.TryGetMemorySpan<byte>("memory", address, length, out var data))
                    return 0;
                return data[0] ^ data[^1];                                     // obtained after the call
            });

            _instance = linker.Instantiate(_store, module);
            _memory = _instance.GetMemory("memory")!;
            _session.Memory = _memory;
            _scan = _instance.GetFunction<int, int, int, int>("scan")!;
            _alloc = _instance.GetFunction<int, int>("alloc")!;

            SymbolFound += (_, e) => _alloc(e.Text.Length);     // a handler that calls the guest
        }

        public IReadOnlyList<string> Scan(byte[] gray, int width, int height)
        {
            var address = _alloc(gray.Length);
            var frame = _memory.GetSpan(address, gray.Length);
            gray.CopyTo(frame);
            _session.Symbols.Clear();
            var count = _scan(address, width, height);
            frame = _memory.GetSpan(address, count);            // the guest writes one quality flag per symbol here
            var firstFlag = frame.IsEmpty ? 0 : frame[0];      // read before the event: fine
            for (int i = 0; i < _session.Symbols.Count; i++)
                SymbolFound?.Invoke(this, new SymbolEventArgs(_session.Symbols[i]));   // its handler calls _alloc
            var lastFlag = count == 0 ? 0 : frame[count - 1];  // expect: WVA001
            return firstFlag + lastFlag > 0 ? _session.Symbols.ToArray() : Array.Empty<string>();
        }

        public string? LastSymbol()
        {
            // Read from the kept offset, not the pointer: obtained fresh.
            if (_session.LastSymbolLength == 0) return null;
            return _memory.ReadString(_session.LastSymbolOffset, _session.LastSymbolLength, Encoding.UTF8);
        }

        public string? LastSymbolUnsafe()
        {
            if (_session.LastSymbolPointer == 0) return null;  // compared only
            _alloc(0);
            // The pointer is read out of the field after _alloc, not before: a pointer kept in a field and read
            // by another method is WVA002's subject (reported at the store in the callback), not WVA001's here.
            return Encoding.UTF8.GetString((byte*)_session.LastSymbolPointer, _session.LastSymbolLength);
        }

        public void ScanLater(byte[] gray, int width, int height, CancellationToken token)
        {
            var address = _alloc(gray.Length);
            gray.CopyTo(_memory.GetSpan(address, gray.Length));
            var header = (byte*)_memory.GetPointer() + address;
            var firstPixel = header[0];                           // read now
            Task.Run(() => Console.WriteLine($"queued frame starting {firstPixel}")); // captures a copy
            token.Register(() => Console.WriteLine(header[1]));     // expect: WVA002
            _afterScan.Add(() => _scan(address, width, height));   // stores a lambda that calls the guest: not a call
        }

        public void RunDeferred()
        {
            var probe = _memory.GetSpan(0, 8);
            var before = probe[0];
            foreach (var action in _afterScan) action();           // each runs _scan
            Console.WriteLine(before + probe[1]);                   // expect: WVA001
        }

        public int Sharpen(int address, int length)
        {
            var frame = (byte*)_memory.GetPointer() + address;
            // The lambda runs at once, inside CountWhere, before any guest call; CountWhere does not keep it.
            int edges = CountWhere(length, i => frame[i] > 128 ? 1 : 0);
            _scan(address, length, 1);
            return edges;
        }

        private static int CountWhere(int n, Func<int, int> pred)
        {
            var c = 0;
            for (int i = 0; i < n; i++) c += pred(i);
            return c;
        }
    }
}
