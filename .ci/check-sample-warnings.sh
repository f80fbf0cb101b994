#!/usr/bin/env bash
# Builds a sample project and checks that the analyzers warn exactly on the lines marked
# "// expect: WVAnnn" (or several: "// expect: WVA001, WVA004") in its sources: every marked
# rule warned on its line, no warning elsewhere. Rules that are not warnings by default are raised
# by the samples' .editorconfig, as users raise them.
# Usage: .ci/check-sample-warnings.sh samples/GettingStarted
set -euo pipefail
project_dir="${1:?project directory}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

log="$(mktemp)"
trap 'rm -f "$log" "$log.expected" "$log.actual"' EXIT
dotnet build "$project_dir" --no-incremental -nologo -v:q -clp:NoSummary >"$log" 2>&1 || { cat "$log"; echo "build of $project_dir failed"; exit 1; }

# file:line:ID for every ID of every marker ...
grep -rnoE --include='*.cs' '// expect: WVA[0-9]{3}([ ]*,[ ]*WVA[0-9]{3})*' "$project_dir" \
  | sed -E 's#^\./##' \
  | while IFS=: read -r file line marker; do
      grep -oE 'WVA[0-9]{3}' <<<"$marker" | sed "s#^#$file:$line:#"
    done | sort -u >"$log.expected" || true
# ... and for every warning the build printed under that directory.
grep -oE "[^ ]+\.cs\([0-9]+,[0-9]+\): warning WVA[0-9]{3}" "$log" \
  | sed -E "s#^$root/##; s#\(([0-9]+),[0-9]+\): warning #:\1:#" | grep "^$project_dir" | sort -u >"$log.actual" || true

if diff -u "$log.expected" "$log.actual" >/dev/null; then
  echo "$project_dir: $(wc -l <"$log.actual") analyzer warnings, all on marked lines, none missing"
else
  echo "$project_dir: analyzer warnings differ from the '// expect:' markers (- expected, + actual):"
  diff -u "$log.expected" "$log.actual" | tail -n +3
  exit 1
fi
