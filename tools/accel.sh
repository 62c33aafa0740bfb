#!/usr/bin/env bash
# tools/accel.sh auto|kvm|tcg: the accelerator for a Ceres guest, as
# "kvm|why" or "tcg|why" on stdout; status 125 and a message on stderr when
# the one asked for cannot be had. run.sh and tools/libvirt/ceres-xml (the
# domain type: kvm or qemu) both ask it.
#
# KVM only where the CPU virtualizes in hardware: a /dev/kvm served by a
# software hypervisor (kvm_pvm) is far slower than TCG (docs/running.md).
set -u
accel=${1:-auto}
mods=$(awk '{print $1}' /proc/modules 2>/dev/null)
usable() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
case $accel in
tcg) echo "tcg|asked for" ;;
kvm)
	usable || { echo "--accel kvm: /dev/kvm is missing or not usable by $(id -un)" >&2; exit 125; }
	echo "kvm|asked for" ;;
auto)
	if echo "$mods" | grep -qxE 'kvm_intel|kvm_amd'; then
		if usable; then
			echo "kvm|hardware virtualization ($(echo "$mods" | grep -xE 'kvm_intel|kvm_amd' | head -1))"
		else
			echo "tcg|/dev/kvm is not usable by $(id -un)"
		fi
	elif echo "$mods" | grep -qx kvm_pvm; then
		echo "tcg|/dev/kvm is kvm_pvm, a software hypervisor slower than TCG"
	else
		echo "tcg|no hardware virtualization: kvm_intel/kvm_amd not loaded"
	fi ;;
*) echo "--accel takes auto, kvm or tcg, not '$accel'" >&2; exit 125 ;;
esac
