#!/usr/bin/env bash
# docs/getting-started.md tells users to paste its shell blocks in order, in one shell, until the packages are on
# nuget.org: clone, pack, a new project next to the clone with the local feed, the first build and its warning,
# dotnet format and dotnet run. This check does exactly that. It extracts every ```sh block of the page in order, and
# every block after a "<!-- ci: file NAME -->" marker as a write of NAME (the page's "Replace Program.cs with ..."),
# into one script run by one shell, with two liberties only: the clone block clones the commit under test instead of
# the GitHub URL (so what is packed is HEAD, as a user's clone would be), and between blocks the script notes the
# shell's $version for the cleanup. Then it checks what the page promises: the project is outside the clone,
# WasmViewAnalyzers is PrivateAssets="all", the build prints the warning the page shows, word for word, and after
# dotnet format the program prints "first[0] = 1". The page's program must be the one the package checks use.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
page="$root/docs/getting-started.md"
url="https://github.com/wasmviewanalyzers/WasmViewAnalyzers"
work="$(mktemp -d)"
nuget_cache="$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: //; s#/*$##')"
version_file="$work/version"
source "$root/.ci/lib-consumer-program.sh"

cleanup() {
  if [ -s "$version_file" ]; then
    local v
    v="$(cat "$version_file")"
    rm -rf "$nuget_cache/wasmviewanalyzers/$v" "$nuget_cache/wasmviewanalyzers.runtime/$v"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The page's blocks as one script: each sh block as it is, each marked file block as a heredoc that writes it.
blocks="$work/blocks.sh"
awk -v note="echo \"\${version:-}\" >'$version_file'" '
  /^<!-- ci: file [^ ]+ -->$/ { file = $4; next }
  !inside && /^```/ {
    lang = substr($0, 4)
    if (lang == "sh") { inside = "sh"; count++; print "echo \"== block " count " ==\"" }
    else if (file != "") { inside = "file"; print "cat >" file " <<'"'"'WVA_CI_END_OF_FILE'"'"'" }
    else { inside = "other" }
    next
  }
  inside && /^```$/ {
    if (inside == "sh") print note
    if (inside == "file") { print "WVA_CI_END_OF_FILE"; file = "" }
    inside = ""
    next
  }
  inside == "sh" || inside == "file" { print }
  !inside && !/^[ \t]*$/ && !/^<!--/ { file = "" }
' "$page" >"$blocks"

if ! grep -qF "git clone $url" "$blocks"; then
  echo "docs/getting-started.md no longer clones $url in a shell block; this check substitutes that clone"
  exit 1
fi
# The clone of the commit under test, under the name the page's URL gives it.
mkdir -p "$work/origin"
ln -s "$root" "$work/origin/WasmViewAnalyzers"
sed -i "s#git clone $url#git clone --quiet '$work/origin/WasmViewAnalyzers'#" "$blocks"

echo "running docs/getting-started.md's blocks in one shell, in $work:"
sed 's/^/  | /' "$blocks"
log="$work/blocks.log"
mkdir -p "$work/user"
if ! (cd "$work/user" && bash -e -o pipefail "$blocks") >"$log" 2>&1; then
  cat "$log"
  echo "the shell blocks of docs/getting-started.md failed as pasted"
  exit 1
fi
version="$(cat "$version_file")"
host="$work/user/Host"

# Next to the clone, not inside: none of the repository's build settings applies to it.
if [ ! -f "$host/Host.csproj" ] || [ -e "$work/user/WasmViewAnalyzers/Host" ]; then
  echo "expected the project at Host/ next to the clone WasmViewAnalyzers/; the shell left:"
  ls "$work/user" "$work/user/WasmViewAnalyzers"
  exit 1
fi
if ! grep -A3 'Include="WasmViewAnalyzers" Version="'"$version"'"' "$host/Host.csproj" | grep -q 'PrivateAssets'; then
  echo "expected dotnet add package to mark WasmViewAnalyzers $version PrivateAssets=\"all\"; Host.csproj is:"
  cat "$host/Host.csproj"
  exit 1
fi

# The page's program is the one every package check starts from.
(cd "$work" && write_consumer_program)
if ! awk '/^<!-- ci: file Program.cs -->$/ { found = 1; next } found && /^```/ { if (inside) exit; inside = 1; next } inside { print }' "$page" | diff -u "$work/Program.cs" - >"$work/program.diff"; then
  cat "$work/program.diff"
  echo "docs/getting-started.md's program differs from .ci/lib-consumer-program.sh's"
  exit 1
fi

# The warning, as the page shows it (paths elided) and as the build printed it.
shown="$(grep -m1 -F "$expected_warning" "$page" | sed -E 's#^\.\.\./Host/##; s# \[\.\.\./Host/Host\.csproj\]$##')"
printed="$(grep -m1 -F "$expected_warning" "$log" | sed -E "s#^.*/Host/(Program\.cs)#\1#; s# \[[^]]*\]\$##")"
if [ -z "$printed" ]; then
  cat "$log"
  echo "expected the page's build to print '$expected_warning'"
  exit 1
fi
if [ "$shown" != "$printed" ]; then
  echo "docs/getting-started.md shows the warning as"
  echo "  $shown"
  echo "the build printed"
  echo "  $printed"
  exit 1
fi

# dotnet format's copy, and the program's output after it.
if ! grep -qF 'var first = memory.GetSpan(render(1), 16).ToArray();' "$host/Program.cs" || ! grep -qxF 'first[0] = 1' "$log"; then
  cat "$log"
  cat "$host/Program.cs"
  echo "expected dotnet format to copy the view with .ToArray() and the program to print 'first[0] = 1'"
  exit 1
fi
echo "docs/getting-started.md, pasted in order in one shell: packages $version from the clone's local feed, the page's warning word for word, dotnet format's copy, 'first[0] = 1'"
