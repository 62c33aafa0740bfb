#!/usr/bin/env python3
"""Talks gdb's remote protocol to Ceres's stub by hand, for
tests/integration/gdb.sh (Python's standard library only).

  raw.py PORT COUNTER_ADDR

connects to the stub on 127.0.0.1:PORT of a guest running
tests/apps/gdbtest "spin", sends what gdb never would and some of what it
would, and prints one line NAME=WHAT-CAME-BACK for each:

  badsum    a packet with a wrong checksum: "-"
  overlong  a packet longer than the stub takes: "-"
  unknown   a command the stub does not know: "" (the empty reply)
  badargs   a known command with arguments that do not parse: an error
  stop      "?": the stop reply (the packets stopped the guest)
  null      reading address 0: an error
  noncanon  reading a non-canonical address: an error
  threads   qfThreadInfo: the thread ids
  grew      whether the counter at COUNTER_ADDR moved while the guest ran,
            between two stops, the second one made by Ctrl-C (0x03)
  ctrlc     the stop reply that Ctrl-C brought
  xml       whether qXfer's target description names i386:x86-64

and last "killed" once the stub has taken "k" and the line closed.
"""
import socket
import sys
import time

TIMEOUT_S = 10


class Line:
    def __init__(self, port):
        deadline = time.time() + TIMEOUT_S
        while True:
            try:
                self.s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.pending = b""

    def byte(self):
        while not self.pending:
            data = self.s.recv(4096)
            if not data:
                raise EOFError("the stub closed the line")
            self.pending += data
        b, self.pending = self.pending[:1], self.pending[1:]
        return b

    def send(self, raw):
        self.s.sendall(raw)

    def ack(self):
        """The next '+' or '-' (noise before it is skipped)."""
        while True:
            b = self.byte()
            if b in (b"+", b"-"):
                return b.decode()

    def packet(self):
        """The next packet's payload, acknowledged; its checksum checked."""
        while self.byte() != b"$":
            pass
        data = b""
        while True:
            b = self.byte()
            if b == b"#":
                break
            data += b
        want = int(self.byte() + self.byte(), 16)
        if sum(data) % 256 != want:
            raise ValueError("bad checksum from the stub on %r" % data)
        self.send(b"+")
        return data.decode(errors="replace")

    def command(self, payload, reply=True):
        frame = b"$%s#%02x" % (payload, sum(payload) % 256)
        self.send(frame)
        if self.ack() != "+":
            raise ValueError("the stub refused %r" % payload)
        return self.packet() if reply else None


def counter(line, addr):
    return int.from_bytes(bytes.fromhex(line.command(b"m%x,8" % addr)), "little")


def main():
    port, addr = int(sys.argv[1]), int(sys.argv[2], 16)
    line = Line(port)
    line.send(b"+")
    line.send(b"$g#00")
    print("badsum=" + line.ack(), flush=True)
    line.send(b"$" + b"A" * 5000 + b"#00")
    print("overlong=" + line.ack(), flush=True)
    print("unknown=" + line.command(b"jNoSuchCommand"), flush=True)
    print("badargs=" + line.command(b"mxyz,8"), flush=True)
    print("stop=" + line.command(b"?"), flush=True)
    print("null=" + line.command(b"m0,8"), flush=True)
    print("noncanon=" + line.command(b"m8000000000000000,8"), flush=True)
    print("threads=" + line.command(b"qfThreadInfo"), flush=True)
    print("xml=%d" % ("i386:x86-64" in line.command(b"qXfer:features:read:target.xml:0,400")))
    before = counter(line, addr)
    line.command(b"c", reply=False)
    time.sleep(1.5)
    line.send(b"\x03")
    print("ctrlc=" + line.packet(), flush=True)
    print("grew=%d" % (counter(line, addr) > before), flush=True)
    line.command(b"k", reply=False)
    try:
        while True:
            line.byte()
    except (EOFError, OSError):
        print("killed")


if __name__ == "__main__":
    main()
