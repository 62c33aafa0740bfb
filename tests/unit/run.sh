#!/usr/bin/env bash
# Builds each tests/unit/test_NAME.c for the host, with the module it tests and
# the fake kernel, under the sanitizers, into build/unit/, and runs it.
#
# Stdout carries only "ok - ..." and "not ok - ..." lines: the test binaries'
# own, plus "not ok - test_NAME.c: build" when one does not compile and
# "not ok - test_NAME.c: ran to completion" when one dies. Compiler messages
# and failure details go to stderr. Exits 1 if anything failed.
set -u

cd "$(dirname "$0")/../.." || exit 1

# The modules each suite tests, besides the fakes (space-separated).
declare -A module=(
	[params]="kernel/params.c kernel/cmdline.c lib/kc/strto.c"
	[format]=lib/kc/format.c
	[bootinfo]=kernel/bootinfo.c
	[heap]="kernel/heap.c"
	[page_runs]="kernel/page_runs.c"
	[calib]=kernel/calib.c
	[wallclock]=kernel/wallclock.c
	[sched]="sched/runq.c sched/timerq.c"
	[rtree]=kernel/rtree.c
	[gdb_packet]=kernel/gdb_packet.c
	[epoll]=lib/vfs/epoll.c
	[net]="lib/net/checksum.c lib/net/stats.c lib/net/eth.c lib/net/arp.c lib/net/ip.c lib/net/icmp.c lib/net/udp.c lib/net/dhcp.c lib/net/config.c drivers/net/pbuf.c"
	[net_dhcp]="lib/net/checksum.c lib/net/stats.c lib/net/eth.c lib/net/arp.c lib/net/ip.c lib/net/icmp.c lib/net/udp.c lib/net/dhcp.c lib/net/config.c drivers/net/pbuf.c"
	[net_csum]=lib/net/checksum.c
	[net_config]=lib/net/config.c
	[pbuf]=drivers/net/pbuf.c
	[virtq]=drivers/virtio/virtio_ring.c
	[tcp]="lib/net/checksum.c lib/net/tcp_buf.c lib/net/tcp_cc.c lib/net/tcp_in.c lib/net/tcp_listen.c lib/net/tcp_out.c lib/net/tcp_pcb.c lib/net/tcp_seg.c lib/net/tcp_timer.c lib/net/tcp_user.c"
	[tcp_loop]="lib/net/checksum.c lib/net/tcp_buf.c lib/net/tcp_cc.c lib/net/tcp_in.c lib/net/tcp_listen.c lib/net/tcp_out.c lib/net/tcp_pcb.c lib/net/tcp_seg.c lib/net/tcp_timer.c lib/net/tcp_user.c"
	[p9]="lib/9p/p9_msg.c lib/9p/p9_client.c"
	[p9_fuzz]=lib/9p/p9_msg.c
	[fs_9p]="lib/vfs/fs_9p.c kernel/errname.c"
	[vfs]="lib/vfs/vfs.c lib/vfs/dcache.c lib/vfs/lookup.c lib/vfs/vfile.c lib/vfs/path.c lib/vfs/names.c lib/vfs/attr.c lib/vfs/vfs_sys.c lib/vfs/ramfs.c lib/vfs/devfs.c lib/vfs/fd.c kernel/errname.c kernel/params.c kernel/cmdline.c lib/kc/strto.c tests/unit/fake_vfs.c"
	[procfs]="lib/vfs/vfs.c lib/vfs/dcache.c lib/vfs/lookup.c lib/vfs/vfile.c lib/vfs/path.c lib/vfs/names.c lib/vfs/attr.c lib/vfs/vfs_sys.c lib/vfs/ramfs.c lib/vfs/devfs.c lib/vfs/procfs.c lib/vfs/fd.c kernel/errname.c kernel/params.c kernel/cmdline.c lib/kc/strto.c tests/unit/fake_vfs.c"
)
cflags=(-std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined
	-fno-sanitize-recover=all -Itests/unit/host -I.)
out=build/unit
failed=0

mkdir -p "$out" || exit 1
for src in tests/unit/test_*.c; do
	file=${src##*/}
	name=${file#test_}
	name=${name%.c}
	bin=$out/test_$name
	if [[ -z ${module[$name]:-} ]]; then
		echo "run.sh: no module listed for $src" >&2
		echo "not ok - $file: build"
		failed=1
		continue
	fi
	# shellcheck disable=SC2086 # the module list is split on purpose
	if ! gcc "${cflags[@]}" -o "$bin" "$src" ${module[$name]} \
		tests/unit/fake_kernel.c >&2; then
		echo "not ok - $file: build"
		failed=1
		continue
	fi
	# The binary exits 0, or 1 after printing its "not ok" lines; any other
	# end means it died by itself.
	"$bin" | tee "$bin.out"
	status=${PIPESTATUS[0]}
	if ((status == 1)) && grep -q '^not ok' "$bin.out"; then
		failed=1
	elif ((status != 0)); then
		echo "run.sh: $bin ended with status $status" >&2
		echo "not ok - $file: ran to completion"
		failed=1
	elif ! grep -qE '^(not )?ok - ' "$bin.out"; then
		echo "run.sh: $bin ran no case at all" >&2
		echo "not ok - $file: has cases"
		failed=1
	fi
done
exit "$failed"
