#!/usr/bin/env bash
# Ceres as a libvirt domain (docs/libvirt.md), with a private libvirtd
# (tools/libvirt/libvirtd.sh) that this test starts inside a network
# namespace of its own, so that the domains' taps live there:
#   - the generator's XML validates (virt-xml-validate): direct Multiboot
#     boot with <kernel> and <cmdline>, the domain type run.sh's rule picks,
#     a passthrough 9p share tagged rootfs, a tap with the host's
#     172.44.0.1/24, a bridge port; bad input gets a clear error;
#   - hello boots through tools/libvirt/run.sh (make libvirt), prints its
#     arguments, powers off through ACPI, and the exit status comes from the
#     console; libvirt ran QEMU with -kernel, -append and the i440fx machine,
#     and no isa-debug-exit; the domain is gone afterwards, or shut off with
#     --keep; a crash reports the kernel's status (121);
#   - storestrings with a 9p passthrough share and the seed's <cmdline>
#     network parameters: lines sent with nc from the namespace are in the
#     host file;
#   - broken domains: a share directory that is gone fails to start, and
#     says which; a share with another tag, or none, boots and Ceres names
#     what is missing on the console.
# Everything goes at the end, on every exit path: the domains (destroyed,
# undefined), the daemon (by process id), the namespace.
source "$(dirname "$0")/../lib.sh"

LV_TIMEOUT=${LV_TIMEOUT:-120} # one boot, at most
READY_TIMEOUT=${READY_TIMEOUT:-90}
ns=ceres-hlv-$$
daemon=$out/libvirtd.$$
xml=$root/tools/libvirt/ceres-xml
lvrun=$root/tools/libvirt/run.sh
seed_params="netdev.ipv4_addr=172.44.0.2 netdev.ipv4_gw_addr=172.44.0.1 netdev.ipv4_subnet_mask=255.255.255.0"
uri="" daemon_pid=""
domains=() # every domain name this test may have defined
new_tmp libvirt-test

lv_cleanup() {
	local d
	if [ -n "$uri" ]; then
		for d in "${domains[@]}"; do
			virsh -q -c "$uri" destroy "$d" >/dev/null 2>&1
			virsh -q -c "$uri" undefine "$d" >/dev/null 2>&1
		done
		"$root/tools/libvirt/libvirtd.sh" stop "$daemon"
	fi
	# The daemon's log stays, for a failure's sake.
	[ -f "$daemon/libvirtd.log" ] && cp "$daemon/libvirtd.log" "$out/libvirtd.log"
	rm -rf "$daemon"
	cleanup
}
trap lv_cleanup EXIT

v() { virsh -q -c "$uri" "$@"; }

missing=()
for c in virsh libvirtd virt-xml-validate xmllint unshare nsenter nc ip python3; do
	command -v "$c" >/dev/null || missing+=("$c")
done
for a in hello storestrings crash nginx; do
	[ -f "$root/build/$a/ceres" ] || missing+=("build/$a/ceres (make APP=$a)")
done
[ "$(id -u)" = 0 ] || missing+=("root (a private libvirtd, namespaces and taps)")
if [ ${#missing[@]} -gt 0 ]; then
	fail "libvirt: prerequisites: missing ${missing[*]} (tools/deps.sh libvirt)"
	exit 0
fi

# --- The XML.
share=$tmp/share
mkdir -p "$share"
"$xml" --image "$root/build/hello/ceres" --append "-- one two" >"$tmp/hello.xml" 2>"$tmp/hello.xml.err"
check "xml: hello's domain validates against libvirt's schema" \
	virt-xml-validate "$tmp/hello.xml" domain
want_type=qemu
[ "$("$root/tools/accel.sh" auto | cut -d'|' -f1)" = kvm ] && want_type=kvm
check "xml: domain type $want_type, the accelerator run.sh would choose here" \
	grep -q "^<domain type='$want_type'>" "$tmp/hello.xml"
check "xml: direct boot: <kernel> the image, <cmdline> the parameters, machine pc" \
	bash -c 'grep -qx "    <kernel>$2</kernel>" "$1" && grep -qx "    <cmdline>-- one two</cmdline>" "$1" &&
		grep -q "machine=.pc.>hvm<" "$1"' _ "$tmp/hello.xml" "$root/build/hello/ceres"
check "xml: ACPI on, and the domain is destroyed at power-off" \
	bash -c 'grep -q "<acpi/>" "$1" && grep -q "<on_poweroff>destroy</on_poweroff>" "$1"' _ "$tmp/hello.xml"
check "xml: no <qemu:commandline> (no isa-debug-exit)" bash -c '! grep -q "qemu:" "$1"' _ "$tmp/hello.xml"

"$xml" --image "$root/build/storestrings/ceres" --append "$seed_params --" --share "$share" --net tap \
	--console "$tmp/ss.serial" >"$tmp/ss.xml"
check "xml: storestrings with a share and a tap validates" virt-xml-validate "$tmp/ss.xml" domain
check "xml: a passthrough 9p share tagged rootfs" \
	python3 -c '
import sys, xml.etree.ElementTree as ET
fs = ET.parse(sys.argv[1]).find("devices/filesystem")
sys.exit(not (fs is not None and fs.get("type") == "mount" and fs.get("accessmode") == "passthrough"
    and fs.find("source").get("dir") == sys.argv[2] and fs.find("target").get("dir") == "rootfs"))' \
	"$tmp/ss.xml" "$share"
check "xml: an ethernet interface, virtio, tap ceres0 with the host's 172.44.0.1/24" \
	python3 -c '
import sys, xml.etree.ElementTree as ET
i = ET.parse(sys.argv[1]).find("devices/interface")
ip = i.find("source/ip")
sys.exit(not (i.get("type") == "ethernet" and i.find("model").get("type") == "virtio"
    and i.find("target").get("dev") == "ceres0"
    and ip.get("address") == "172.44.0.1" and ip.get("prefix") == "24"))' "$tmp/ss.xml"
"$xml" --image "$root/build/hello/ceres" --net bridge:br-ceres >"$tmp/br.xml"
check "xml: a bridge port validates" bash -c 'virt-xml-validate "$1" domain &&
	grep -q "<source bridge=\"br-ceres\"/>" "$1"' _ "$tmp/br.xml"
err=$("$xml" --image "$root/build/hello/ceres" --share "$tmp/nowhere" 2>&1 >/dev/null)
check "xml: a missing share directory is refused ($err)" \
	bash -c '[[ $1 == *"--share: "*nowhere*"is not a directory"* ]]' _ "$err"
err=$("$xml" --image "$root/build/hello/ceres" --net wifi 2>&1 >/dev/null)
check "xml: a bad --net is refused ($err)" bash -c '[[ $1 == *"--net takes none, tap"* ]]' _ "$err"
err=$("$xml" --image "$tmp/no-image" 2>&1 >/dev/null)
check "xml: a missing image is refused ($err)" bash -c '[[ $1 == *"no image at"* ]]' _ "$err"

# --- The daemon, in a namespace of ours.
if ! new_netns "$ns"; then
	fail "libvirt: could not make the network namespace $ns"
	exit 0
fi
if ! uri=$(ip netns exec "$ns" "$root/tools/libvirt/libvirtd.sh" start "$daemon"); then
	fail "libvirt: the private libvirtd did not start"
	sed 's/^/    # /' "$daemon/libvirtd.log" 2>/dev/null | grep -v dmidecode | tail -5
	uri=""
	exit 0
fi
daemon_pid=$(cat "$daemon/libvirtd.pid")
pass "libvirt: a private libvirtd (pid $daemon_pid) in the namespace $ns"
check "libvirt: the daemon runs in $ns, not in this network namespace" \
	bash -c '[ "$(readlink /proc/"$1"/ns/net)" = "$(ip netns exec "$2" readlink /proc/self/ns/net)" ] &&
		[ "$(readlink /proc/"$1"/ns/net)" != "$(readlink /proc/self/ns/net)" ]' _ "$daemon_pid" "$ns"
check "libvirt: it has no networks (no virbr0), in the namespace nor here" \
	bash -c '[ -z "$(virsh -q -c "$1" net-list --all)" ] && ! ip link show virbr0 >/dev/null 2>&1 &&
		! ip netns exec "$2" ip link show virbr0 >/dev/null 2>&1' _ "$uri" "$ns"

# qemu_log NAME: the domain's QEMU command line and log (the daemon's tmpfs).
qemu_log() { nsenter -t "$daemon_pid" -m cat "/var/log/libvirt/qemu/$1.log" 2>/dev/null; }

# lv NAME [run.sh options] -- [ceres-xml options]: boots through
# tools/libvirt/run.sh; console $out/NAME.serial, stdout $out/NAME.stdout,
# stderr $out/NAME.stderr, status $status.
lv() {
	local name=$1
	shift
	domains+=("$name")
	rm -f "$out/$name.serial"
	"$lvrun" --uri "$uri" --name "$name" --timeout "$LV_TIMEOUT" --console "$out/$name.serial" "$@" \
		>"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null
	status=$?
	qemu_log "$name" >"$out/$name.qemu.log"
	sed -i 's/\r$//' "$out/$name.serial" 2>/dev/null
}

# lv_start NAME [run.sh options] -- [ceres-xml options]: the same in the
# background, $runner its process; lv_stop NAME ends it (the domain is
# destroyed and undefined) and keeps its QEMU log and console.
lv_start() {
	local name=$1
	shift
	domains+=("$name")
	rm -f "$out/$name.serial" # a console of an earlier run is no answer
	"$lvrun" --uri "$uri" --name "$name" --timeout "$LV_TIMEOUT" --console "$out/$name.serial" "$@" \
		>"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
	runner=$!
	runners+=("$runner")
}

lv_stop() {
	kill "$runner" 2>/dev/null
	wait "$runner" 2>/dev/null
	qemu_log "$1" >"$out/$1.qemu.log"
	sed -i 's/\r$//' "$out/$1.serial" 2>/dev/null
}

# --- hello.
lv lv-hello -- --image "$root/build/hello/ceres" --append "-- one two three"
expect_status lv-hello 3
check "lv-hello: the console streamed to stdout has the greeting and the arguments" \
	bash -c 'tr -d "\r" <"$1" | grep -A3 -x "Hello from Ceres! I am hello." | sed 1d | paste -sd" " |
		grep -qx "one two three"' _ "$out/lv-hello.stdout"
expect_serial lv-hello '\] I: shutdown: powering off, exit status 3$' "the console's status line says 3"
check "lv-hello: libvirt ran QEMU with -kernel, -append and the i440fx machine" \
	bash -c 'grep -qx -- "-kernel $2 \\\\" "$1" && grep -qx -- "-append \\\\" "$1" &&
		grep -q -- "^-machine pc-i440fx" "$1"' \
	_ "$out/lv-hello.qemu.log" "$root/build/hello/ceres"
check "lv-hello: no isa-debug-exit: the guest powered off through ACPI" \
	bash -c '! grep -q isa-debug-exit "$1" && grep -q "shutting down, reason=shutdown" "$1"' _ "$out/lv-hello.qemu.log"
check "lv-hello: the domain is gone afterwards" bash -c '! virsh -q -c "$1" dominfo lv-hello >/dev/null 2>&1' _ "$uri"

lv lv-keep --keep -- --image "$root/build/hello/ceres"
expect_status lv-keep 0
check "lv-keep: with --keep (KEEP=1) the domain stays defined, shut off" \
	[ "$(v domstate --reason lv-keep 2>&1)" = "shut off (shutdown)" ]
v undefine lv-keep >/dev/null 2>&1

lv lv-crash -- --image "$root/build/crash/ceres" --append "-- null"
expect_status lv-crash 121
expect_serial lv-crash '\] C: .*page fault' "the console has the crash report"

# --- storestrings: a 9p passthrough share, the seed's network parameters.
lv_start lv-ss -- --image "$root/build/storestrings/ceres" --append "$seed_params --" --share "$share" \
	--net tap
up=0
for _ in $(seq $((READY_TIMEOUT * 5))); do
	serial_has lv-ss '^storestrings: listening on port 1234' && { up=1; break; }
	kill -0 "$runner" 2>/dev/null || break
	sleep 0.2
done
check "lv-ss: storestrings is up (its listening line on the console)" [ "$up" = 1 ]
if [ "$up" = 1 ]; then
	check "lv-ss: libvirt made the tap ceres0 in $ns, with 172.44.0.1/24" \
		bash -c 'ip netns exec "$1" ip -o -4 addr show dev ceres0 | grep -q " inet 172.44.0.1/24 "' _ "$ns"
	got=$(printf 'first line from libvirt\nsecond line\n' | timeout 30 ip netns exec "$ns" nc -N -w 10 172.44.0.2 1234)
	check "lv-ss: nc 172.44.0.2 1234 from the namespace: OK 1, OK 2" [ "$got" = "$(printf 'OK 1\nOK 2')" ]
	check "lv-ss: the lines are in the host's file" \
		has_lines "$share/strings.txt" "first line from libvirt" "second line"
	got=$(printf 'LIST\n' | timeout 30 ip netns exec "$ns" nc -N -w 10 172.44.0.2 1234)
	check "lv-ss: LIST gives them back" [ "$got" = "$(printf 'first line from libvirt\nsecond line\nEND 2')" ]
	expect_serial lv-ss "\\] I: 9pfs: mounted tag 'rootfs'" "Ceres mounted the share (tag rootfs)"
	expect_serial lv-ss '\] I: net: 172\.44\.0\.2/24 via 172\.44\.0\.1 \(static\)' \
		"the <cmdline> network parameters took"
fi
lv_stop lv-ss
check "lv-ss: stopping tools/libvirt/run.sh destroys and undefines the domain, and the tap goes" \
	bash -c '! virsh -q -c "$1" dominfo lv-ss >/dev/null 2>&1 && ! ip netns exec "$2" ip link show ceres0 >/dev/null 2>&1' \
	_ "$uri" "$ns"
expect_no_serial lv-ss '\] [CE]: ' "no kernel error or crash report"

# --- Broken domains.
# A share directory that is gone by the time the domain starts: QEMU
# refuses to start, and says which directory.
mkdir -p "$tmp/gone"
"$xml" --image "$root/build/storestrings/ceres" --name lv-gone --share "$tmp/gone" \
	--console "$out/lv-gone.serial" >"$tmp/gone.xml"
rmdir "$tmp/gone"
domains+=(lv-gone)
v define "$tmp/gone.xml" >/dev/null
err=$(v start lv-gone 2>&1)
check "lv-gone: a missing share directory: the domain does not start, and the error names it" \
	bash -c '[ "$(virsh -q -c "$1" domstate lv-gone)" = "shut off" ] && [[ $2 == *"$3"* ]]' _ "$uri" "$err" "$tmp/gone"
echo "    # $(tr '\n' ' ' <<<"$err" | cut -c1-400)"
v undefine lv-gone >/dev/null 2>&1

# wait_line NAME REGEX: until the console of the background boot $runner has REGEX.
wait_line() {
	for _ in $(seq $((READY_TIMEOUT * 5))); do
		serial_has "$1" "$2" && return 0
		kill -0 "$runner" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# --- nginx: the seed's third step, serving the share.
mkdir -p "$tmp/www"
echo "<p>served by nginx under libvirt</p>" >"$tmp/www/index.html"
lv_start lv-nginx -- --image "$root/build/nginx/ceres" --append "$seed_params --" --share "$tmp/www" \
	--net tap
got=""
if wait_line lv-nginx '\] I: net: 172\.44\.0\.2/24'; then
	for _ in $(seq $((READY_TIMEOUT * 5))); do
		got=$(timeout 10 ip netns exec "$ns" curl -sS -m 5 http://172.44.0.2/ 2>/dev/null) && break
		kill -0 "$runner" 2>/dev/null || break
		sleep 0.2
	done
fi
check "lv-nginx: curl from the namespace gets the share's page" \
	[ "$got" = "<p>served by nginx under libvirt</p>" ]
lv_stop lv-nginx
expect_serial lv-nginx '"GET / HTTP/1.1" 200' "nginx's access log on the console has the request"

# A share with another tag (the seed's 'rootfs' misspelt): Ceres names the
# tag it found and what to set, and runs on a ramfs root.
mkdir -p "$tmp/other"
lv_start lv-tag -- --image "$root/build/storestrings/ceres" --share "$tmp/other" --tag hostdir
wait_line lv-tag '^storestrings: listening on port'
lv_stop lv-tag
expect_serial lv-tag "\\] E: 9pfs: no virtio-9p device tagged 'rootfs' .*; found 'hostdir'\\. Set vfs\\.rootdev=<tag>.*<target dir='rootfs'/>" \
	"a wrong tag: Ceres names the tag it found, vfs.rootdev= and libvirt's <target dir='rootfs'/>"
expect_serial lv-tag '\] W: vfs: no 9p root .*the root is a ramfs' "and says the root is a ramfs"
check "lv-tag: nothing was written to the host directory" [ -z "$(ls -A "$tmp/other")" ]

# No share at all (the seed's disk that showed no filesystem): Ceres says
# there is no 9p device and how to attach one.
lv_start lv-none -- --image "$root/build/storestrings/ceres"
wait_line lv-none '^storestrings: listening on port'
lv_stop lv-none
expect_serial lv-none "\\] W: 9pfs: no virtio-9p device found, so no 'rootfs' .*to mount: .*libvirt's <filesystem type='mount'> with <target dir='rootfs'/>" \
	"no share: Ceres says there is no 9p device, and names libvirt's <filesystem>"
check "libvirt: every domain this test defined is gone" [ -z "$(v list --all --name 2>&1)" ]
