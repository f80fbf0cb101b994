#!/usr/bin/env bash
# The analyzer cost benchmark: generates host projects and pathological methods, builds each with
# no analyzers, WasmViewAnalyzers only and CA2000 only (-p:ReportAnalyzer=true), over interleaved
# rounds, and prints min/median analyzer time, ms per file, ratio to CA2000 and share of the compile;
# then measures the editor latency (random one-line edits, one document's diagnostics per request,
# against CA2000 on the same edits) on the host corpora of 200 and 800 files, and prints that table after it.
#
#   benchmarks/AnalyzerCost/run.sh [--sizes 50,200,800] [--rounds 3] [--fields private|internal|both]
#                                  [--compiler fresh|server] [--quick] [--no-special] [--special-only]
#                                  [--sdk-baseline] [--analyzer-from REV] [--editor-files 200,800] [--no-editor]
#                                  [--work DIR] [--keep-logs]
#
# The editor latency alone (generates and builds the corpora it needs once; WVA_ANALYZER_DLL for another build):
#   benchmarks/AnalyzerCost/run.sh editor [--files 200,800] [--families private,internal] [--edits 20] [--warmup 10] [--seed 1] [--work DIR]
# The table of an earlier run again:  benchmarks/AnalyzerCost/run.sh table /tmp/wva-analyzer-cost/measurements.tsv
# In process, for profiling one corpus built by a run (see README.md):
#   benchmarks/AnalyzerCost/run.sh analyze /tmp/wva-analyzer-cost/hosts-internal-200 [wva|ca2000|both] [repeat]
# Whether two builds of the analyzer report the same diagnostics on corpora a run built:
#   benchmarks/AnalyzerCost/run.sh same-results BEFORE.dll AFTER.dll /tmp/wva-analyzer-cost/hosts-internal-200 ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dotnet build "$here/CostBench/CostBench.csproj" -c Release -nologo -v:q >/dev/null
exec dotnet "$here/CostBench/bin/Release/net10.0/CostBench.dll" "$@"
