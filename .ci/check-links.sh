#!/usr/bin/env bash
# Checks every relative link of every tracked Markdown file: the file or directory it points at exists, and an anchor
# (#section) names a heading of the Markdown file it points into, by GitHub's rules: the heading's text without
# formatting, lower-cased, with everything but letters, digits, '_', '-' and spaces dropped and spaces turned into '-';
# a repeated heading gets -1, -2, ... Links inside code (fenced blocks, `inline`) are not links and are skipped.
# External links (http:, https:, mailto:) are not checked: CI has no network.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z '*.md' | python3 -c '
import os, re, sys, unicodedata

files = [f for f in sys.stdin.read().split("\0") if f]
fence = re.compile(r"^\s*(```|~~~)")
inline_code = re.compile(r"(`+)(.+?)\1")
link = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
reference = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
heading = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
html_anchor = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.I)

def strip_formatting(text):
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)   # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)                       # inline HTML
    return text.replace("`", "").replace("*", "")

def slug(text):
    text = strip_formatting(text).strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LMN")
    return kept.replace(" ", "-")

def lines_outside_code(path):
    inside = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if fence.match(line):
                inside = not inside
                continue
            if not inside:
                yield number, line

anchors_cache = {}
def anchors(path):
    if path not in anchors_cache:
        seen, result = {}, set()
        for _, line in lines_outside_code(path):
            m = heading.match(line)
            if m:
                s = slug(m.group(2))
                n = seen.get(s, 0)
                seen[s] = n + 1
                result.add(s if n == 0 else f"{s}-{n}")
            result.update(a.lower() for a in html_anchor.findall(line))
        anchors_cache[path] = result
    return anchors_cache[path]

broken = 0
checked = 0
for source in files:
    for number, line in lines_outside_code(source):
        text = inline_code.sub("", line)
        targets = [m.group(1) for m in link.finditer(text)]
        m = reference.match(text)
        if m:
            targets.append(m.group(1))
        for target in targets:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue
            checked += 1
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(source), path)) if path else source
            problem = None
            if path and not os.path.exists(resolved):
                problem = "no such file or directory: " + resolved
            elif anchor and resolved.endswith(".md") and os.path.isfile(resolved) and anchor.lower() not in anchors(resolved):
                problem = "no heading #" + anchor + " in " + resolved
            if problem:
                broken += 1
                print(f"{source}:{number}: {target}: {problem}")

print(f"{checked} relative links in {len(files)} Markdown files, {broken} broken")
sys.exit(1 if broken else 0)
'
