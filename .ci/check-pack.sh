#!/usr/bin/env bash
# Packs the solution, as the README says (dotnet pack WasmViewAnalyzers.sln), and checks that it yields exactly the two
# packages and the runtime library's symbols, each with its metadata (license, README, project and repository URLs) and
# its files in place.
set -euo pipefail
source "$(dirname "$0")/lib-package.sh"
pack_solution

failures=0
fail() {
  echo "  FAIL: $*"
  failures=$((failures + 1))
}

expected="$(printf '%s\n' "WasmViewAnalyzers.$version.nupkg" "WasmViewAnalyzers.Runtime.$version.nupkg" "WasmViewAnalyzers.Runtime.$version.snupkg")"
actual="$(ls "$packages" | sort)"
if [ "$actual" != "$expected" ]; then
  echo "dotnet pack WasmViewAnalyzers.sln should produce exactly:"
  echo "$expected"
  echo "it produced:"
  echo "$actual"
  exit 1
fi

# check_entries FILE ENTRY...: the package lists every ENTRY (an exact path in the archive).
check_entries() {
  local package="$1"
  shift
  local entries
  entries="$(unzip -Z1 "$packages/$package")"
  for entry in "$@"; do
    grep -qxF "$entry" <<<"$entries" || fail "$package has no $entry"
  done
}

# check_nuspec FILE PATTERN...: the package's .nuspec matches every PATTERN (extended regex).
check_nuspec() {
  local package="$1"
  shift
  local nuspec
  nuspec="$(unzip -p "$packages/$package" '*.nuspec')"
  for pattern in "$@"; do
    grep -qE "$pattern" <<<"$nuspec" || fail "$package: the nuspec does not match $pattern"
  done
}

repository='https://github\.com/wasmviewanalyzers/WasmViewAnalyzers'
common_metadata=(
  '<license type="expression">MIT</license>'
  '<readme>README\.md</readme>'
  "<projectUrl>$repository</projectUrl>"
  "<repository type=\"git\" url=\"$repository\""
)

for package in $actual; do
  echo "$package:"
  unzip -Z1 "$packages/$package" | grep -vE '^(_rels/|package/|\[Content_Types\])' | sed 's/^/    /'
done

analyzers="WasmViewAnalyzers.$version.nupkg"
check_entries "$analyzers" README.md analyzers/dotnet/cs/WasmViewAnalyzers.dll analyzers/dotnet/cs/WasmViewAnalyzers.CodeFixes.dll
check_nuspec "$analyzers" "${common_metadata[@]}" '<developmentDependency>true</developmentDependency>'
if unzip -Z1 "$packages/$analyzers" | grep -q '^lib/'; then
  fail "$analyzers has a lib/ folder: the analyzers would become a compile reference of every consumer"
fi
if unzip -p "$packages/$analyzers" '*.nuspec' | grep -q '<dependency '; then
  fail "$analyzers declares dependencies; an analyzer package must bring none"
fi

runtime="WasmViewAnalyzers.Runtime.$version.nupkg"
check_entries "$runtime" README.md \
  lib/net8.0/WasmViewAnalyzers.Runtime.dll lib/net8.0/WasmViewAnalyzers.Runtime.xml \
  lib/net10.0/WasmViewAnalyzers.Runtime.dll lib/net10.0/WasmViewAnalyzers.Runtime.xml
check_nuspec "$runtime" "${common_metadata[@]}" "<dependency id=\"Wasmtime\" version=\"$wasmtime_version\""

symbols="WasmViewAnalyzers.Runtime.$version.snupkg"
check_entries "$symbols" lib/net8.0/WasmViewAnalyzers.Runtime.pdb lib/net10.0/WasmViewAnalyzers.Runtime.pdb

grep -q '^MIT License$' "$root/LICENSE" || fail "LICENSE at the repository root is not the MIT license the packages declare"

if [ "$failures" -ne 0 ]; then
  echo "$failures package problems"
  exit 1
fi
echo "dotnet pack WasmViewAnalyzers.sln: WasmViewAnalyzers and WasmViewAnalyzers.Runtime $version (+ symbols), metadata and files as expected"
