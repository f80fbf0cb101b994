#!/usr/bin/env bash
# Installs both packages, packed from the solution, into a brand-new console project, and checks that the analyzer
# package offers its second fix for WVA001, "Use a pooled lease copy", because the project references
# WasmViewAnalyzers.Runtime, and that the fix's result builds without WVA001 and runs correctly.
#
# `dotnet format analyzers` applies only the first fix offered, so .ci/ApplyCodeFix applies this one as the IDE would:
# it reads the compiler's inputs from MSBuild (sources, references, LangVersion, ...), loads the analyzers and code fixes
# from the installed package in the NuGet cache (not from this repository's build output), lists the fixes offered for
# each diagnostic, applies the one with the requested equivalence key and writes the file back.
set -euo pipefail
source "$(dirname "$0")/lib-package.sh"
pack_solution
new_consumer "$work/consumer"

# One build, which also reports what the compiler was given.
if ! dotnet build -nologo -t:Build \
    -getItem:Compile -getItem:ReferencePath -getItem:Analyzer -getItem:EditorConfigFiles \
    -getProperty:AssemblyName -getProperty:OutputType -getProperty:LangVersion -getProperty:DefineConstants \
    -getProperty:Nullable -getProperty:AllowUnsafeBlocks \
    >compile-model.json 2>build.log; then
  cat build.log compile-model.json
  echo "the consumer does not build"
  exit 1
fi

fix_log="$work/apply-code-fix.log"
if ! dotnet run --project "$root/.ci/ApplyCodeFix" -c Release -- compile-model.json "$installed_analyzers" WVA001.LeaseCopy >"$fix_log" 2>&1; then
  cat "$fix_log"
  echo "the lease fix was not offered or could not be applied"
  exit 1
fi
sed 's/^/  /' "$fix_log"
# The first fix offered for a finding has the key WVA001.FirstFix whatever it does (here the copy), so that a Fix All
# with the first fix's key, as dotnet format asks it, applies each finding's own first fix.
for offered in "'Copy the view when it is obtained' [WVA001.FirstFix]" "'Use a pooled lease copy' [WVA001.LeaseCopy]"; do
  grep -qF "fix offered: $offered" "$fix_log" || { echo "expected the fix $offered to be offered"; exit 1; }
done
for line in 'using WasmViewAnalyzers.Runtime;' 'using var firstLease = memory.GetSpan(render(1), 16).LeaseCopy();' 'var first = firstLease.Span;'; do
  if ! grep -qxF "$line" Program.cs; then
    echo "expected the lease fix to write the line '$line'; Program.cs is now:"
    cat Program.cs
    exit 1
  fi
done

expect_clean_build
expect_run_output "first[0] = 1"
echo "package $version: the runtime's lease fix is offered and applied; the project builds without WVA001 and prints 'first[0] = 1'"
