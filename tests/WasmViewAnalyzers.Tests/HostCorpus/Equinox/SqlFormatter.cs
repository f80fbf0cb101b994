using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Ionic.Zip;
using Wasmtime;

namespace Corpus.Equinox.SqlFormatter;

public enum TokenKind { Keyword = 1, Identifier, Literal, Operator, Comment, Whitespace }

public readonly record struct Token(TokenKind Kind, nint Text, int Length);

public sealed record FormatOptions(int IndentWidth = 4, bool UppercaseKeywords = true, string Dialect = "postgres");

internal static class TokenExtensions
{
    public static unsafe string Read(this Token token) => Encoding.UTF8.GetString((byte*)token.Text, token.Length);

    public static bool IsKeyword(this Token token) => token.Kind == TokenKind.Keyword;
}

/// <summary>Formats SQL with a wasm build of a dialect-aware tokenizer/pretty-printer (used by the IDE plugin and the CI linter).</summary>
public sealed class SqlFormatterHost(Instance instance)
{
    private readonly Memory _memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> _alloc = instance.GetFunction<int, int>("alloc")!;
    private readonly Func<int, int, int> _tokenize = instance.GetFunction<int, int, int>("tokenize")!;
    private readonly Func<int> _tokenCount = instance.GetFunction<int>("token_count")!;
    private readonly Func<int, int, int, int> _format = instance.GetFunction<int, int, int, int>("format")!;
    private readonly Func<int> _outputLength = instance.GetFunction<int>("output_length")!;
    private readonly Stack<Token> _openParens = new();
    private Token? _lastKeyword;

    private int Upload(string sql)
    {
        var bytes = Encoding.UTF8.GetBytes(sql);
        var address = _alloc(bytes.Length);
        bytes.CopyTo(_memory.GetSpan(address, bytes.Length));
        return address;
    }

    private List<Token> Tokenize(string sql)
    {
        var input = Upload(sql);
        var table = _tokenize(input, Encoding.UTF8.GetByteCount(sql));
        var count = _tokenCount();
        var basePointer = _memory.GetPointer();
        var tokens = new List<Token>(count);
        for (var i = 0; i < count; i++)
        {
            var kind = (TokenKind)_memory.ReadInt32(table + i * 12);
            var offset = _memory.ReadInt32(table + i * 12 + 4);
            var length = _memory.ReadInt32(table + i * 12 + 8);
            tokens.Add(new Token(kind, basePointer + input + offset, length)); // expect: WVA002
        }

        return tokens;
    }

    public string Format(string sql, FormatOptions options)
    {
        var input = Upload(sql);
        var output = _format(input, options.IndentWidth, options.UppercaseKeywords ? 1 : 0);
        return _memory.ReadString(output, _outputLength(), Encoding.UTF8);
    }

    public string[] Keywords(string sql)
    {
        var tokens = Tokenize(sql);
        return tokens.Where(t => t.IsKeyword()).Select(t => t.Read().ToUpperInvariant()).Distinct().ToArray();
    }

    public (string Formatted, int Identifiers) FormatAndCount(string sql, FormatOptions options)
    {
        var tokens = Tokenize(sql);
        var formatted = Format(sql, options);
        var identifiers = tokens.Count(t => t.Kind == TokenKind.Identifier);
        var longest = tokens.Where(t => t.Kind == TokenKind.Identifier).Select(t => t.Read()).DefaultIfEmpty("").Max(); // expect: WVA001
        Console.WriteLine($"longest identifier: {longest}");
        return (formatted, identifiers);
    }

    public string Lint(string sql)
    {
        var report = new StringBuilder();
        var tokens = Tokenize(sql);
        foreach (var token in tokens)
        {
            if (token.Kind == TokenKind.Keyword && token.Read() == "SELECT" && token.Length > 0)
            {
                _lastKeyword = token; // expect: WVA002
            }
            else if (token is { Kind: TokenKind.Operator, Length: 1 } && token.Read() == "(")
            {
                _openParens.Push(token); // expect: WVA002
            }
        }

        var words = tokens.Select(t => (t.Kind, Text: t.Read())).ToList();
        var formatted = Format(sql, new FormatOptions());
        foreach (var (kind, text) in words)
        {
            if (kind == TokenKind.Keyword && text != text.ToUpperInvariant()) report.AppendLine($"lowercase keyword '{text}'");
        }

        foreach (var token in tokens)
        {
            if (token.Kind == TokenKind.Comment && token.Read().StartsWith("--", StringComparison.Ordinal)) // expect: WVA001
            {
                report.AppendLine("line comment");
            }
        }

        return formatted.Length > sql.Length * 2 ? report.Append("suspicious growth").ToString() : report.ToString();
    }

    public string FirstStatement(string sql)
    {
        var tokens = Tokenize(sql);
        var end = tokens.FindIndex(t => t.Kind == TokenKind.Operator && t.Read() == ";");
        var statement = end < 0 ? tokens : tokens.GetRange(0, end);
        Upload(sql);
        return string.Concat(statement.Select(t => t.Read())); // expect: WVA001
    }

    public void ArchiveFormatted(IReadOnlyDictionary<string, string> files, FormatOptions options, string zipPath)
    {
        using var zip = new ZipFile();
        foreach (var (name, sql) in files)
        {
            var input = Upload(sql);
            var output = _format(input, options.IndentWidth, options.UppercaseKeywords ? 1 : 0);
            var length = _outputLength();
            var stream = FormattedStream(output, length);
            zip.AddEntry(name, stream); // expect: WVA003
        }

        zip.AddEntry("README.txt", "formatted by sqlfmt-wasm");
        zip.Save(zipPath);
    }

    public void ArchiveFormattedCopied(IReadOnlyDictionary<string, string> files, FormatOptions options, string zipPath)
    {
        using var zip = new ZipFile();
        foreach (var (name, sql) in files)
        {
            var input = Upload(sql);
            var output = _format(input, options.IndentWidth, options.UppercaseKeywords ? 1 : 0);
            zip.AddEntry(name, _memory.GetSpan(output, _outputLength()).ToArray());
        }

        zip.Save(zipPath);
    }

    public void UpdateArchive(string zipPath, string entryName, string sql, FormatOptions options)
    {
        using var zip = ZipFile.Read(zipPath);
        var input = Upload(sql);
        var output = _format(input, options.IndentWidth, 1);
        var length = _outputLength();
        zip.UpdateEntry(entryName, FormattedStream(output, length)); // expect: WVA003
        zip.Save();
    }

    private unsafe UnmanagedMemoryStream FormattedStream(int output, int length) => new((byte*)_memory.GetPointer() + output, length);

    public int TokenBytes(string sql)
    {
        var tokens = Tokenize(sql);
        Upload(sql);
        return tokens.Sum(t => t.Length);
    }
}
