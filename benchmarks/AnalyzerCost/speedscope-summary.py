#!/usr/bin/env python3
"""Summarizes a dotnet-trace Speedscope file: where the sampled thread time goes.

    speedscope-summary.py TRACE.speedscope.json [FRAME_REGEX] [--under FRAME_REGEX [--depth N]]
    speedscope-summary.py TRACE.speedscope.json --parts [ROOT_REGEX]

Without --under: the frames matching FRAME_REGEX (default: WasmViewAnalyzers), by inclusive time
(each frame counted once per sample, however deep the recursion). With --under: for the samples
inside the first frame matching that regex, the time per callee path of the next N frames.
With --parts: the samples inside the first frame matching ROOT_REGEX (default: our operation-block callback),
each charged to the part (PARTS below) whose frame is deepest in its stack, so that a summary solved from inside the
flow analysis counts as the summary and binding triggered by a summary as binding.
Times are sampled thread time in ms: on a loaded machine they include time spent waiting for a core.
"""
import collections
import json
import re
import sys


def samples(profile_file):
    """Yields (duration, stack of frame names) for every interval of every thread."""
    data = json.load(open(profile_file))
    frames = [f["name"] for f in data["shared"]["frames"]]
    for profile in data["profiles"]:
        if profile["type"] != "evented":
            continue
        stack, last = [], None
        for event in profile["events"]:
            at = event["at"]
            if last is not None and stack:
                yield at - last, [frames[i] for i in stack]
            last = at
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack and stack[-1] == event["frame"]:
                stack.pop()
            elif event["frame"] in stack:
                del stack[len(stack) - 1 - stack[::-1].index(event["frame"]):]


PARTS = [
    ("binding we trigger", r"MemberSemanticModel\.GetBoundRoot|CreateMemberModel|GetOperationWorker|OperationMapBuilder|CSharpOperationFactory"),
    ("control-flow graphs", r"ControlFlowGraph\.CreateCore|ControlFlowGraphBuilder"),
    ("message: the guest call behind a helper", r"FindGuestCallBehind"),
    ("reporting (Diagnostic.Create, the driver's ReportDiagnostic, FindingProperties)", r"FindingProperties|Diagnostic\.Create|ReportDiagnostic"),
    ("GuestDelegateIndex", r"GuestDelegateIndex"),
    ("pre-check (Foresee, formerly MayContainViews)", r"CompilationViewAnalysis\.Foresee|MayContainViews"),
    ("summary: parameter uses", r"ParameterUsesSummary\.Compute"),
    ("summary: escaping parameters", r"EscapingParametersSummary\.Compute"),
    ("summary: views returned", r"ViewReturnsSummary\.Compute"),
    ("summary: may-kinds and others", r"Summaries\..*Compute"),
    ("call graph (its binding excluded)", r"SourceCallGraph"),
    ("the rules' flow analysis", r"ViewFlowAnalysis\.Analyze"),
    ("compilation start", r"CompilationViewAnalysis\.For\("),
]


def parts(path, root):
    """Charges each sample under ROOT to the part whose frame is deepest in its stack."""
    compiled = [(name, re.compile(rx)) for name, rx in PARTS]
    totals = collections.Counter()
    total = 0.0
    for duration, stack in samples(path):
        start = next((i for i, name in enumerate(stack) if root.search(name)), None)
        if start is None:
            continue
        total += duration
        best, depth = "the rest", -1
        for name, rx in compiled:
            deepest = next((k for k in range(len(stack) - 1, start - 1, -1) if rx.search(stack[k])), -1)
            if deepest > depth:
                best, depth = name, deepest
        totals[best] += duration
    print(f"{total:9.0f} ms under {root.pattern}")
    for name, ms in totals.most_common():
        print(f"{ms:9.0f} {100 * ms / total:5.1f}%  {name}")


def main(argv):
    path = argv[1]
    rest = argv[2:]
    if "--parts" in rest:
        i = rest.index("--parts")
        parts(path, re.compile(rest[i + 1] if len(rest) > i + 1 else r"WasmViewAnalysisDriver.*Register>b__1"))
        return
    under = depth = None
    if "--under" in rest:
        i = rest.index("--under")
        under = re.compile(rest[i + 1])
        rest = rest[:i] + rest[i + 2:]
    if "--depth" in rest:
        i = rest.index("--depth")
        depth = int(rest[i + 1])
        rest = rest[:i] + rest[i + 2:]
    pattern = re.compile(rest[0] if rest else "WasmViewAnalyzers")

    inclusive = collections.Counter()
    paths = collections.Counter()
    total = 0.0
    for duration, stack in samples(path):
        if under is not None:
            start = next((i for i, name in enumerate(stack) if under.search(name)), None)
            if start is None:
                continue
            total += duration
            below = stack[start + 1:start + 1 + (depth or 1)]
            paths[" > ".join(name[:100] for name in below) or "(self)"] += duration
            continue
        total += duration
        for name in set(stack):
            if pattern.search(name):
                inclusive[name] += duration

    if under is not None:
        print(f"{total:9.0f} ms under {under.pattern}")
        for name, ms in paths.most_common(20):
            print(f"{ms:9.0f}  {name}")
    else:
        print(f"{total:9.0f} ms of sampled thread time")
        for name, ms in inclusive.most_common(40):
            print(f"{ms:9.0f}  {name[:160]}")


if __name__ == "__main__":
    main(sys.argv)
