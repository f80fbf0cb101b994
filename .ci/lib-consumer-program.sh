# Sourced by .ci/lib-package.sh and .ci/check-local-feed.sh: the program a brand-new consumer project starts from.
#
# The program every consumer starts from. The guest writes each output into the same buffer, so the view `first`
# shows the second output by the time it is printed: the bug prints "first[0] = 2", any fix "first[0] = 1".
# WVA001 is expected on `first` in the last line. docs/getting-started.md shows this program: keep the two the same.
expected_warning="Program.cs(18,33): warning WVA001"
expected_line=18
expected_column=33
write_consumer_program() {
  cat >Program.cs <<'CS'
using Wasmtime;

// render(seed) writes seed into the guest's one output buffer, at address 64, and returns its address.
using var engine = new Engine();
using var module = Module.FromText(engine, "consumer", """
    (module
      (memory (export "memory") 1)
      (func (export "render") (param $seed i32) (result i32)
        (i32.store8 (i32.const 64) (local.get $seed))
        (i32.const 64)))
    """);
using var store = new Store(engine);
var instance = new Instance(store, module);
var memory = instance.GetMemory("memory")!;
var render = instance.GetFunction<int, int>("render")!;
var first = memory.GetSpan(render(1), 16);
render(2);
Console.WriteLine($"first[0] = {first[0]}");
CS
}
