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

COUNTS are the QEMU trace event totals since boot: plug=, unplug=,
unplug_all=, state= (requests), plug_blocks=, unplug_blocks= (device blocks
named in the requests) and ack=, nack=, busy=, error= (responses).  The
trace log must come from -trace 'virtio_mem_*'.  Every exchange is logged
with a timestamp to CTL.LOG.  Exits when QEMU closes the socket.
"""

import argparse
import os
import re
import socket
import sys
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
        self.t0 = time.monotonic()
        self.last_set = None
        self.last_mark = None
        self.qmp = None
        self.dimms = 0

    def note(self, msg):
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
        if cmd == "HELLO":
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
