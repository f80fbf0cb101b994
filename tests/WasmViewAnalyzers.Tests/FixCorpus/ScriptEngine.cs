// A script engine: scripts call host functions, and host functions call back into the script
// (event handlers) before they finish reading their arguments.
using System;
using System.Text;
using Wasmtime;

namespace Corpus.Scripting;

sealed class ScriptEngine
{
    private readonly Linker _linker;
    private readonly StringBuilder _console = new();

    public ScriptEngine(Linker linker)
    {
        _linker = linker;
    }

    public void DefineHostFunctions()
    {
        _linker.DefineFunction("env", "print", (Caller caller, int address, int length) =>
        {
            if (!caller.TryGetMemorySpan<byte>("memory", address, length, out var text))
            {
                return;
            }

            caller.GetFunction("on_print")!.Invoke(length);
            _console.Append(Encoding.UTF8.GetString(text));
        });

        _linker.DefineFunction("env", "emit", (Caller caller, int address, int length) =>
        {
            caller.TryGetMemorySpan<byte>("memory", address, length, out var payload);
            var handler = caller.GetFunction("handle_event");
            handler!.Invoke(address, length);
            return payload.Length > 0 ? payload[0] : 0;
        });

        _linker.DefineFunction("env", "upper", (Caller caller, int address, int length) =>
        {
            if (caller.TryGetMemorySpan<byte>("memory", address, length, out var bytes))
            {
                caller.GetFunction("before_upper")!.Invoke();
                for (var i = 0; i < bytes.Length; i++)
                {
                    bytes[i] = (byte)char.ToUpperInvariant((char)bytes[i]);
                }
            }
        });

        _linker.DefineFunction("env", "sum", (Caller caller, int address, int count) =>
        {
            var memory = caller.GetMemory("memory")!;
            var values = memory.GetSpan<int>(address, count);
            caller.GetFunction("progress")!.Invoke(count);
            var total = 0;
            for (var i = 0; i < values.Length; i++)
            {
                total += values[i];
            }

            return total;
        });
    }

    public string Output => _console.ToString();
}
