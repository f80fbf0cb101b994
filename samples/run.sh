#!/usr/bin/env bash
# The main job: the seed scenario end to end. A batch of images converted by a WebAssembly guest
# and zipped; first what the analyzer says about each host at build time, then what each host
# does when it runs (stale views zip garbage or crash, copies verify, guarded views throw).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

echo "== Building the scenario (restores packages on first run) =="
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! dotnet build samples/ImageBatch -c Release --no-incremental -nologo -v:q -clp:NoSummary >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
echo

echo "== What the analyzer reports about the hosts =="
for host in ImageBatch.BuggyHost ImageBatch.FixedHost ImageBatch.GuardedHost; do
  warnings="$(grep -E "samples/$host/.*warning WVA[0-9]+" "$log" | sed -E "s# \[[^]]*\]\$##; s#^$root/##; s# \(https://[^)]*\)##" | sort -u || true)"
  if [ -z "$warnings" ]; then
    echo "  $host: no warnings"
  else
    echo "  $host:"
    echo "$warnings" | sed 's/^/    /'
  fi
done
echo

echo "== What the hosts do when they run =="
exec dotnet run --project samples/ImageBatch -c Release --no-build
