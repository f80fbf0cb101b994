# Sourced by the package checks (.ci/check-pack.sh, .ci/check-package.sh, .ci/check-lease-fix.sh).
#
# pack_solution packs WasmViewAnalyzers.sln, the command the README gives, with a version of its own so that NuGet
# never serves an older build of the same version from its cache. .ci/run sets WVA_CI_VERSION so that its checks share
# one pack; a check run alone packs for itself. new_consumer then installs both packages into a brand-new console
# project, the way a user does. Cleanup removes the temporary projects and what the checks put in the NuGet cache.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${WVA_CI_VERSION:-0.1.0-ci.$(date +%s).$$}"
packages="$root/artifacts/ci-packages/$version"
nuget_cache="$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: //; s#/*$##')"
# The installed analyzer package, where the SDK loads its analyzers from.
installed_analyzers="$nuget_cache/wasmviewanalyzers/$version"
wasmtime_version="$(sed -nE 's/.*PackageVersion Include="Wasmtime" Version="([^"]+)".*/\1/p' "$root/Directory.Packages.props")"
work="$(mktemp -d)"

cleanup() {
  rm -rf "$work" "$nuget_cache/wasmviewanalyzers/$version" "$nuget_cache/wasmviewanalyzers.runtime/$version"
  rmdir "$nuget_cache/wasmviewanalyzers" "$nuget_cache/wasmviewanalyzers.runtime" 2>/dev/null || true
  if [ -z "${WVA_CI_VERSION:-}" ]; then
    rm -rf "$packages"
  fi
}
trap cleanup EXIT

pack_solution() {
  if [ -f "$packages/WasmViewAnalyzers.$version.nupkg" ]; then
    return 0
  fi
  rm -rf "$packages"
  local log="$work/pack.log"
  if ! dotnet pack "$root/WasmViewAnalyzers.sln" -c Release -o "$packages" -p:Version="$version" -nologo -v:q -clp:NoSummary >"$log" 2>&1; then
    cat "$log"
    echo "dotnet pack WasmViewAnalyzers.sln failed"
    return 1
  fi
}

source "$root/.ci/lib-consumer-program.sh"

# new_consumer DIR: a new console project in DIR with Wasmtime and both packages from the local feed; cds into DIR.
# (Restoring when adding WasmViewAnalyzers is what marks it PrivateAssets="all", as for a user.)
new_consumer() {
  mkdir -p "$1"
  cd "$1"
  cat >nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$packages" />
  </packageSources>
</configuration>
XML
  local log="$work/new-consumer.log"
  {
    dotnet new console -n Consumer -o . --force &&
      dotnet add package Wasmtime --version "$wasmtime_version" --no-restore &&
      dotnet add package WasmViewAnalyzers --version "$version" &&
      dotnet add package WasmViewAnalyzers.Runtime --version "$version"
  } >"$log" 2>&1 || { cat "$log"; echo "could not create a console project with both packages"; return 1; }
  write_consumer_program
}

# expect_run_output TEXT: dotnet run (already built) prints exactly TEXT.
expect_run_output() {
  local output
  output="$(dotnet run --no-build 2>&1)" || { echo "the consumer failed to run:"; echo "$output"; return 1; }
  if [ "$output" != "$1" ]; then
    echo "expected the consumer to print '$1'; it printed:"
    echo "$output"
    return 1
  fi
}

# expect_clean_build: dotnet build succeeds and reports no WVA diagnostic.
expect_clean_build() {
  local log
  log="$(dotnet build -nologo -v:q -clp:NoSummary 2>&1)" || { echo "the fixed consumer does not build:"; echo "$log"; cat Program.cs; return 1; }
  if grep -qE "(warning|error) WVA[0-9]+" <<<"$log"; then
    echo "the fixed consumer still gets a WVA diagnostic:"
    echo "$log"
    cat Program.cs
    return 1
  fi
}
