#!/usr/bin/env bash
# Boot time (docs/boot.md): hello against the VMM floor, a kernel that ends
# the VM at its first instruction, and against a Linux guest whose /init
# powers off at once, all on the same QEMU command (bench/run.sh's
# machine). Runs are interleaved, reps of each. Prints, one per run:
#   BOOT <metric> <value>      floor_run_ms hello_run_ms hello_quiet_run_ms
#                              linux_run_ms main_us main_quiet_us
#   PHASE <step> <us>          each boot step of a quiet hello (boot.times)
# Usage: bench/boot.sh OUTDIR REPS LINUX_KERNEL LINUX_INITRD
set -u
out=$1
reps=$2
vmlinuz=$3
initrd=$4
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"

nasm -f elf32 -o "$out/floor.o" "$here/bench/floor.asm" &&
	ld -m elf_i386 -Ttext=0x100000 -e _start -o "$out/floor" "$out/floor.o" ||
	{ echo "boot: building the floor kernel failed" >&2; exit 1; }
make -s -C "$here" APP=hello >/dev/null || exit 1

# run NAME STATUS run.sh-options...: the wall time of one run in ms, the
# console in $out/NAME.log. A run that does not end with STATUS (a kernel
# QEMU would not load, say) stops the benchmark: its time would mean nothing.
run() {
	local name=$1 want=$2 t0 t1 rc
	shift 2
	t0=$EPOCHREALTIME
	"$here/run.sh" --no-build --timeout 120 --serial "$out/$name.log" "$@" </dev/null \
		>/dev/null 2>"$out/$name.stderr"
	rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" != "$want" ]; then
		echo "boot: the $name run ended with status $rc, not $want ($out/$name.stderr)" >&2
		exit 1
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) * 1000}'
}

# measure NAME STATUS METRIC run.sh-options...: one run, reported as METRIC.
measure() {
	local name=$1 want=$2 metric=$3 ms
	shift 3
	ms=$(run "$name" "$want" "$@") || exit 1
	echo "BOOT $metric $ms"
}

# "[    0.019405] C: boot: step tls    349 us, done at    349 us"
steps='/boot: step/ { for (i = 1; i < NF; i++) if ($i == "step") print "PHASE " $(i + 1) " " $(i + 2);
	done = $(NF - 1) } END { print "BOOT main_quiet_us " done }'
# "... I: boot: the application starts 16025 us after the first instruction"
reached='/boot: the application starts/ { for (i = 1; i < NF; i++) if ($i == "starts") print "BOOT main_us " $(i + 1) }'
for i in $(seq "$reps"); do
	measure floor 0 floor_run_ms --kernel "$out/floor"
	measure hello 0 hello_run_ms hello
	awk "$reached" "$out/hello.log"
	measure quiet 0 hello_quiet_run_ms --append 'loglevel=crit boot.times' hello
	awk "$steps" "$out/quiet.log"
	measure linux 0 linux_run_ms --no-exit-device --kernel "$vmlinuz" --initrd "$initrd" \
		--append 'console=ttyS0 quiet panic=-1'
done
