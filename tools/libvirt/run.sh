#!/usr/bin/env bash
# Boots a Ceres image as a libvirt domain: 'make libvirt' (docs/libvirt.md).
#
#   tools/libvirt/run.sh [--uri URI] [--keep] [--timeout S] [--console FILE]
#                        [--name NAME] -- CERES-XML-OPTIONS
#
# Writes the domain XML (tools/libvirt/ceres-xml), defines and starts the
# domain with virsh, streams its serial console to stdout, waits for it to
# end and exits with the application's status, read from the console's
# "shutdown: powering off, exit status N" (libvirt has no isa-debug-exit):
# the statuses of docs/exit-status.md, with 124 for --timeout, 125 when the
# domain could not be defined or started, and 126 when it ended without
# the line. The domain is undefined at the end unless --keep.
#
# libvirt: URI (--uri, or $LIBVIRT_DEFAULT_URI), else the system libvirtd if
# one answers on qemu:///system, else (as root) a private libvirtd for this
# run (tools/libvirt/libvirtd.sh), stopped at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prog=libvirt
die() { echo "$prog: $*" >&2; exit 125; }

uri=${LIBVIRT_DEFAULT_URI:-} keep=0 timeout_s="" console="" name=""
while [ $# -gt 0 ]; do
	case $1 in
	--uri) uri=${2:?--uri needs a URI}; shift ;;
	--keep) keep=1 ;;
	--timeout) timeout_s=${2:?--timeout needs seconds}; shift ;;
	--console) console=${2:?--console needs a file}; shift ;;
	--name) name=${2:?--name needs a name}; shift ;;
	--) shift; break ;;
	*) die "unknown option '$1' (ceres-xml's options go after --)" ;;
	esac
	shift
done
case $timeout_s in *[!0-9]*) die "--timeout takes whole seconds, not '$timeout_s'" ;; esac
xml_args=("$@")
image=""
for ((i = 0; i < ${#xml_args[@]}; i++)); do
	[ "${xml_args[i]}" = --image ] && image=${xml_args[i + 1]:-}
done
[ -n "$image" ] || die "no --image after --"
app=$(basename "$(dirname "$(readlink -f "$image")")")
name=${name:-ceres-$app}
work=$root/build/$app/libvirt
mkdir -p "$work" || die "cannot make $work"
console=${console:-$work/console.log}
console=$(readlink -f "$console")
daemon_dir=""

for c in virsh python3; do
	command -v "$c" >/dev/null || die "$c not found: tools/deps.sh libvirt installs libvirt"
done
if [ -z "$uri" ]; then
	if virsh -q -c qemu:///system uri >/dev/null 2>&1; then
		uri=qemu:///system
	else
		daemon_dir=$work/daemon
		uri=$("$here/libvirtd.sh" start "$daemon_dir") || die "no libvirtd answers on qemu:///system, and a private one did not start"
		echo "$prog: no system libvirtd: started a private one ($uri)" >&2
	fi
fi
v() { virsh -q -c "$uri" "$@"; }

defined=0 waiter="" tailer=""
finish() {
	[ -n "$waiter" ] && kill "$waiter" 2>/dev/null
	[ -n "$tailer" ] && kill "$tailer" 2>/dev/null
	if [ "$defined" = 1 ]; then
		[ "$(v domstate "$name" 2>/dev/null)" = "shut off" ] || v destroy "$name" >/dev/null 2>&1
		if [ "$keep" = 1 ]; then
			echo "$prog: kept the domain $name (virsh -c '$uri' undefine $name)" >&2
		else
			v undefine "$name" >/dev/null 2>&1 || echo "$prog: could not undefine $name" >&2
		fi
	fi
	[ -n "$daemon_dir" ] && "$here/libvirtd.sh" stop "$daemon_dir"
}
trap finish EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

xml=$work/$name.xml
"$here/ceres-xml" --name "$name" --console "$console" "${xml_args[@]}" >"$xml" || exit 125
if [ "$(v domstate "$name" 2>/dev/null)" = running ]; then
	die "the domain $name is running already (virsh -c '$uri' destroy $name)"
fi
rm -f "$console"
v define "$xml" >/dev/null || die "virsh define $xml failed"
defined=1
v start "$name" >/dev/null || die "virsh start $name failed (the domain's XML: $xml)"
echo "$prog: started $name ($uri), console in $console" >&2

# The waiter polls the domain until it is off (or the timeout); tail
# streams the console until the waiter ends, then prints what is left.
(
	t0=$SECONDS
	while [ "$(v domstate "$name" 2>/dev/null)" = running ]; do
		if [ -n "$timeout_s" ] && [ $((SECONDS - t0)) -ge "$timeout_s" ]; then
			v destroy "$name" >/dev/null 2>&1
			exit 124
		fi
		sleep 0.2
	done
) &
waiter=$!
tail -n +1 -F -s 0.1 --pid="$waiter" "$console" 2>/dev/null &
tailer=$!
wait "$waiter"
rc=$?
waiter=""
wait "$tailer"
tailer=""
if [ "$rc" = 124 ]; then
	echo "$prog: timed out after ${timeout_s}s; the domain was destroyed" >&2
	exit 124
fi
status=$(tr -d '\r' <"$console" 2>/dev/null |
	sed -n 's/.*\] I: shutdown: powering off, exit status \([0-9][0-9]*\)$/\1/p' | tail -1)
if [ -z "$status" ]; then
	echo "$prog: the domain ended without reporting a status ($(v domstate --reason "$name" 2>/dev/null))" >&2
	exit 126
fi
exit "$status"
