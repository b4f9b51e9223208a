#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of a `make bench` run: in-tree virtio-pmem, ours, virtio-blk.

Input: the JSON-lines file of scripts/bench.sh (one object per fio run, see
scripts/bench-collect.py; lines starting with '#' are the run's header and
are repeated in the report).  Runs of the same (column, shape, workload,
region, jobs) from several rounds are combined: syncs/s and latencies are
the median of the rounds (the range of syncs/s is shown next to it when
there are several: single TCG runs on a shared host vary by factors),
flushes per sync are sum(flushes) / sum(syncs).

Output: OUT.md (markdown, also on stdout): per backing-file shape a table
of syncs/s with the ratios ours/in-tree and ours/virtio-blk, and a table
of sync latency p50/p99 and flushes per guest sync (device flush requests
and host fsync/fdatasync calls), then the issue's goals with PASS/MISS;
and OUT.png (gnuplot, pngcairo): syncs/s and host syncs per guest sync
against jobs, per shape.  The goals are informational: the exit status is
0 whatever they say.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict

COLUMNS = ("intree", "ours", "blk", "blk-tuned")
LABEL = {"intree": "in-tree", "ours": "ours", "blk": "virtio-blk",
         "blk-tuned": "blk-tuned"}
SHAPES = ("sparse", "full", "tmpfs")
WL_ORDER = {"raw": 0, "fs": 1, "uring": 2}
REQUIRED = ("column", "shape", "workload", "region", "jobs", "syncs",
            "seconds", "syncs_per_s")

# the goals of issue 18 (informational)
RAW_JOBS = 16
RAW_SPEEDUP = 4.0
BLK_RATIO = 0.8
MAX_SLOWDOWN = 0.05
URING_SPEEDUP = 4.0


def load(path):
    runs, header = defaultdict(list), []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                header.append(line.lstrip("# "))
                continue
            try:
                rec = json.loads(line)
                missing = [k for k in REQUIRED if k not in rec]
                if missing:
                    raise ValueError("missing " + ", ".join(missing))
                if rec["workload"] == "host":
                    key = (rec["shape"], "host", rec["column"],
                           int(rec.get("batch", 1)), "host")
                else:
                    key = (rec["shape"], rec["workload"], rec["region"],
                           int(rec["jobs"]), rec["column"])
                runs[key].append(rec)
            except (ValueError, TypeError, json.JSONDecodeError) as e:
                print("%s:%d: skipped: %s" % (path, lineno, e), file=sys.stderr)
    return runs, header


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def per_sync(rs, field):
    if any(r.get(field) is None for r in rs):
        return None
    syncs = sum(r["syncs"] for r in rs)
    return sum(r[field] for r in rs) / syncs if syncs else None


def per_flush(rs):
    """Guest writes (4 KiB pages stored) per device flush request, all
    rounds: the pages one host flush had to write back, at least."""
    if any(r.get("writes") is None or r.get("dev_flushes") is None for r in rs):
        return None
    flushes = sum(r["dev_flushes"] for r in rs)
    return sum(r["writes"] for r in rs) / flushes if flushes else None


def combine(runs):
    res = {}
    for key, rs in runs.items():
        res[key] = {
            "runs": len(rs),
            "syncs_per_s": median([r["syncs_per_s"] for r in rs]),
            "sps_min": min(r["syncs_per_s"] for r in rs),
            "sps_max": max(r["syncs_per_s"] for r in rs),
            "p50": median([r.get("sync_p50_us") for r in rs]),
            "p99": median([r.get("sync_p99_us") for r in rs]),
            "dev": per_sync(rs, "dev_flushes"),
            "host": per_sync(rs, "host_syncs"),
            "wpf": per_flush(rs),
            "hflat50": median([r.get("host_flush_p50_us") for r in rs]),
            "hflat99": median([r.get("host_flush_p99_us") for r in rs]),
            "writes_per_s": median([r.get("writes_per_s") for r in rs]),
            "load": [x for r in rs for x in (r.get("load1_begin"), r.get("load1_end"))
                     if x is not None],
        }
    return res


def fmt(v, prec=0):
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return "n/a"
    return "%.*f" % (prec, v)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def cases_of(res, shape):
    keys = {(k[1], k[2], k[3]) for k in res if k[0] == shape and k[1] != "host"}
    return sorted(keys, key=lambda c: (WL_ORDER.get(c[0], 9), c[1], c[2]))


def shapes_of(res):
    have = {k[0] for k in res if k[1] != "host"}
    return [s for s in SHAPES if s in have] + sorted(have - set(SHAPES))


def columns_of(res):
    have = {k[4] for k in res}
    return [c for c in COLUMNS if c in have]


def get(res, shape, case, col, field):
    s = res.get((shape,) + case + (col,))
    return None if s is None else s[field]


def case_name(case):
    wl, reg, jobs = case
    return "%s %s x%d" % (wl, reg, jobs)


def sps_cell(v):
    """syncs/s of a combined run: the median, with the range of the rounds."""
    if v is None:
        return "n/a"
    if v["runs"] < 2:
        return fmt(v["syncs_per_s"])
    return "%s (%s-%s)" % (fmt(v["syncs_per_s"]), fmt(v["sps_min"]),
                           fmt(v["sps_max"]))


def tables(res):
    cols = columns_of(res)
    blks = [c for c in ("blk", "blk-tuned") if c in cols]
    out = []
    for shape in shapes_of(res):
        out.append("### shape: %s" % shape)
        out.append("")
        hdr = ["case"] + ["%s/s" % LABEL[c] for c in cols]
        if "intree" in cols and "ours" in cols:
            hdr.append("ours/in-tree")
        hdr += ["ours/%s" % LABEL[b] for b in blks if "ours" in cols]
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|" + "---|" * len(hdr))
        for case in cases_of(res, shape):
            row = [case_name(case)]
            row += [sps_cell(res.get((shape,) + case + (c,))) for c in cols]
            ours = get(res, shape, case, "ours", "syncs_per_s")
            if "intree" in cols and "ours" in cols:
                row.append(fmt(ratio(ours, get(res, shape, case, "intree", "syncs_per_s")), 2))
            if "ours" in cols:
                row += [fmt(ratio(ours, get(res, shape, case, b, "syncs_per_s")), 2)
                        for b in blks]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
        hdr = ["case"]
        hdr += ["p50/p99 us %s" % LABEL[c] for c in cols]
        hdr += ["dev fl/sync %s" % LABEL[c] for c in cols]
        hdr += ["host syncs/sync %s" % LABEL[c] for c in cols]
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|" + "---|" * len(hdr))
        for case in cases_of(res, shape):
            row = [case_name(case)]
            row += ["%s / %s" % (fmt(get(res, shape, case, c, "p50")),
                                 fmt(get(res, shape, case, c, "p99"))) for c in cols]
            row += [fmt(get(res, shape, case, c, "dev"), 3) for c in cols]
            row += [fmt(get(res, shape, case, c, "host"), 3) for c in cols]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    return out


def host_limit(res):
    """The host's flush cost against batch size, and the guest runs' flushes."""
    out = []
    shapes = [s for s in SHAPES if any(k[0] == s and k[1] == "host" for k in res)]
    if shapes:
        out += ["### host limit: fio on the host, 1 job, a flush every B 4 KiB writes",
                "",
                "mmap = stores into a MAP_SHARED mapping + msync (virtio-pmem's host "
                "path); psync = pwrite + fdatasync (virtio-blk cache=writeback's).",
                "",
                "| shape | engine | B | flushes/s | flush p50/p99 us | writes/s |",
                "|---|---|---|---|---|---|"]
        for shape in shapes:
            for k in sorted(k for k in res if k[0] == shape and k[1] == "host"):
                v = res[k]
                out.append("| %s | %s | %d | %s | %s / %s | %s |" % (
                    shape, k[2][len("host-"):], k[3], fmt(v["syncs_per_s"]),
                    fmt(v["p50"]), fmt(v["p99"]), fmt(v["writes_per_s"])))
        out.append("")
    pm = [c for c in ("intree", "ours") if c in columns_of(res)]
    if pm:
        out += ["### virtio-pmem device flushes in the guest runs", "",
                "syncs/flush = guest syncs per device flush request (the batch the "
                "host sees); flush p50/p99 = request to done on the host (QEMU trace).",
                ""]
        hdr = ["shape", "case"]
        for c in pm:
            hdr += ["%s syncs/flush" % LABEL[c], "%s flushes/s" % LABEL[c],
                    "%s flush p50/p99 us" % LABEL[c]]
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|" + "---|" * len(hdr))
        for shape in shapes_of(res):
            for case in cases_of(res, shape):
                row = [shape, case_name(case)]
                for c in pm:
                    dev = get(res, shape, case, c, "dev")
                    sps = get(res, shape, case, c, "syncs_per_s")
                    row += [fmt(None if not dev else 1 / dev, 2),
                            fmt(None if dev is None or sps is None else dev * sps),
                            "%s / %s" % (fmt(get(res, shape, case, c, "hflat50")),
                                         fmt(get(res, shape, case, c, "hflat99")))]
                out.append("| " + " | ".join(row) + " |")
        out.append("")
    return out + coalescing_bound(res) + sharing_bound(res) + reach(res)


def host_points(res, shape, engine="mmap"):
    """(batch, p50 us) of the host-only runs of `shape` and `engine`, by batch."""
    return sorted((k[3], v["p50"]) for k, v in res.items()
                  if k[0] == shape and k[1] == "host" and k[2] == "host-" + engine
                  and v["p50"])


def host_only_p50(res, shape, batch, engine="mmap"):
    """p50 of a host-only flush of `batch` pages, mmap+msync (virtio-pmem's
    host path) or psync (pwrite+fdatasync, virtio-blk's), log-interpolated
    between the measured batch sizes, clamped at the ends."""
    pts = host_points(res, shape, engine)
    if not pts or batch is None or batch <= 0:
        return None
    if batch <= pts[0][0]:
        return pts[0][1]
    for (b0, l0), (b1, l1) in zip(pts, pts[1:]):
        if batch <= b1:
            t = (math.log(batch) - math.log(b0)) / (math.log(b1) - math.log(b0))
            return l0 + t * (l1 - l0)
    return pts[-1][1]


def coalescing_bound(res):
    """The most coalescing can gain at RAW_JOBS writers on each shape: one
    host flush of RAW_JOBS pages against RAW_JOBS one-page flushes (host-only
    p50s), and the same pages through virtio-blk's host path."""
    out = []
    for shape in shapes_of(res):
        one, many = host_only_p50(res, shape, 1), host_only_p50(res, shape, RAW_JOBS)
        if not (one and many):
            continue
        blk = host_only_p50(res, shape, RAW_JOBS, "psync")
        out.append("- %s: %d x %s us / %s us = **%s**%s" % (
            shape, RAW_JOBS, fmt(one), fmt(many), fmt(RAW_JOBS * one / many, 2),
            "" if not blk else "; the same %d pages through virtio-blk's host "
            "path (pwrite + fdatasync): %s us, %s x cheaper"
            % (RAW_JOBS, fmt(blk), fmt(many / blk, 1))))
    if not out:
        return []
    return ["### coalescing bound at %d writers" % RAW_JOBS, "",
            "One host flush of %d pages against %d flushes of one page (host-only "
            "p50s): the most any driver can gain over one flush per sync when the "
            "host's cost is its own, not the guest's." % (RAW_JOBS, RAW_JOBS),
            ""] + out + [""]


def marginal_page_us(res, shape):
    """Host-only cost of one more page in a large flush: the slope between
    the two largest measured batches (mmap engine), or None."""
    pts = host_points(res, shape)
    if len(pts) < 2 or pts[-1][0] == pts[-2][0]:
        return None
    (b0, l0), (b1, l1) = pts[-2], pts[-1]
    return max(l1 - l0, 0.0) / (b1 - b0) or None


def sharing_bound(res):
    """The fs and io_uring cases against two limits.

    Flush sharing: the file system already shares a flush among the fsyncs
    waiting on one journal commit, so the in-tree driver's flushes carry
    p_in pages, not one.  With the host-only flush cost t(pages), a driver
    carrying p pages per flush gains (p / p_in) x t(p_in) / t(p) over it,
    and t(p_in) / (p_in x m) for any p (m: the host's cost of one more page
    in a large flush).  Flush-free ceiling: the same case with the backing
    file on a host tmpfs, where a host flush costs nearly nothing, is what
    the guest (fio, the file system, the vCPUs) can do at all: ours on
    tmpfs over in-tree on this shape is the most any flush path could
    reach here."""
    rows = []
    for shape in shapes_of(res):
        m = marginal_page_us(res, shape)
        for case in cases_of(res, shape):
            if case[0] not in ("fs", "uring"):
                continue
            p_in = get(res, shape, case, "intree", "wpf")
            p_o = get(res, shape, case, "ours", "wpf")
            t_in, t_o = host_only_p50(res, shape, p_in), host_only_p50(res, shape, p_o)
            if not (p_in and p_o and t_in and t_o):
                continue
            at = (p_o / p_in) * t_in / t_o
            lim = None if not m else t_in / (p_in * m)
            intree = get(res, shape, case, "intree", "syncs_per_s")
            ceil = ratio(get(res, "tmpfs", case, "ours", "syncs_per_s"), intree)
            meas = ratio(get(res, shape, case, "ours", "syncs_per_s"), intree)
            rows.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                shape, case_name(case), fmt(p_in, 2), fmt(p_o, 2), fmt(at, 2),
                fmt(lim, 2), fmt(ceil, 2), fmt(meas, 2)))
    if not rows:
        return []
    return ["### limits of the fs and io_uring cases", "",
            "The file system shares one flush among the fsyncs waiting on the same "
            "journal commit, with either driver: pages/flush = guest writes per "
            "device flush request.  Host-only model = (ours / in-tree pages per "
            "flush) x t(in-tree's) / t(ours'), t the host-only p50 of a flush of "
            "that many pages (interpolated); its limit for any batch = t(p_in) / "
            "(p_in x m), m the host's cost of one more page in a large flush.  "
            "Flush-free ceiling = ours with the backing file on a host tmpfs "
            "(a host flush costs nearly nothing) over in-tree on this shape: what "
            "the guest's CPU allows any flush path.  Measured above the model "
            "means the guest runs' flushes cost more per request than per page "
            "(the flush worker waiting for a CPU), which coalescing saves.", "",
            "| shape | case | in-tree pages/flush | ours pages/flush | host-only model "
            "at ours' batch | its limit, any batch | flush-free ceiling | measured "
            "ours/in-tree |", "|---|---|---|---|---|---|---|---|"] + rows + [""]


def reach(res):
    """What fraction of the host-only rate the guest runs reach.

    host-only = the host's own cost of flushing as many fresh pages as the
    guest's requests carried (host-limit table, mmap engine, same shape)
    with no guest storing meanwhile: batch / p50 flushes' worth of syncs
    per second.  The gap to it is what the guest side and the concurrent
    guest stores (vCPU page faults into the file under write-back, and on
    this TCG host CPU time shared with the vCPUs) cost."""
    pm = [c for c in ("intree", "ours") if c in columns_of(res)]
    rows = []
    for shape in shapes_of(res):
        for case in cases_of(res, shape):
            if case[0] != "raw":
                continue
            for c in pm:
                dev = get(res, shape, case, c, "dev")
                sps = get(res, shape, case, c, "syncs_per_s")
                hfl = get(res, shape, case, c, "hflat50")
                batch = None if not dev else 1 / dev
                h = host_only_p50(res, shape, batch)
                if h is None or sps is None or not batch:
                    continue
                possible = batch / (h / 1e6)
                rows.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    shape, case_name(case), LABEL[c], fmt(batch, 2), fmt(hfl),
                    fmt(h), fmt(possible), fmt(ratio(sps, possible), 3)))
    if not rows:
        return []
    return ["### host limit against the guest runs (raw cases)", "",
            "batch = syncs per device flush; flush p50 guest run = QEMU's "
            "request-to-done with the guest storing meanwhile; host-only p50 = the "
            "same batch of fresh pages flushed by fio on the host alone "
            "(interpolated); host-only rate = batch / host-only p50 (syncs/s the "
            "host could serve at that batch); reached = guest syncs/s / that.", "",
            "| shape | case | driver | batch | flush p50 us guest run | host-only p50 us "
            "| host-only syncs/s | reached |", "|---|---|---|---|---|---|---|---|"] + rows + [""]


def goals(res):
    out = ["### goals of issue 18 (informational)", ""]

    def verdict(ok):
        return "n/a " if ok is None else ("PASS" if ok else "MISS")

    def sps(shape, case, col):
        return get(res, shape, case, col, "syncs_per_s")

    for shape in shapes_of(res):
        case = ("raw", "L", RAW_JOBS)
        r = ratio(sps(shape, case, "ours"), sps(shape, case, "intree"))
        out.append("- %s %s raw L x%d: ours >= %.0fx in-tree (%s)"
                   % (verdict(None if r is None else r >= RAW_SPEEDUP), shape,
                      RAW_JOBS, RAW_SPEEDUP, fmt(r, 2)))
        r = ratio(sps(shape, case, "ours"), sps(shape, case, "blk"))
        out.append("- %s %s raw L x%d: ours >= %.1fx virtio-blk (%s)"
                   % (verdict(None if r is None else r >= BLK_RATIO), shape,
                      RAW_JOBS, BLK_RATIO, fmt(r, 2)))
        worst = None
        for c in cases_of(res, shape):
            if not (c[2] == 1 or c[0] == "fs"):
                continue
            r = ratio(sps(shape, c, "ours"), sps(shape, c, "intree"))
            if r is not None and (worst is None or r < worst[0]):
                worst = (r, c)
        if worst:
            out.append("- %s %s 1 job and every fs case: ours >= %.2fx in-tree "
                       "(worst %s: %.2f)" % (verdict(worst[0] >= 1 - MAX_SLOWDOWN),
                                            shape, 1 - MAX_SLOWDOWN,
                                            case_name(worst[1]), worst[0]))
        for c in cases_of(res, shape):
            if c[0] != "uring":
                continue
            r = ratio(sps(shape, c, "ours"), sps(shape, c, "intree"))
            out.append("- %s %s %s: ours >= %.0fx in-tree (%s)"
                       % (verdict(None if r is None else r >= URING_SPEEDUP),
                          shape, case_name(c), URING_SPEEDUP, fmt(r, 2)))
    return out


def loads(res):
    by = defaultdict(list)
    for k, v in res.items():
        if k[1] == "host":
            continue
        by[k[4]] += v["load"]
    parts = ["%s %s-%s" % (LABEL[c], fmt(min(by[c]), 1), fmt(max(by[c]), 1))
             for c in columns_of(res) if by[c]]
    return "host 1-minute load during the runs (min-max): " + ", ".join(parts)


def gp_quote(s):
    return "'" + s.replace("'", "''") + "'"


STYLE = {"intree": "lc rgb '#d62728' pt 7 lw 2",
         "ours": "lc rgb '#1f77b4' pt 5 lw 2",
         "blk": "lc rgb '#2ca02c' pt 9 lw 2",
         "blk-tuned": "lc rgb '#9467bd' pt 11 lw 2 dt 2"}


def plot(res, png):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("gnuplot not found (apt-get install gnuplot-nox): no plot",
              file=sys.stderr)
        return False
    shapes = shapes_of(res)
    cols = columns_of(res)
    panels = [("raw", "L", "syncs_per_s", "raw L: fdatasyncs/s"),
              ("fs", "L", "syncs_per_s", "ext4 L: fsyncs/s"),
              ("raw", "L", "host", "raw L: host fsync calls per guest sync")]
    lines, blocks = [], {}
    for i, shape in enumerate(shapes):
        for p, (wl, reg, field, _) in enumerate(panels):
            for col in cols:
                pts = sorted((k[3], v[field]) for k, v in res.items()
                             if k[0] == shape and k[1] == wl and k[2] == reg
                             and k[1] != "host"
                             and k[4] == col and v[field] is not None)
                if not pts:
                    continue
                name = "$d%d_%d_%s" % (i, p, col.replace("-", "_"))
                blocks[(i, p, col)] = name
                lines.append("%s << EOD" % name)
                lines += ["%d %.6g" % pt for pt in pts]
                lines.append("EOD")
    jobs = sorted({k[3] for k in res if k[1] != "host"}) or [1]
    xtics = ", ".join("'%d' %d" % (t, t) for t in jobs)
    lines += [
        "set terminal pngcairo size %d,1000 font 'sans,10'" % (440 * len(shapes) + 60),
        "set output %s" % gp_quote(png),
        "set multiplot layout 3,%d title 'fsync-heavy fio: virtio-pmem (in-tree, "
        "ours) vs virtio-blk, per backing-file shape'" % len(shapes),
        "set logscale x 2",
        "set xrange [%g:%g]" % (max(min(jobs) / 1.4, 0.5), max(jobs) * 1.4),
        "set xtics (%s)" % xtics, "set grid", "set key top left box opaque",
        "set xlabel 'jobs'", "set yrange [0:*]",
    ]
    for p, (_, _, _, title) in enumerate(panels):
        for i, shape in enumerate(shapes):
            lines.append("set title %s" % gp_quote("%s: %s" % (shape, title)))
            parts = ["%s using 1:2 with linespoints %s title '%s'"
                     % (blocks[(i, p, c)], STYLE[c], LABEL[c])
                     for c in cols if (i, p, c) in blocks]
            if parts:
                lines.append("plot " + ", ".join(parts))
            else:
                lines += ["set yrange [0:1]", "set key off",
                          "set label 2 'no data' at graph 0.5, graph 0.5 center",
                          "plot 1/0 notitle", "unset label 2", "set yrange [0:*]", "set key on"]
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
    ap.add_argument("-o", "--out", help="output stem (default: RESULTS "
                    "without its extension); writes STEM.md and STEM.png")
    ap.add_argument("--no-plot", action="store_true", help="skip the PNG")
    args = ap.parse_args()
    runs, header = load(args.results)
    res = combine(runs)
    if not res:
        print("no usable records in %s" % args.results, file=sys.stderr)
        return 1
    stem = args.out or os.path.splitext(args.results)[0]
    if stem.endswith(".md"):
        stem = stem[:-3]
    if os.path.dirname(stem):
        os.makedirs(os.path.dirname(stem), exist_ok=True)
    text = ["## virtio-pmem vs virtio-blk, fsync-heavy fio (%s)" % os.path.basename(args.results),
            ""] + ["    " + h for h in header] + [
            "", loads(res), "",
            "syncs/s = fdatasync (raw) or fsync (fs, uring) calls per second, all "
            "jobs; p50/p99 = sync call latency; dev fl/sync = flush requests the "
            "device got per guest sync; host syncs/sync = fsync+fdatasync system "
            "calls of QEMU per guest sync (perf).", ""]
    text += tables(res) + host_limit(res) + goals(res)
    text = "\n".join(text) + "\n"
    with open(stem + ".md", "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)
    print("report: %s.md" % stem)
    if not args.no_plot and plot(res, stem + ".png"):
        print("plot:   %s.png" % stem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
