# gdb's Python helpers for Ceres, loaded by tools/gdb/ceres.gdb. They read
# the kernel's data structures by their symbols, so they work the same
# through Ceres's own stub (docs/gdbstub.md) and through QEMU's:
#
#   ceres runq       the running thread and the run queue, in order
#   ceres sleepers   threads and kernel timers waiting for a time
#   ceres sockets    TCP connections with their state, and UDP sockets
#   ceres fids       9p mounts: their tag, the fids held, the client's counters
#   ceres heap       the kernel's and the application's heap statistics
#   ceres pages      the page allocator: RAM in all, free, the application's
#
# It also teaches gdb to walk through musl's functions, which carry neither
# frame pointers nor call frame information (Debian's libc.a has none): a
# frame in code without line information, inside the application's text,
# finds its caller by scanning the stack for a return address, as the
# kernel's own crash reports do (kernel/panic.c).

import gdb
from gdb.unwinder import Unwinder, register_unwinder

# Bytes of stack the unwinder looks through for a return address.
SCAN_WORDS = 256
# A saved frame pointer lies above the return address, within this.
FRAME_REACH = 1 << 20
PAGE_SIZE = 4096
# Where a stack starts, with nothing above it: musl's function at the
# bottom of every thread's stack but main's, and the boot code's, at the
# bottom of the boot stack (the idle thread's).
OUTERMOST = ("__clone", "long_mode")
CALL_REL32 = 0xE8
CALL_REL32_LEN = 5


def value(expr):
    return gdb.parse_and_eval(expr)


def container(ptr, typename, member):
    """The struct typename that holds *ptr as its member (container_of)."""
    t = gdb.lookup_type(typename)
    offset = [f.bitpos // 8 for f in t.fields() if f.name == member][0]
    return (ptr.cast(gdb.lookup_type("char").pointer()) - offset).cast(t.pointer())


def list_entries(head, typename, member):
    """Each struct typename on the list_head at head (a gdb.Value of the head)."""
    node = head["next"]
    first = head.address
    while node and node != first:
        yield container(node, typename, member)
        node = node["next"]


def ms(ns):
    return "%d.%03d ms" % (int(ns) // 1000000, int(ns) // 1000 % 1000)


def ipv4(a):
    a = int(a)  # host order, as the stack keeps it (lib/net/net_priv.h)
    return "%d.%d.%d.%d" % (a >> 24 & 0xFF, a >> 16 & 0xFF, a >> 8 & 0xFF, a & 0xFF)


def port(p):
    return int(p)  # host order too


def symbol_at(addr):
    """'name+off' for a code address, or its hex."""
    text = gdb.format_address(int(addr))
    return text[text.find("<") + 1:text.rfind(">")] if "<" in text else hex(int(addr))


class CeresPrefix(gdb.Command):
    """Ceres's kernel, as its data structures show it: ceres runq, ceres sleepers,
ceres sockets, ceres fids, ceres heap, ceres pages."""

    def __init__(self):
        super().__init__("ceres", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class Runq(gdb.Command):
    """The running thread, then the runnable ones in the order they will run."""

    def __init__(self):
        super().__init__("ceres runq", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        s = value("'sched/sched.c'::sched_state")
        cur = s["current"]
        print("running: thread %d '%s'" % (int(cur["id"]), cur["name"].string()))
        print("runnable (%d):" % int(s["runq"]["count"]))
        for t in list_entries(s["runq"]["queue"], "struct thread", "link"):
            print("  thread %d '%s', %s of CPU so far" %
                  (int(t["id"]), t["name"].string(), ms(t["runtime_ns"])))


class Sleepers(gdb.Command):
    """Threads and kernel timers waiting for a time, earliest first (monotonic ms)."""

    def __init__(self):
        super().__init__("ceres sleepers", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        s = value("'sched/sched.c'::sched_state")
        thread_fn = int(value("'sched/sched.c'::thread_timer_expired").address)
        for e in list_entries(s["sleepers"]["entries"], "struct timerq_entry", "link"):
            at = ms(e["deadline"])
            if int(e["expire"]) == thread_fn:
                t = container(e, "struct thread", "timer")
                print("  at %s: thread %d '%s' (%s)" %
                      (at, int(t["id"]), t["name"].string(), t["state"]))
            else:
                st = container(e, "struct sched_timer", "entry")
                print("  at %s: kernel timer %s" % (at, symbol_at(st["fn"])))


class Sockets(gdb.Command):
    """Every TCP connection and listener with its state and queues, then the UDP sockets."""

    def __init__(self):
        super().__init__("ceres sockets", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        try:
            tcp = value("'lib/net/tcp_pcb.c'::tcp")
        except gdb.error:
            print("this image has no network stack")
            return
        print("TCP (%d):" % int(tcp["count"]))
        pcb = tcp["all"]
        while pcb:
            print("  %s:%d -> %s:%d %s, send queue %d, receive queue %d" %
                  (ipv4(pcb["laddr"]), port(pcb["lport"]), ipv4(pcb["raddr"]),
                   port(pcb["rport"]), str(pcb["state"]).replace("TCP_", ""),
                   int(pcb["snd"]["len"]), int(pcb["rcv"]["len"])))
            pcb = pcb["all_next"]
        print("UDP:")
        u = value("'lib/net/udp.c'::udp")["bound"]
        while u:
            print("  %s:%d, %d bytes queued, %d dropped" %
                  (ipv4(u["laddr"]), port(u["lport"]), int(u["rx_mem"]), int(u["rx_drops"])))
            u = u["next"]


class Fids(gdb.Command):
    """Each 9p mount: its tag, the fids it holds on the server, the client's counters."""

    def __init__(self):
        super().__init__("ceres fids", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        try:
            mounts = value("'lib/vfs/vfs.c'::vfs")["mounts"]
        except gdb.error:
            print("this image has no file systems")
            return
        found = False
        for m in list_entries(mounts, "struct vfs_mount_entry", "link"):
            mnt = m["mnt"]
            if mnt["type"]["name"].string() != "9pfs":
                continue
            found = True
            fs = mnt["priv"].cast(gdb.lookup_type("struct p9fs").pointer())
            c = fs["c"]
            st = c["stats"]
            print("9p '%s': %d fids held (%d ever made, %d free for reuse), msize %d" %
                  (fs["tag"].string(), int(fs["fids"]), int(c["next_fid"]),
                   int(c["n_free_fids"]), int(c["msize"])))
            print("  %d requests, %d errors, %d malformed replies, %d bytes read, "
                  "%d written" % (int(st["requests"]), int(st["errors"]), int(st["malformed"]),
                                  int(st["bytes_read"]), int(st["bytes_written"])))
        if not found:
            print("no 9p mounts")


class Heap(gdb.Command):
    """The kernel's heap and the application's (kernel/malloc.c)."""

    def __init__(self):
        super().__init__("ceres heap", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        for name in ("kheap", "app_heap"):
            h = value("'kernel/malloc.c'::%s" % name)
            s = h["heap"]["stats"]
            print("%s: %d bytes in use (peak %d), %d free in %d of pools, "
                  "%d allocations, %d frees, %d failures" %
                  (name, int(s["in_use"]), int(s["peak"]), int(s["free"]),
                   int(s["pool_bytes"]), int(s["allocs"]), int(s["frees"]),
                   int(s["failures"])))
            if int(s["double_frees"]) or int(s["overflows"]) or int(s["bad_pointers"]):
                print("  %d double frees, %d overflows, %d bad pointers" %
                      (int(s["double_frees"]), int(s["overflows"]), int(s["bad_pointers"])))


class Pages(gdb.Command):
    """The page allocator (kernel/page.c): RAM it manages, free, the application's."""

    def __init__(self):
        super().__init__("ceres pages", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = value("'kernel/page.c'::pages")
        kib = 4  # a page
        print("pages: %d KiB in all, %d KiB free, the application's %d KiB (peak %d KiB)" %
              (int(p["total"]) * kib, int(p["runs"]["nfree"]) * kib,
               int(p["app_frames"]) * kib, int(p["app_peak"]) * kib))


def address(a):
    """a as a gdb.Value, which the unwinder interface takes."""
    return gdb.Value(a).cast(gdb.lookup_type("unsigned long"))


class FrameId:
    def __init__(self, sp, pc):
        self.sp = address(sp)
        self.pc = address(pc)


class MuslUnwinder(Unwinder):
    """Callers of frames in the application's code that has no line information."""

    def __init__(self):
        super().__init__("ceres-musl")
        self.text = None

    def bounds(self):
        """The kernel's code, the application's, and the end of both."""
        if self.text is None:
            self.text = tuple(int(value("(long)&%s" % s))
                              for s in ("__text_start", "__app_text_start", "__text_end"))
        return self.text

    def in_text(self, addr):
        return self.bounds()[1] <= addr < self.bounds()[2]

    def in_code(self, addr):
        return self.bounds()[0] <= addr < self.bounds()[2]

    def call_before(self, ret, inferior):
        """The target of a direct call that returns to ret, -1 for another call, None for none."""
        try:
            code = bytes(inferior.read_memory(ret - 8, 8))
        except gdb.MemoryError:
            return None
        if code[3] == CALL_REL32:
            rel = int.from_bytes(code[4:], "little", signed=True)
            return (ret + rel) & (1 << 64) - 1
        # An indirect call (FF /2), with or without REX, 2 to 7 bytes long.
        for n in range(2, 8):
            op = code[8 - n:]
            if op[0] == 0xFF and (op[1] >> 3) & 7 == 2:
                return -1
        return None

    def stack_words(self, sp, n, inferior):
        """Up to n words from sp on, fewer where the stack's mapping ends."""
        words = []
        while len(words) < n:
            at = sp + 8 * len(words)
            # To the end of the page at most: the next may not be mapped.
            chunk = min(n - len(words), (PAGE_SIZE - at % PAGE_SIZE) // 8)
            try:
                raw = bytes(inferior.read_memory(at, 8 * chunk))
            except gdb.MemoryError:
                break
            words += [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]
        return words

    def find_return(self, sp, start, inferior):
        """The stack slot holding this frame's return address, or None."""
        fallback = None
        for i, w in enumerate(self.stack_words(sp, SCAN_WORDS, inferior)):
            if not self.in_code(w):
                continue
            target = self.call_before(w, inferior)
            if target == start:
                return sp + 8 * i, w
            if target is not None and fallback is None:
                fallback = (sp + 8 * i, w)
        return fallback

    def is_frame_record(self, fp, inferior):
        """Does fp look like a frame pointer: [fp + 8] a return address into code?"""
        words = self.stack_words(fp + 8, 1, inferior)
        return bool(words) and self.in_code(words[0]) and \
            self.call_before(words[0], inferior) is not None

    def caller_rbp(self, sp, slot, rbp, inferior):
        """
        rbp in the caller: as it is, unless this frame saved it below its
        return address (musl's code uses rbp as it likes). The caller keeps
        frame pointers (the application's code does), so the right one
        points at a frame record above the return address.
        """
        pushed = list(reversed(self.stack_words(sp, (slot - sp) // 8, inferior)))
        for fp in [rbp] + pushed:
            if slot < fp < slot + FRAME_REACH and self.is_frame_record(fp, inferior):
                return fp
        return rbp

    def __call__(self, pending):
        pc = int(pending.read_register("rip"))
        if not self.in_code(pc):
            return None
        sp = int(pending.read_register("rsp"))
        rbp = int(pending.read_register("rbp"))
        inferior = gdb.selected_inferior()
        text = gdb.format_address(pc)
        off = int(text[text.rfind("+") + 1:text.rfind(">")]) if "+" in text else 0
        if any(text.find("<%s+" % name) >= 0 for name in OUTERMOST):
            # Nothing above it but what clone() or the boot loader left.
            info = pending.create_unwind_info(FrameId(sp, pc - off))
            info.add_saved_register("rip", address(0))
            info.add_saved_register("rsp", address(sp))
            return info
        if not self.in_text(pc) or gdb.find_pc_line(pc).symtab is not None:
            return None
        try:
            found = self.find_return(sp, pc - off, inferior)
        except gdb.MemoryError:
            return None
        if not found:
            return None
        slot, ret = found
        info = pending.create_unwind_info(FrameId(slot + 8, pc - off))
        info.add_saved_register("rip", address(ret))
        info.add_saved_register("rsp", address(slot + 8))
        info.add_saved_register("rbp", address(self.caller_rbp(sp, slot, rbp, inferior)))
        return info


CeresPrefix()
Runq()
Sleepers()
Sockets()
Fids()
Heap()
Pages()
register_unwinder(None, MuslUnwinder(), replace=True)
