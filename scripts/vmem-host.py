#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host half of the virtio-mem guest scenarios and benchmark.

  vmem-host.py --ctl SOCK --qmp SOCK --trace TRACE.LOG --log CTL.LOG [--dev vm0]

The guest talks to this process over a second serial port (ttyS1), which
scripts/vm.sh connects to the unix socket SOCK (QEMU is the server; this
process connects, retrying until QEMU is up).  One request per line, one
reply per line:

  HELLO                 -> HELLO addr=A max=M block=B size=S req=R
  SET BYTES             -> OK                 (qom-set vm0 requested-size)
  WAIT BYTES SEC [STALL] -> DONE|TIMEOUT|STALLED set=T wait=W size=S req=R COUNTS
                           polls query-memory-devices every 50 ms until the
                           device's size == BYTES, SEC seconds passed, or
                           (STALL > 0) the size did not move for STALL s;
                           T = seconds since the last SET, W = since WAIT,
                           mark=M seconds since the last MARK (-1: none)
  QUERY                 -> INFO size=S req=R COUNTS
  IDLE SEC              -> IDLE size0=S size1=S DELTAS (counts during SEC s)
  MARK NAME             -> OK                 (starts the mark= timer)
  DIMM BYTES ALIGN      -> OK id=I addr=A size=S  hot-adds a pc-dimm of BYTES
                           (memory-backend-ram) at the first ALIGN-aligned
                           address above every memory device (the guest
                           adds only memory-block-aligned DIMMs); needs
                           vm.sh --dimm-room
  DEV ID                -> OK                 (later requests are about
                           memory device ID, e.g. vm1; default --dev)
  EVENTS NAME...        -> EVENTS NAME=N...   lines of trace event NAME in the
                           trace log since boot (any event it holds, e.g.
                           virtio_pmem_flush_request when traced too)
  S3ARM SEC HOLD        -> OK                 a real S3 is coming: in the
                           background, poll query-status every 50 ms for
                           SEC s until the VM is "suspended" (the guest
                           entered S3: QMP event SUSPEND), keep it there
                           HOLD s, then system_wakeup and wait (30 s) for
                           the WAKEUP event (QEMU's wakeup reset is done)
  S3REPORT              -> S3 suspended=0|1 woken=0|1 to_suspend=T
                           asleep=A wake=W status=S events=E...
                           size_before=B size_after=C
                           stops waiting for a suspend that did not come,
                           then the watcher's findings: T = seconds from
                           S3ARM until QEMU was suspended, A = seconds
                           between QEMU's SUSPEND and WAKEUP events (their
                           timestamps), W = seconds from system_wakeup
                           until WAKEUP, S = the run state seen before
                           system_wakeup, E = the QMP events of the cycle,
                           B and C = the device's size (QMP) when armed
                           and after the wakeup; the same line goes to
                           CTL.LOG ("s3: S3 ...") when the cycle ends

COUNTS are the QEMU trace event totals since boot: plug=, unplug=,
unplug_all=, state= (requests), plug_blocks=, unplug_blocks= (device blocks
named in the requests) and ack=, nack=, busy=, error= (responses).  The
trace log must come from -trace 'virtio_mem_*'.  Every exchange is logged
with a timestamp to CTL.LOG, and at the first HELLO the features the
device offers (QMP x-query-virtio-status: "features DEV
persistent_suspend=0|1 ...").  Any request other than S3ARM first ends
the S3 watcher's wait for a suspend (the guest only talks again once it
runs) and waits for the watcher: QMP is never used by both at once (a
line that is no request, e.g. noise on the port, leaves it waiting).
Exits when QEMU closes the socket.
"""

import argparse
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP  # noqa: E402

EVENTS = {
    "virtio_mem_plug_request": "plug",
    "virtio_mem_unplug_request": "unplug",
    "virtio_mem_unplug_all_request": "unplug_all",
    "virtio_mem_state_request": "state",
}
RESPONSES = {0: "ack", 1: "nack", 2: "busy", 3: "error"}
KEYS = ("plug", "unplug", "unplug_all", "state", "plug_blocks",
        "unplug_blocks", "ack", "nack", "busy", "error")
EVENT_RE = re.compile(r"(virtio_mem_[a-z_]+)\s*(.*)")
NB_RE = re.compile(r"nb_blocks=(\d+)")
TYPE_RE = re.compile(r"type=(\d+)")
# an event line: "NAME args" or, with a pid/timestamp prefix, "PID@T:NAME args"
NAME_RE = re.compile(r"^(?:\d+@[\d.]+:)?([a-z0-9_]+)")
# VIRTIO_MEM_F_PERSISTENT_SUSPEND: QEMU 10.0 names it (as ..._PERSISTENT_SUSPND),
# QEMU 7.2 names no virtio-mem feature (bits in unknown-dev-features)
PERSISTENT_SUSPEND_BIT = 2
REQUESTS = ("HELLO", "SET", "WAIT", "QUERY", "IDLE", "MARK", "DIMM", "DEV",
            "EVENTS", "S3ARM", "S3REPORT")


class Trace:
    """Incremental counter over QEMU's trace log."""

    def __init__(self, path):
        self.path = path
        self.off = 0
        self.partial = ""
        self.counts = dict.fromkeys(KEYS, 0)
        self.events = {}

    def update(self):
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                f.seek(self.off)
                data = f.read()
                self.off = f.tell()
        except FileNotFoundError:
            return self.counts
        data = self.partial + data
        lines = data.split("\n")
        self.partial = lines.pop()
        for line in lines:
            n = NAME_RE.match(line)
            if n:
                self.events[n.group(1)] = self.events.get(n.group(1), 0) + 1
            m = EVENT_RE.search(line)
            if not m:
                continue
            ev, rest = m.group(1), m.group(2)
            if ev in EVENTS:
                key = EVENTS[ev]
                self.counts[key] += 1
                nb = NB_RE.search(rest)
                if nb and key in ("plug", "unplug"):
                    self.counts[key + "_blocks"] += int(nb.group(1))
            elif ev == "virtio_mem_send_response":
                t = TYPE_RE.search(rest)
                if t and int(t.group(1)) in RESPONSES:
                    self.counts[RESPONSES[int(t.group(1))]] += 1
        return dict(self.counts)


def fmt_counts(c):
    return " ".join("%s=%d" % (k, c[k]) for k in KEYS)


class Host:
    def __init__(self, args):
        self.args = args
        self.trace = Trace(args.trace)
        self.log = open(args.log, "a", encoding="utf-8")
        self.log_lock = threading.Lock()
        self.t0 = time.monotonic()
        self.last_set = None
        self.last_mark = None
        self.qmp = None
        self.dimms = 0
        self.features_noted = False
        self.s3_thread = None
        self.s3_stop = threading.Event()
        self.s3_result = None

    def note(self, msg):
        with self.log_lock:
            self.log.write("%9.3f %s\n" % (time.monotonic() - self.t0, msg))
            self.log.flush()

    def q(self):
        if self.qmp is None:
            self.qmp = QMP(self.args.qmp, wait=30)
        return self.qmp

    def dev(self):
        for d in self.q().memory_devices():
            data = d.get("data", {})
            if data.get("id") == self.args.dev:
                return data
        raise RuntimeError("no memory device %s" % self.args.dev)

    def note_features(self):
        """Log once what the device offers (not what the guest took)."""
        if self.features_noted:
            return
        self.features_noted = True
        path = "/machine/peripheral/%s/virtio-backend" % self.args.dev
        try:
            hf = self.q().cmd("x-query-virtio-status", path=path).get(
                "host-features", {})
        except Exception as e:  # an older QEMU: nothing to say
            self.note("features %s unknown (%s)" % (self.args.dev, e))
            return
        names = [n.split(":")[0] for n in hf.get("dev-features", [])]
        unknown = int(hf.get("unknown-dev-features", 0))
        ps = any(n.startswith("VIRTIO_MEM_F_PERSISTENT_SUSP") for n in names) \
            or bool(unknown & (1 << PERSISTENT_SUSPEND_BIT))
        self.note("features %s persistent_suspend=%d dev-features=%s "
                  "unknown-dev-features=0x%x" % (self.args.dev, ps,
                                                 ",".join(names) or "-",
                                                 unknown))

    def status(self):
        return self.q().cmd("query-status")["status"]

    def take_events(self, names):
        """QMP events NAME collected so far (removed from the queue)."""
        q = self.q()
        got = [e for e in q.events if e.get("event") in names]
        q.events = [e for e in q.events if e.get("event") not in names]
        return got

    def s3_watch(self, limit, hold):
        """Background half of S3ARM: wake the VM once it is suspended."""
        self.s3_watch_cycle(limit, hold)
        # logged here too: a guest that lost its memory may never ask
        self.note("s3: " + self.s3_result)

    def s3_watch_cycle(self, limit, hold):
        t0 = time.monotonic()
        seen = []
        status = None
        try:
            self.take_events(("SUSPEND", "WAKEUP"))
            size0 = self.dev()["size"]
            while True:
                status = self.status()
                if status == "suspended" or self.s3_stop.is_set() or \
                        time.monotonic() - t0 >= limit:
                    break
                time.sleep(0.05)
            seen += self.take_events(("SUSPEND", "WAKEUP"))
            if status != "suspended":
                self.s3_result = "S3 suspended=0 woken=0 waited=%.2f status=%s events=%s" % (
                    time.monotonic() - t0, status,
                    ",".join(e["event"] for e in seen) or "-")
                return
            to_suspend = time.monotonic() - t0
            self.note("s3: suspended after %.2fs, waking in %gs" % (to_suspend, hold))
            time.sleep(hold)
            before = self.status()
            self.q().cmd("system_wakeup")
            t_wake = time.monotonic()
            woken = None
            while time.monotonic() - t_wake < 30:
                self.status()
                got = self.take_events(("SUSPEND", "WAKEUP"))
                seen += got
                if any(e["event"] == "WAKEUP" for e in got):
                    woken = time.monotonic() - t_wake
                    break
                time.sleep(0.05)
            size1 = self.dev()["size"]
            ts = {e["event"]: e["timestamp"]["seconds"] +
                  e["timestamp"]["microseconds"] / 1e6 for e in seen}
            asleep = ts["WAKEUP"] - ts["SUSPEND"] if len(ts) == 2 else -1
            self.s3_result = ("S3 suspended=1 woken=%d to_suspend=%.2f asleep=%.2f "
                              "wake=%.3f status=%s events=%s size_before=%d "
                              "size_after=%d") % (
                woken is not None, to_suspend, asleep,
                -1 if woken is None else woken, before,
                ",".join(e["event"] for e in seen) or "-", size0, size1)
        except Exception as e:  # the guest gets it with S3REPORT
            self.s3_result = "S3 suspended=0 woken=0 error=%s" % str(e).replace(" ", "_")

    def s3_join(self):
        """End the watcher's wait for a suspend, wait for it to finish."""
        if self.s3_thread is None:
            return
        self.s3_stop.set()
        self.s3_thread.join()
        self.s3_thread = None

    def dimm(self, size, align):
        end = 0
        for d in self.q().memory_devices():
            data = d.get("data", {})
            base = data.get("memaddr", data.get("addr"))
            length = data.get("max-size", data.get("size"))
            if base is not None and length is not None:
                end = max(end, base + length)
        addr = (end + align - 1) // align * align
        self.dimms += 1
        ident = "dimm%d" % self.dimms
        self.q().cmd("object-add", **{"qom-type": "memory-backend-ram",
                                      "id": ident + "mem", "size": size})
        self.q().cmd("device_add", driver="pc-dimm", id=ident,
                     memdev=ident + "mem", addr=addr)
        return "OK id=%s addr=%d size=%d" % (ident, addr, size)

    def handle(self, words):
        cmd = words[0].upper() if words else ""
        if cmd in REQUESTS and cmd != "S3ARM":
            self.s3_join()
        if cmd == "S3ARM" and len(words) == 3:
            self.s3_join()
            self.s3_stop.clear()
            self.s3_result = None
            self.s3_thread = threading.Thread(
                target=self.s3_watch, args=(float(words[1]), float(words[2])),
                daemon=True)
            self.s3_thread.start()
            return "OK"
        if cmd == "S3REPORT":
            return self.s3_result or "S3 suspended=0 woken=0 not-armed"
        if cmd == "HELLO":
            self.note_features()
            d = self.dev()
            return "HELLO addr=%d max=%d block=%d size=%d req=%d" % (
                d["memaddr"], d["max-size"], d["block-size"], d["size"],
                d["requested-size"])
        if cmd == "SET" and len(words) == 2:
            self.q().qom_set("/machine/peripheral/" + self.args.dev,
                             "requested-size", int(words[1]))
            self.last_set = time.monotonic()
            return "OK"
        if cmd == "WAIT" and len(words) in (3, 4):
            want, limit = int(words[1]), float(words[2])
            stall = float(words[3]) if len(words) == 4 else 0
            start = changed = time.monotonic()
            last = None
            verdict = "TIMEOUT"
            while True:
                d = self.dev()
                now = time.monotonic()
                if d["size"] != last:
                    last, changed = d["size"], now
                if d["size"] == want:
                    verdict = "DONE"
                    break
                if now - start >= limit:
                    break
                if stall > 0 and now - changed >= stall:
                    verdict = "STALLED"
                    break
                time.sleep(0.05)
            now = time.monotonic()
            since_set = now - self.last_set if self.last_set else -1
            since_mark = now - self.last_mark if self.last_mark else -1
            return "%s set=%.2f wait=%.2f mark=%.2f size=%d req=%d %s" % (
                verdict, since_set, now - start, since_mark,
                d["size"], d["requested-size"],
                fmt_counts(self.trace.update()))
        if cmd == "QUERY":
            d = self.dev()
            return "INFO size=%d req=%d %s" % (d["size"], d["requested-size"],
                                               fmt_counts(self.trace.update()))
        if cmd == "IDLE" and len(words) == 2:
            d0 = self.dev()
            c0 = self.trace.update()
            time.sleep(float(words[1]))
            d1 = self.dev()
            c1 = self.trace.update()
            return "IDLE size0=%d size1=%d %s" % (
                d0["size"], d1["size"],
                " ".join("%s=%d" % (k, c1[k] - c0[k]) for k in KEYS))
        if cmd == "EVENTS" and len(words) >= 2:
            self.trace.update()
            return "EVENTS " + " ".join(
                "%s=%d" % (w, self.trace.events.get(w, 0)) for w in words[1:])
        if cmd == "DEV" and len(words) == 2:
            self.args.dev = words[1]
            self.dev()
            return "OK"
        if cmd == "DIMM" and len(words) == 3:
            return self.dimm(int(words[1]), int(words[2]))
        if cmd == "MARK":
            self.last_mark = time.monotonic()
            return "OK"
        return "ERR unknown request"

    def serve(self):
        deadline = time.monotonic() + 60
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.args.ctl)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    self.note("cannot connect to %s" % self.args.ctl)
                    return 1
                time.sleep(0.1)
        self.note("connected to %s" % self.args.ctl)
        buf = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode(errors="replace").strip("\r\x00 ")
                if not line:
                    continue
                self.note("< " + line)
                try:
                    reply = self.handle(line.split())
                except Exception as e:  # keep serving: the guest reports it
                    reply = "ERR %s" % str(e).replace("\n", " ")
                self.note("> " + reply)
                s.sendall(reply.encode() + b"\n")
        self.note("socket closed")
        self.trace.update()
        self.note("final " + fmt_counts(self.trace.counts))
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--qmp", required=True)
    ap.add_argument("--trace", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--dev", default="vm0")
    return Host(ap.parse_args()).serve()


if __name__ == "__main__":
    sys.exit(main())
