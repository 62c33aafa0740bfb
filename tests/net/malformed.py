#!/usr/bin/python3
"""Sends a burst of malformed frames on a tap, at a guest (tests/integration/net.sh).

usage: malformed.py IFACE GUEST_IP GUEST_MAC [--port N] [--each N] [--kinds]

Every frame is addressed to the guest and is wrong in one way: truncated
headers, bad IP, UDP, ICMP checksums, bogus lengths, IP fragments, IP
options, unknown ethertypes and the like. The UDP ones go to the echo port,
so that a stack that let one through would echo it (and udpecho -n would
count it). Prints one line per kind with how many frames went out, and the
total. Needs Debian's python3-scapy: run it with /usr/bin/python3, as root,
inside the test's network namespace, never on a real interface.
"""
import argparse
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # no route warnings: we send raw frames
from scapy.all import ARP, ICMP, IP, UDP, Ether, IPOption_RR, Raw, conf, get_if_hwaddr, sendp

HOST_IP = "172.44.0.1"


def kinds(guest_ip, port):
    """(name, frame payload after the Ethernet header or a whole frame, ethertype or None)."""
    udp = IP(src=HOST_IP, dst=guest_ip) / UDP(sport=40000, dport=port) / Raw(b"malformed!")
    good = bytes(udp)
    yield "eth-truncated", b"\x52\x54\x00\x12\x34", None  # shorter than a header
    yield "eth-unknown-type", Raw(b"\x00" * 46), 0x88B5
    yield "eth-unknown-type-2", Raw(b"junk" * 12), 0x1234
    yield "ip-truncated", good[:12], 0x0800  # half an IP header
    yield "ip-version-6", bytes([0x65]) + good[1:], 0x0800
    yield "ip-ihl-short", bytes([0x43]) + good[1:], 0x0800  # header length 12 < 20
    yield "ip-bad-csum", IP(src=HOST_IP, dst=guest_ip, chksum=0x1234) / UDP(
        sport=40000, dport=port) / Raw(b"badipsum"), 0x0800
    yield "ip-total-len-long", IP(src=HOST_IP, dst=guest_ip, len=1400) / UDP(
        sport=40000, dport=port) / Raw(b"longer"), 0x0800
    yield "ip-total-len-short", IP(src=HOST_IP, dst=guest_ip, len=16) / UDP(
        sport=40000, dport=port) / Raw(b"shorter"), 0x0800
    yield "ip-fragment-first", IP(src=HOST_IP, dst=guest_ip, flags="MF", id=7) / UDP(
        sport=40000, dport=port) / Raw(b"frag0" * 4), 0x0800
    yield "ip-fragment-later", IP(src=HOST_IP, dst=guest_ip, frag=3, id=7, proto=17) / Raw(
        b"frag1" * 4), 0x0800
    yield "ip-options", IP(src=HOST_IP, dst=guest_ip, options=[IPOption_RR()]) / UDP(
        sport=40000, dport=port) / Raw(b"options"), 0x0800
    yield "ip-unknown-proto", IP(src=HOST_IP, dst=guest_ip, proto=253) / Raw(b"proto253"), 0x0800
    yield "udp-bad-csum", IP(src=HOST_IP, dst=guest_ip) / UDP(
        sport=40000, dport=port, chksum=0xDEAD) / Raw(b"badudpsum"), 0x0800
    yield "udp-len-long", IP(src=HOST_IP, dst=guest_ip) / UDP(
        sport=40000, dport=port, len=500) / Raw(b"udplong"), 0x0800
    yield "udp-len-short", IP(src=HOST_IP, dst=guest_ip) / UDP(
        sport=40000, dport=port, len=4) / Raw(b"udpshort"), 0x0800
    yield "udp-truncated", bytes(IP(src=HOST_IP, dst=guest_ip, proto=17, len=24) / Raw(b"\x9c\x40\x00")), 0x0800
    yield "icmp-bad-csum", IP(src=HOST_IP, dst=guest_ip) / ICMP(chksum=0xBEEF) / Raw(b"ping"), 0x0800
    yield "arp-truncated", bytes(ARP(op=1, psrc=HOST_IP, pdst=guest_ip))[:12], 0x0806


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("guest_ip")
    ap.add_argument("guest_mac")
    ap.add_argument("--port", type=int, default=7)
    ap.add_argument("--each", type=int, default=20, help="frames of each kind")
    args = ap.parse_args()
    conf.verb = 0
    src = get_if_hwaddr(args.iface)
    frames = []
    for name, body, etype in kinds(args.guest_ip, args.port):
        if etype is None:
            frame = Raw(bytes(body))
        else:
            frame = Ether(src=src, dst=args.guest_mac, type=etype) / Raw(bytes(body))
        frames.extend([frame] * args.each)
        print(f"malformed: {name}: {args.each} frames")
    sendp(frames, iface=args.iface, inter=0.001)
    print(f"malformed: {len(frames)} frames sent on {args.iface}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
