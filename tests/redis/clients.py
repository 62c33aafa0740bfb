#!/usr/bin/env python3
"""Redis clients the tests need and redis-cli is not (tests/integration/redis.sh).

    clients.py HOST PORT CASE

CASE is one of:
  burst       SET burst:1 1, burst:2 2, ... one at a time, printing each
              number as its +OK arrives (flushed: what is printed was
              acknowledged), until the connection fails or stays silent 5 s;
  bulk-2^40   an array whose bulk length is 2^40: Redis must answer a
              protocol error and close the connection;
  truncated   an array that promises three bulks and brings one, then closes;
  garbage     64 KiB of random bytes, then closes;
  no-reader   fills a 1 MiB value, sets a 1 MiB output-buffer limit for
              normal clients, then asks for the value 200 times without
              reading a byte: Redis must drop this client.
Prints one line saying what the server did; exits 0 when it was right.
"""
import os
import socket
import sys
import time


def connect(host, port):
    s = socket.create_connection((host, port), timeout=20)
    return s


def command(s, *args):
    """One command and its reply line (simple replies only)."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        reply += chunk
    return reply.decode(errors="replace").strip()


def read_all(s, limit=1 << 20):
    """What the server sends until it closes (or 20 s pass)."""
    got = b""
    try:
        while len(got) < limit:
            chunk = s.recv(65536)
            if not chunk:
                return got, True
            got += chunk
    except (socket.timeout, ConnectionResetError):
        return got, False
    return got, False


def main():
    host, port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = connect(host, port)
    if case == "burst":
        s.settimeout(5)
        i = 0
        try:
            while True:
                i += 1
                if command(s, "SET", "burst:%d" % i, i) != "+OK":
                    break
                print(i, flush=True)
        except OSError:
            pass
        sys.exit(0)
    if case == "bulk-2^40":
        s.sendall(b"*1\r\n$%d\r\n" % (1 << 40))
        got, closed = read_all(s)
        ok = got.startswith(b"-ERR Protocol error") and closed
        print("bulk-2^40: %r, closed %s" % (got.decode(errors="replace").strip(), closed))
    elif case == "truncated":
        s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\ntr")
        s.shutdown(socket.SHUT_WR)
        got, closed = read_all(s)
        ok = closed and got == b""
        print("truncated: %d bytes back, closed %s" % (len(got), closed))
    elif case == "garbage":
        data = os.urandom(65536)
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close first: that is an answer too
        got, closed = read_all(s)
        ok = closed or (not got.startswith(b"+") and b"-ERR" in got)
        print("garbage: %d bytes back, closed %s" % (len(got), closed))
    elif case == "no-reader":
        control = connect(host, port)
        ok = command(control, "SET", "hostile:big", b"x" * (1 << 20)) == "+OK"
        ok &= command(control, "CONFIG", "SET", "client-output-buffer-limit",
                      "normal 1mb 1mb 0") == "+OK"
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        request = b"*2\r\n$3\r\nGET\r\n$11\r\nhostile:big\r\n"
        try:
            for _ in range(200):
                s.sendall(request)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        # The server closes this client; its sockets then fail or read EOF.
        deadline = time.time() + 30
        dropped = False
        while time.time() < deadline:
            clients = command(control, "INFO", "clients")
            if clients.startswith("$"):
                want, body = int(clients[1:]) + 2, b""
                while len(body) < want:
                    body += control.recv(want - len(body))
                body = body.decode()
                connected = [l for l in body.split("\r\n") if l.startswith("connected_clients:")]
                if connected and connected[0] == "connected_clients:1":
                    dropped = True
                    break
            time.sleep(0.5)
        command(control, "CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
        command(control, "DEL", "hostile:big")
        ok &= dropped
        print("no-reader: dropped %s" % dropped)
    else:
        print("unknown case %s" % case)
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
