#!/usr/bin/env bash
# The nginx benchmark (docs/benchmarks.md): nginx 1.22.1 on Ceres
# (make APP=nginx) against two nginx servers in the Linux guest baseline:
# Debian's own nginx (the host's /usr/sbin/nginx with the shared libraries
# ldd names) and the very objects Ceres links, as a static musl program
# (make APP=nginx linux). The three share one nginx.conf (one process, no
# access log, sendfile on), the QEMU machine, memory, a tap in a network
# namespace made here (bench/guest.sh), and a 9p share holding the
# configuration and the files they serve: nginx's own 615-byte index.html
# and a 1 MiB file. wrk (Debian's) drives them from the namespace. Per
# repetition, one boot each of Ceres, Debian's nginx and the musl nginx:
#   nginx_ready_ms          QEMU start to the first 200 (bench/ready.py)
#   nginx_{ka,close}_per_s  wrk -t2 -c50 on the page, keep-alive and
#                           with Connection: close: requests per second
#   nginx_{ka,close}_p50_us, nginx_{ka,close}_p99_us  their latencies
#   nginx_close2_per_s, nginx_close3_per_s  two more Connection: close
#                           runs right after the first, in the same boot
#   nginx_small_ka_per_s    keep-alive as above in NGINX_SMALL_MIB (8) of
#                           RAM, once per system (first repetition only)
#   nginx_1m_mibps          wrk -t2 -c10 on the 1 MiB file: MiB/s
# Writes OUTDIR/{ceres,linux,linux_musl}-R.txt (RESULT lines), the
# consoles OUTDIR/SYSTEM-R.log, wrk's output OUTDIR/SYSTEM-R-WHAT.wrk, and
# OUTDIR/problems.txt: each boot whose console has a kernel error or an
# nginx alert or worse, each wrk run with errors or non-2xx answers.
# Usage: bench/nginx.sh OUTDIR REPS LINUX_DIR (bench/linux-guest.sh's OUTDIR)
# Environment: BENCH_MEM (MiB, 256), NGINX_SECONDS (10, one wrk run),
# NGINX_READY_TIMEOUT (120 s), NGINX_SMALL_MIB (8), NGINX_SYSTEMS (which to run: "ceres linux
# linux_musl"; "ceres" alone needs no Linux guest).
set -u
out=$1
reps=$2
linux=$3
here=$(cd "$(dirname "$0")/.." && pwd)
mem=${BENCH_MEM:-256}
seconds=${NGINX_SECONDS:-10}
ready_timeout=${NGINX_READY_TIMEOUT:-120}
small_mib=${NGINX_SMALL_MIB:-8}
systems=${NGINX_SYSTEMS:-ceres linux linux_musl}
ns=cerestest-nginx$$
tap=ceres0
guest_ip=172.44.0.2
guest_mac=52:54:00:12:34:56
debian_nginx=/usr/sbin/nginx
musl_nginx=$here/build/nginx/nginx.linux
page=$here/build/nginx-src/1.22.1/html/index.html
mkdir -p "$out"
rm -f "$out"/*.txt # no stale results if this run fails early

die() {
	echo "nginx: $*" >&2
	exit 1
}

missing=()
[ "$(id -u)" = 0 ] || missing+=("root (a network namespace and a tap)")
for c in ip wrk curl ldd strip cpio gzip timeout; do
	command -v "$c" >/dev/null || missing+=("$c")
done
for sys in $systems; do
	case $sys in
	ceres | linux | linux_musl) ;;
	*) die "NGINX_SYSTEMS: '$sys' is none of ceres, linux, linux_musl" ;;
	esac
done
with_linux=0
[ "$systems" = ceres ] || with_linux=1
[ $with_linux = 0 ] || [ -x "$debian_nginx" ] || missing+=("$debian_nginx (apt-get install nginx)")
[ $with_linux = 0 ] ||
	{ [ -f "$linux/vmlinuz" ] && [ -x "$linux/rootfs/bin/busybox" ] && [ -f "$linux/modules/9p.ko" ]; } ||
	missing+=("the Linux guest in $linux (bench/linux-guest.sh $linux 1)")
[ ${#missing[@]} = 0 ] || die "missing: ${missing[*]} (tools/deps.sh bench installs the packages)"
make -s -C "$here" APP=nginx >/dev/null || die "building nginx for Ceres failed"
make -s -C "$here" APP=nginx linux >/dev/null || die "building nginx for Linux (musl) failed"
[ -f "$page" ] || die "no $page (make APP=nginx fetches nginx's source)"

# The share: the configuration and what it serves. Ceres sees the share
# as /, the Linux guests mount it at /share; /www is the files for both.
share=$out/share
rm -rf "$share"
mkdir -p "$share/www"
cp "$page" "$share/www/index.html"
head -c 1048576 /dev/urandom >"$share/www/1m.bin"
cat >"$share/nginx.conf" <<'CONF'
daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid /tmp/nginx.pid;
events { worker_connections 1024; }
http {
	types { text/html html; application/octet-stream bin; }
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	client_body_temp_path /tmp;
	server {
		listen 80 backlog=1024;
		root /www;
	}
}
CONF

source "$here/bench/guest.sh"
trap guest_cleanup EXIT
trap 'exit 130' INT TERM

# The guests' initramfs files: nginx as /bin/nginx, the user and group it
# looks up as root, the folders Debian's build makes at start, and /www as
# a link into the share.
guest_9p=1
guest_extra=$out/nginx-extra
rm -rf "$guest_extra"
mkdir -p "$guest_extra"/{etc,var/lib/nginx,var/log/nginx}
cp "$here/apps/nginx/passwd" "$here/apps/nginx/group" "$guest_extra/etc/"
ln -s /share/www "$guest_extra/www"
guest_run='/bin/nginx -c /share/nginx.conf'
if [ $with_linux = 1 ]; then
	libs=$(ldd_paths "$debian_nginx")
	[ -n "$libs" ] || die "ldd $debian_nginx named no libraries"
	# shellcheck disable=SC2086 # one path a word
	guest_initramfs nginx-debian "$debian_nginx" nginx $libs ||
		die "building the initramfs with Debian's nginx failed"
	guest_initramfs nginx-musl "$musl_nginx" nginx || die "building the initramfs with the musl nginx failed"
fi
guest_netns || die "could not make the namespace $ns and its tap"

linux_append="console=ttyS0 quiet panic=-1"
boot_opts() { # SYSTEM: run.sh's options for it, one a line
	case $1 in
	ceres) printf '%s\n' --append "loglevel=warn netdev.ip=$guest_ip/24:172.44.0.1 -- -c /nginx.conf" nginx ;;
	linux) printf '%s\n' --kernel "$linux/vmlinuz" --initrd "$out/nginx-debian.cpio.gz" --append "$linux_append" ;;
	linux_musl) printf '%s\n' --kernel "$linux/vmlinuz" --initrd "$out/nginx-musl.cpio.gz" --append "$linux_append" ;;
	esac
}

# us VALUE: wrk's latency (1.23ms, 456.78us, 1.20s) in microseconds.
us() {
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) f = 1; else if (v ~ /ms$/) f = 1000;
		else if (v ~ /m$/) f = 60e6; else f = 1e6; printf "%.0f", n * f }'
}

# run_wrk SYSTEM-R WHAT ARGS...: wrk against the guest, from the namespace,
# a request taking up to 10 s before it counts as a timeout (wrk's 2 s is
# less than the Linux guest's p99 here). False if wrk failed; errors,
# timeouts and non-2xx answers are noted in problems.txt.
run_wrk() {
	local f=$out/$1-$2.wrk
	shift 2
	guest_wait timeout $((seconds + 60)) ip netns exec "$ns" wrk --latency --timeout 10s \
		-d "${seconds}s" "$@" >"$f" 2>&1
	local rc=$?
	if [ $rc != 0 ] || grep -qE 'Socket errors|Non-2xx' "$f" || ! grep -q '^Requests/sec' "$f"; then
		echo "$f: wrk status $rc: $(grep -E 'Socket errors|Non-2xx|rror' "$f" | tr '\n' ' ')" >>"$out/problems.txt"
	fi
	[ $rc = 0 ] && grep -q '^Requests/sec' "$f"
}

# results SYSTEM-R WHAT: RESULT lines for a run on the page.
results() {
	local f=$out/$1-$2.wrk
	echo "RESULT nginx_$2_per_s $(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$f")"
	echo "RESULT nginx_$2_p50_us $(us "$(awk '$1 == "50%" { print $2 }' "$f")")"
	echo "RESULT nginx_$2_p99_us $(us "$(awk '$1 == "99%" { print $2 }' "$f")")"
}

: >"$out/problems.txt"
url=http://$guest_ip
for r in $(seq "$reps"); do
	for sys in $systems; do
		echo "nginx: $sys ($r/$reps)" >&2
		f=$out/$sys-$r.txt
		: >"$f"
		if guest_boot "$sys" "$mem" "$out/$sys-$r.log" http "$guest_ip" 80 /; then
			echo "RESULT nginx_ready_ms $ready_ms" >>"$f"
			run_wrk "$sys-$r" ka -t2 -c50 "$url/" && results "$sys-$r" ka >>"$f"
			run_wrk "$sys-$r" close -t2 -c50 -H "Connection: close" "$url/" &&
				results "$sys-$r" close >>"$f"
			for k in 2 3; do
				run_wrk "$sys-$r" close$k -t2 -c50 -H "Connection: close" "$url/" &&
					results "$sys-$r" close$k | grep _per_s >>"$f"
			done
			run_wrk "$sys-$r" 1m -t2 -c10 "$url/1m.bin" &&
				awk '/^Requests\/sec/ { printf "RESULT nginx_1m_mibps %.1f\n", $2 }' \
					"$out/$sys-$r-1m.wrk" >>"$f"
			awk '$1 == "RESULT" { v[$2] = $3 }
				END { printf "nginx:   ready %s ms, keep-alive %s/s (p99 %s us), close %s/s, 1 MiB %s MiB/s\n",
					v["nginx_ready_ms"], v["nginx_ka_per_s"], v["nginx_ka_p99_us"], v["nginx_close_per_s"],
					v["nginx_1m_mibps"] }' "$f" >&2
		else
			echo "nginx: $sys did not answer in $ready_timeout s (see $out/$sys-$r.log)" >&2
			echo "$out/$sys-$r.log: no 200 at -m $mem" >>"$out/problems.txt"
		fi
		guest_halt
		bad=$(tr -d '\r' <"$out/$sys-$r.log" 2>/dev/null |
			grep -m1 -E '\] [CE]: |Kernel panic|\[(alert|crit|emerg)\]')
		[ -z "$bad" ] || echo "$out/$sys-$r.log: $bad" >>"$out/problems.txt"
		[ "$r" = 1 ] || continue
		# In little memory: does it serve the same load? (A Linux guest
		# does not boot in 8 MiB; that is the answer too.)
		if guest_boot "$sys" "$small_mib" "$out/$sys-small.log" http "$guest_ip" 80 /; then
			run_wrk "$sys-small" ka -t2 -c50 "$url/" && results "$sys-small" ka | grep _per_s |
				sed 's/nginx_ka_/nginx_small_ka_/' >>"$f"
			echo "nginx:   in $small_mib MiB: keep-alive $(awk '/^Requests\/sec/ { printf "%.0f", $2 }' \
				"$out/$sys-small-ka.wrk")/s" >&2
		else
			echo "nginx: $sys did not answer in $small_mib MiB (see $out/$sys-small.log)" >&2
			[ "$sys" != ceres ] || echo "$out/$sys-small.log: no 200 at -m $small_mib" >>"$out/problems.txt"
		fi
		guest_halt
		[ "$sys" != ceres ] || ! bad=$(tr -d '\r' <"$out/$sys-small.log" 2>/dev/null |
			grep -m1 -E '\] [CE]: |out of memory') || echo "$out/$sys-small.log: $bad" >>"$out/problems.txt"
	done
done
exit 0
