#!/usr/bin/env bash
# docs/getting-started.md tells users to install a build of this repository from a local feed until the packages are
# on nuget.org. This check runs that page's two command blocks exactly as written (the fenced blocks after the
# "<!-- ci: local-feed/... -->" markers): the pack in the repository, then the new project next to it, its nuget.config
# and the three package references. Then it checks that the analyzer package was marked PrivateAssets="all", as the page
# says, and that the project builds with WVA001 on the stale read of the page's program.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
page="$root/docs/getting-started.md"
work="$(mktemp -d)"
nuget_cache="$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: //; s#/*$##')"
version_file="$work/version"

cleanup() {
  if [ -s "$version_file" ]; then
    local v
    v="$(cat "$version_file")"
    rm -rf "$nuget_cache/wasmviewanalyzers/$v" "$nuget_cache/wasmviewanalyzers.runtime/$v" \
      "$root/artifacts/packages/WasmViewAnalyzers.$v.nupkg" "$root/artifacts/packages/WasmViewAnalyzers.Runtime.$v.nupkg" \
      "$root/artifacts/packages/WasmViewAnalyzers.Runtime.$v.snupkg"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# block NAME: the fenced block that follows the marker "<!-- ci: NAME" in the page.
block() {
  awk -v marker="<!-- ci: $1" '
    index($0, marker) == 1 { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }
  ' "$page"
}
pack_block="$(block local-feed/pack)"
install_block="$(block local-feed/install)"
if [ -z "$pack_block" ] || [ -z "$install_block" ]; then
  echo "docs/getting-started.md has lost its local-feed/pack or local-feed/install block"
  exit 1
fi

# The layout the page assumes: the clone as ../WasmViewAnalyzers of the new project.
ln -s "$root" "$work/WasmViewAnalyzers"
script="$work/as-written.sh"
{
  echo 'set -euo pipefail'
  echo "cd '$work/WasmViewAnalyzers'"
  echo "$pack_block"
  echo "echo \"\$version\" >'$version_file'"
  echo "cd '$work'"
  echo "$install_block"
} >"$script"
echo "running the page's blocks:"
printf '%s\n' "$pack_block" "$install_block" | sed 's/^/  $ /'
log="$work/as-written.log"
if ! bash "$script" >"$log" 2>&1; then
  cat "$log"
  echo "the local-feed commands of docs/getting-started.md failed as written"
  exit 1
fi
version="$(cat "$version_file")"

cd "$work/Host"
if ! grep -A3 'Include="WasmViewAnalyzers" Version="'"$version"'"' Host.csproj | grep -q 'PrivateAssets'; then
  echo "expected dotnet add package to mark WasmViewAnalyzers $version PrivateAssets=\"all\"; Host.csproj is:"
  cat Host.csproj
  exit 1
fi

# The program of the page's next section.
source "$root/.ci/lib-consumer-program.sh"
write_consumer_program
build_log="$(dotnet build -nologo -v:q -clp:NoSummary 2>&1)" || { echo "$build_log"; echo "the project does not build"; exit 1; }
if ! grep -qF "$expected_warning" <<<"$build_log"; then
  echo "expected '$expected_warning' from the locally built package; the build said:"
  echo "$build_log"
  exit 1
fi
echo "docs/getting-started.md's local feed, as written: packages $version installed from ../WasmViewAnalyzers/artifacts/packages, WVA001 at ${expected_warning%%: *}"
