#!/usr/bin/env bash
# Installs the packed WasmViewAnalyzers package into a brand-new console project, the way a user
# would, and checks that (1) dotnet build reports WVA001 on the buggy line, and (2) the package's
# code fix, applied by `dotnet format analyzers` (Fix All), removes it and the project still builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="0.1.0-ci.$(date +%s)"
packages="$root/artifacts/packages"
mkdir -p "$packages"

dotnet pack "$root/src/WasmViewAnalyzers.Package" -c Release -o "$packages" -p:Version="$version" -nologo -v:q >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$packages" />
  </packageSources>
</configuration>
XML
dotnet new console -n Consumer -o . --force >/dev/null
dotnet add package Wasmtime --version 50.0.1 >/dev/null
dotnet add package WasmViewAnalyzers --version "$version" >/dev/null
cat >Program.cs <<'CS'
using Wasmtime;

using var engine = new Engine();
using var module = Module.FromText(engine, "m", "(module (memory (export \"memory\") 1) (func (export \"render\") (param i32) (result i32) i32.const 0))");
using var store = new Store(engine);
var instance = new Instance(store, module);
var memory = instance.GetMemory("memory")!;
var render = instance.GetFunction<int, int>("render")!;

var first = memory.GetSpan(render(1), 16);
render(2);
Console.WriteLine(first[0]);
CS

build_log="$(dotnet build -nologo -v:q -clp:NoSummary 2>&1 || true)"
if ! grep -q "Program.cs(12,19): warning WVA001" <<<"$build_log"; then
  echo "expected warning WVA001 at Program.cs(12,19) from the installed package; the build said:"
  echo "$build_log"
  exit 1
fi
echo "package $version: a new console project gets WVA001 at Program.cs(12,19)"

dotnet format analyzers --diagnostics WVA001 --severity warn -v:q >/dev/null 2>&1 || true
if ! grep -q "memory.GetSpan(render(1), 16).ToArray()" Program.cs; then
  echo "expected the code fix to copy the view; Program.cs is now:"
  cat Program.cs
  exit 1
fi

rebuild_log="$(dotnet build -nologo -v:q -clp:NoSummary 2>&1)" || { echo "the fixed project does not build:"; echo "$rebuild_log"; exit 1; }
if grep -q "warning WVA001" <<<"$rebuild_log"; then
  echo "WVA001 still reported after the fix:"
  echo "$rebuild_log"
  exit 1
fi
echo "package $version: the code fix (dotnet format analyzers) copies the view; the project builds without WVA001"
