#!/usr/bin/env bash
# Regenerates the runtime library's T4 outputs (src/WasmViewAnalyzers.Runtime/*.tt -> *.cs) with .ci/TextTransform.
# With a directory argument, writes the outputs there instead of next to the templates (for the up-to-date check).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-}"
[ -z "$out" ] || mkdir -p "$out"
dotnet build .ci/TextTransform -c Release -nologo -v:q -clp:NoSummary >/dev/null
tool=".ci/TextTransform/bin/Release/net10.0/TextTransform.dll"
for template in src/WasmViewAnalyzers.Runtime/*.tt; do
  name="$(basename "${template%.tt}").cs"
  target="${out:-$(dirname "$template")}/$name"
  dotnet "$tool" "$template" "$target"
done
