#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of scripts/bench-vmem.sh: in-tree vs our virtio_mem.

  bench-vmem-report.py RESULTS.jsonl

Input: one JSON object per run, {"driver": "intree"|"ours", "round": n,
"run": "plug"|"unplug"|"blocked", "secs": s, ...} plus guest_secs, bytes
(target size), moved (bytes plugged or unplugged),
block_size, hog_mb and the QEMU request counts plug, unplug, unplug_all,
state; '#' lines are comments (copied into the report).

Output next to the input: results.md (per run and driver: mean, min, max of
the host time, GiB/s for plug/unplug, guest time, requests; ours/in-tree
ratios) and results.png (gnuplot, pngcairo: mean host seconds per run and
driver, log scale), also printed to stdout.  Exit status 0 unless the input
has no runs.
"""

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict

RUNS = ("plug", "unplug", "blocked")
DRIVERS = ("intree", "ours")
REQS = ("plug", "unplug", "unplug_all", "state")


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def moved(rec, data):
    """Bytes a plug/unplug run moved: 'moved' if the guest gave it, else
    (older results) the target of a plug, or for an unplug to 0 the size
    the plug run of the same boot reached."""
    if "moved" in rec:
        return rec["moved"]
    if rec["run"] == "plug" or rec["bytes"]:
        return rec["bytes"]
    for r in data.get(("plug", rec["driver"]), []):
        if r["round"] == rec["round"]:
            return r["bytes"]
    return 0


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    out_dir = os.path.dirname(os.path.abspath(path))
    comments, data = [], defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                comments.append(line[1:].strip())
            elif line:
                r = json.loads(line)
                data[(r["run"], r["driver"])].append(r)
    if not data:
        sys.exit("no runs in %s" % path)

    md = ["# virtio-mem benchmark: in-tree vs ours", ""]
    md += ["- %s" % c for c in comments]
    md += ["", "Host time: `qom-set requested-size` until `query-memory-devices` shows the size "
           "(blocked: from the memory hog's exit until the size is 0). Guest time: until "
           "MemTotal shows the size. Requests: QEMU trace events during the run, mean per run. "
           "Ratio = ours / in-tree (< 1: ours faster).", ""]
    md.append("| run | driver | n | host s mean (min–max) | GiB/s | guest s | plug/unplug/unplug_all/state requests | notes |")
    md.append("|---|---|---|---|---|---|---|---|")
    means = {}
    for run in RUNS:
        for drv in DRIVERS:
            rs = data.get((run, drv), [])
            if not rs:
                md.append("| %s | %s | 0 | – | – | – | – | no successful run |" % (run, drv))
                continue
            secs = [r["secs"] for r in rs]
            means[(run, drv)] = mean(secs)
            gibs = "–"
            if run in ("plug", "unplug"):
                gibs = "%.2f" % mean([moved(r, data) / 2**30 / max(r["secs"], 1e-3) for r in rs])
            gs = [r["guest_secs"] for r in rs if r.get("guest_secs", -1) >= 0]
            reqs = "/".join("%.1f" % mean([r.get(k, 0) for r in rs]) for k in REQS)
            notes = ""
            if run == "blocked":
                notes = "size at hog exit %s MiB; hog %s MiB" % (
                    ",".join(str(r.get("block_size", 0) >> 20) for r in rs),
                    ",".join(str(r.get("hog_mb", 0)) for r in rs))
            md.append("| %s | %s | %d | %.2f (%.2f–%.2f) | %s | %s | %s | %s |" % (
                run, drv, len(rs), mean(secs), min(secs), max(secs), gibs,
                "%.2f" % mean(gs) if gs else "–", reqs, notes))
    md += ["", "| run | ours / in-tree (host time) |", "|---|---|"]
    for run in RUNS:
        a, b = means.get((run, "intree")), means.get((run, "ours"))
        md.append("| %s | %s |" % (run, "%.3f (%.1fx %s)" % (
            b / a, a / b if b < a else b / a, "faster" if b < a else "slower")
            if a and b else "n/a"))
    text = "\n".join(md) + "\n"

    png = os.path.join(out_dir, "results.png")
    if shutil.which("gnuplot") and means:
        dat = os.path.join(out_dir, "results.dat")
        with open(dat, "w", encoding="utf-8") as f:
            for run in RUNS:
                f.write("%s %s %s\n" % (run, *("%.4f" % means.get((run, d), float("nan"))
                                               for d in DRIVERS)))
        script = """set terminal pngcairo size 800,500
set output '%s'
set title 'virtio-mem: host seconds per run (mean), in-tree vs ours'
set style data histograms
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'seconds (log)'
set grid ytics
plot '%s' using 2:xtic(1) title 'in-tree', '' using 3 title 'ours'
""" % (png, dat)
        r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if r.returncode == 0:
            text += "\n![host seconds per run](results.png)\n"
        else:
            text += "\n(gnuplot failed: %s)\n" % r.stderr.strip()
    with open(os.path.join(out_dir, "results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
