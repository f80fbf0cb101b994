// ELF binary inspector: the guest (a readelf-like library) loads an image into its memory; the host walks section headers by ref.
// Shape inspired by DotNetIsolator's structs read in place with MemoryMarshal.AsRef over Memory.GetSpan.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Wasmtime;

namespace Corpus.Solstice.ElfSectionInspector
{
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct Elf64SectionHeader
    {
        public uint Name;
        public uint Type;
        public ulong Flags;
        public ulong Addr;
        public ulong Offset;
        public ulong Size;
        public uint Link;
        public uint Info;
        public ulong AddrAlign;
        public ulong EntSize;
    }

    public readonly record struct SectionInfo(int Kind, nint Header);

    // Holds a pointer next to a plain offset: members are judged by what they read.
    public readonly unsafe struct SectionRef
    {
        public SectionRef(nint header, int offset)
        {
            Header = header;
            Offset = offset;
        }

        public nint Header { get; }
        public int Offset { get; }
        public ulong Size => ((Elf64SectionHeader*)Header)->Size;
    }

    public sealed unsafe class ElfInspector
    {
        private static nint s_lastHeader;
        private static int s_lastHeaderOffset;

        private readonly Memory _memory;
        private readonly Func<int, int, int> _resolveName;
        private readonly Func<int, int> _demangle;
        private readonly Func<int, int> _alloc;
        private readonly Action<int> _free;
        private readonly Dictionary<int, nint> _symbolCache = new();
        private readonly Dictionary<int, int> _symbolOffsets = new();

        public ElfInspector(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _resolveName = instance.GetFunction<int, int, int>("resolve_name")!;
            _demangle = instance.GetFunction<int, int>("demangle")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
            _free = instance.GetAction<int>("free")!;
        }

        private ref Elf64SectionHeader Section(int table, int index)
            => ref MemoryMarshal.AsRef<Elf64SectionHeader>(_memory.GetSpan(table + index * 64, 64));

        private string ReadCString(int address)
        {
            var span = _memory.GetSpan(address, 256);
            return Encoding.UTF8.GetString(span[..span.IndexOf((byte)0)]);
        }

        // Two calls deep into the guest: Label -> Demangled -> _demangle.
        private int Demangled(int symbol) => _demangle(symbol);
        private string Label(int symbol) => ReadCString(Demangled(symbol));

        public string SectionName(int table, int strtab, int index)
        {
            ref var header = ref Section(table, index);
            var name = ReadCString(_resolveName(strtab, (int)header.Name));
            return header.Size > 0 ? name : "<empty " + name + ">"; // expect: WVA001
        }

        public string SectionNameSafe(int table, int strtab, int index)
        {
            ref var header = ref Section(table, index);
            var size = header.Size; // read before the guest resolves the name
            var name = ReadCString(_resolveName(strtab, (int)header.Name));
            return size > 0 ? name : "<empty " + name + ">";
        }

        public void LinkScratch(int table, int index)
        {
            ref var header = ref Section(table, index);
            header.Flags |= 0x2;
            // The target location is fixed before _alloc runs: the write lands in the old location.
            header.Link = (uint)_alloc(64); // expect: WVA001
        }

        public void LinkScratchSafe(int table, int index)
        {
            var link = (uint)_alloc(64);
            ref var header = ref Section(table, index);
            header.Flags |= 0x2;
            header.Link = link;
        }

        public ulong TotalSize(int table, int strtab, int count)
        {
            var byName = new Dictionary<string, nint>();
            for (var i = 0; i < count; i++)
            {
                var name = ReadCString(_resolveName(strtab, (int)Section(table, i).Name));
                byName[name] = _memory.GetPointer() + table + i * 64; // expect: WVA002
            }

            ulong total = 0;
            foreach (var (name, header) in byName)
            {
                total += ((Elf64SectionHeader*)header)->Size; // expect: WVA001
            }

            return total;
        }

        public ulong TotalSizeSafe(int table, int strtab, int count)
        {
            var byName = new Dictionary<string, int>();
            for (var i = 0; i < count; i++)
            {
                var name = ReadCString(_resolveName(strtab, (int)Section(table, i).Name));
                byName[name] = table + i * 64;
            }

            ulong total = 0;
            foreach (var pair in byName)
            {
                total += ((Elf64SectionHeader*)(_memory.GetPointer() + pair.Value))->Size;
            }

            return total;
        }

        public void CacheSymbol(int symtab, int index)
        {
            var entry = _memory.GetPointer() + symtab + index * 24;
            _symbolCache[index] = entry; // expect: WVA002
            _symbolOffsets[index] = symtab + index * 24;
        }

        public uint SymbolNameIndex(int index)
            => _symbolOffsets.TryGetValue(index, out var offset) ? (uint)_memory.ReadInt32(offset) : 0u;

        public void Publish(int table, int index)
        {
            var header = _memory.GetPointer() + table + index * 64;
            Interlocked.Exchange(ref s_lastHeader, header); // expect: WVA002
            Interlocked.Exchange(ref s_lastHeaderOffset, table + index * 64);
        }

        public ulong DynamicSize(int table, int count)
        {
            nint? dynamicSection = null;
            for (var i = 0; i < count; i++)
            {
                if (Section(table, i).Type == 6)
                {
                    dynamicSection = _memory.GetPointer() + table + i * 64;
                }
            }

            var needed = _demangle(0);
            if (!dynamicSection.HasValue)
            {
                return (ulong)needed; // HasValue reads the container, not guest memory
            }

            return ((Elf64SectionHeader*)dynamicSection.Value)->Size; // expect: WVA001
        }

        private SectionInfo Describe(int table, int index)
            => new SectionInfo((int)Section(table, index).Type, _memory.GetPointer() + table + index * 64);

        public ulong FlagsThenFree(int table, int index)
        {
            if (Describe(table, index) is { Kind: var kind, Header: var header } && kind != 0)
            {
                _free(table);
                return ((Elf64SectionHeader*)header)->Flags; // expect: WVA001
            }

            return 0;
        }

        public ulong FlagsBeforeFree(int table, int index)
        {
            if (Describe(table, index) is { Kind: var kind, Header: var header } && kind != 0)
            {
                var flags = ((Elf64SectionHeader*)header)->Flags;
                _free(table);
                return flags;
            }

            return 0;
        }

        public string Summary(int table, int index, int symbol)
        {
            ref var header = ref Section(table, index);
            var label = Label(symbol);
            return $"{label}: {header.Size} bytes"; // expect: WVA001
        }

        public string SummarySafe(int table, int index, int symbol)
        {
            var label = Label(symbol);
            ref var header = ref Section(table, index); // obtained after the guest ran
            return $"{label}: {header.Size} bytes";
        }

        public (int Offset, ulong Size) SectionRefs(int table, int index, int symbol)
        {
            var section = new SectionRef(_memory.GetPointer() + table + index * 64, table + index * 64);
            var early = section.Size;
            _demangle(symbol);
            // Offset reads only the int field: not a use of the stale pointer.
            var offset = section.Offset;
            return (offset, early + section.Size); // expect: WVA001
        }
    }
}
