#!/usr/bin/env bash
# Makes sure this machine has what 'make run' (deps.sh run), 'make test'
# (deps.sh test), 'make bench' (deps.sh bench) or 'make libvirt' (deps.sh
# libvirt) needs. As root with apt-get, it installs what is missing;
# otherwise it names each missing piece and the Debian package that has it.
set -u
what=${1:-run}

# command-or-path:package
# Third-party applications (apps/redis) are fetched as Debian source
# packages (apt-get source: apt, patch, xz) and built with musl-gcc.
need_run=(gcc:gcc make:make nasm:nasm ld:binutils objcopy:binutils nm:binutils
	/usr/lib/x86_64-linux-musl/libc.a:musl-dev musl-gcc:musl-tools
	apt-get:apt patch:patch xz:xz-utils
	qemu-system-x86_64:qemu-system-x86 /usr/share/qemu/qboot.rom:qemu-system-data)
need_iso=(grub-mkrescue:grub-common /usr/lib/grub/i386-pc:grub-pc-bin xorriso:xorriso
	mformat:mtools)
# The network tests and benchmark: namespaces and taps (iproute2), ping,
# socat, scapy for Debian's /usr/bin/python3 (malformed frames), and tshark
# (SACK blocks and retransmissions on a lossy link).
need_net=(ip:iproute2 ping:iputils-ping socat:socat /usr/bin/python3:python3
	/usr/lib/python3/dist-packages/scapy:python3-scapy tshark:tshark)
# Redis's tests: Debian's redis-cli and redis-benchmark, and tclsh for
# Redis's own test suite.
need_redis=(redis-cli:redis-tools redis-benchmark:redis-tools tclsh:tcl)
# nginx's tests: curl, and gzip to unpack what the gzip module sends;
# headless Chromium (a browser's requests, a screenshot); ab and wrk (load).
need_nginx=(curl:curl gzip:gzip chromium:chromium ab:apache2-utils wrk:wrk)
# libvirt (make libvirt, tests/integration/libvirt.sh): the daemon with its
# QEMU driver, virsh, and xmllint for virt-xml-validate; no
# libvirt-daemon-system (systemd units, a default network).
need_libvirt=(libvirtd:libvirt-daemon
	/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so:libvirt-daemon-driver-qemu
	virsh:libvirt-clients virt-xml-validate:libvirt-clients xmllint:libxml2-utils
	unshare:util-linux nc:netcat-openbsd)
need_test=(gdb:gdb clang-format:clang-format timeout:coreutils taskset:util-linux "${need_net[@]}"
	"${need_redis[@]}" "${need_nginx[@]}" "${need_libvirt[@]}")
# The Redis benchmark: Debian's redis-server (in the Linux guest and natively)
# and redis-tools, its clients; the nginx benchmark: Debian's nginx (in the
# Linux guest), wrk and curl.
need_bench=(cpio:cpio gzip:gzip dpkg-deb:dpkg apt-get:apt ld:binutils strip:binutils nasm:nasm
	ip:iproute2 ping:iputils-ping redis-server:redis-server
	redis-cli:redis-tools redis-benchmark:redis-tools /usr/sbin/nginx:nginx wrk:wrk curl:curl)

case $what in
run) need=("${need_run[@]}") ;;
test) need=("${need_run[@]}" "${need_iso[@]}" "${need_test[@]}") ;;
bench) need=("${need_run[@]}" "${need_bench[@]}") ;;
libvirt) need=("${need_run[@]}" "${need_libvirt[@]}") ;;
*) echo "usage: tools/deps.sh run|test|bench|libvirt" >&2; exit 2 ;;
esac

missing_pkgs=()
missing_what=()
for item in "${need[@]}"; do
	thing=${item%%:*}
	pkg=${item#*:}
	if [[ $thing == /* ]]; then
		[ -e "$thing" ] && continue
	else
		command -v "$thing" >/dev/null 2>&1 && continue
	fi
	missing_what+=("$thing")
	[[ " ${missing_pkgs[*]} " == *" $pkg "* ]] || missing_pkgs+=("$pkg")
done
[ ${#missing_pkgs[@]} = 0 ] && exit 0

echo "deps: missing ${missing_what[*]} (Debian packages: ${missing_pkgs[*]})" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "deps: installing them with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	# tshark's package asks whether to install dumpcap setuid: no.
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections 2>/dev/null
	if apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}" >&2 ||
		{ apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}" >&2; }; then
		exit 0
	fi
	echo "deps: apt-get failed; install them by hand: apt-get install ${missing_pkgs[*]}" >&2
	exit 1
fi
echo "deps: as root run: apt-get install ${missing_pkgs[*]}" >&2
exit 1
