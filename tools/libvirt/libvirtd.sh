#!/usr/bin/env bash
# A private libvirtd, for machines without a system one (no systemd) and for
# the tests (docs/libvirt.md):
#
#   tools/libvirt/libvirtd.sh start DIR   prints the URI to give virsh -c
#   tools/libvirt/libvirtd.sh stop DIR    kills it by its process id
#
# As root. The daemon runs in a mount namespace of its own, where
# /etc/libvirt is DIR/etc (this script's libvirtd.conf and qemu.conf, and
# no networks: nothing sets up virbr0) and libvirt's state, log and cache
# folders are empty tmpfs mounts; /etc/passwd and /etc/group there carry
# the libvirt-qemu user that the QEMU driver resolves at start (Debian's
# libvirt-daemon-system would add it to the host's). Its socket is
# DIR/libvirt-sock, outside that namespace. QEMU runs as root (passthrough
# 9p shares need it), without cgroups or per-domain namespaces, and writes
# its own log (stdio_handler file): no virtlogd is needed. The daemon stays
# in the caller's network namespace: the taps of its domains are made there.
set -u
prog=libvirtd.sh
die() { echo "$prog: $*" >&2; exit 1; }
[ $# = 2 ] || die "usage: $prog start|stop DIR"
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd) || die "cannot make $2"
pidfile=$dir/libvirtd.pid
uri="qemu:///system?socket=$dir/libvirt-sock"

# gone PID: PID has ended. The daemon is not our child: once it exits it
# waits as a zombie until the machine's init reaps it, which may be late.
gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" = Z ]
}

stop() {
	local pid
	[ -s "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	# Only the daemon this script started: the pid file is ours.
	if kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = libvirtd ]; then
		kill "$pid"
		for _ in $(seq 50); do gone "$pid" && break; sleep 0.1; done
		gone "$pid" || kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$pidfile"
}

start() {
	[ "$(id -u)" = 0 ] || die "a private libvirtd runs as root; $(id -un) is not"
	command -v libvirtd >/dev/null || die "libvirtd not found: tools/deps.sh libvirt"
	[ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && { echo "$uri"; return; }
	mkdir -p "$dir/etc"
	cat >"$dir/etc/libvirtd.conf" <<CONF
unix_sock_dir = "$dir"
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$dir/libvirtd.log"
CONF
	cat >"$dir/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
CONF
	{ cat /etc/passwd; grep -q '^libvirt-qemu:' /etc/passwd ||
		echo 'libvirt-qemu:x:64055:64055:libvirt (private):/var/lib/libvirt:/usr/sbin/nologin'; } >"$dir/passwd"
	{ cat /etc/group; grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:'; } >"$dir/group"
	rm -f "$pidfile"
	# shellcheck disable=SC2016
	unshare -m --propagation private sh -ec '
		dir=$1
		mount --bind "$dir/passwd" /etc/passwd
		mount --bind "$dir/group" /etc/group
		mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
		mount --bind "$dir/etc" /etc/libvirt
		for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
			mount -t tmpfs -o mode=0755 tmpfs "$d"
		done
		exec libvirtd -d -f /etc/libvirt/libvirtd.conf -p "$dir/libvirtd.pid"' sh "$dir" ||
		die "libvirtd did not start: see $dir/libvirtd.log"
	for _ in $(seq 100); do
		[ -S "$dir/libvirt-sock" ] && virsh -q -c "$uri" uri >/dev/null 2>&1 && { echo "$uri"; return; }
		sleep 0.1
	done
	stop
	die "libvirtd did not answer on $dir/libvirt-sock: see $dir/libvirtd.log"
}

case $cmd in
start) start ;;
stop) stop ;;
*) die "usage: $prog start|stop DIR" ;;
esac
