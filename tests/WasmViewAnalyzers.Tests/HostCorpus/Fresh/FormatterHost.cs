// Code formatter host: a formatter compiled to wasm (dprint/ruff-style plugin ABI) formats documents for an editor service.
// Shape from dprint's wasm plugin protocol (shared buffer, set_file_path/format/get_formatted_text); classic C# style.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Corpus.Fresh.FormatterHost
{
    [StructLayout(LayoutKind.Sequential)]
    public struct FormatDiagnostic
    {
        public int Line;
        public int Column;
        public int Code;
        public int MessageAddress;
        public int MessageLength;
    }

    public sealed unsafe class FormatSession
    {
        private byte* _lastSource;
        private int _lastSourceLength;
        private int _measured;

        public void Remember(byte* source, int length)
        {
            _lastSource = source; // keeps the pointer in a private field
            _lastSourceLength = length;
        }

        public void Measure(ReadOnlySpan<byte> source)
        {
            _measured += source.Length; // length only, nothing kept
        }

        public int LastLength { get { return _lastSourceLength; } }
    }

    public sealed unsafe class WasmFormatter
    {
        private static nint s_lastDiagnostics;
        private readonly Memory _memory;
        private readonly Func<int> _sharedBuffer;
        private readonly Func<int, int> _format;
        private readonly Func<int> _formattedLength;
        private readonly Func<int> _diagnosticCount;
        private readonly Func<int, int> _describe;
        private readonly FormatSession _session = new FormatSession();
        private readonly Dictionary<string, string> _cache = new Dictionary<string, string>();
        private byte* _sourceBuffer;
        private UnmanagedMemoryStream? _output;
        private int _diagnosticsOffset;

        public WasmFormatter(Instance instance)
        {
            _memory = instance.GetMemory("memory")!;
            _sharedBuffer = instance.GetFunction<int>("get_wasm_memory_buffer")!;
            _format = instance.GetFunction<int, int>("format")!;
            _formattedLength = instance.GetFunction<int>("get_formatted_text_length")!;
            _diagnosticCount = instance.GetFunction<int>("get_diagnostic_count")!;
            _describe = instance.GetFunction<int, int>("describe_code")!;
        }

        private int WriteSource(string text)
        {
            int buffer = _sharedBuffer();
            using (StreamWriter writer = new StreamWriter(new UnmanagedMemoryStream((byte*)_memory.GetPointer() + buffer, 0, 1 << 20, FileAccess.Write), new UTF8Encoding(false)))
            {
                writer.Write(text); // written and flushed before any guest call
            }
            return Encoding.UTF8.GetByteCount(text);
        }

        public string Format(string path, string text)
        {
            string? cached;
            if (_cache.TryGetValue(path, out cached))
            {
                return cached;
            }
            int length = WriteSource(text);
            int result = _format(length);
            int buffer = _sharedBuffer();
            string formatted = _memory.ReadString(buffer, _formattedLength(), Encoding.UTF8); // a copy
            _cache[path] = formatted;
            return result == 0 ? text : formatted;
        }

        public string FormatWithTrace(string text)
        {
            int length = WriteSource(text);
            int buffer = _sharedBuffer();
            Span<byte> source = _memory.GetSpan(buffer, length);
            string trace = $"first byte {source[0]}, {source.Length} bytes"; // fresh
            int result = _format(length);
            Console.WriteLine(trace + $", then {source[0]}"); // expect: WVA001
            return _memory.ReadString(buffer, _formattedLength(), Encoding.UTF8);
        }

        public void KeepSource(string text)
        {
            int length = WriteSource(text);
            int buffer = _sharedBuffer();
            byte* source = (byte*)_memory.GetPointer() + buffer;
            _sourceBuffer = source; // expect: WVA002
            _session.Remember(source, length); // expect: WVA002
            _session.Measure(new ReadOnlySpan<byte>(source, length)); // only the length is read
        }

        public Stream OpenFormatted()
        {
            int buffer = _sharedBuffer();
            int length = _formattedLength();
            _output ??= new UnmanagedMemoryStream((byte*)_memory.GetPointer() + buffer, length); // expect: WVA002
            return new MemoryStream(_memory.GetSpan(buffer, length).ToArray());
        }

        public List<string> Diagnostics()
        {
            int count = _diagnosticCount();
            _diagnosticsOffset = _sharedBuffer();
            Span<FormatDiagnostic> diagnostics = MemoryMarshal.Cast<byte, FormatDiagnostic>(_memory.GetSpan(_diagnosticsOffset, count * sizeof(FormatDiagnostic)));
            fixed (FormatDiagnostic* first = diagnostics)
            {
                s_lastDiagnostics = (nint)first; // expect: WVA002
            }
            List<string> lines = new List<string>(count);
            foreach (FormatDiagnostic diagnostic in diagnostics) // expect: WVA001
            {
                int hint = _describe(diagnostic.Code); // runs the guest on every turn
                lines.Add(diagnostic.Line + ":" + diagnostic.Column + " " + _memory.ReadNullTerminatedString(hint));
            }
            return lines;
        }

        public List<string> DiagnosticsCopied()
        {
            int count = _diagnosticCount();
            int offset = _sharedBuffer();
            FormatDiagnostic[] diagnostics = MemoryMarshal.Cast<byte, FormatDiagnostic>(_memory.GetSpan(offset, count * sizeof(FormatDiagnostic))).ToArray();
            List<string> lines = new List<string>(count);
            foreach (FormatDiagnostic diagnostic in diagnostics)
            {
                int hint = _describe(diagnostic.Code);
                string message = _memory.ReadString(diagnostic.MessageAddress, diagnostic.MessageLength, Encoding.UTF8);
                lines.Add(diagnostic.Line + ":" + diagnostic.Column + " " + message + " " + _memory.ReadNullTerminatedString(hint));
            }
            return lines;
        }

        public string FirstDiagnostic()
        {
            int count = _diagnosticCount();
            int offset = _sharedBuffer();
            ref FormatDiagnostic first = ref MemoryMarshal.AsRef<FormatDiagnostic>(_memory.GetSpan(offset, sizeof(FormatDiagnostic)));
            int hint = _describe(first.Code);
            StringBuilder text = new StringBuilder();
            text.Append($"{first.Line}:{first.Column} "); // expect: WVA001
            text.Append(_memory.ReadNullTerminatedString(hint));
            return count > 0 ? text.ToString() : "";
        }
    }
}
