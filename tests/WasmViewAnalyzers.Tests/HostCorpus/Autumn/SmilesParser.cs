// SMILES chemistry parser: a wasm cheminformatics kernel parses SMILES strings into atom/bond tables; the host passes
// arguments on a shadow stack in guest memory. Shape: wasm-bindgen-style shadow-stack RPC (args block, retptr) read by ref.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Autumn.SmilesParser;

[StructLayout(LayoutKind.Sequential)]
public struct ParseCall
{
    public int Input;
    public int InputLength;
    public int Atoms;       // out: atom table address
    public int AtomCount;   // out
    public int Status;      // out
}

[StructLayout(LayoutKind.Sequential)]
public struct Atom
{
    public byte Element;
    public sbyte Charge;
    public byte Hydrogens;
    public byte Aromatic;
    public int Ring;
}

public ref struct ShadowFrame
{
    public ref ParseCall Call;
    public int Address;
    public ShadowFrame(ref ParseCall call, int address) { Call = ref call; Address = address; }
}

public sealed class ChemKernel
{
    private readonly Memory _memory;
    private readonly Func<int, int> _malloc;
    private readonly Action<int> _parse;          // reads and writes the ParseCall block
    private readonly Func<int, int> _canonicalize;
    private int _stackPointer = 0x1000;

    public ChemKernel(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _malloc = instance.GetFunction<int, int>("malloc")!;
        _parse = instance.GetAction<int>("parse")!;
        _canonicalize = instance.GetFunction<int, int>("canonicalize")!;
    }

    // A helper that returns a ref into guest memory (a view), pushing a slot on the shadow stack.
    private ref T Push<T>() where T : unmanaged
    {
        _stackPointer -= Unsafe.SizeOf<T>();
        return ref MemoryMarshal.AsRef<T>(_memory.GetSpan(_stackPointer, Unsafe.SizeOf<T>()));
    }

    private void Pop<T>() where T : unmanaged => _stackPointer += Unsafe.SizeOf<T>();

    private ref ParseCall CallAt(int address) => ref MemoryMarshal.AsRef<ParseCall>(_memory.GetSpan(address, 20));

    private int CopyIn(string smiles)
    {
        var bytes = Encoding.ASCII.GetBytes(smiles);
        var address = _malloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        return address;
    }

    public int AtomCount(string smiles)
    {
        ref var call = ref Push<ParseCall>();
        // C# fixes the target location before CopyIn runs malloc in the guest: the write goes through a stale ref.
        call.Input = CopyIn(smiles); // expect: WVA001
        call.InputLength = smiles.Length; // expect: WVA001
        _parse(_stackPointer);
        var count = call.AtomCount; // expect: WVA001
        Pop<ParseCall>();
        return count;
    }

    public int AtomCountFixed(string smiles)
    {
        var input = CopyIn(smiles);                 // the allocation first
        ref var call = ref Push<ParseCall>();
        call.Input = input;
        call.InputLength = smiles.Length;
        var frame = _stackPointer;
        _parse(frame);
        call = ref CallAt(frame);                   // obtained again after the guest wrote it
        var count = call.AtomCount;
        Pop<ParseCall>();
        return count;
    }

    public ParseCall ParseCopy(string smiles)
    {
        var input = CopyIn(smiles);
        var frame = _stackPointer - 20;
        CallAt(frame) = new ParseCall { Input = input, InputLength = smiles.Length };
        _parse(frame);
        return CallAt(frame);                        // a copy of the struct, taken after the call
    }

    public void Reparse(int frame, string smiles)
    {
        ref var call = ref CallAt(frame);
        call = new ParseCall { Input = CopyIn(smiles), InputLength = smiles.Length }; // expect: WVA001
        _parse(frame);
    }

    public List<string> Elements(string smiles)
    {
        var input = CopyIn(smiles);
        ref var call = ref Push<ParseCall>();
        call.Input = input;
        call.InputLength = smiles.Length;
        _parse(_stackPointer);
        call = ref CallAt(_stackPointer);
        var atoms = MemoryMarshal.Cast<byte, Atom>(_memory.GetSpan(call.Atoms, call.AtomCount * 8));
        var names = new List<string>();
        foreach (ref readonly var atom in atoms)
        {
            names.Add(atom.Element switch { 6 => "C", 7 => "N", 8 => "O", _ => "?" }); // no guest call in the loop
        }
        Pop<ParseCall>();
        return names;
    }

    public int RingAtomsAfterCanonicalize(int atomsAddress, int count)
    {
        var atoms = MemoryMarshal.Cast<byte, Atom>(_memory.GetSpan(atomsAddress, count * 8));
        ref var first = ref atoms[0];
        var before = first.Ring;                         // a value
        _canonicalize(atomsAddress);                     // renumbers atoms in place
        var rings = 0;
        for (var i = 0; i < atoms.Length; i++)           // Length only in the condition
        {
            if (atoms[i].Ring != 0) rings++; // expect: WVA001
        }
        return rings + before + first.Ring; // expect: WVA001
    }

    public int ChargeSum(ShadowFrame frame)
    {
        var atoms = MemoryMarshal.Cast<byte, Atom>(_memory.GetSpan(frame.Call.Atoms, frame.Call.AtomCount * 8));
        var sum = 0;
        foreach (var a in atoms) sum += a.Charge;
        _canonicalize(frame.Call.Atoms); // read as an argument, before the call runs: fresh
        return sum + frame.Address;       // only the int field of the frame: not a use
    }

    public int FrameHelper(string smiles)
    {
        var input = CopyIn(smiles);
        var address = _stackPointer - 20;
        var frame = new ShadowFrame(ref CallAt(address), address);
        frame.Call.Input = input;
        frame.Call.InputLength = smiles.Length;
        _parse(address);
        return ChargeSum(frame); // expect: WVA001
    }
}
