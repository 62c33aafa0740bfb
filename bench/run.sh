#!/usr/bin/env bash
# 'make bench': each benchmark in bench/apps/ runs on Ceres, in the Linux
# guest baseline (same QEMU machine, memory, accelerator and firmware; see
# docs/benchmarks.md) and natively on the host for reference. Each prints
# RESULT lines, one per repetition, and each repetition is a boot of its
# own, Ceres's and the guest's in turn; the report gives medians and the ratio
# Linux guest / Ceres for times, Ceres / Linux guest for rates (metrics named
# *_pps, *_mibps, *_per_s): above 1, Ceres is faster. bench/net.sh adds the
# network: ping and UDP echo over a tap in a network namespace of its own;
# bench/tcp.sh TCP: bulk, connection rate and latency over the same tap;
# bench/fs.sh the file system: fsbench over 9p from a host directory;
# bench/redis.sh Redis: Ceres against Debian's redis-server and the musl
# build in the guest, redis-benchmark, boot to ready, least memory.
# Output: build/bench/results.md, results.tsv and results.svg.
# Environment: BENCH_REPS (default 5), BENCH_MEM (MiB, default 256),
# BENCH_ONLY (some of "apps net tcp fs redis boot", space- or
# comma-separated: run only those; default all).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
reps=${BENCH_REPS:-5}
mem=${BENCH_MEM:-256}
out=build/bench
benches=(bench-malloc bench-sched)
parts=(apps net tcp fs redis nginx boot)
only=" ${BENCH_ONLY:-${parts[*]}} "
only=${only//,/ }
for p in $only; do
	[[ " ${parts[*]} " == *" $p "* ]] || { echo "bench: BENCH_ONLY: no benchmark '$p' (${parts[*]})" >&2; exit 2; }
done
want() { [[ $only == *" $1 "* ]]; }
mkdir -p "$out"
results=$out/raw.tsv
: >"$results"

# Targets from the issues: the Linux guest's time over Ceres' must reach these.
declare -A target=([yield_roundtrip_ns]=12.6 [create_join_us]=14.9 [mutex_contended_ns]=1.49
	[syscall_getppid_ns]=5 [malloc_free_ns]=1 [mutex_ns]=10
	[udp_echo_pps]=1.5 [ping_rtt_median_us]=1
	[fs_seq_write_mibps]=1 [fs_seq_read_mibps]=1 [fs_create_per_s]=1
	[tcp_h2g_mibps]=1.5 [tcp_g2h_mibps]=1.5 [tcp_crr_per_s]=1.5 [tcp_rr_p99_us]=1)

collect() { # SYSTEM LOG: append "system metric value" rows
	awk -v sys="$1" '$1 == "RESULT" { print sys "\t" $2 "\t" $3 }' "$2" >>"$results"
}

if want apps; then
	for b in "${benches[@]}"; do
		make -s APP="$b" >/dev/null || { echo "bench: building $b for Ceres failed" >&2; exit 1; }
	done
	# musl's own mallocng on Ceres too: the heap must beat it to stay the default.
	make -s APP=bench-malloc MALLOC=musl >/dev/null ||
		{ echo "bench: building bench-malloc with mallocng failed" >&2; exit 1; }
fi
echo "bench: building the Linux guest baseline" >&2
bench/linux-guest.sh "$out/linux" 1 "${benches[@]}" || exit 1

# One repetition a boot, Ceres and the Linux guest in turn: the host's
# speed drifts over minutes, and it then drifts under both alike.
want apps && for r in $(seq "$reps"); do
	for b in "${benches[@]}"; do
		echo "bench: $b on Ceres ($r/$reps)" >&2
		./run.sh --no-build --no-exit-device -m "$mem" --timeout 1200 \
			--serial "$out/ceres-$b-$r.log" --append "loglevel=warn -- 1" "$b" \
			</dev/null >/dev/null 2>&1
		collect ceres "$out/ceres-$b-$r.log"
	done
	echo "bench: bench-malloc with mallocng on Ceres ($r/$reps)" >&2
	./run.sh --no-build --no-exit-device -m "$mem" --timeout 1200 \
		--serial "$out/ceres-mallocng-$r.log" --kernel build/bench-malloc-mallocng/ceres \
		--append "loglevel=warn -- 1 malloc_free_ns_mallocng" bench-malloc </dev/null >/dev/null 2>&1
	collect ceres "$out/ceres-mallocng-$r.log"
	echo "bench: all of them in the Linux guest ($r/$reps)" >&2
	./run.sh --no-exit-device -m "$mem" --timeout 1800 --serial "$out/linux-$r.log" \
		--kernel "$out/linux/vmlinuz" --initrd "$out/linux/initramfs.cpio.gz" \
		--append "console=ttyS0 quiet panic=-1" </dev/null >/dev/null 2>&1
	grep -q BENCH-DONE "$out/linux-$r.log" ||
		echo "bench: the Linux guest did not finish (see $out/linux-$r.log)" >&2
	collect linux "$out/linux-$r.log"
done
# collect_dir DIR SYSTEM...: the RESULT lines of DIR/SYSTEM-R.txt, every repetition.
collect_dir() {
	local dir=$1 r sys
	shift
	for r in $(seq "$reps"); do
		for sys in "$@"; do
			[ -f "$dir/$sys-$r.txt" ] && collect "$sys" "$dir/$sys-$r.txt"
		done
	done
}
if want net; then
	echo "bench: the network, Ceres and the Linux guest on one tap" >&2
	bench/net.sh "$out/net" "$reps" "$out/linux/vmlinuz" "$out/linux/net.cpio.gz" ||
		echo "bench: the network benchmark failed (see $out/net/)" >&2
	collect_dir "$out/net" ceres linux native
fi
if want tcp; then
	echo "bench: TCP, Ceres and the Linux guest on one tap" >&2
	bench/tcp.sh "$out/tcp" "$reps" "$out/linux/vmlinuz" "$out/linux/net.cpio.gz" ||
		echo "bench: the TCP benchmark failed (see $out/tcp/)" >&2
	collect_dir "$out/tcp" ceres linux native
fi
if want fs; then
	echo "bench: the file system, Ceres and the Linux guest on one host directory each" >&2
	bench/fs.sh "$out/fs" "$reps" "$out/linux/vmlinuz" "$out/linux/fs.cpio.gz" ||
		echo "bench: the file-system benchmark failed (see $out/fs/)" >&2
	collect_dir "$out/fs" ceres linux native
fi
# Redis: "linux" is Debian's redis-server in the guest, "linux_musl" the
# objects Ceres links, linked for Linux (the Redis section shows both).
if want redis; then
	echo "bench: Redis, Ceres and the Linux guest on one tap" >&2
	bench/redis.sh "$out/redis" "$reps" "$out/linux" ||
		echo "bench: the Redis benchmark failed (see $out/redis/)" >&2
	collect_dir "$out/redis" ceres linux linux_musl native
	for sys in ceres linux linux_musl; do
		[ -f "$out/redis/$sys-mem.txt" ] && collect "$sys" "$out/redis/$sys-mem.txt"
	done
fi
# nginx: the same three, "linux" being Debian's nginx in the guest.
if want nginx; then
	echo "bench: nginx, Ceres and the Linux guest on one tap" >&2
	bench/nginx.sh "$out/nginx" "$reps" "$out/linux" ||
		echo "bench: the nginx benchmark failed (see $out/nginx/)" >&2
	collect_dir "$out/nginx" ceres linux linux_musl
fi
rm -f "$out/boot.txt"
if want boot; then
	echo "bench: boot times" >&2
	bench/boot.sh "$out/boot" "$reps" "$out/linux/vmlinuz" "$out/linux/boot.cpio.gz" >"$out/boot.txt"
fi
want apps && for b in "${benches[@]}"; do
	echo "bench: $b natively (for reference)" >&2
	if [ "$b" = bench-malloc ]; then
		{ "$out/linux/rootfs/bin/bench-malloc" "$reps" malloc_free_ns_mallocng
		  "$out/linux/rootfs/bin/bench-malloc-glibc" "$reps"; } >"$out/native-$b.log"
	else
		"$out/linux/rootfs/bin/$b" "$reps" >"$out/native-$b.log"
	fi
	collect native "$out/native-$b.log"
done

# Medians per system and metric, then one row per metric.
awk -F'\t' -v targets="$(for k in "${!target[@]}"; do printf '%s=%s ' "$k" "${target[$k]}"; done)" '
function median(key,   n, i, j, t, v) {
	n = split(vals[key], v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : ""
}
BEGIN {
	split(targets, tl, " ")
	for (i in tl) { split(tl[i], kv, "="); want[kv[1]] = kv[2] }
}
{ vals[$1 SUBSEP $2] = vals[$1 SUBSEP $2] " " $3; if (!($2 in seen)) { seen[$2] = 1; order[++m] = $2 } }
END {
	print "metric\tceres\tlinux_guest\tnative\tratio\ttarget"
	for (i = 1; i <= m; i++) {
		k = order[i]
		c = median("ceres" SUBSEP k); l = median("linux" SUBSEP k); h = median("native" SUBSEP k)
		# Times: Linux / Ceres; rates: Ceres / Linux. Above 1, Ceres is faster.
		if (k ~ /(_pps|_mibps|_per_s)$/)
			r = (l > 0 && c != "") ? sprintf("%.2f", c / l) : "-"
		else
			r = (c > 0 && l != "") ? sprintf("%.2f", l / c) : "-"
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", k, c, l, h, r, (k in want) ? want[k] : "-"
	}
}' "$results" >"$out/results.tsv"

{
	echo "# Ceres benchmarks"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, QEMU $(qemu-system-x86_64 --version | awk 'NR == 1 {print $4}'),"
	echo "$(./run.sh --dry-run hello 2>/dev/null | grep -o -- '-accel [a-z]*'), -m $mem, median of $reps repetitions."
	echo "Ratio = Linux guest / Ceres for times, Ceres / Linux guest for rates (_pps, _mibps, _per_s): above 1, Ceres is faster. Native is the host, for reference."
	echo
	echo "| metric | Ceres | Linux guest | native | ratio | target |"
	echo "|---|---:|---:|---:|---:|---:|"
	awk -F'\t' 'NR > 1 {
		verdict = $6 == "-" ? "-" : ($5 + 0 >= $6 ? ">= " $6 " met" : ">= " $6 " NOT met")
		printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, verdict }' "$out/results.tsv"
	echo
	# The default malloc is the faster of the two on Ceres.
	awk -F'\t' '$1 == "malloc_free_ns" { h = $2 } $1 == "malloc_free_ns_mallocng" { m = $2 }
		END { if (h && m) printf "On Ceres, the kernel'"'"'s heap takes %s ns a pair and musl'"'"'s mallocng %s ns: %s is the faster.\n\n", h, m, h + 0 <= m + 0 ? "the heap (the default)" : "mallocng (NOT the default)" }' "$out/results.tsv"
	# The network (bench/net.sh): the rate and the latency, side by side.
	awk -F'\t' '$1 == "udp_echo_pps" { pc = $2; pl = $3; pr = $5 } $1 == "ping_rtt_median_us" { mc = $2; ml = $3; mr = $5 }
		$1 == "ping_rtt_p99_us" { qc = $2; ql = $3 }
		END { if (pc == "") exit
			print "## Network"
			print ""
			print "udpecho on a tap in a network namespace (bench/net.sh): the same binary on Ceres and in the Linux guest; the host pings and runs bench/net/echo-client (a window of datagrams outstanding)."
			print ""
			printf "UDP echo: Ceres %s datagrams/s, Linux guest %s: %sx (target >= 1.5x: %s).\n", pc, pl, pr, (pr + 0 >= 1.5) ? "met" : "NOT met"
			printf "Ping RTT: Ceres median %s us (p99 %s), Linux guest %s us (p99 %s): Linux / Ceres %sx (target: Ceres lower: %s).\n", mc, qc, ml, ql, mr, (mc + 0 < ml + 0) ? "met" : "NOT met" }' "$out/results.tsv"
	# Datagrams the echo client saw no reply to, per system and repetition.
	want net && for sys in ceres linux; do
		awk -v sys="$sys" '$1 == "INFO" && $2 == "sent" { l = l " " $7 "/" $3 } END { if (l != "") printf "Echo datagrams lost, %s, per repetition:%s.\n", sys, l }' \
			$(ls "$out"/net/"$sys"-*.txt 2>/dev/null | sort -V) </dev/null
	done
	# TCP (bench/tcp.sh): bulk both ways, the connection rate, the latency.
	awk -F'\t' '$1 ~ /^tcp_/ { c[$1] = $2; l[$1] = $3; h[$1] = $4; r[$1] = $5 }
		END { if (!("tcp_h2g_mibps" in c)) exit
			print ""
			print "## TCP"
			print ""
			print "bench/apps/tcpbench on a tap in a network namespace (bench/tcp.sh): the same server binary on Ceres and in the Linux guest, the same client on the host, one connection at a time."
			print ""
			n["tcp_h2g_mibps"] = "Bulk, host to guest (MiB/s)"
			n["tcp_g2h_mibps"] = "Bulk, guest to host (MiB/s)"
			n["tcp_crr_per_s"] = "Connections, connect + 64-byte request echoed + close (per second)"
			n["tcp_rr_median_us"] = "Request/response, 64 bytes, one outstanding, median (us)"
			n["tcp_rr_p99_us"] = "Request/response, p99 (us)"
			t["tcp_h2g_mibps"] = 1.5; t["tcp_g2h_mibps"] = 1.5; t["tcp_crr_per_s"] = 1.5; t["tcp_rr_p99_us"] = 1
			split("tcp_h2g_mibps tcp_g2h_mibps tcp_crr_per_s tcp_rr_median_us tcp_rr_p99_us", order, " ")
			for (i = 1; i <= 5; i++) {
				k = order[i]
				v = (k in t) ? sprintf(" (target %s%sx: %s)", k ~ /p99/ ? "> " : ">= ", t[k], (k ~ /p99/ ? r[k] + 0 > 1 : r[k] + 0 >= t[k]) ? "met" : "NOT met") : ""
				printf "%s: Ceres %s, Linux guest %s, native %s: %sx%s.\n", n[k], c[k], l[k], h[k], r[k], v
			} }' "$out/results.tsv"
	# The file system (bench/fs.sh): the three figures and each guest's msize.
	awk -F'\t' '$1 ~ /^fs_/ { c[$1] = $2; l[$1] = $3; h[$1] = $4; r[$1] = $5 }
		END { if (!("fs_seq_write_mibps" in c)) exit
			print ""
			print "## File system"
			print ""
			print "fsbench over 9p from a fresh host directory (bench/fs.sh): the same binary on Ceres (its 9p root) and in the Linux guest (v9fs at /mnt), the same 9p device; natively on the host for reference."
			print ""
			n["fs_seq_write_mibps"] = "Sequential write, 256 MiB in 1 MiB blocks, fsync included (MiB/s)"
			n["fs_seq_read_mibps"] = "Sequential read, 1 MiB blocks (MiB/s)"
			n["fs_create_per_s"] = "Small files, create + write 4 KiB + close (files/s)"
			split("fs_seq_write_mibps fs_seq_read_mibps fs_create_per_s", order, " ")
			for (i = 1; i <= 3; i++) {
				k = order[i]
				printf "%s: Ceres %s, Linux guest %s, native %s: %sx (target >= 1.0x: %s).\n", n[k], c[k], l[k], h[k], r[k], (r[k] + 0 >= 1) ? "met" : "NOT met"
			} }' "$out/results.tsv"
	want fs && for sys in ceres linux; do
		awk -v sys="$sys" '$1 == "INFO" && $2 == "msize" { l = l " " $3 } END { if (l != "") printf "msize, %s, per repetition:%s.\n", sys, l }' \
			$(ls "$out"/fs/"$sys"-*.txt 2>/dev/null | sort -V) </dev/null
	done

	# guest_table PREFIX TITLE TEXT: a section for a server benchmarked
	# on Ceres and as Debian's and the musl build in the Linux guest
	# (bench/redis.sh, bench/nginx.sh): the metrics named PREFIX*, from raw.tsv.
	guest_table() {
		awk -F'\t' -v prefix="$1" -v title="$2" -v text="$3" '
	function median(key,   n, i, j, t, v) {
		n = split(vals[key], v, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : ""
	}
	# Rates: Ceres / Linux; times and sizes: Linux / Ceres. Above 1, Ceres is better.
	function ratio(c, l) {
		if (c == "" || l == "") return "-"
		if (k ~ /_(per_s|mibps)$/) return l > 0 ? sprintf("%.2f", c / l) : "-"
		return c > 0 ? sprintf("%.2f", l / c) : "-"
	}
	index($2, prefix) == 1 { vals[$1 SUBSEP $2] = vals[$1 SUBSEP $2] " " $3; if (!($2 in seen)) { seen[$2] = 1; order[++m] = $2 } }
	END {
		if (!m) exit
		print ""
		print "## " title
		print ""
		print text
		print ""
		print "| metric | Ceres | Linux guest, Debian | Linux guest, musl | native | Debian / Ceres | musl / Ceres |"
		print "|---|---:|---:|---:|---:|---:|---:|"
		for (i = 1; i <= m; i++) {
			k = order[i]
			c = median("ceres" SUBSEP k); l = median("linux" SUBSEP k); u = median("linux_musl" SUBSEP k); h = median("native" SUBSEP k)
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", k, c, l, u, h == "" ? "-" : h, ratio(c, l), ratio(c, u)
		}
	}' "$results"
}
	want redis && guest_table redis_ Redis "Redis 7.0.15 (bench/redis.sh) on Ceres, and in the Linux guest as Debian's redis-server (glibc, jemalloc, its shared libraries in the initramfs) and as the objects Ceres links, linked static with musl; one redis.conf, the same tap; redis-benchmark -c 50 -t set,get from the host. The least memory is one bisection over -m per system, not a median."
	if want redis; then
		echo
		echo "How Redis failed 1 MiB below each least memory (the consoles are in $out/redis/mem/):"
		echo
		for sys in ceres linux linux_musl; do
			# "INFO below ping 22 LOG: WHY"
			awk -v sys="$sys" '$1 == "INFO" && $2 == "below" {
				what = $3 == "ping" ? "PING" : "100k keys"; mib = $4; f = $5; sub(/:$/, "", f)
				$1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, "")
				printf "- %s, %s, -m %s: %s (%s)\n", sys, what, mib, $0 == "" ? "nothing on the console" : $0, f }' \
				"$out/redis/$sys-mem.txt" 2>/dev/null
		done
		echo
		if [ -s "$out/redis/problems.txt" ]; then
			echo "Problems in the repetitions ($out/redis/problems.txt):"
			echo
			sed 's/^/- /' "$out/redis/problems.txt"
		elif [ -f "$out/redis/problems.txt" ]; then
			echo "No console of the repetitions has a kernel error or crash report, and no redis-benchmark failed or printed an error."
		fi
	fi
	want nginx && guest_table nginx_ nginx "nginx 1.22.1 (bench/nginx.sh) on Ceres, and in the Linux guest as Debian's nginx (glibc, its shared libraries in the initramfs) and as the objects Ceres links, linked static with musl; one nginx.conf (one process, no access log, sendfile), the files on the same 9p share, the same tap; wrk -t2 -c50 on nginx's 615-byte index.html with keep-alive (ka) and with Connection: close, and -c10 on a 1 MiB file, from the host."
	if want nginx; then
		echo
		if [ -s "$out/nginx/problems.txt" ]; then
			echo "Problems in the nginx repetitions ($out/nginx/problems.txt):"
			echo
			sed 's/^/- /' "$out/nginx/problems.txt"
		elif [ -f "$out/nginx/problems.txt" ]; then
			echo "No nginx console has a kernel error or an nginx alert, and no wrk run saw an error."
		fi
	fi
	if [ -s "$out/boot.txt" ]; then
		echo
		echo "## Boot"
		echo
		echo "Wall time of whole runs (QEMU start to exit) and the kernel's own time to the application's start (musl's _start; main() follows after musl's two startup calls), medians."
		echo "The floor is a kernel that exits at its first instruction; the Linux guest's /init powers off."
		echo
		awk '
		function median(key,   n, i, j, t, v) {
			n = split(vals[key], v, " ")
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
			return n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : 0
		}
		$1 == "BOOT" { vals[$2] = vals[$2] " " $3 }
		$1 == "PHASE" { vals["phase " $2] = vals["phase " $2] " " $3; if (!($2 in seen)) { seen[$2] = 1; order[++m] = $2 } }
		END {
			f = median("floor_run_ms"); h = median("hello_run_ms"); q = median("hello_quiet_run_ms")
			l = median("linux_run_ms"); mu = median("main_us"); mq = median("main_quiet_us")
			print "| metric | median | against the floor | target |"
			print "|---|---:|---:|---|"
			printf "| VMM floor run | %.1f ms | 1.00x | |\n", f
			printf "| hello run | %.1f ms | %.2fx | <= 1.15x: %s |\n", h, h / f, h / f <= 1.15 ? "met" : "NOT met"
			printf "| hello run, loglevel=crit | %.1f ms | %.2fx | |\n", q, q / f
			printf "| Linux guest run | %.1f ms | %.2fx | |\n", l, l / f
			printf "| application start | %d us | | |\n", mu
			printf "| application start, loglevel=crit | %d us | | <= 5000 us: %s |\n", mq, mq <= 5000 ? "met" : "NOT met"
			print ""
			print "Boot steps of the quiet hello (boot.times), medians:"
			print ""
			print "| step | us |"
			print "|---|---:|"
			for (i = 1; i <= m; i++)
				printf "| %s | %d |\n", order[i], median("phase " order[i])
		}' "$out/boot.txt"
	fi
} >"$out/results.md"

# A bar per metric: the ratio, with the line at 1 (parity).
awk -F'\t' 'NR > 1 && $5 != "-" { name[++n] = $1; r[n] = $5 + 0; if (r[n] > max) max = r[n] }
END {
	if (max < 2) max = 2
	w = 640; bar = 24; left = 170; scale = (w - left - 60) / max
	h = 50 + n * (bar + 10)
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h
	printf "<text x=\"10\" y=\"20\" font-size=\"14\">Linux guest time / Ceres time, Ceres rate / Linux guest rate (above 1: Ceres faster)</text>\n"
	for (i = 1; i <= n; i++) {
		y = 35 + (i - 1) * (bar + 10)
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 6, y + 16, name[i]
		printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", left, y, r[i] * scale, bar, (r[i] >= 1 ? "#3a7" : "#c54")
		printf "<text x=\"%.1f\" y=\"%d\">%.2f</text>\n", left + r[i] * scale + 4, y + 16, r[i]
	}
	printf "<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>\n", left + scale, left + scale, h - 5
	print "</svg>"
}' "$out/results.tsv" >"$out/results.svg"

cat "$out/results.md"
echo "bench: build/bench/results.md, results.tsv, results.svg" >&2
