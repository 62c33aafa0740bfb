#!/usr/bin/env bash
# Debian's source for a third-party program, unpacked and patched.
#
#   tools/debsrc.sh NAME VERSION DEST
#
# fetches Debian bookworm's source package NAME (whose upstream version must
# be VERSION), checks its tarballs against the checksums in the .dsc, keeps
# them in build/debsrc/NAME/ (a second run needs no network), and unpacks
# the upstream tarball into DEST with Debian's patches applied, in the order
# of debian/patches/series (a "1.0" source package, such as pcre2's, has
# one .diff.gz instead): the program Debian's own binary package is built
# from, security fixes included.
#
# The machine's apt sources have no deb-src line, and the system's apt is
# not to be touched: the fetch uses a private apt configuration under
# build/debsrc/apt/ (its own source list and package lists), which needs no
# root. The main suite is named (NAME/bookworm): the security suite's
# source files are not all served.
#
# With NAME_TARBALL set (REDIS_TARBALL=..., NGINX_TARBALL=...: the name in
# capitals), that local file is the upstream tarball. It must still match
# the .dsc when one is at hand; without network or cache it is used as it
# is, and without Debian's patches, and the script says so.
set -euo pipefail

die() {
	echo "debsrc: $*" >&2
	exit 1
}

[ $# = 3 ] || die "usage: tools/debsrc.sh NAME VERSION DEST"
name=$1 version=$2 dest=$3
root=$(cd "$(dirname "$0")/.." && pwd)
cache=$root/build/debsrc/$name
apt=$root/build/debsrc/apt
var=$(echo "${name}_TARBALL" | tr 'a-z-' 'A-Z_')
local_tarball=${!var:-}

apt_get() {
	apt-get -q -o Dir::Etc::sourcelist="$apt/sources.list" \
		-o Dir::Etc::sourceparts="$apt/sources.list.d" \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

# The .dsc and the tarballs it names, into the cache. Fails quietly (the
# caller says what went wrong) when there is no network or no apt.
fetch() {
	command -v apt-get >/dev/null || return 1
	mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial" "$cache"
	: >"$apt/sources.list"
	cat >"$apt/sources.list.d/debian-src.sources" <<-EOF
		Types: deb deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	apt_get update >"$cache/apt-update.log" 2>&1 || return 1
	(cd "$cache" && apt_get source --download-only "$name/bookworm") >"$cache/apt-source.log" 2>&1
}

# The sha256 the .dsc gives for FILE.
dsc_sha256() {
	awk -v f="$2" '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 }
		on && $3 == f { print $1 }' "$1"
}

dsc=$(ls "$cache"/"${name}"_"${version}"-*.dsc 2>/dev/null | tail -1 || true)
if [ -z "$dsc" ] && ! fetch; then
	if [ -z "$local_tarball" ]; then
		die "cannot fetch Debian's source package '$name' (see $cache/apt-*.log if present;" \
			"apt-get and a network path to deb.debian.org are needed), and $var is not set:" \
			"set $var=/path/to/${name}-${version}.tar.gz to build from a local upstream tarball"
	fi
fi
dsc=${dsc:-$(ls "$cache"/"${name}"_*.dsc 2>/dev/null | tail -1 || true)}
if [ -n "$dsc" ]; then
	got=$(awk '/^Version:/ { print $2 }' "$dsc")
	upstream=${got#*:}
	upstream=${upstream%-*}
	[ "$upstream" = "$version" ] ||
		die "Debian's $name is now $got (upstream $upstream), the recipe is for $version: update the recipe"
fi

# The .dsc's own names for its two tarballs.
dsc_file() {
	awk -v pat="$2" '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 }
		on && $3 ~ pat { print $3 }' "$1"
}

orig=$local_tarball
if [ -n "$dsc" ]; then
	base=$(dsc_file "$dsc" '\\.orig\\.tar\\.')
	[ -n "$base" ] || die "$(basename "$dsc") names no upstream tarball"
	orig=${orig:-$cache/$base}
	[ -f "$orig" ] || die "${local_tarball:+$var=}$orig: no such file"
	want=$(dsc_sha256 "$dsc" "$base")
	have=$(sha256sum "$orig" | cut -d' ' -f1)
	[ "$have" = "$want" ] ||
		die "$orig: sha256 $have, but $(basename "$dsc") says $want for $base: refusing to build from it"
	# A "3.0 (quilt)" package has a Debian tarball; a "1.0" one (pcre2)
	# a diff.gz, which adds debian/ and changes the upstream files itself.
	debian=$cache/$(dsc_file "$dsc" '\\.(debian\\.tar\\.|diff\\.gz$)')
	[ -f "$debian" ] || die "$(basename "$dsc"): its Debian tarball or diff is not in $cache"
	want=$(dsc_sha256 "$dsc" "$(basename "$debian")")
	have=$(sha256sum "$debian" | cut -d' ' -f1)
	[ "$have" = "$want" ] || die "$debian: sha256 $have, but $(basename "$dsc") says $want"
else
	[ -f "$orig" ] || die "$var=$orig: no such file"
	debian=""
	echo "debsrc: no .dsc for $name (no network, nothing cached): building $orig as it is," \
		"without Debian's patches" >&2
fi

rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
tar -xf "$orig" -C "$dest.tmp" --strip-components=1
case $debian in
*.diff.gz)
	gzip -dc "$debian" | patch -d "$dest.tmp" -s -f --no-backup-if-mismatch -p1 ||
		die "Debian's $(basename "$debian") does not apply to $orig"
	;;
?*)
	tar -xf "$debian" -C "$dest.tmp"
	series=$dest.tmp/debian/patches/series
	if [ -f "$series" ]; then
		while read -r patch opts; do
			case $patch in '' | '#'*) continue ;; esac
			patch -d "$dest.tmp" -s -f --no-backup-if-mismatch ${opts:--p1} \
				<"$dest.tmp/debian/patches/$patch" ||
				die "Debian's patch $patch does not apply to $orig"
		done <"$series"
	fi
	;;
esac
{
	echo "upstream: $(basename "$orig") sha256 $(sha256sum "$orig" | cut -d' ' -f1)"
	if [ -n "$debian" ]; then echo "debian: $(basename "$debian")"; else echo "debian: none (not patched)"; fi
} >"$dest.tmp/.ceres-source"
mv "$dest.tmp" "$dest"
