#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare flush benchmark results of the in-tree and our virtio-pmem driver.

Input: a JSON-lines file, one object per benchmark run:
  {"driver": "intree"|"ours", "workload": "raw"|"fs", "threads": N,
   "syncs": n, "seconds": s, "syncs_per_s": x, "p50_us": a, "p99_us": b,
   "host_flushes": h}
Extra keys (e.g. the rest of a `pmemtool writers --json` line) are ignored;
blank lines and lines starting with '#' are skipped.  host_flushes may be
absent or null (shown as n/a).  Repeated runs of the same
(driver, workload, threads) are combined: syncs/s, p50 and p99 are averaged,
host flushes per sync is sum(host_flushes) / sum(syncs).

Output: a text table per workload (both drivers side by side, ours/intree
ratios, host flushes per guest sync) followed by the targets with PASS/MISS,
written to OUT.txt and stdout, and a plot OUT.png (gnuplot, pngcairo) with
syncs/s vs threads and host flushes per sync vs threads for each workload.
The targets are informational: the exit status is 0 whatever they say.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict

DRIVERS = ("intree", "ours")
REQUIRED = ("driver", "workload", "threads", "syncs", "seconds",
            "syncs_per_s", "p50_us", "p99_us")

# Targets (informational).
RAW_THREADS = 16
RAW_SPEEDUP = 4.0
RAW_FLUSH_PER_SYNC = 0.25
MAX_SLOWDOWN = 0.05


def load(path):
    runs = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                rec = json.loads(line)
                missing = [k for k in REQUIRED if k not in rec]
                if missing:
                    raise ValueError("missing " + ", ".join(missing))
                if rec["driver"] not in DRIVERS:
                    raise ValueError("unknown driver %r" % rec["driver"])
                key = (str(rec["workload"]), rec["driver"], int(rec["threads"]))
                hf = rec.get("host_flushes")
                runs[key].append({
                    "syncs": float(rec["syncs"]),
                    "seconds": float(rec["seconds"]),
                    "syncs_per_s": float(rec["syncs_per_s"]),
                    "p50_us": float(rec["p50_us"]),
                    "p99_us": float(rec["p99_us"]),
                    "host_flushes": None if hf is None else float(hf),
                })
            except (ValueError, TypeError, json.JSONDecodeError) as e:
                print("%s:%d: skipped: %s" % (path, lineno, e), file=sys.stderr)
    return runs


def combine(runs):
    """Map (workload, driver, threads) -> aggregated stats."""
    res = {}
    for key, rs in runs.items():
        n = len(rs)
        syncs = sum(r["syncs"] for r in rs)
        hf = None
        if all(r["host_flushes"] is not None for r in rs) and syncs > 0:
            hf = sum(r["host_flushes"] for r in rs) / syncs
        res[key] = {
            "runs": n,
            "syncs_per_s": sum(r["syncs_per_s"] for r in rs) / n,
            "p50_us": sum(r["p50_us"] for r in rs) / n,
            "p99_us": sum(r["p99_us"] for r in rs) / n,
            "flush_per_sync": hf,
        }
    return res


def fmt(v, prec=1):
    if v is None:
        return "n/a"
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "n/a"
    return "%.*f" % (prec, v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def workloads_of(res):
    order = {"raw": 0, "fs": 1}
    return sorted({k[0] for k in res}, key=lambda w: (order.get(w, 9), w))


def threads_of(res, wl):
    return sorted({k[2] for k in res if k[0] == wl})


def get(res, wl, drv, t, field):
    s = res.get((wl, drv, t))
    return None if s is None else s[field]


def table(res):
    out = []
    hdr = ("%7s | %10s %10s %6s | %9s %9s %6s | %9s %9s %6s | %9s %9s | %s"
           % ("threads", "intree/s", "ours/s", "ratio", "p50 in", "p50 ours",
              "ratio", "p99 in", "p99 ours", "ratio", "fl/s in", "fl/s ours",
              "note"))
    for wl in workloads_of(res):
        out.append("workload %s  (syncs/s, latency in us, fl/s = host flushes "
                   "per guest sync, ratio = ours/intree)" % wl)
        out.append(hdr)
        out.append("-" * len(hdr))
        for t in threads_of(res, wl):
            a = {f: get(res, wl, "intree", t, f)
                 for f in ("syncs_per_s", "p50_us", "p99_us", "flush_per_sync")}
            b = {f: get(res, wl, "ours", t, f)
                 for f in ("syncs_per_s", "p50_us", "p99_us", "flush_per_sync")}
            r = ratio(b["syncs_per_s"], a["syncs_per_s"])
            note = ""
            if r is not None and r < 1.0 - MAX_SLOWDOWN:
                note = "SLOWER >%d%%" % round(MAX_SLOWDOWN * 100)
            nruns = {d: (res.get((wl, d, t)) or {}).get("runs", 0)
                     for d in DRIVERS}
            if max(nruns.values()) > 1:
                note = (note + " runs %d/%d" % (nruns["intree"],
                                                 nruns["ours"])).strip()
            row = ("%7d | %10s %10s %6s | %9s %9s %6s | %9s %9s %6s | "
                   "%9s %9s | %s" % (
                           t, fmt(a["syncs_per_s"]), fmt(b["syncs_per_s"]),
                           fmt(r, 2),
                           fmt(a["p50_us"]), fmt(b["p50_us"]),
                           fmt(ratio(b["p50_us"], a["p50_us"]), 2),
                           fmt(a["p99_us"]), fmt(b["p99_us"]),
                           fmt(ratio(b["p99_us"], a["p99_us"]), 2),
                           fmt(a["flush_per_sync"], 3),
                           fmt(b["flush_per_sync"], 3), note))
            out.append(row.rstrip())
        out.append("")
    return out


def targets(res):
    out = ["targets (informational):"]

    def verdict(ok):
        return "N/A " if ok is None else ("PASS" if ok else "MISS")

    a = get(res, "raw", "intree", RAW_THREADS, "syncs_per_s")
    b = get(res, "raw", "ours", RAW_THREADS, "syncs_per_s")
    r = ratio(b, a)
    out.append("  %s raw @%d threads: ours >= %.0fx intree syncs/s "
               "(measured ours/intree %s)" % (verdict(None if r is None else r >= RAW_SPEEDUP),
                                   RAW_THREADS, RAW_SPEEDUP, fmt(r, 2)))

    f = get(res, "raw", "ours", RAW_THREADS, "flush_per_sync")
    out.append("  %s raw @%d threads: ours <= %.2f host flushes per fdatasync "
               "(measured %s)" % (verdict(None if f is None else
                                          f <= RAW_FLUSH_PER_SYNC),
                                  RAW_THREADS, RAW_FLUSH_PER_SYNC, fmt(f, 3)))

    worst = None
    for wl in workloads_of(res):
        for t in threads_of(res, wl):
            r = ratio(get(res, wl, "ours", t, "syncs_per_s"),
                      get(res, wl, "intree", t, "syncs_per_s"))
            if r is not None and (worst is None or r < worst[0]):
                worst = (r, wl, t)
    if worst is None:
        out.append("  N/A  no workload > %d%% slower than intree (no pairs)"
                   % round(MAX_SLOWDOWN * 100))
    else:
        out.append("  %s no workload > %d%% slower than intree in syncs/s "
                   "(worst: %s @%d threads, ours/intree %.2f)"
                   % (verdict(worst[0] >= 1.0 - MAX_SLOWDOWN),
                      round(MAX_SLOWDOWN * 100), worst[1], worst[2], worst[0]))
    return out


def gp_quote(s):
    return "'" + s.replace("'", "''") + "'"


def series(res, wl, drv, field):
    """(threads, value) points of one driver/workload with a value."""
    pts = []
    for t in threads_of(res, wl):
        s = res.get((wl, drv, t))
        if s is not None and s[field] is not None:
            pts.append((t, s[field]))
    return pts


def plot_cmd(blocks, i, field, style):
    """gnuplot commands for one panel; drivers without data are left out."""
    parts = ["%s using 1:2 with linespoints %s title '%s'"
             % (blocks[(i, d, field)], style[d], d)
             for d in DRIVERS if (i, d, field) in blocks]
    if parts:
        return ["set yrange [0:*]", "plot " + ", ".join(parts)]
    return ["set yrange [0:1]", "set key off",
            "set label 2 'no data' at graph 0.5, graph 0.5 center",
            "plot 1/0 notitle", "unset label 2", "set key on"]


def plot(res, png):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("gnuplot not found (apt-get install gnuplot-nox): no plot",
              file=sys.stderr)
        return False
    wls = workloads_of(res)
    if not wls:
        return False
    lines = []
    # one datablock per (workload, driver, field) that has points
    blocks = {}
    for i, wl in enumerate(wls):
        for drv in DRIVERS:
            for col, field in ((2, "syncs_per_s"), (3, "flush_per_sync")):
                pts = series(res, wl, drv, field)
                if not pts:
                    continue
                name = "$d%d%s%d" % (i, drv, col)
                blocks[(i, drv, field)] = name
                lines.append("%s << EOD" % name)
                lines += ["%d %.6g" % p for p in pts]
                lines.append("EOD")
    alltimes = sorted({k[2] for k in res})
    xtics = ", ".join("'%d' %d" % (t, t) for t in alltimes)
    xmin = max(min(alltimes) / 1.4, 0.5)
    xmax = max(alltimes) * 1.4
    style = {"intree": "lc rgb '#d62728' pt 7 lw 2",
             "ours": "lc rgb '#1f77b4' pt 5 lw 2"}
    lines += [
        "set terminal pngcairo size %d,760 font 'sans,10'" % (480 * len(wls) + 80),
        "set output %s" % gp_quote(png),
        "set multiplot layout 2,%d title 'virtio-pmem flush benchmark: "
        "in-tree vs ours'" % len(wls),
        "set logscale x 2",
        "set xrange [%g:%g]" % (xmin, xmax),
        "set xtics (%s)" % xtics,
        "set grid",
        "set key top left box opaque",
        "set offsets 0, 0, graph 0.12, 0",
        "set xlabel 'threads'",
    ]
    for i, wl in enumerate(wls):
        lines += [
            "set title %s" % gp_quote("%s: guest syncs/s (higher is better)" % wl),
            "set ylabel 'syncs/s'",
        ]
        lines += plot_cmd(blocks, i, "syncs_per_s", style)
    for i, wl in enumerate(wls):
        lines += [
            "set title %s" % gp_quote("%s: host flushes per guest sync "
                                      "(lower is better)" % wl),
            "set ylabel 'host flushes / sync'",
            "set key bottom left box opaque",
        ]
        if wl == "raw":
            lines.append("set arrow 1 from graph 0, first %g to graph 1, first %g "
                         "nohead dt 2 lc rgb 'gray40'"
                         % (RAW_FLUSH_PER_SYNC, RAW_FLUSH_PER_SYNC))
            lines.append("set label 1 'target %.2f' at graph 0.02, first %g "
                         "offset 0,0.6 tc rgb 'gray40'"
                         % (RAW_FLUSH_PER_SYNC, RAW_FLUSH_PER_SYNC))
        lines += plot_cmd(blocks, i, "flush_per_sync", style)
        lines += ["unset arrow 1", "unset label 1"]
    lines += ["unset multiplot", "set output"]
    p = subprocess.run([gnuplot], input="\n".join(lines) + "\n", text=True,
                       capture_output=True, check=False)
    if p.returncode != 0:
        print("gnuplot failed:\n" + p.stderr, file=sys.stderr)
        return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="JSON-lines results file")
    ap.add_argument("-o", "--out",
                    help="output stem or .txt path (default: RESULTS without "
                         "its extension); the plot is written next to it "
                         "as .png")
    ap.add_argument("--no-plot", action="store_true", help="skip the PNG")
    args = ap.parse_args()

    res = combine(load(args.results))
    if not res:
        print("no usable records in %s" % args.results, file=sys.stderr)
        return 1
    stem = args.out or os.path.splitext(args.results)[0]
    if stem.endswith(".txt"):
        stem = stem[:-4]
    txt, png = stem + ".txt", stem + ".png"
    if os.path.dirname(txt):
        os.makedirs(os.path.dirname(txt), exist_ok=True)

    text = "\n".join(["virtio-pmem flush benchmark (%s)" % args.results, ""]
                     + table(res) + targets(res)) + "\n"
    with open(txt, "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)
    print("table: %s" % txt)
    if not args.no_plot and plot(res, png):
        print("plot:  %s" % png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
