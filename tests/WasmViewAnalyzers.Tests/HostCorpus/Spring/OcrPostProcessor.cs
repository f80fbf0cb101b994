// OCR post-processor: recognized words with boxes go into a wasm language model that fixes spelling and reading order;
// the host reads its serialized output through streams and readers over guest memory. Shape: DotNetIsolator's result deserialization, Extism output streams.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Wasmtime;

namespace Corpus.Spring.OcrPostProcessor;

public readonly record struct Word(string Text, int X, int Y, int Width, int Height, float Confidence);

// Frees a guest scratch block when the scope ends: its Dispose is a guest call.
public readonly struct ScratchScope(Action<int> free, int address) : IDisposable
{
    public int Address => address;
    public void Dispose() => free(address);
}

public sealed class OcrPostProcessor
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _free;
    private readonly Func<int, int, int> _correct;
    private readonly Func<int> _outPtr;
    private readonly Func<int> _outLen;
    private BinaryReader? _pendingReader;
    private byte[]? _pendingCopy;

    public OcrPostProcessor(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _free = instance.GetAction<int>("free")!;
        _correct = instance.GetFunction<int, int, int>("correct_words")!;
        _outPtr = instance.GetFunction<int>("out_ptr")!;
        _outLen = instance.GetFunction<int>("out_len")!;
    }

    private unsafe UnmanagedMemoryStream OpenOutput()
    {
        var at = _outPtr();
        var length = _outLen();
        return new UnmanagedMemoryStream((byte*)_memory.GetPointer() + at, length);
    }

    private int Upload(IReadOnlyList<Word> words)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            foreach (var w in words)
            {
                writer.Write(w.Text);
                writer.Write(w.X); writer.Write(w.Y); writer.Write(w.Width); writer.Write(w.Height);
                writer.Write(w.Confidence);
            }
        }
        var bytes = buffer.ToArray();
        var at = _alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(at, bytes.Length));
        return at;
    }

    public List<Word> Correct(IReadOnlyList<Word> words)
    {
        var at = Upload(words);
        var count = _correct(at, words.Count);
        var result = new List<Word>(count);
        using var output = OpenOutput();
        var reader = new BinaryReader(output, Encoding.UTF8);
        // Safe: the whole output is read before anything else enters the guest.
        for (var i = 0; i < count; i++)
        {
            result.Add(new Word(reader.ReadString(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadSingle()));
        }
        _free(at);
        return result;
    }

    public string CorrectToText(IReadOnlyList<Word> words)
    {
        var at = Upload(words);
        _correct(at, words.Count);
        var text = new StreamReader(OpenOutput(), Encoding.UTF8);
        var title = text.ReadLine();
        _free(at);
        // The reader is over guest memory; 'free' ran before the rest is read.
        var body = text.ReadToEnd(); // expect: WVA001
        return title + "\n" + body;
    }

    public void CorrectLater(IReadOnlyList<Word> words)
    {
        var at = Upload(words);
        _correct(at, words.Count);
        _pendingReader = new BinaryReader(OpenOutput()); // expect: WVA002
        // Safe: a copy of the output kept for later.
        using var output = OpenOutput();
        using var copy = new MemoryStream();
        output.CopyTo(copy);
        _pendingCopy = copy.ToArray();
    }

    public unsafe int Reorder(int page, IReadOnlyList<Word> words)
    {
        var at = Upload(words);
        var column = new { Page = page, Start = (nint)((byte*)_memory.GetPointer() + at), Count = words.Count };
        // Safe: Page and Count are plain members of the anonymous object.
        Console.WriteLine($"page {column.Page}: {column.Count} words");
        var moved = _correct(at, words.Count);
        return moved + *(byte*)column.Start; // expect: WVA001
    }

    public unsafe float TopConfidence(IReadOnlyList<Word> words)
    {
        var at = Upload(words);
        var count = _correct(at, words.Count);
        var outAt = _outPtr();
        var outLen = _outLen();
        var (start, length) = ((nint)((byte*)_memory.GetPointer() + outAt), outLen);
        using var scope = new ScratchScope(_free, _alloc(16));
        // The scope's allocation ran after the tuple was taken apart.
        var head = new ReadOnlySpan<byte>((void*)start, Math.Min(length, 64)).ToArray(); // expect: WVA001
        // Safe: the scope's Dispose (a guest call) runs only when the method ends, after every read.
        var fresh = _memory.GetSpan(_outPtr(), Math.Min(_outLen(), 64));
        return head.Length + fresh.Length + count + scope.Address * 0f;
    }

    public IEnumerable<string> Lines(IReadOnlyList<Word> words)
    {
        var at = Upload(words);
        _correct(at, words.Count);
        // Safe: the text is copied out while fresh; LINQ works on strings.
        var all = _memory.ReadString(_outPtr(), _outLen(), Encoding.UTF8);
        _free(at);
        return all.Split('\n').Where(l => l.Length > 0).ToList();
    }
}
