#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One guest boot of `make bench` (scripts/bench.sh) as JSON lines.

Reads the boot's clean serial log (tests/guest/bench.sh output), the
watcher's marker file ("NAME TRACE_LINES EPOCH LOAD1 [late]" when a
PHASE marker appeared), QEMU's trace log and the perf syscall counts of
scripts/vm.sh --syscall-counts, and prints one JSON object per fio run:

  column, kind, shape, workload, region, jobs, round,
  syncs, seconds, syncs_per_s, sync_p50_us, sync_p99_us,
  writes, write_p50_us, write_p99_us,
  dev_flushes   flush requests the device got (virtio-pmem:
                virtio_pmem_flush_request events; virtio-blk:
                virtio_blk_req_complete - _handle_write - _handle_read)
  host_syncs    fsync + fdatasync system calls of the QEMU process
                (perf), null without perf
  host_flush_p50_us/p99_us  virtio-pmem only: request -> done time of the
                device's flushes (trace timestamps)
  guest_requests/guest_callers/guest_coalesced  our driver's counters
  load1_begin/load1_end  the host's 1-minute load at the markers

Problems (a run without JSON, a marker missing, a BENCHRUN fail line) are
printed to stderr as "PROBLEM ..." lines; the exit status is 1 if any.
"""

import argparse
import json
import re
import sys

TRACE_RE = re.compile(r"^(?:\d+@(\d+\.\d+):)?(\w+)")


def pct(lat, p):
    """Percentile p (e.g. "50.000000") of a fio lat_ns block, in us."""
    if not lat or not lat.get("N"):
        return None
    v = (lat.get("percentile") or {}).get(p)
    return None if v is None else v / 1000.0


def parse_serial(path):
    """-> (fio JSON by run name, fail reasons by name, STATP values)."""
    fio, fails, statp = {}, {}, {}
    cur, buf = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if cur is not None:
                if line == "FIOJSON-END " + cur:
                    try:
                        fio[cur] = json.loads("\n".join(buf))
                    except json.JSONDecodeError as e:
                        fails[cur] = "fio JSON unreadable: %s" % e
                    cur, buf = None, []
                else:
                    buf.append(line)
                continue
            if line.startswith("FIOJSON-BEGIN "):
                cur, buf = line.split(" ", 1)[1], []
            elif line.startswith("BENCHRUN "):
                w = line.split(" ", 3)
                if len(w) >= 3 and w[2] == "fail":
                    fails[w[1]] = w[3] if len(w) > 3 else "failed"
            elif line.startswith("STATP "):
                w = line.split()
                if len(w) == 4 and w[3].isdigit():
                    statp[(w[1], w[2])] = int(w[3])
    return fio, fails, statp


def parse_markers(path):
    m = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if len(w) >= 4:
                m[w[0]] = {"lines": int(w[1]), "epoch": float(w[2]),
                           "load1": float(w[3]), "late": len(w) > 4}
    return m


def read_trace(path):
    """[(epoch or None, event)] per line of the trace log."""
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                mo = TRACE_RE.match(line)
                if mo:
                    out.append((float(mo.group(1)) if mo.group(1) else None,
                                mo.group(2)))
                else:
                    out.append((None, ""))
    except FileNotFoundError:
        pass
    return out


def read_perf(path):
    """[(epoch of the interval's end, count)] of fsync+fdatasync, or None."""
    try:
        with open(path + ".t0", encoding="utf-8") as f:
            t0 = float(f.read().strip())
        rows = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                w = line.strip().split(",")
                if len(w) < 4 or line.startswith("#"):
                    continue
                try:
                    t = float(w[0])
                except ValueError:
                    continue
                n = int(w[1]) if w[1].isdigit() else 0
                rows[t] = rows.get(t, 0) + n
        return [(t0 + t, n) for t, n in sorted(rows.items())]
    except (FileNotFoundError, ValueError):
        return None


def quantile(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serial", required=True)
    ap.add_argument("--markers", required=True)
    ap.add_argument("--trace", required=True)
    ap.add_argument("--perf", required=True)
    ap.add_argument("--column", required=True)
    ap.add_argument("--kind", choices=("pmem", "blk"), required=True)
    ap.add_argument("--round", type=int, default=1)
    ap.add_argument("--runs", required=True,
                    help="expected run names, comma separated")
    a = ap.parse_args()

    fio, fails, statp = parse_serial(a.serial)
    markers = parse_markers(a.markers)
    trace = read_trace(a.trace)
    perf = read_perf(a.perf)
    problems = 0

    def problem(msg):
        nonlocal problems
        problems += 1
        print("PROBLEM %s: %s" % (a.column, msg), file=sys.stderr)

    for name in a.runs.split(","):
        if name in fails:
            problem("%s: %s" % (name, fails[name]))
            continue
        if name not in fio:
            problem("%s: no fio result in the serial log" % name)
            continue
        b, e = markers.get(name + "-begin"), markers.get(name + "-end")
        if not b or not e:
            problem("%s: PHASE markers not seen" % name)
            continue
        shape, wl, reg, jobs = re.match(r"^(.+)-(raw|fs|uring)-([LS])-t(\d+)$",
                                        name).groups()
        job = fio[name]["jobs"][0]
        w = job["write"]
        sync = job.get("sync") or {}
        sec = w["runtime"] / 1000.0
        syncs = (sync.get("lat_ns") or {}).get("N", 0)
        rec = {
            "column": a.column, "kind": a.kind, "shape": shape,
            "workload": wl, "region": reg, "jobs": int(jobs),
            "round": a.round, "syncs": syncs, "seconds": sec,
            "syncs_per_s": syncs / sec if sec else None,
            "sync_p50_us": pct(sync.get("lat_ns"), "50.000000"),
            "sync_p99_us": pct(sync.get("lat_ns"), "99.000000"),
            "writes": w["total_ios"],
            "write_p50_us": pct(w.get("clat_ns"), "50.000000"),
            "write_p99_us": pct(w.get("clat_ns"), "99.000000"),
            "load1_begin": b["load1"], "load1_end": e["load1"],
            "fio": fio[name].get("fio version"),
        }
        if e["late"]:
            rec["note"] = "end marker sampled after QEMU exited"
        ev = trace[b["lines"]:e["lines"]]
        names = [x[1] for x in ev]
        if a.kind == "pmem":
            rec["dev_flushes"] = names.count("virtio_pmem_flush_request")
            reqs = [t for t, n in ev if n == "virtio_pmem_flush_request" and t]
            dones = [t for t, n in ev if n == "virtio_pmem_flush_done" and t]
            lat = [(d - r) * 1e6 for r, d in zip(reqs, dones) if d >= r]
            rec["host_flush_p50_us"] = quantile(lat, 0.5)
            rec["host_flush_p99_us"] = quantile(lat, 0.99)
        else:
            rec["dev_flushes"] = (names.count("virtio_blk_req_complete")
                                  - names.count("virtio_blk_handle_write")
                                  - names.count("virtio_blk_handle_read"))
        if perf is None:
            rec["host_syncs"] = None
        else:
            rec["host_syncs"] = sum(n for t, n in perf
                                    if b["epoch"] < t <= e["epoch"] + 0.1)
        for c in ("requests", "callers", "coalesced"):
            v0 = statp.get((name + "-begin", c))
            v1 = statp.get((name + "-end", c))
            if v0 is not None and v1 is not None:
                rec["guest_" + c] = v1 - v0
        print(json.dumps(rec, separators=(",", ":")))
    for name in sorted(set(fails) - set(a.runs.split(","))):
        problem("%s: %s" % (name, fails[name]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
