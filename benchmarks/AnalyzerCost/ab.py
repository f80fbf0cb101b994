#!/usr/bin/env python3
"""A/B of two analyzer builds in process, alternating processes (for a loaded machine).

    ab.py BEFORE.dll AFTER.dll CORPUS [--rounds 4] [--repeat 3] [--which wva] [--prebind]

Each round runs `CostBench analyze CORPUS wva REPEAT` once with each build (which goes first alternates),
drops the first analysis of each process (JIT), and prints the medians of the rest: the analyzer time as
the driver times it (all WasmViewAnalyzers analyzers summed), the process CPU and the bytes allocated during
the analysis. Process CPU and allocations are what a loaded machine disturbs least.
"""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "CostBench", "bin", "Release", "net10.0", "CostBench.dll")
RUN = re.compile(r"run (\d+): wall ([\d.]+) s, process CPU ([\d.]+) s, allocated ([\d.]+) MB; (.*?); (.*)$")


def analyze(dll, corpus, which, repeat, prebind):
    env = dict(os.environ, WVA_ANALYZER_DLL=dll)
    args = ["dotnet", BENCH, "analyze", corpus, which, str(repeat)] + (["prebind"] if prebind else [])
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    runs = []
    for line in out.splitlines():
        m = RUN.match(line)
        if not m:
            continue
        times = dict((name, float(t)) for name, t in re.findall(r"(\w+) ([\d.]+) s", m.group(5)))
        ours = sum(t for name, t in times.items() if name not in ("DisposeObjectsBeforeLosingScope", "PrebindAnalyzer"))
        runs.append({"analyzer": ours, "ca2000": times.get("DisposeObjectsBeforeLosingScope"), "cpu": float(m.group(3)),
                     "alloc": float(m.group(4)), "wall": float(m.group(2)), "diagnostics": m.group(6)})
    return runs[1:]


def main(argv):
    before, after, corpus = argv[1:4]
    rest = argv[4:]
    opt = lambda name, default: rest[rest.index(name) + 1] if name in rest else default
    rounds, repeat, which = int(opt("--rounds", 4)), int(opt("--repeat", 3)), opt("--which", "wva")
    prebind = "--prebind" in rest
    results = {"before": [], "after": []}
    for r in range(rounds):
        order = [("before", before), ("after", after)] if r % 2 == 0 else [("after", after), ("before", before)]
        for name, dll in order:
            runs = analyze(os.path.abspath(dll), corpus, which, repeat, prebind)
            results[name].extend(runs)
            print(f"round {r + 1} {name}: " + "; ".join(f"{x['analyzer']:.3f} s, CPU {x['cpu']:.2f} s, {x['alloc']:.0f} MB" for x in runs), flush=True)
    print(f"{corpus} ({which}, {rounds} rounds x {repeat - 1} analyses, medians):")
    for key, label in (("analyzer", "analyzer time (s)"), ("cpu", "process CPU (s)"), ("alloc", "allocated (MB)")):
        b = statistics.median(x[key] for x in results["before"])
        a = statistics.median(x[key] for x in results["after"])
        print(f"  {label:20} before {b:8.3f}  after {a:8.3f}  after/before {a / b:5.2f}")
    diagnostics = {x["diagnostics"] for x in results["before"] + results["after"]}
    print("  diagnostics: " + " / ".join(sorted(diagnostics)))


if __name__ == "__main__":
    main(sys.argv)
