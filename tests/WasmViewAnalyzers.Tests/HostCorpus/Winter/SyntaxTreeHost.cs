// An incremental parser (tree-sitter-like) compiled to wasm: the host walks syntax nodes that live in guest
// memory as fixed-size records. Shape: tree-sitter's wasm bindings (ts_node_* exports over a node table).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Winter.SyntaxTreeHost
{
    [StructLayout(LayoutKind.Sequential)]
    public struct RawNode
    {
        public int Kind;
        public int StartByte;
        public int EndByte;
        public int FirstChild;
        public int NextSibling;
    }

    public sealed record SyntaxNode(string Kind, int Start, int End);

    public sealed partial class ParserHost
    {
        private readonly Memory _memory;
        private readonly Func<int, int, int> _parse;        // (sourcePtr, len) -> root node address
        private readonly Func<int, int, int, int> _edit;    // incremental edit, returns new root
        private readonly Func<int, int> _kindName;          // kind -> NUL-terminated name address
        private readonly Func<int, int> _alloc;
        private readonly string[] _kindCache = new string[512];

        public ParserHost(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _parse = instance.GetFunction<int, int, int>("ts_parse")!;
            _edit = instance.GetFunction<int, int, int, int>("ts_edit")!;
            _kindName = instance.GetFunction<int, int>("ts_kind_name")!;
            _alloc = instance.GetFunction<int, int>("alloc")!;
        }

        private ref RawNode NodeAt(int address) =>
            ref MemoryMarshal.AsRef<RawNode>(_memory.GetSpan(address, Unsafe.SizeOf<RawNode>()));

        // Calls the guest the first time a kind is seen.
        private string KindName(int kind)
        {
            var cached = _kindCache[kind];
            if (cached != null) return cached;
            var address = _kindName(kind);
            var name = _memory.ReadNullTerminatedString(address);
            _kindCache[kind] = name;
            return name;
        }

        public int Parse(string source)
        {
            var bytes = Encoding.UTF8.GetBytes(source);
            var address = _alloc(bytes.Length);
            bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
            return _parse(address, bytes.Length);
        }
    }

    public sealed partial class ParserHost
    {
        // An iterator over the children: each yield suspends, and the caller may run the guest meanwhile.
        public IEnumerable<SyntaxNode> Children(int parent)
        {
            var child = NodeAt(parent).FirstChild;               // (no ref locals in iterators in C# 12)
            while (child != 0)
            {
                var raw = NodeAt(child);                         // a copy of the record (no ref)
                yield return new SyntaxNode(KindName(raw.Kind), raw.StartByte, raw.EndByte);
                child = raw.NextSibling;
            }
        }

        public int CountErrors(int root)
        {
            ref RawNode rootNode = ref NodeAt(root);
            var errors = 0;
            foreach (var child in Children(root))               // the iterator body calls the guest (KindName)
            {
                if (child.Kind == "ERROR") errors++;
            }
            if (rootNode.EndByte == 0) errors++;                 // expect: WVA001
            return errors;
        }

        public int CountErrorsFixed(int root)
        {
            var end = NodeAt(root).EndByte;                      // read at once
            var errors = Children(root).Count(c => c.Kind == "ERROR");
            return end == 0 ? errors + 1 : errors;
        }

        public string Describe(int nodeAddress)
        {
            ref RawNode node = ref NodeAt(nodeAddress);
            // The interpolation evaluates KindName (a guest call) before node.StartByte is read.
            return $"{KindName(node.Kind)} [{node.StartByte}..{node.EndByte}]"; // expect: WVA001
        }

        public string DescribeFixed(int nodeAddress)
        {
            var node = NodeAt(nodeAddress);                      // copy
            return $"{KindName(node.Kind)} [{node.StartByte}..{node.EndByte}]";
        }

        public int ApplyEdit(int root, int start, int oldEnd, string inserted)
        {
            ref RawNode rootNode = ref NodeAt(root);
            var before = rootNode.EndByte;
            var newRoot = _edit(root, start, oldEnd);
            rootNode.EndByte = before + inserted.Length - (oldEnd - start);   // expect: WVA001
            ref RawNode fresh = ref NodeAt(newRoot);
            fresh.EndByte = before + inserted.Length - (oldEnd - start);     // obtained after the edit
            return newRoot;
        }

        public List<int> SiblingKinds(int first)
        {
            var kinds = new List<int>();
            var span = _memory.GetSpan(first, Unsafe.SizeOf<RawNode>() * 8);
            var nodes = MemoryMarshal.Cast<byte, RawNode>(span);
            foreach (ref readonly var n in nodes)
            {
                kinds.Add(n.Kind);                               // an int read out: a copy
            }
            _alloc(16);
            kinds.Add(nodes.Length);                             // Length only
            return kinds;
        }

        public string[] Names(int first)
        {
            var nodes = MemoryMarshal.Cast<byte, RawNode>(_memory.GetSpan(first, Unsafe.SizeOf<RawNode>() * 8));
            var names = new string[nodes.Length];
            for (int i = 0; i < nodes.Length; i++)
            {
                names[i] = KindName(nodes[i].Kind);              // expect: WVA001
            }
            return names;
        }

        public string[] NamesFixed(int first)
        {
            var kinds = MemoryMarshal.Cast<byte, RawNode>(_memory.GetSpan(first, Unsafe.SizeOf<RawNode>() * 8))
                .ToArray()
                .Select(n => n.Kind)
                .ToArray();
            return kinds.Select(KindName).ToArray();             // works on the copy
        }
    }

    internal static class MemoryStrings
    {
        public static string ReadNullTerminatedString(this Memory memory, int address)
        {
            var span = memory.GetSpan(address, 64);
            var end = span.IndexOf((byte)0);
            return Encoding.UTF8.GetString(span[..(end < 0 ? span.Length : end)]);
        }
    }
}
