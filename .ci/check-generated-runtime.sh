#!/usr/bin/env bash
# Fails (exit 1) when a checked-in T4 output of the runtime library differs from what its template generates now:
# someone edited the generated .cs by hand, or changed the .tt without regenerating (.ci/generate-runtime.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! .ci/generate-runtime.sh "$tmp"; then
  echo "the runtime library's T4 templates did not generate"
  exit 1
fi
status=0
for template in src/WasmViewAnalyzers.Runtime/*.tt; do
  generated="${template%.tt}.cs"
  if ! diff -u "$generated" "$tmp/$(basename "$generated")"; then
    echo "$generated is not what $template generates; run .ci/generate-runtime.sh and commit the result"
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "the runtime library's generated code is up to date"
exit "$status"
