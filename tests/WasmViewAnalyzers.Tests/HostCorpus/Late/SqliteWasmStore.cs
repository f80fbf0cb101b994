// Embedded database (SQLite compiled to wasm) behind a "page store" backend abstraction with a Wasmtime implementation.
// Shape inspired by sqlite-wasm hosts: statement handles as ints, column blobs returned as guest pointers, row iterators.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Wasmtime;

namespace Corpus.Late.SqliteWasmStore;

public interface IPageStore
{
    int PageSize { get; }
    Span<byte> Page(int pageNo);
    void Checkpoint();
}

public sealed class WasmPageStore : IPageStore
{
    private readonly Memory _memory;
    private readonly Func<int, int> _pageAddress;
    private readonly Action _checkpoint;

    public WasmPageStore(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _pageAddress = instance.GetFunction<int, int>("pager_page")!;
        _checkpoint = instance.GetAction("wal_checkpoint")!;
    }

    public int PageSize => 4096;

    public Span<byte> Page(int pageNo) => _memory.GetSpan(_pageAddress(pageNo), PageSize);

    public void Checkpoint() => _checkpoint();
}

public readonly record struct RowView(nint Address, int Length)
{
    public unsafe ReadOnlySpan<byte> Bytes => new((void*)Address, Length);
}

public sealed class SqliteSession
{
    private const int Row = 100;
    private readonly IPageStore _store;
    private readonly Memory _memory;
    private readonly Func<int, int> _step;
    private readonly Func<int, int, int> _columnBlob;
    private readonly Func<int, int, int> _columnBytes;
    private readonly Func<int, int, int> _bindInt;

    public SqliteSession(Instance instance, IPageStore store)
    {
        _store = store;
        _memory = instance.GetMemory("memory")!;
        _step = instance.GetFunction<int, int>("sqlite3_step")!;
        _columnBlob = instance.GetFunction<int, int, int>("sqlite3_column_blob")!;
        _columnBytes = instance.GetFunction<int, int, int>("sqlite3_column_bytes")!;
        _bindInt = instance.GetFunction<int, int, int>("sqlite3_bind_int")!;
    }

    private static uint Fnv(ReadOnlySpan<byte> data)
    {
        uint h = 2166136261;
        foreach (var b in data)
            h = (h ^ b) * 16777619;
        return h;
    }

    private IEnumerable<RowView> Rows(int stmt)
    {
        while (_step(stmt) == Row)
        {
            int ptr = _columnBlob(stmt, 0);
            int len = _columnBytes(stmt, 0);
            yield return new RowView(_memory.GetPointer() + ptr, len);
        }
    }

    public List<byte[]> ReadAll(int stmt)
    {
        var result = new List<byte[]>();
        foreach (var row in Rows(stmt))
            result.Add(row.Bytes.ToArray()); // copied before the next MoveNext steps the statement
        return result;
    }

    public List<int> Lengths(int stmt)
    {
        var rows = Rows(stmt).ToList();
        var lengths = new List<int>(rows.Count);
        foreach (var r in rows)
            lengths.Add(r.Length); // the record's int member: nothing of guest memory is read
        return lengths;
    }

    public long FirstBytes(int stmt)
    {
        var rows = Rows(stmt).ToList(); // ToList ran every step: each row was obtained before the steps that followed it
        long sum = 0;
        foreach (var r in rows)
            sum += r.Bytes[0]; // expect: WVA001
        return sum;
    }

    public uint ChecksumWhileBinding(int stmt, int update)
    {
        uint crc = 0;
        foreach (var row in Rows(stmt))
        {
            _bindInt(update, row.Length);
            crc ^= Fnv(row.Bytes); // expect: WVA001
        }

        return crc;
    }

    public uint ChecksumThenBind(int stmt, int update)
    {
        uint crc = 0;
        foreach (var row in Rows(stmt))
        {
            crc ^= Fnv(row.Bytes);
            _bindInt(update, row.Length); // Length is plain data on the record
        }

        return crc;
    }

    public string FirstText(int stmt) =>
        Rows(stmt).Select(r => Encoding.UTF8.GetString(r.Bytes)).FirstOrDefault() ?? ""; // decoded as each row is produced

    public byte[] HeaderAfterCheckpoint()
    {
        var page = _store.Page(1);
        _store.Checkpoint();
        return page[..100].ToArray(); // expect: WVA001
    }

    public byte[] HeaderBeforeCheckpoint()
    {
        var header = _store.Page(1)[..100].ToArray();
        _store.Checkpoint();
        return header;
    }

    public int FreePages()
    {
        var page = _store.Page(1);
        int size = page.Length;
        _store.Checkpoint();
        var again = _store.Page(1);
        return (again[36] << 24 | again[37] << 16 | again[38] << 8 | again[39]) * size / _store.PageSize;
    }

    public int SchemaCookie()
    {
        var page = _store.Page(1);
        _store.Checkpoint();
        if (page.IsEmpty)
            return 0;
        return page[40]; // expect: WVA001
    }

    private RowView _lastRow;
    private int _lastRowLength;

    public void Remember(int stmt)
    {
        foreach (var row in Rows(stmt))
        {
            _lastRowLength = row.Length;
            _lastRow = row; // expect: WVA002
        }
    }

    public void Backup(System.IO.Stream file, int pages)
    {
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Optimal);
        for (int p = 1; p <= pages; p++)
            gzip.Write(_store.Page(p)); // expect: WVA004
    }

    public void BackupCopied(System.IO.Stream file, int pages)
    {
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Optimal);
        var buffer = new byte[_store.PageSize];
        for (int p = 1; p <= pages; p++)
        {
            _store.Page(p).CopyTo(buffer);
            gzip.Write(buffer);
        }
    }

    public int PageSlot(int pageNo)
    {
        var page = _store.Page(pageNo);
        ref byte kind = ref page[0];
        _step(0);
        return kind == 0x0D ? 1 : 0; // expect: WVA001
    }
}
