// Database UDF host: scalar and table-valued SQL functions compiled to wasm, run by an embedded query engine per row.
// Shape from SQLite/DuckDB wasm-UDF extensions; wrapper types run the guest implicitly (operators, Deconstruct, foreach, Dispose...).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using Wasmtime;

namespace Corpus.Fresh.SqlUdfHost
{
    public sealed class UdfRuntime
    {
        private readonly Func<int, int> _alloc;
        private readonly Action<int> _release;
        private readonly Func<int, long> _asInt64;
        private readonly Func<int, int> _nextRow;
        private readonly Func<int, int, int> _cell;
        private readonly Func<long, int> _format;
        private readonly List<string> _trace = new List<string>();

        public UdfRuntime(Instance instance)
        {
            Memory = instance.GetMemory("memory")!;
            _alloc = instance.GetFunction<int, int>("udf_alloc")!;
            _release = instance.GetAction<int>("udf_release")!;
            _asInt64 = instance.GetFunction<int, long>("udf_value_as_i64")!;
            _nextRow = instance.GetFunction<int, int>("udf_next_row")!;
            _cell = instance.GetFunction<int, int, int>("udf_cell")!;
            _format = instance.GetFunction<long, int>("udf_format")!;
        }

        public Memory Memory { get; }

        public int Alloc(int size) { return _alloc(size); }
        public void Release(int handle) { _release(handle); }
        public long AsInt64(int handle) { return _asInt64(handle); }
        public int NextRow(int cursor) { return _nextRow(cursor); }
        public int Cell(int row, int column) { return _cell(row, column); }
        public string Format(long value) { return Memory.ReadNullTerminatedString(_format(value)); }
        public int Add(int left, int right) { return _cell(left, -right); } // udf_cell with a negative column adds two values

        public void Trace([InterpolatedStringHandlerArgument("")] ref TraceHandler handler)
        {
            _trace.Add(handler.ToStringAndClear()); // host-only
        }
    }

    [InterpolatedStringHandler]
    public ref struct TraceHandler
    {
        private readonly UdfRuntime _runtime;
        private StringBuilder _builder;

        public TraceHandler(int literalLength, int formattedCount, UdfRuntime runtime)
        {
            _runtime = runtime;
            _builder = new StringBuilder(literalLength);
        }

        public void AppendLiteral(string text) { _builder.Append(text); }

        // Numbers are formatted by the guest, with the database's collation and locale rules.
        public void AppendFormatted(long value) { _builder.Append(_runtime.Format(value)); }

        public void AppendFormatted(string value) { _builder.Append(value); }

        public string ToStringAndClear() { string text = _builder.ToString(); _builder.Clear(); return text; }
    }

    public sealed class GuestValue
    {
        private readonly UdfRuntime _runtime;
        private readonly int _handle;

        public GuestValue(UdfRuntime runtime, int handle)
        {
            _runtime = runtime;
            _handle = handle;
        }

        public int Handle { get { return _handle; } }

        public static explicit operator long(GuestValue value) { return value._runtime.AsInt64(value._handle); }

        public static GuestValue operator +(GuestValue left, GuestValue right)
        {
            return new GuestValue(left._runtime, left._runtime.Add(left._handle, right._handle)); // SQL addition runs in the guest
        }

        public void Deconstruct(out int address, out int length)
        {
            address = _runtime.Cell(_handle, 0); // materializes the value in the guest
            length = _runtime.Memory.ReadInt32(address - 4);
        }
    }

    public readonly struct BlobRef
    {
        public readonly int Address;
        public readonly int Length;

        public BlobRef(int address, int length) { Address = address; Length = length; }

        public void Deconstruct(out int address, out int length) { address = Address; length = Length; } // plain fields

        public static BlobRef operator +(BlobRef blob, int skip) { return new BlobRef(blob.Address + skip, blob.Length - skip); } // host arithmetic
    }

    public sealed class RowCursor : IDisposable
    {
        private readonly UdfRuntime _runtime;
        public readonly int Handle;

        public RowCursor(UdfRuntime runtime, int handle) { _runtime = runtime; Handle = handle; }

        public void Dispose() { _runtime.Release(Handle); } // frees the cursor through an export
    }

    public sealed class HostBuffer : IDisposable
    {
        public readonly byte[] Bytes;
        public HostBuffer(int size) { Bytes = new byte[size]; }
        public void Dispose() { Array.Clear(Bytes); } // host-only
    }

    public sealed class ResultSet : IEnumerable<int>
    {
        private readonly UdfRuntime _runtime;
        private readonly int _cursor;

        public ResultSet(UdfRuntime runtime, int cursor) { _runtime = runtime; _cursor = cursor; }

        public IEnumerator<int> GetEnumerator()
        {
            int row;
            while ((row = _runtime.NextRow(_cursor)) != 0) // each MoveNext runs the guest
            {
                yield return row;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() { return GetEnumerator(); }
    }

    public sealed class ParamBatch : IEnumerable<long>
    {
        private readonly UdfRuntime _runtime;
        private readonly List<int> _handles = new List<int>();

        public ParamBatch(UdfRuntime runtime) { _runtime = runtime; }

        public void Add(long value)
        {
            int handle = _runtime.Alloc(8); // a guest allocation per parameter
            _runtime.Memory.WriteInt64(handle, value);
            _handles.Add(handle);
        }

        public IEnumerator<long> GetEnumerator() { foreach (int h in _handles) { yield return h; } }
        IEnumerator IEnumerable.GetEnumerator() { return GetEnumerator(); }
    }

    public sealed class UdfExecutor
    {
        private readonly UdfRuntime _runtime;

        public UdfExecutor(UdfRuntime runtime) { _runtime = runtime; }

        public long SumColumn(int keyAddress, int keyLength, GuestValue limit)
        {
            Span<byte> key = _runtime.Memory.GetSpan(keyAddress, keyLength);
            long max = (long)limit; // a user-defined conversion that runs udf_value_as_i64
            return key[0] + max; // expect: WVA001
        }

        public long SumColumnReadFirst(int keyAddress, int keyLength, GuestValue limit)
        {
            Span<byte> key = _runtime.Memory.GetSpan(keyAddress, keyLength);
            byte first = key[0];
            long max = (long)limit;
            return first + max;
        }

        public int SumRow(int rowAddress, GuestValue left, GuestValue right)
        {
            ReadOnlySpan<byte> row = _runtime.Memory.GetSpan(rowAddress, 8);
            GuestValue total = left + right; // a user-defined operator that runs the guest
            return row[0] + total.Handle; // expect: WVA001
        }

        public int SkipHeader(int rowAddress, BlobRef blob)
        {
            ReadOnlySpan<byte> row = _runtime.Memory.GetSpan(rowAddress, 8);
            BlobRef body = blob + 4; // this operator is host arithmetic
            return row[0] + body.Length;
        }

        public string BlobPrefix(int prefixAddress, GuestValue blob)
        {
            ReadOnlySpan<byte> prefix = _runtime.Memory.GetSpan(prefixAddress, 4);
            (int address, int length) = blob; // Deconstruct runs udf_cell
            return Encoding.ASCII.GetString(prefix) + ":" + address + "/" + length; // expect: WVA001
        }

        public string BlobPrefixPlain(int prefixAddress, BlobRef blob)
        {
            ReadOnlySpan<byte> prefix = _runtime.Memory.GetSpan(prefixAddress, 4);
            (int address, int length) = blob; // this Deconstruct only copies two fields
            return Encoding.ASCII.GetString(prefix) + ":" + address + "/" + length;
        }

        public byte FirstCellByte(int cursorHandle, int headerAddress)
        {
            Span<byte> header;
            using (RowCursor cursor = new RowCursor(_runtime, cursorHandle))
            {
                header = _runtime.Memory.GetSpan(headerAddress, 16);
            } // RowCursor.Dispose releases the cursor in the guest here
            return header[0]; // expect: WVA001
        }

        public byte FirstCellByteHostBuffer(int headerAddress)
        {
            Span<byte> header;
            using (HostBuffer scratch = new HostBuffer(16))
            {
                header = _runtime.Memory.GetSpan(headerAddress, 16);
            } // HostBuffer.Dispose never enters the guest
            return header[0];
        }

        public int CountMatches(int cursor, int patternAddress, int patternLength)
        {
            ReadOnlySpan<byte> pattern = _runtime.Memory.GetSpan(patternAddress, patternLength);
            int matches = 0;
            foreach (int row in new ResultSet(_runtime, cursor))
            {
                ReadOnlySpan<byte> cell = _runtime.Memory.GetSpan(_runtime.Cell(row, 0), patternLength);
                if (cell.SequenceEqual(pattern)) // expect: WVA001
                {
                    matches++;
                }
            }
            return matches;
        }

        public int CountMatchesCopied(int cursor, int patternAddress, int patternLength)
        {
            byte[] pattern = _runtime.Memory.GetSpan(patternAddress, patternLength).ToArray();
            int matches = 0;
            foreach (int row in new ResultSet(_runtime, cursor))
            {
                ReadOnlySpan<byte> cell = _runtime.Memory.GetSpan(_runtime.Cell(row, 0), patternLength);
                if (cell.SequenceEqual(pattern))
                {
                    matches++;
                }
            }
            return matches;
        }

        public int Bind(int sqlAddress, int sqlLength)
        {
            ReadOnlySpan<byte> sql = _runtime.Memory.GetSpan(sqlAddress, sqlLength);
            ParamBatch batch = new ParamBatch(_runtime) { 1, 2, 3 }; // each Add allocates in the guest
            return sql.IndexOf((byte)'?') + batch.GetHashCode(); // expect: WVA001
        }

        public void TraceRow(int rowAddress, long rowId)
        {
            ReadOnlySpan<byte> row = _runtime.Memory.GetSpan(rowAddress, 8);
            _runtime.Trace($"row {rowId} done"); // AppendFormatted(long) formats through the guest
            Console.WriteLine(row[0]); // expect: WVA001
        }

        public void TraceRowText(int rowAddress, string table)
        {
            ReadOnlySpan<byte> row = _runtime.Memory.GetSpan(rowAddress, 8);
            _runtime.Trace($"row of {table} done"); // only literals and a string: host-only appends
            Console.WriteLine(row[0]);
        }
    }
}
