#!/usr/bin/env python3
"""When a server guest first answers (bench/guest.sh's guest_boot).

Usage: ready.py PID DEADLINE_S http HOST PORT PATH
       ready.py PID DEADLINE_S redis HOST PORT

Tries every 10 ms until the server answers a request (an HTTP status line
of 200, or +PONG to PING) and prints the time of that answer (seconds since
the epoch, as bash's EPOCHREALTIME); exits 1 when PID ends or the deadline
passes. One process, which sends a new SYN every 10 ms: a client that
starts a program per try, with a connect timeout, would measure its own
timeout whenever a SYN went out before the guest had the tap (the host
drops it), 0.2 s at a time.
"""
import errno
import os
import select
import socket
import sys
import time

TRY_S = 0.01
PENDING_MAX = 50
ANSWER_S = 5.0


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


def main():
    if len(sys.argv) < 6 or sys.argv[3] not in ("http", "redis"):
        sys.exit(__doc__.split("\n\n")[1])
    pid, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
    kind, host, port = sys.argv[3], sys.argv[4], int(sys.argv[5])
    if kind == "http":
        path = sys.argv[6] if len(sys.argv) > 6 else "/"
        request = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode()
        good = b"HTTP/1.1 200"
    else:
        request, good = b"PING\r\n", b"+PONG\r\n"
    # A new connect every TRY_S, the older ones left pending (a slow SYN-ACK
    # still counts); the first to connect is asked.
    pending = []
    while time.monotonic() < deadline and alive(pid):
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
