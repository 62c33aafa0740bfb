#!/usr/bin/env python3
"""When a server guest first answers, or its console first has a line
(bench/guest.sh's guest_boot, bench/libvirt.sh).

Usage: ready.py [--neigh DEV MAC|FILE] PID DEADLINE_S http HOST PORT PATH
       ready.py [--neigh DEV MAC|FILE] PID DEADLINE_S redis HOST PORT
       ready.py PID DEADLINE_S line FILE REGEX

Tries every 10 ms until the server answers a request (an HTTP status line
of 200, or +PONG to PING), or until FILE has a line that REGEX (Python's
re) matches, and prints the time of the answer, or of FILE's last write
when the line is seen (the line's own time when nothing came after it, as
on the console of a server that waits), in seconds since the epoch as
bash's EPOCHREALTIME; exits 1 when PID ends or the deadline passes. FILE
is read once more after PID has ended: a short run may end right after
the line. One process, which sends a new SYN every 10 ms: a client that
starts a program per try, with a connect timeout, would measure its own
timeout whenever a SYN went out before the guest had the tap (the host
drops it), 0.2 s at a time.

--neigh, for a tap that its VMM makes as it starts (libvirt, or run.sh
when there is none), so that bench/guest.sh's guest_netns cannot give the
guest its neighbour entry beforehand: as soon as the tap DEV exists, HOST
gets a permanent entry there for MAC, or for the first <mac address='...'/>
in FILE (the domain's XML that libvirt saves at define). Without one, a
SYN sent before the guest is up leaves an ARP request unanswered, tried
again a second later, and the time is rounded up to seconds.
"""
import errno
import os
import re
import select
import socket
import subprocess
import sys
import time

TRY_S = 0.01
PENDING_MAX = 50
ANSWER_S = 5.0
MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def answer(s, request, good):
    """True when the server answers request on the connected s with a reply starting with good."""
    try:
        s.setblocking(True)
        s.settimeout(ANSWER_S)
        s.sendall(request)
        reply = b""
        while len(reply) < len(good):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply.startswith(good)
    except OSError:
        return False


def pin(dev, host, mac):
    """True once host has a permanent neighbour entry on dev; False while dev or the MAC is not there yet."""
    if not os.path.exists("/sys/class/net/" + dev):
        return False
    if not MAC.fullmatch(mac):
        try:
            with open(mac) as f:
                found = re.search(r"<mac address='(%s)'" % MAC.pattern, f.read())
        except OSError:
            return False
        if not found:
            return False
        mac = found.group(1)
    cmd = ["ip", "neigh", "replace", host, "lladdr", mac, "dev", dev, "nud", "permanent"]
    return subprocess.run(cmd, stderr=subprocess.DEVNULL).returncode == 0


def line_time(path, regex):
    """When path was last written, if it has a line that regex matches; else None."""
    try:
        with open(path, "rb") as f:
            if regex.search(f.read().decode(errors="replace").replace("\r", "")):
                return os.fstat(f.fileno()).st_mtime
    except OSError:
        pass
    return None


def wait_line(pid, deadline, path, regex):
    while time.monotonic() < deadline:
        running = alive(pid)
        t = line_time(path, regex)
        if t is not None:
            print("%.6f" % t)
            return
        if not running:
            break
        time.sleep(TRY_S)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    neigh = None
    if args[:1] == ["--neigh"]:
        neigh, args = args[1:3], args[3:]
    if len(args) < 5 or args[2] not in ("http", "redis", "line") or (neigh and len(neigh) < 2):
        sys.exit(__doc__.split("\n\n")[1])
    pid, deadline = int(args[0]), time.monotonic() + float(args[1])
    if args[2] == "line":
        wait_line(pid, deadline, args[3], re.compile(args[4], re.M))
        return
    kind, host, port = args[2], args[3], int(args[4])
    if kind == "http":
        path = args[5] if len(args) > 5 else "/"
        request = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode()
        good = b"HTTP/1.1 200"
    else:
        request, good = b"PING\r\n", b"+PONG\r\n"
    # A new connect every TRY_S, the older ones left pending (a slow SYN-ACK
    # still counts); the first to connect is asked.
    pending = []
    while time.monotonic() < deadline and alive(pid):
        if neigh and pin(neigh[0], host, neigh[1]):
            neigh = None
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        r = s.connect_ex((host, port))
        if r in (0, errno.EINPROGRESS):
            pending.append(s)
        else:
            s.close()
        if len(pending) > PENDING_MAX:
            pending.pop(0).close()
        end = time.monotonic() + TRY_S
        while pending and time.monotonic() < end:
            _, ready, _ = select.select([], pending, [], max(0.0, end - time.monotonic()))
            for c in ready:
                pending.remove(c)
                ok = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and answer(c, request, good)
                c.close()
                if ok:
                    print("%.6f" % time.time())
                    return
        time.sleep(max(0.0, end - time.monotonic()))
    sys.exit(1)


main()
