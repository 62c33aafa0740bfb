#!/usr/bin/env python3
"""Helpers for tests/integration/nginx.sh, Python's standard library only.

  http.py png FILE WIDTH HEIGHT RRGGBB
      writes a PNG of one colour (8-bit RGB).
  http.py count FILE RRGGBB
      decodes a PNG (8-bit RGB or RGBA, not interlaced, every filter) and
      prints how many pixels are that colour, give or take 3 a channel,
      then the width and height.
  http.py raw HOST PORT REQUEST [half]
      sends REQUEST (Python escapes: \\r\\n) on one connection, half closes
      it if told, and writes what comes back until the peer closes (or 10 s
      of silence) to stdout.
  http.py slowloris HOST PORT CONNECTIONS SECONDS
      opens CONNECTIONS connections and sends a request's headers on each
      one byte a second, never finishing them, for SECONDS; then prints how
      many were opened and how many the server had closed or reset.
  http.py burst HOST PORT PATH CONNECTIONS SECONDS
      connects CONNECTIONS at once, each sending a keep-alive GET of PATH as
      soon as it is connected and the next one as soon as an answer is
      whole, for SECONDS; then prints the fewest and the most answers one
      connection got, and how many got none.
"""
import select
import socket
import struct
import sys
import time
import zlib


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def write_png(path, width, height, rgb):
    row = b"\0" + bytes(rgb) * width  # filter 0 (none) on every row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
                png_chunk(b"IDAT", zlib.compress(row * height)) + png_chunk(b"IEND", b""))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(kind, line, prev, bpp):
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + a) & 255
        elif kind == 2:
            out[i] = (out[i] + b) & 255
        elif kind == 3:
            out[i] = (out[i] + ((a + b) >> 1)) & 255
        elif kind == 4:
            out[i] = (out[i] + paeth(a, b, c)) & 255
        elif kind != 0:
            raise ValueError("PNG: filter type %d" % kind)
    return out


def read_png(path):
    """Returns (width, height, channels, rows), each row bytes."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = ihdr
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError("PNG: depth %d, colour type %d, interlace %d" % (depth, colour, interlace))
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        prev = unfilter(raw[start], raw[start + 1:start + 1 + stride], prev, channels)
        rows.append(bytes(prev))
    return width, height, channels, rows


def count_colour(path, rgb):
    width, height, channels, rows = read_png(path)
    n = 0
    for row in rows:
        for x in range(0, len(row), channels):
            if all(abs(row[x + i] - rgb[i]) <= 3 for i in range(3)):
                n += 1
    return n, width, height


def raw_request(host, port, request, half):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(request)
    if half:
        s.shutdown(socket.SHUT_WR)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    sys.stdout.buffer.write(got)


def slowloris(host, port, count, seconds):
    text = b"GET /a.txt HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"z" * 1000
    socks = []
    for _ in range(count):
        s = socket.create_connection((host, port), timeout=10)
        s.setblocking(False)
        socks.append(s)
    fds = {s.fileno(): k for k, s in enumerate(socks)}
    closed = set()
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        for k, s in enumerate(socks):
            if k in closed:
                continue
            try:
                s.send(text[i:i + 1])
            except OSError:
                closed.add(k)
        i += 1
        # A server that answers or closes a half-sent request makes the
        # socket readable: that connection is counted as closed.
        poll = select.poll()
        for k, s in enumerate(socks):
            if k not in closed:
                poll.register(s, select.POLLIN)
        for fd, _ in poll.poll(1000):
            closed.add(fds[fd])
    for s in socks:
        s.close()
    print(len(socks), len(closed))


def burst(host, port, path, count, seconds):
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    poll, conns = select.poll(), {}
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        conns[s.fileno()] = {"sock": s, "sent": False, "buf": b"", "answers": 0}
        poll.register(s, select.POLLOUT)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for fd, ev in poll.poll(100):
            c = conns[fd]
            if not c["sent"]:
                c["sock"].send(request)
                c["sent"] = True
                poll.modify(fd, select.POLLIN)
                continue
            data = c["sock"].recv(65536) if ev & (select.POLLIN | select.POLLHUP) else b""
            if not data:
                poll.unregister(fd)  # closed by the server: it keeps its count
                continue
            c["buf"] += data
            # Whole answers: the headers, then Content-Length bytes.
            while b"\r\n\r\n" in c["buf"]:
                head, rest = c["buf"].split(b"\r\n\r\n", 1)
                length = [int(h.split(b":")[1]) for h in head.split(b"\r\n")
                          if h.lower().startswith(b"content-length:")]
                if len(rest) < (length[0] if length else 0):
                    break
                c["buf"] = rest[length[0] if length else 0:]
                c["answers"] += 1
                c["sock"].send(request)
    answers = [c["answers"] for c in conns.values()]
    for c in conns.values():
        c["sock"].close()
    print(min(answers), max(answers), answers.count(0))


def main(argv):
    cmd = argv[1]
    if cmd == "png":
        write_png(argv[2], int(argv[3]), int(argv[4]), bytes.fromhex(argv[5]))
    elif cmd == "count":
        print(*count_colour(argv[2], bytes.fromhex(argv[3])))
    elif cmd == "raw":
        request = argv[4].encode("latin-1").decode("unicode_escape").encode("latin-1")
        raw_request(argv[2], int(argv[3]), request, len(argv) > 5 and argv[5] == "half")
    elif cmd == "slowloris":
        slowloris(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
    elif cmd == "burst":
        burst(argv[2], int(argv[3]), argv[4], int(argv[5]), float(argv[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
