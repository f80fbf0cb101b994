using Wasmtime;

// The smallest host that shows the bug: the guest writes its output into one buffer in its linear
// memory and returns the buffer's address, so every call overwrites the previous output. A view
// (span or pointer) taken before a later call shows the later call's bytes. The lines marked
// "expect: WVA001" are the ones the analyzer warns about when this project is built.
const string Guest = """
    (module
      (memory (export "memory") 1)
      ;; render(seed) fills 16 bytes at address 64 with seed, seed+1, ... and returns 64.
      (func (export "render") (param $seed i32) (result i32)
        (local $i i32)
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (i32.const 16)))
            (i32.store8 (i32.add (i32.const 64) (local.get $i)) (i32.add (local.get $seed) (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (i32.const 64)))
    """;

using var engine = new Engine();
using var module = Module.FromText(engine, "getting-started", Guest);
using var store = new Store(engine);
var instance = new Instance(store, module);
var memory = instance.GetMemory("memory")!;
var render = instance.GetFunction<int, int>("render")!;

Console.WriteLine("Two outputs, rendered one after the other with seeds 10 and 20.");
Console.WriteLine();

// The bug: both views alias the guest's one output buffer.
var first = memory.GetSpan(render(10), 16);
var second = memory.GetSpan(render(20), 16);
Console.WriteLine($"  views:           first[0] = {first[0],3}, second[0] = {second[0],3}   <- first was overwritten"); // expect: WVA001

// The fix: copy at the boundary, before the next guest call.
var firstCopy = memory.GetSpan(render(10), 16).ToArray();
var secondCopy = memory.GetSpan(render(20), 16).ToArray();
Console.WriteLine($"  copies:          first[0] = {firstCopy[0],3}, second[0] = {secondCopy[0],3}");

// Also fine: read what you need before the next guest call.
var firstValue = memory.GetSpan(render(10), 16)[0];
var secondValue = memory.GetSpan(render(20), 16)[0];
Console.WriteLine($"  read right away: first[0] = {firstValue,3}, second[0] = {secondValue,3}");

// The same bug through a pointer, and through a view kept across Memory.Grow.
Console.WriteLine($"  pointer:         first[0] = {ReadThroughPointer(memory, render),3}   <- overwritten too");
Console.WriteLine($"  after Grow:      length {KeepAcrossGrow(memory),3} (a span kept across Grow may dangle)");
Console.WriteLine();
Console.WriteLine("Build this project to see the analyzer's warnings: dotnet build samples/GettingStarted");

static unsafe byte ReadThroughPointer(Memory memory, Func<int, int> render)
{
    byte* output = (byte*)memory.GetPointer() + render(10);
    render(20);
    return output[0]; // expect: WVA001
}

static int KeepAcrossGrow(Memory memory)
{
    var header = memory.GetSpan(64, 4);
    memory.Grow(1);
    var length = header.Length;
    header[0] = 1; // expect: WVA001
    return length;
}
