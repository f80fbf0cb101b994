// A database engine as WebAssembly: the host fills query descriptors the guest reads, and reads the
// result descriptors it writes.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Corpus.Database;

struct QueryDescriptor
{
    public int Sql;
    public int SqlLength;
    public int Rows;
    public int Status;
}

sealed unsafe class Database
{
    private readonly Memory _memory;
    private readonly Func<int, int> _alloc;
    private readonly Action<int> _execute;
    private readonly Action<int> _step;

    public Database(Instance instance)
    {
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("alloc")!;
        _execute = instance.GetAction<int>("execute")!;
        _step = instance.GetAction<int>("step")!;
    }

    public int Execute(int sql, int length)
    {
        var block = _alloc(16);
        var descriptor = (QueryDescriptor*)((byte*)_memory.GetPointer() + block);
        descriptor->Sql = sql;
        descriptor->SqlLength = length;
        _execute(block);
        return descriptor->Status == 0 ? descriptor->Rows : -1;
    }

    public int Rows(int block)
    {
        ref var descriptor = ref Unsafe.AsRef<QueryDescriptor>((byte*)_memory.GetPointer() + block);
        descriptor.Rows = 0;
        _step(block);
        _step(block);
        return descriptor.Rows;
    }

    public int StepAll(int block, int steps)
    {
        var descriptor = MemoryMarshal.Cast<byte, QueryDescriptor>(_memory.GetSpan(block, 16));
        var rows = 0;
        for (var i = 0; i < steps; i++)
        {
            _step(block);
            rows += descriptor[0].Rows;
        }

        return rows;
    }

    public int Status(int block)
    {
        var status = _memory.GetSpan<int>(block + 12, 1);
        _step(block);
        status[0] = 0;
        _execute(block);
        return status[0];
    }
}
