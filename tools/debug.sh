#!/usr/bin/env bash
# 'make debug': boots APP halted with QEMU's gdb stub, attaches gdb with
# symbols and runs to main(). The serial console goes to build/APP/serial.log
# (gdb has the terminal). Quitting gdb stops the guest.
# 'make gdb-threads' (--stub): the same through Ceres's own gdb stub
# (docs/gdbstub.md), which shows every thread: the kernel waits for gdb
# before the application starts (gdb.wait), and gdb runs to main() from there.
# Usage: tools/debug.sh [--stub] APP [PORT] [run.sh options...]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
stub=0
if [ "${1:-}" = --stub ]; then
	stub=1
	shift
fi
app=${1:-hello}
port=${2:-1234}
shift $(($# > 2 ? 2 : $#))

build=$here/build/$app
pidfile=$build/qemu.pid
log=$build/serial.log
command -v gdb >/dev/null || { echo "debug: gdb not found: apt-get install gdb" >&2; exit 1; }
rm -f "$pidfile" "$log"

if [ "$stub" = 1 ]; then
	how=(--gdb-stub "$port" --gdb-wait) attach=ceres-stub-debug
else
	how=(--gdb --gdb-port "$port") attach=ceres-debug
fi
"$here/run.sh" "${how[@]}" --serial "$log" --pidfile "$pidfile" "$@" "$app" &
runner=$!
cleanup() {
	[ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	wait "$runner" 2>/dev/null
}
trap cleanup EXIT

for _ in $(seq 50); do
	[ -s "$pidfile" ] && break
	kill -0 "$runner" 2>/dev/null || { echo "debug: QEMU did not start" >&2; exit 1; }
	sleep 0.1
done
# The stub clears its port as it starts: gdb connects once the kernel waits for it.
for _ in $(seq 100); do
	[ "$stub" = 0 ] && break
	grep -q "waiting for gdb" "$log" 2>/dev/null && break
	kill -0 "$runner" 2>/dev/null || { echo "debug: the guest ended before gdb attached (see $log)" >&2; exit 1; }
	sleep 0.1
done
echo "debug: serial console in $log ('tail -f' it in another terminal)" >&2
gdb -q -x "$here/tools/gdb/ceres.gdb" -ex "$attach $build/ceres.elf $port"
