#!/usr/bin/env bash
# 'make debug': boots APP halted with QEMU's gdb stub, attaches gdb with
# symbols and runs to main(). The serial console goes to build/APP/serial.log
# (gdb has the terminal). Quitting gdb stops the guest.
# Usage: tools/debug.sh APP [PORT] [run.sh options...]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
app=${1:-hello}
port=${2:-1234}
shift $(($# > 2 ? 2 : $#))

build=$here/build/$app
pidfile=$build/qemu.pid
log=$build/serial.log
command -v gdb >/dev/null || { echo "debug: gdb not found: apt-get install gdb" >&2; exit 1; }
rm -f "$pidfile"

"$here/run.sh" --gdb --gdb-port "$port" --serial "$log" --pidfile "$pidfile" "$@" "$app" &
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
echo "debug: serial console in $log ('tail -f' it in another terminal)" >&2
gdb -q -x "$here/tools/gdb/ceres.gdb" -ex "ceres-debug $build/ceres.elf $port"
