#!/usr/bin/env bash
# A typo in a wasm_view_analyzers option must not pass in silence (WVA005). Installs both packages, packed from the
# solution, into a brand-new console project whose .editorconfig names Memory.Grow correctly and misspelt, and checks
# that (1) dotnet build warns WVA005 once, naming the option, the misspelt entry and the member meant, and not for the
# correct one, while WVA001 is still reported; (2) a misspelt key (guest_call) gets WVA005 with the key meant; (3) with
# the typos corrected, the build reports no WVA005.
set -euo pipefail
source "$(dirname "$0")/lib-package.sh"

pack_solution
new_consumer "$work/consumer"

# write_editorconfig VALUE [KEY]: the .editorconfig with KEY (by default guest_calls) set to VALUE.
write_editorconfig() {
  cat >.editorconfig <<INI
root = true

[*.cs]
wasm_view_analyzers.${2:-guest_calls} = $1
INI
}

# 1. The typo is reported, the correct entry is not.
write_editorconfig "Wasmtime.Memory.Grow | Wasmtime.Memory.Grwo"
build_log="$(dotnet build -nologo -v:q -clp:NoSummary --no-incremental 2>&1)" || { echo "$build_log"; echo "the consumer does not build"; exit 1; }
expected_typo="warning WVA005: wasm_view_analyzers.guest_calls: 'Wasmtime.Memory.Grwo' names no method or property 'Grwo' of 'Wasmtime.Memory' (did you mean 'Grow'?)"
# (MSBuild may repeat warnings in its summary: count distinct lines.)
if [ "$(grep -F "$expected_typo" <<<"$build_log" | sort -u | wc -l)" -ne 1 ]; then
  echo "expected one '$expected_typo'; the build said:"
  echo "$build_log"
  exit 1
fi
if [ "$(grep "warning WVA005" <<<"$build_log" | sort -u | wc -l)" -ne 1 ]; then
  echo "expected WVA005 for the misspelt entry only; the build said:"
  echo "$build_log"
  exit 1
fi
if ! grep -qF "$expected_warning" <<<"$build_log"; then
  echo "expected '$expected_warning' next to WVA005; the build said:"
  echo "$build_log"
  exit 1
fi
echo "package $version: a misspelt guest_calls entry is reported as:"
grep -F "warning WVA005" <<<"$build_log" | sort -u | sed 's/^/  /'

# 2. A misspelt key: the whole line would be ignored.
write_editorconfig "Wasmtime.Memory.Grow" guest_call
build_log="$(dotnet build -nologo -v:q -clp:NoSummary --no-incremental 2>&1)" || { echo "$build_log"; echo "the consumer does not build"; exit 1; }
expected_key="warning WVA005: wasm_view_analyzers.guest_call: no such option (did you mean 'guest_calls'?)"
if [ "$(grep -F "$expected_key" <<<"$build_log" | sort -u | wc -l)" -ne 1 ] || [ "$(grep "warning WVA005" <<<"$build_log" | sort -u | wc -l)" -ne 1 ]; then
  echo "expected one WVA005, '$expected_key'; the build said:"
  echo "$build_log"
  exit 1
fi
echo "package $version: a misspelt key is reported as:"
grep -F "warning WVA005" <<<"$build_log" | sort -u | sed 's/^/  /'

# 3. Corrected, nothing to report.
write_editorconfig "Wasmtime.Memory.Grow"
build_log="$(dotnet build -nologo -v:q -clp:NoSummary --no-incremental 2>&1)" || { echo "$build_log"; echo "the consumer does not build"; exit 1; }
if grep -q "WVA005" <<<"$build_log"; then
  echo "the corrected .editorconfig still gets WVA005:"
  echo "$build_log"
  exit 1
fi
echo "package $version: with the entry corrected, no WVA005"
