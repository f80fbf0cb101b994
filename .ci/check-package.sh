#!/usr/bin/env bash
# Installs both packages, packed from the solution, into a brand-new console project the way a user does, and checks
# that (1) dotnet build reports WVA001 on the stale read, and the program indeed prints the overwritten byte; (2) the
# SARIF log (-p:ErrorLog=...,version=2.1) names the rule, its help page and the location; (3) the first code fix
# ("Copy the view when it is obtained"), applied by `dotnet format analyzers`, copies the view, after which the project
# builds without WVA001 and prints the right byte; (4) in a file whose findings have different first fixes (a view
# written through after a guest call is obtained again, one only read is copied), one `dotnet format analyzers` run
# applies each finding's own first fix. The other fix, the runtime's lease copy, is .ci/check-lease-fix.sh.
set -euo pipefail
source "$(dirname "$0")/lib-package.sh"

if ! command -v jq >/dev/null 2>&1; then
  echo "installing jq to read the SARIF log"
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && apt-get install -y -qq jq >/dev/null
  else
    echo "jq is required (apt-get install jq)"
    exit 1
  fi
fi

pack_solution
new_consumer "$work/consumer"

# 1. The warning, from the installed package, where the stale view is read.
build_log="$(dotnet build -nologo -v:q -clp:NoSummary '-p:ErrorLog=wva.sarif%2Cversion=2.1' 2>&1)" || { echo "$build_log"; echo "the consumer does not build"; exit 1; }
if ! grep -qF "$expected_warning" <<<"$build_log"; then
  echo "expected '$expected_warning' from the installed package; the build said:"
  echo "$build_log"
  exit 1
fi
expect_run_output "first[0] = 2"
echo "package $version: a new console project gets WVA001 at ${expected_warning%%: *}, and the stale view prints 'first[0] = 2'"

# 2. The SARIF log, as a CI gate uploads it.
help_uri="https://github.com/wasmviewanalyzers/WasmViewAnalyzers/blob/main/docs/rules/WVA001.md"
if ! jq -e --arg help "$help_uri" --argjson line "$expected_line" --argjson column "$expected_column" '
    .version == "2.1.0"
    and ([.runs[].tool.driver.rules[]? | select(.id == "WVA001" and .helpUri == $help)] | length == 1)
    and ([.runs[].results[]? | select(.ruleId == "WVA001")
          | .locations[0].physicalLocation
          | select((.artifactLocation.uri | endswith("/Program.cs"))
                   and .region.startLine == $line and .region.startColumn == $column)] | length == 1)
  ' wva.sarif >/dev/null; then
  echo "the SARIF log does not report WVA001 with its help URI at Program.cs line $expected_line, column $expected_column:"
  jq '{version, rules: [.runs[].tool.driver.rules[]? | select(.id | startswith("WVA"))], results: [.runs[].results[]? | select(.ruleId | startswith("WVA"))]}' wva.sarif
  exit 1
fi
echo "package $version: the SARIF 2.1 log names WVA001, $help_uri, Program.cs:$expected_line:$expected_column"

# 3. The first fix, as `dotnet format analyzers` applies it (Fix All).
format_log="$(dotnet format analyzers --diagnostics WVA001 --severity warn -v:q 2>&1)" || true
if ! grep -qF 'var first = memory.GetSpan(render(1), 16).ToArray();' Program.cs; then
  echo "expected 'dotnet format analyzers' to copy the view with ToArray(); it said:"
  echo "$format_log"
  echo "Program.cs is now:"
  cat Program.cs
  exit 1
fi
expect_clean_build
expect_run_output "first[0] = 1"
echo "package $version: 'dotnet format analyzers --diagnostics WVA001' copies the view; the project builds without WVA001 and prints 'first[0] = 1'"

# 4. Each finding's own first fix, in one Fix All as dotnet format asks it (the first fix's key for every finding).
cat >Views.cs <<'CS'
using Wasmtime;

sealed class Views(Instance instance)
{
    private readonly Memory memory = instance.GetMemory("memory")!;
    private readonly Func<int, int> render = instance.GetFunction<int, int>("render")!;

    public void Fill(int address)
    {
        var view = memory.GetSpan(address, 16);
        render(3);
        view[0] = 1;
    }

    public int Sum(int address)
    {
        var view = memory.GetSpan(address, 16);
        render(4);
        return view[0] + view[1];
    }
}
CS
# Fill's write and Sum's two reads; the build prints each warning once per line it is reported on.
build_log="$(dotnet build -nologo -v:q -clp:NoSummary 2>&1)" || true
warnings="$(grep -oE 'Views.cs\([0-9]+,[0-9]+\): warning WVA001' <<<"$build_log" | sort -u | wc -l)"
if [ "$warnings" != "3" ]; then
  echo "expected WVA001 on the three stale uses in Views.cs before the fix; the build said:"
  echo "$build_log"
  exit 1
fi
format_log="$(dotnet format analyzers --diagnostics WVA001 --severity warn -v:q 2>&1)" || true
for line in '        render(3);' '        view = memory.GetSpan(address, 16);' '        view[0] = 1;'; do
  grep -qxF -- "$line" Views.cs || { echo "expected the write-through view to be obtained again after the call; it said:"; echo "$format_log"; cat Views.cs; exit 1; }
done
if [ "$(grep -n -xF '        view = memory.GetSpan(address, 16);' Views.cs | cut -d: -f1)" != "$(( $(grep -n -xF '        render(3);' Views.cs | cut -d: -f1) + 1 ))" ]; then
  echo "expected the view to be obtained again right under render(3); Views.cs is now:"
  cat Views.cs
  exit 1
fi
grep -qxF '        var view = memory.GetSpan(address, 16).ToArray();' Views.cs || { echo "expected the view only read to be copied where it is obtained; it said:"; echo "$format_log"; cat Views.cs; exit 1; }
expect_clean_build
expect_run_output "first[0] = 1"
echo "package $version: one 'dotnet format analyzers' run applies each finding's own first fix (obtain again, copy); the project builds without WVA001"
