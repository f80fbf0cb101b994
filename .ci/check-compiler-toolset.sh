#!/usr/bin/env bash
# The analyzers compile against Roslyn 4.8 so that older compilers load them. This check proves it with the oldest
# compiler the feed has: a brand-new console project with both packages builds with the Microsoft.Net.Compilers.Toolset
# package (Roslyn 4.14.0, the compiler of Visual Studio 2022 17.14 and the .NET 9.0.300 SDK) instead of the SDK's own,
# and checks that (1) that compiler, not the SDK's, compiled the project; (2) WVA001 is reported where the stale view is
# read; (3) no analyzer failed to load (CS8032) or threw (AD0001).
#
# On SDK 10 the toolset package alone is not enough: without <RoslynCompilerType>Custom</RoslynCompilerType> the SDK
# keeps its own compiler and the package is silently ignored, which is why (1) is checked.
set -euo pipefail
source "$(dirname "$0")/lib-package.sh"
toolset_version="${WVA_TOOLSET_VERSION:-4.14.0}"

pack_solution
new_consumer "$work/consumer"

log="$work/add-toolset.log"
dotnet add package Microsoft.Net.Compilers.Toolset --version "$toolset_version" >"$log" 2>&1 || { cat "$log"; echo "could not add Microsoft.Net.Compilers.Toolset $toolset_version"; exit 1; }
# The property goes into the project, as a user would put it.
sed -i 's#</PropertyGroup>#  <RoslynCompilerType>Custom</RoslynCompilerType>\n  </PropertyGroup>#' Consumer.csproj

build_log="$work/build.log"
if ! dotnet build -nologo -v:n --no-incremental >"$build_log" 2>&1; then
  cat "$build_log"
  echo "the consumer does not build with Microsoft.Net.Compilers.Toolset $toolset_version"
  exit 1
fi

# (1) The compiler that ran is the package's: its csc is under microsoft.net.compilers.toolset/<version> in the cache.
if ! grep -qiE "microsoft\.net\.compilers\.toolset/$toolset_version/.*csc" "$build_log"; then
  echo "the build did not run the csc of Microsoft.Net.Compilers.Toolset $toolset_version; the compiler command lines were:"
  grep -iE "PathToTool=|using command line tool" "$build_log" | cut -c1-300 | head -n 5
  exit 1
fi

# (2) The warning, from that compiler.
if ! grep -qF "$expected_warning" "$build_log"; then
  echo "expected '$expected_warning' under Roslyn $toolset_version; the build said:"
  grep -E "warning|error" "$build_log" || cat "$build_log"
  exit 1
fi

# (3) No analyzer load failure, no analyzer exception.
if grep -qE "(warning|error) (CS8032|AD0001)" "$build_log"; then
  echo "an analyzer failed to load or threw under Roslyn $toolset_version:"
  grep -E "(warning|error) (CS8032|AD0001)" "$build_log"
  exit 1
fi
echo "package $version under Microsoft.Net.Compilers.Toolset $toolset_version: its csc compiled the project, WVA001 at ${expected_warning%%: *}, no CS8032 or AD0001"
