#!/usr/bin/env bash
# Boots a Ceres image under QEMU. ./run.sh --help for the options.
#
# The exit status is the application's (0-118) or what ended the guest
# otherwise (docs/exit-status.md): 119 deadlock, 120 panic, 121 CPU
# exception, 122 no long mode, 123 bad boot, 124 timeout, 125 QEMU failed or
# run.sh was used wrongly, 126 the guest stopped without reporting a status.
set -u

here=$(cd "$(dirname "$0")" && pwd)
prog=run.sh

usage() {
	cat <<USAGE
usage: $prog [options] [app]          (app defaults to hello)

  --accel auto|kvm|tcg   accelerator (default auto: KVM only with hardware
                         virtualization, i.e. kvm_intel or kvm_amd loaded)
  --cpu MODEL            QEMU CPU model (default: host under KVM, max under TCG)
  --machine TYPE         QEMU machine: pc (default), q35 or microvm
  --smp N                CPUs (default 1); Ceres runs on the first one only
  -m MIB                 guest memory in MiB, at least 2 (default 128)
  --append "P -- A"      kernel parameters P, then application arguments A
  --iso                  boot build/APP/ceres.iso through GRUB instead
  --gdb                  start halted with QEMU's gdb stub on 127.0.0.1
  --gdb-port N           the stub's port (default 1234)
  --gdb-stub PORT        Ceres's own gdb stub, which sees every thread
                         (docs/gdbstub.md): COM2 served on 127.0.0.1:PORT,
                         and gdb=com2 among the kernel parameters
  --gdb-wait             with --gdb-stub: the kernel waits for gdb before
                         the application starts (gdb.wait)
  --net none|user|tap[:IF]  network (default none). user: QEMU's own NAT
                         (the guest gets 10.0.2.15 by DHCP). tap: the tap IF
                         (default ceres0) in this network namespace, made as
                         root if missing (host side 172.44.0.1/24; the guest
                         is 172.44.0.2 by convention) and removed again when
                         QEMU ends; an existing one is reused as it is
  --fwd PROTO:HOST:GUEST  with --net user: forward 127.0.0.1:HOST on this
                         machine (tcp or udp) to the guest's port GUEST;
                         repeatable
  --nic-transport default|modern|legacy  the virtio-net PCI device: both
                         interfaces (QEMU's default), modern only
                         (disable-legacy=on) or legacy only (disable-modern=on)
  --nic-opts OPTS        more virtio-net-pci properties, e.g. mq=on,csum=off
  --fs DIR               share DIR with the guest over virtio-9p: -fsdev local
                         and a virtio-9p-pci device (Ceres mounts it as /)
  --fs-tag TAG           the 9p mount tag (default rootfs)
  --fs-model none|mapped-xattr|passthrough  the -fsdev security model
                         (default none). passthrough keeps the guest's
                         owners and modes on the host files: it needs root
  --fs-transport default|modern|legacy  the virtio-9p PCI device: both
                         interfaces (QEMU's default), modern only
                         (disable-legacy=on) or legacy only (disable-modern=on)
  --virtfs               attach --fs DIR through QEMU's -virtfs shorthand
                         instead (same tag and model; it cannot choose the
                         transport)
  --serial FILE          write the serial console to FILE, not this terminal
  --timeout SECONDS      stop the guest after this long (status 124)
  --no-exit-device       leave out isa-debug-exit, as libvirt does; the
                         kernel then powers off through ACPI
  --pidfile FILE         write QEMU's process id to FILE
  --kernel FILE          boot FILE instead of build/APP/ceres (the benchmarks
                         boot their Linux guest this way, on the same machine)
  --initrd FILE          with --kernel: an initial ramdisk
  --no-build             do not run make first
  --dry-run              print the QEMU command and exit
  -h, --help             this text
USAGE
}

die() {
	echo "$prog: $*" >&2
	exit 125
}

accel=auto cpu="" machine=pc smp=1 mem=128 append="" iso=0 gdb=0 gdb_port=1234 net=none fs="" serial=""
gdb_stub="" gdb_wait=0
timeout_s="" exit_device=1 pidfile="" build=1 dry=0 app=hello image_override="" initrd=""
fwds=() nic_transport=default nic_opts="" fs_tag=rootfs fs_model=none fs_transport=default virtfs=0
while [ $# -gt 0 ]; do
	case $1 in
	--accel) accel=${2:?--accel needs a value}; shift ;;
	--cpu) cpu=${2:?--cpu needs a model}; shift ;;
	--machine) machine=${2:?--machine needs a type}; shift ;;
	--smp) smp=${2:?--smp needs a count}; shift ;;
	-m) mem=${2:?-m needs a value}; shift ;;
	--append) append=${2?--append needs a value}; shift ;;
	--iso) iso=1 ;;
	--gdb) gdb=1 ;;
	--gdb-port) gdb_port=${2:?--gdb-port needs a value}; shift ;;
	--gdb-stub) gdb_stub=${2:?--gdb-stub needs a port}; shift ;;
	--gdb-wait) gdb_wait=1 ;;
	--net) net=${2:?--net needs a value}; shift ;;
	--fwd) fwds+=("${2:?--fwd needs PROTO:HOSTPORT:GUESTPORT}"); shift ;;
	--nic-transport) nic_transport=${2:?--nic-transport needs default, modern or legacy}; shift ;;
	--nic-opts) nic_opts=${2?--nic-opts needs properties}; shift ;;
	--fs) fs=${2:?--fs needs a directory}; shift ;;
	--fs-tag) fs_tag=${2:?--fs-tag needs a tag}; shift ;;
	--fs-model) fs_model=${2:?--fs-model needs none, mapped-xattr or passthrough}; shift ;;
	--fs-transport) fs_transport=${2:?--fs-transport needs default, modern or legacy}; shift ;;
	--virtfs) virtfs=1 ;;
	--serial) serial=${2:?--serial needs a file}; shift ;;
	--timeout) timeout_s=${2:?--timeout needs seconds}; shift ;;
	--no-exit-device) exit_device=0 ;;
	--pidfile) pidfile=${2:?--pidfile needs a file}; shift ;;
	--kernel) image_override=${2:?--kernel needs a file}; build=0; shift ;;
	--initrd) initrd=${2:?--initrd needs a file}; shift ;;
	--no-build) build=0 ;;
	--dry-run) dry=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; die "unknown option '$1'" ;;
	*) app=$1 ;;
	esac
	shift
done

case $mem in '' | *[!0-9]*) die "-m takes a whole number of MiB, not '$mem'" ;; esac
# QEMU loads the kernel at 1 MiB: below 2 MiB there is no RAM left for it
# (with -m 1 the guest prints nothing), and QEMU turns -m 0 into its default.
[ "$mem" -ge 2 ] || die "-m $mem is too small: Ceres needs at least 2 MiB (QEMU loads it at 1 MiB)"
case $smp in '' | *[!0-9]* | 0) die "--smp takes a number of CPUs (1 or more), not '$smp'" ;; esac
case $machine in pc | q35 | microvm) ;; *) die "--machine takes pc, q35 or microvm, not '$machine'" ;; esac
case $gdb_port in '' | *[!0-9]*) die "--gdb-port takes a port number, not '$gdb_port'" ;; esac
case $timeout_s in *[!0-9]*) die "--timeout takes whole seconds, not '$timeout_s'" ;; esac
case $gdb_stub in *[!0-9]*) die "--gdb-stub takes a port number, not '$gdb_stub'" ;; esac
[ "$gdb_wait" = 1 ] && [ -z "$gdb_stub" ] && die "--gdb-wait goes with --gdb-stub PORT"
# The stub is switched on by kernel parameters, which go before "--".
[ "$gdb_wait" = 1 ] && append="gdb.wait${append:+ $append}"
[ -n "$gdb_stub" ] && append="gdb=com2${append:+ $append}"

# KVM only with hardware virtualization (tools/accel.sh says why).
accel_line=$("$here/tools/accel.sh" "$accel" 2>&1) || die "$accel_line"
IFS='|' read -r accel_name accel_why <<<"$accel_line"
[ -n "$accel_name" ] || exit 125

build_dir=$here/build/$app
kernel=${image_override:-$build_dir/ceres}
qemu=(qemu-system-x86_64 -M "$machine" -m "$mem" -smp "$smp" -nodefaults -no-user-config
	-no-reboot -display none)
# microvm has no VGA (and no PCI); the others get a standard VGA.
[ "$machine" = microvm ] || qemu+=(-vga std)
if [ "$accel_name" = kvm ]; then
	qemu+=(-accel kvm -cpu "${cpu:-host}")
else
	qemu+=(-accel tcg -cpu "${cpu:-max}")
fi

if [ "$iso" = 1 ]; then
	[ "$machine" = microvm ] && die "--iso needs a CD drive, which microvm has not: use pc or q35"
	image=$build_dir/ceres.iso
	if [ -n "$append" ]; then
		image=$build_dir/ceres-run.iso
		[ "$dry" = 1 ] || [ "$build" = 0 ] || make -s -C "$here" APP="$app" || exit 125
		[ "$dry" = 1 ] || "$here/tools/mkiso.sh" "$kernel" "$image" "$append" || exit 125
	elif [ "$build" = 1 ] && [ "$dry" = 0 ]; then
		make -s -C "$here" APP="$app" iso || exit 125
	fi
	qemu+=(-cdrom "$image" -boot d)
else
	[ "$build" = 1 ] && [ "$dry" = 0 ] && { make -s -C "$here" APP="$app" || exit 125; }
	# qboot, QEMU's minimal firmware, boots -kernel in half SeaBIOS's time
	# (microvm's own firmware is qboot already).
	[ "$machine" = microvm ] || qemu+=(-bios qboot.rom)
	qemu+=(-kernel "$kernel")
	[ -n "$initrd" ] && qemu+=(-initrd "$initrd")
	[ -n "$append" ] && qemu+=(-append "$append")
fi

if [ -n "$serial" ]; then
	qemu+=(-serial "file:$serial")
else
	qemu+=(-serial mon:stdio)
fi
# The second -serial is COM2, the stub's: gdb connects to it whenever it likes.
[ -n "$gdb_stub" ] && qemu+=(-serial "tcp:127.0.0.1:$gdb_stub,server=on,wait=off")
[ "$exit_device" = 1 ] && qemu+=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)
[ "$gdb" = 1 ] && qemu+=(-gdb "tcp:127.0.0.1:$gdb_port" -S)
[ -n "$pidfile" ] && qemu+=(-pidfile "$pidfile")

# The virtio-net device, with the transport the tests choose.
nic=virtio-net-pci,netdev=net0
case $nic_transport in
default) ;;
modern) nic+=,disable-legacy=on ;;
legacy) nic+=,disable-modern=on ;;
*) die "--nic-transport takes default, modern or legacy, not '$nic_transport'" ;;
esac
[ -n "$nic_opts" ] && nic+=,$nic_opts
[ ${#fwds[@]} -gt 0 ] && [ "$net" != user ] && die "--fwd needs --net user"
tap_if=""
case $net in
none) ;;
user)
	user=user,id=net0
	for f in "${fwds[@]}"; do
		IFS=: read -r proto hport gport extra <<<"$f"
		case $proto in tcp | udp) ;; *) die "--fwd $f: the protocol is tcp or udp, not '$proto'" ;; esac
		for p in "$hport" "$gport"; do
			case $p in '' | *[!0-9]*) die "--fwd $f: expected PROTO:HOSTPORT:GUESTPORT, e.g. tcp:8080:80" ;; esac
			[ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "--fwd $f: port $p is not 1-65535"
		done
		[ -z "$extra" ] || die "--fwd $f: expected PROTO:HOSTPORT:GUESTPORT, e.g. tcp:8080:80"
		# Bound to loopback only: the guest is never reachable from the network.
		user+=",hostfwd=$proto:127.0.0.1:$hport-:$gport"
	done
	qemu+=(-netdev "$user" -device "$nic") ;;
tap | tap:*)
	tap_if=${net#tap}
	tap_if=${tap_if#:}
	tap_if=${tap_if:-ceres0}
	case $tap_if in *[!A-Za-z0-9_.-]* | ????????????????*) die "--net tap:IF: '$tap_if' is not an interface name" ;; esac
	qemu+=(-netdev "tap,id=net0,ifname=$tap_if,script=no,downscript=no" -device "$nic") ;;
*) die "--net takes none, user or tap[:IFNAME], not '$net'" ;;
esac
# The host directory over virtio-9p, as -fsdev and -device or as -virtfs.
case $fs_model in
none | mapped-xattr) ;;
passthrough) [ -z "$fs" ] || [ "$(id -u)" = 0 ] || [ "$dry" = 1 ] ||
	die "--fs-model passthrough: QEMU must run as root to give the host files the guest's owners; $(id -un) is not root (use none or mapped-xattr)" ;;
*) die "--fs-model takes none, mapped-xattr or passthrough, not '$fs_model'" ;;
esac
case $fs_tag in '' | *[!A-Za-z0-9_.-]*) die "--fs-tag: '$fs_tag' is not a mount tag (letters, digits, _ . -)" ;; esac
p9dev=virtio-9p-pci,fsdev=fs0,mount_tag=$fs_tag
case $fs_transport in
default) ;;
modern) p9dev+=,disable-legacy=on ;;
legacy) p9dev+=,disable-modern=on ;;
*) die "--fs-transport takes default, modern or legacy, not '$fs_transport'" ;;
esac
if [ -n "$fs" ]; then
	[ -d "$fs" ] || die "--fs: '$fs' is not a directory"
	case $fs in *,*) die "--fs: QEMU cannot take a path with a comma: '$fs'" ;; esac
	if [ "$virtfs" = 1 ]; then
		[ "$fs_transport" = default ] || die "--virtfs cannot choose the transport: use --fs-transport without --virtfs"
		qemu+=(-virtfs "local,id=fs0,path=$fs,security_model=$fs_model,mount_tag=$fs_tag")
	else
		qemu+=(-fsdev "local,id=fs0,path=$fs,security_model=$fs_model" -device "$p9dev")
	fi
fi

# The host's side of --net tap: 172.44.0.1/24 on the tap, in this network
# namespace. tap_setup makes the tap (root only) or reuses one, and records
# what it changed; tap_teardown undoes exactly that, and nothing else.
tap_host_addr=172.44.0.1/24
tap_made=0 tap_addr_added=0 tap_upped=0 qemu_pid=""
tap_setup() {
	local root=0
	[ "$(id -u)" = 0 ] && root=1
	[ -c /dev/net/tun ] || die "--net tap: /dev/net/tun is missing (modprobe tun)"
	[ "$root" = 1 ] || { [ -r /dev/net/tun ] && [ -w /dev/net/tun ]; } ||
		die "--net tap: QEMU needs read-write access to /dev/net/tun, which $(id -un) has not"
	if ip link show dev "$tap_if" >/dev/null 2>&1; then
		ip -d link show dev "$tap_if" | grep -q 'tun type tap' ||
			die "--net tap: '$tap_if' exists but is not a tap device"
		if ! ip -o -4 addr show dev "$tap_if" | grep -q " inet ${tap_host_addr%/*}/"; then
			if [ "$root" = 1 ] && ip addr add "$tap_host_addr" dev "$tap_if"; then
				tap_addr_added=1
				echo "$prog: added $tap_host_addr to the existing tap $tap_if" >&2
			else
				echo "$prog: warning: the tap $tap_if has no address $tap_host_addr: the guest's 172.44.0.2 is not reachable from here" >&2
			fi
		fi
		if ! ip -o link show dev "$tap_if" | grep -q '[<,]UP[,>]'; then
			if [ "$root" = 1 ] && ip link set "$tap_if" up; then
				tap_upped=1
			else
				echo "$prog: warning: the tap $tap_if is down" >&2
			fi
		fi
		echo "$prog: using the existing tap $tap_if$([ "$tap_addr_added$tap_upped" = 00 ] && echo ', as it is')" >&2
		return
	fi
	[ "$root" = 1 ] || die "--net tap: there is no tap '$tap_if' in this network namespace, and making one needs root. Run run.sh as root, or make it once as root: ip tuntap add dev $tap_if mode tap user $(id -un) && ip addr add $tap_host_addr dev $tap_if && ip link set $tap_if up"
	ip tuntap add dev "$tap_if" mode tap >&2 || die "--net tap: 'ip tuntap add dev $tap_if mode tap' failed"
	tap_made=1
	if ! { ip addr add "$tap_host_addr" dev "$tap_if" && ip link set "$tap_if" up; } >&2; then
		tap_teardown
		die "--net tap: could not give $tap_if the address $tap_host_addr and bring it up"
	fi
	echo "$prog: made the tap $tap_if with $tap_host_addr in this network namespace; it goes when QEMU ends" >&2
}

tap_teardown() {
	if [ "$tap_made" = 1 ]; then
		ip link del dev "$tap_if" 2>/dev/null && echo "$prog: removed the tap $tap_if" >&2
		tap_made=0
		return
	fi
	if [ "$tap_addr_added" = 1 ]; then
		ip addr del "$tap_host_addr" dev "$tap_if" 2>/dev/null &&
			echo "$prog: took $tap_host_addr off $tap_if again" >&2
		tap_addr_added=0
	fi
	if [ "$tap_upped" = 1 ]; then
		ip link set "$tap_if" down 2>/dev/null
		tap_upped=0
	fi
}

# EXIT trap of a tap run: QEMU first (it holds the tap open), then the tap.
tap_stop() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
	fi
	tap_teardown
}

if [ "$dry" = 1 ]; then
	printf '%q ' "${qemu[@]}"
	echo
	exit 0
fi

[ -f "${image:-$kernel}" ] || die "no image at ${image:-$kernel}: build it with 'make APP=$app'"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
echo "$prog: booting $app with $accel_name ($accel_why)" >&2
[ "$gdb" = 1 ] && echo "$prog: halted; gdb stub on 127.0.0.1:$gdb_port ('make gdb' attaches)" >&2
[ -n "$gdb_stub" ] && echo "$prog: Ceres's gdb stub on 127.0.0.1:$gdb_stub (target remote 127.0.0.1:$gdb_stub)" >&2

if [ -n "$timeout_s" ]; then
	qemu=(timeout -k 5 "$timeout_s" "${qemu[@]}")
fi
if [ -n "$tap_if" ]; then
	# QEMU runs in the background so that a signal to run.sh is handled at
	# once: the trap stops QEMU, then takes down what tap_setup made.
	tap_setup
	trap tap_stop EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	"${qemu[@]}" <&0 &
	qemu_pid=$!
	wait "$qemu_pid"
	rc=$?
	qemu_pid=""
else
	"${qemu[@]}"
	rc=$?
fi

# QEMU exits with (v << 1) | 1 for a value v written to isa-debug-exit; the
# kernel writes status + 1 (kernel/shutdown.c).
if [ "$rc" = 124 ] && [ -n "$timeout_s" ]; then
	echo "$prog: timed out after ${timeout_s}s" >&2
	exit 124
elif [ "$rc" = 0 ]; then
	if [ "$exit_device" = 1 ]; then
		echo "$prog: the guest stopped without reporting a status (triple fault, power-off or quit)" >&2
		exit 126
	fi
	exit 0
elif [ "$rc" = 1 ]; then
	echo "$prog: QEMU failed (exit status 1)" >&2
	exit 125
elif [ $((rc & 1)) = 1 ] && [ "$rc" -lt 256 ]; then
	exit $(((rc >> 1) - 1))
fi
echo "$prog: QEMU ended with status $rc" >&2
exit 125
