#!/usr/bin/python3
"""Hostile and lossy peers for the guest's TCP (tests/integration/tcp_hostile.sh).

usage: tcp_hostile.py relay GUEST_IF HOST_TAP [--loss P] [--reorder P] [--delay MS]
       tcp_hostile.py flood IFACE GUEST_IP GUEST_MAC --port N [--count N]
       tcp_hostile.py attack IFACE GUEST_IP GUEST_MAC --port N

relay: an impaired link between the guest's tap (GUEST_IF, read and written
  through a packet socket) and a tap of its own (HOST_TAP, made here, which
  the test moves into the host's namespace). Every IPv4 frame, both ways, is
  dropped with probability P% (--loss), else sent at once with probability
  P% (--reorder), else held --delay ms: the frames sent at once overtake the
  held ones, as netem's reorder does. ARP passes untouched. Stands in for
  'tc qdisc ... netem' where the kernel has no netem, and impairs both
  directions (netem on the tap's root only delays what the host sends).
  Runs until SIGTERM, then prints what it dropped, per direction, and how
  many of the dropped frames were TCP segments that carried data.
flood: COUNT SYNs to the port from addresses in 172.44.0.100-250 that no host
  answers for, and random ports: half-open connections that never complete.
attack: opens a real connection to the echo port, learns its sequence
  numbers from the segments on IFACE, and sends, on that 4-tuple, segments
  with a bad checksum, bad data offsets, sequence numbers outside the
  window, RSTs with in-window but inexact sequence numbers, and a SYN, each
  carrying data that would show in the echo. Then it sends a line on the
  real connection: the echo must be that line alone. Exit status 0 then.
Needs Debian's python3-scapy (flood, attack): run it with /usr/bin/python3,
as root, inside the test's network namespace, never on a real interface.
"""
import argparse
import fcntl
import heapq
import logging
import os
import random
import select
import signal
import socket
import struct
import sys
import time

HOST_IP = "172.44.0.1"
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
FRAME_MAX = 65536


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def tcp_payload(frame):
    """The TCP payload length of an Ethernet+IPv4 frame (0 for anything else)."""
    if len(frame) < 34 or frame[23] != socket.IPPROTO_TCP:
        return 0
    ihl = (frame[14] & 0x0F) * 4
    if len(frame) < 14 + ihl + 13:
        return 0
    total = struct.unpack("!H", frame[16:18])[0]
    doff = (frame[14 + ihl + 12] >> 4) * 4
    return max(0, total - ihl - doff)


def relay(args):
    """Frames between the guest's tap and our own, impaired; see the module's text."""
    guest = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    guest.bind((args.guest_if, 0))
    host = open_tap(args.host_tap)
    held = []  # (due, order, direction, frame)
    order = 0
    dropped = {"to-host": 0, "to-guest": 0}
    dropped_data = {"to-host": 0, "to-guest": 0}
    passed = {"to-host": 0, "to-guest": 0}
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    print(f"relay: {args.guest_if} <-> {args.host_tap}, loss {args.loss}%, "
          f"reorder {args.reorder}%, delay {args.delay} ms", flush=True)

    def emit(direction, frame):
        try:
            if direction == "to-host":
                os.write(host, frame)
            else:
                guest.send(frame)
        except OSError:
            pass  # a frame the other side refused is one more loss

    def arrive(direction, frame):
        nonlocal order
        if frame[12:14] != b"\x08\x00":
            emit(direction, frame)
            return
        r = random.uniform(0, 100)
        if r < args.loss:
            dropped[direction] += 1
            if tcp_payload(frame):
                dropped_data[direction] += 1
            return
        passed[direction] += 1
        if random.uniform(0, 100) < args.reorder:
            emit(direction, frame)
        else:
            order += 1
            heapq.heappush(held, (time.monotonic() + args.delay / 1000, order, direction, frame))

    while running[0]:
        timeout = max(0, held[0][0] - time.monotonic()) if held else 0.5
        try:
            ready, _, _ = select.select([guest, host], [], [], timeout)
        except InterruptedError:
            continue
        if guest in ready:
            frame, addr = guest.recvfrom(FRAME_MAX)
            if addr[2] != PACKET_OUTGOING:
                arrive("to-host", frame)
        if host in ready:
            arrive("to-guest", os.read(host, FRAME_MAX))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, direction, frame = heapq.heappop(held)
            emit(direction, frame)
    for d in ("to-host", "to-guest"):
        print(f"relay: {d}: {passed[d]} IPv4 frames passed, {dropped[d]} dropped, "
              f"{dropped_data[d]} of them with data", flush=True)
    return 0


def scapy():
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    import scapy.all as s
    s.conf.verb = 0
    return s


def flood(args):
    s = scapy()
    src = s.get_if_hwaddr(args.iface)
    frames = []
    for _ in range(args.count):
        ip = f"172.44.0.{random.randint(100, 250)}"
        frames.append(s.Ether(src=src, dst=args.guest_mac) /
                      s.IP(src=ip, dst=args.guest_ip) /
                      s.TCP(sport=random.randint(1024, 65535), dport=args.port, flags="S",
                            seq=random.getrandbits(32), window=65535,
                            options=[("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]))
    start = time.monotonic()
    s.sendp(frames, iface=args.iface)
    print(f"flood: {len(frames)} SYNs sent in {time.monotonic() - start:.1f} s")
    return 0


def timestamps(tcp):
    for kind, value in tcp.options:
        if kind == "Timestamp":
            return value
    return None


def attack(args):
    s = scapy()
    sniffer = s.AsyncSniffer(iface=args.iface, filter=f"tcp and host {args.guest_ip} and port {args.port}",
                             store=True)
    sniffer.start()
    time.sleep(0.5)
    conn = socket.create_connection((args.guest_ip, args.port), timeout=10)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    line = b"first line\n"
    conn.sendall(line)
    got = b""
    while len(got) < len(line):
        got += conn.recv(4096)
    time.sleep(0.5)  # the last ACKs
    caught = sniffer.stop()
    sport = conn.getsockname()[1]
    ours = [p for p in caught if p.haslayer(s.TCP) and p[s.IP].src == HOST_IP and p[s.TCP].sport == sport]
    theirs = [p for p in caught if p.haslayer(s.TCP) and p[s.IP].src == args.guest_ip and p[s.TCP].dport == sport]
    if not ours or not theirs:
        print(f"attack: saw {len(ours)} of our segments and {len(theirs)} of the guest's")
        return 1
    last = ours[-1][s.TCP]
    snd_nxt = max((p[s.TCP].seq + len(p[s.TCP].payload)) & 0xFFFFFFFF for p in ours)
    rcv_nxt = last.ack
    ts = timestamps(last)
    src = s.get_if_hwaddr(args.iface)
    window = theirs[-1][s.TCP].window

    def seg(seq, flags="PA", payload=b"", **kw):
        opts = [("NOP", None), ("NOP", None), ("Timestamp", (ts[0] + 1, ts[1]))] if ts else []
        return (s.Ether(src=src, dst=args.guest_mac) / s.IP(src=HOST_IP, dst=args.guest_ip) /
                s.TCP(sport=sport, dport=args.port, seq=seq & 0xFFFFFFFF, ack=rcv_nxt, flags=flags,
                      window=502, options=opts, **kw) / s.Raw(payload))

    kinds = []
    kinds.append(("bad checksum", [seg(snd_nxt, payload=b"EVIL checksum\n", chksum=0xBAD)] * 5))
    # 60 bytes of header in a shorter segment, and fewer than the minimum 5
    # words; scapy computes the checksum over them as they are.
    kinds.append(("bad data offset", [seg(snd_nxt, payload=b"EVIL", dataofs=15),
                                      seg(snd_nxt, payload=b"EVIL offset\n", dataofs=3)] * 3))
    kinds.append(("outside the window", [seg(snd_nxt + (1 << 30), payload=b"EVIL far ahead\n"),
                                         seg(snd_nxt - (1 << 30), payload=b"EVIL far behind\n")] * 3))
    kinds.append(("RST, in the window but inexact",
                  [seg(snd_nxt + d, flags="R") for d in (1, 100, 1000, max(window // 2, 2000))]))
    kinds.append(("RST outside the window", [seg(snd_nxt + (1 << 31) - 1, flags="R")]))
    kinds.append(("SYN on the connection", [seg(snd_nxt + 10, flags="S")]))
    for name, frames in kinds:
        for f in frames:
            s.sendp(f, iface=args.iface)
            time.sleep(0.02)
        print(f"attack: {name}: {len(frames)} segments")
    time.sleep(0.5)
    line = b"second line, after the attack\n"
    conn.sendall(line)
    got = b""
    conn.settimeout(10)
    try:
        while len(got) < len(line):
            chunk = conn.recv(4096)
            if not chunk:
                break
            got += chunk
        conn.settimeout(1)
        got += conn.recv(4096)
    except socket.timeout:
        pass
    except OSError as e:
        print(f"attack: the connection failed: {e}")
        return 1
    conn.close()
    if got != line:
        print(f"attack: the echo after the attack is {got!r}, not {line!r}")
        return 1
    print("attack: the connection survived, and its echo holds nothing injected")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("relay")
    r.add_argument("guest_if")
    r.add_argument("host_tap")
    r.add_argument("--loss", type=float, default=5)
    r.add_argument("--reorder", type=float, default=25)
    r.add_argument("--delay", type=float, default=5)
    for name in ("flood", "attack"):
        p = sub.add_parser(name)
        p.add_argument("iface")
        p.add_argument("guest_ip")
        p.add_argument("guest_mac")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--count", type=int, default=5000)
    args = ap.parse_args()
    return {"relay": relay, "flood": flood, "attack": attack}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
