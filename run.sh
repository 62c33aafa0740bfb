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
  --net none|user|tap[:IF]  network (default none; tap uses IF, default ceres0)
  --fs DIR               share DIR with the guest over virtio-9p (tag rootfs)
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
timeout_s="" exit_device=1 pidfile="" build=1 dry=0 app=hello image_override="" initrd=""
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
	--net) net=${2:?--net needs a value}; shift ;;
	--fs) fs=${2:?--fs needs a directory}; shift ;;
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

# KVM only where the CPU virtualizes in hardware: a /dev/kvm served by a
# software hypervisor (kvm_pvm) is far slower than TCG (docs/running.md).
choose_accel() {
	local mods
	mods=$(awk '{print $1}' /proc/modules 2>/dev/null)
	case $accel in
	tcg) echo "tcg|asked for" ;;
	kvm)
		[ -r /dev/kvm ] && [ -w /dev/kvm ] || die "--accel kvm: /dev/kvm is missing or not usable by $(id -un)"
		echo "kvm|asked for" ;;
	auto)
		if echo "$mods" | grep -qxE 'kvm_intel|kvm_amd'; then
			if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
				echo "kvm|hardware virtualization ($(echo "$mods" | grep -xE 'kvm_intel|kvm_amd' | head -1))"
			else
				echo "tcg|/dev/kvm is not usable by $(id -un)"
			fi
		elif echo "$mods" | grep -qx kvm_pvm; then
			echo "tcg|/dev/kvm is kvm_pvm, a software hypervisor slower than TCG"
		else
			echo "tcg|no hardware virtualization: kvm_intel/kvm_amd not loaded"
		fi ;;
	*) die "--accel takes auto, kvm or tcg, not '$accel'" ;;
	esac
}

IFS='|' read -r accel_name accel_why <<<"$(choose_accel)" || exit 125
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
[ "$exit_device" = 1 ] && qemu+=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)
[ "$gdb" = 1 ] && qemu+=(-gdb "tcp:127.0.0.1:$gdb_port" -S)
[ -n "$pidfile" ] && qemu+=(-pidfile "$pidfile")

case $net in
none) ;;
user) qemu+=(-netdev user,id=net0 -device virtio-net-pci,netdev=net0) ;;
tap | tap:*)
	ifname=${net#tap}
	ifname=${ifname#:}
	qemu+=(-netdev "tap,id=net0,ifname=${ifname:-ceres0},script=no,downscript=no"
		-device virtio-net-pci,netdev=net0) ;;
*) die "--net takes none, user or tap[:IFNAME], not '$net'" ;;
esac
if [ -n "$fs" ]; then
	[ -d "$fs" ] || die "--fs: '$fs' is not a directory"
	qemu+=(-fsdev "local,id=fs0,path=$fs,security_model=none"
		-device virtio-9p-pci,fsdev=fs0,mount_tag=rootfs)
fi

if [ "$dry" = 1 ]; then
	printf '%q ' "${qemu[@]}"
	echo
	exit 0
fi

[ -f "${image:-$kernel}" ] || die "no image at ${image:-$kernel}: build it with 'make APP=$app'"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
echo "$prog: booting $app with $accel_name ($accel_why)" >&2
[ "$gdb" = 1 ] && echo "$prog: halted; gdb stub on 127.0.0.1:$gdb_port ('make gdb' attaches)" >&2

if [ -n "$timeout_s" ]; then
	timeout -k 5 "$timeout_s" "${qemu[@]}"
else
	"${qemu[@]}"
fi
rc=$?

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
