#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tiny QMP client (standard library only).

  qmp.py SOCK CMD [JSON-ARGS]          any command, prints the "return" as JSON
  qmp.py SOCK qom-get PATH PROP         one property
  qmp.py SOCK qom-set PATH PROP VALUE   VALUE is JSON if it parses, else a string
  qmp.py SOCK memdevs                   query-memory-devices, one line per device
  qmp.py SOCK wait-event NAME [SEC]     block until event NAME (default 30 s)
  qmp.py SOCK device-del ID [SEC]       device_del ID, then block until its
                                        DEVICE_DELETED (default 30 s): one
                                        connection, so the event is not missed

Options before SOCK: --wait SEC (wait for the socket to appear, default 10).
Exit status: 0 on success, 1 on a QMP error, 2 on usage/connection errors.
Importable: QMP(path).cmd(name, **args).
"""

import json
import os
import socket
import sys
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, wait=10.0):
        deadline = time.monotonic() + wait
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        self.file = self.sock.makefile("rwb")
        self.events = []
        self.next_id = 0
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError("not a QMP greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name, **args):
        self.next_id += 1
        msg = {"execute": name, "id": self.next_id}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg).encode() + b"\n")
        self.file.flush()
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if reply.get("id") != self.next_id:
                continue
            if "error" in reply:
                err = reply["error"]
                raise QMPError("%s: %s" % (err.get("class"), err.get("desc")))
            return reply.get("return")

    def wait_event(self, name, timeout=30.0):
        for ev in self.events:
            if ev["event"] == name:
                self.events.remove(ev)
                return ev
        self.sock.settimeout(timeout)
        try:
            while True:
                reply = self._read()
                if reply.get("event") == name:
                    return reply
                if "event" in reply:
                    self.events.append(reply)
        finally:
            self.sock.settimeout(None)

    def device_del(self, dev_id, timeout=30.0):
        """device_del DEV_ID; return its DEVICE_DELETED event (the guest
        has to release the device first: hotplug in the guest)."""
        self.cmd("device_del", id=dev_id)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            ev = self.wait_event("DEVICE_DELETED", left)
            if ev.get("data", {}).get("device") == dev_id:
                return ev

    def qom_get(self, path, prop):
        return self.cmd("qom-get", path=path, property=prop)

    def qom_set(self, path, prop, value):
        return self.cmd("qom-set", path=path, property=prop, value=value)

    def memory_devices(self):
        return self.cmd("query-memory-devices")

    def close(self):
        self.sock.close()


def parse_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def format_memdev(dev):
    data = dev.get("data", {})
    keys = ("id", "memdev", "size", "requested-size", "max-size",
            "block-size", "addr", "node")
    fields = ["type=%s" % dev.get("type")]
    fields += ["%s=%s" % (k, data[k]) for k in keys if k in data]
    return " ".join(fields)


def main(argv):
    wait = 10.0
    if len(argv) >= 2 and argv[0] == "--wait":
        wait = float(argv[1])
        argv = argv[2:]
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    path, cmd, rest = argv[0], argv[1], argv[2:]
    try:
        q = QMP(path, wait)
    except (OSError, ConnectionError) as e:
        sys.stderr.write("qmp: cannot connect to %s: %s\n" % (path, e))
        return 2
    try:
        if cmd == "qom-get" and len(rest) == 2:
            out = q.qom_get(rest[0], rest[1])
        elif cmd == "qom-set" and len(rest) == 3:
            out = q.qom_set(rest[0], rest[1], parse_value(rest[2]))
        elif cmd == "memdevs" and not rest:
            for dev in q.memory_devices():
                print(format_memdev(dev))
            return 0
        elif cmd == "wait-event" and len(rest) in (1, 2):
            out = q.wait_event(rest[0], float(rest[1]) if len(rest) == 2 else 30.0)
        elif cmd == "device-del" and len(rest) in (1, 2):
            out = q.device_del(rest[0], float(rest[1]) if len(rest) == 2 else 30.0)
        elif cmd in ("qom-get", "qom-set", "memdevs", "wait-event", "device-del"):
            sys.stderr.write(__doc__)
            return 2
        else:
            args = json.loads(rest[0]) if rest else {}
            out = q.cmd(cmd, **args)
    except QMPError as e:
        sys.stderr.write("qmp: %s\n" % e)
        return 1
    except socket.timeout:
        sys.stderr.write("qmp: timed out\n")
        return 1
    except (ConnectionError, OSError) as e:
        sys.stderr.write("qmp: %s\n" % e)
        return 1
    finally:
        q.close()
    if isinstance(out, str):
        sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    else:
        print(json.dumps(out, indent=None if isinstance(out, (int, float)) else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
