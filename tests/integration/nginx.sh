#!/usr/bin/env bash
# nginx (docs/nginx.md): Debian's nginx 1.22.1 linked with Ceres, on a tap
# in a network namespace this test makes (host 172.44.0.1/24, guest
# 172.44.0.2), serving a 9p share, driven by curl from the namespace:
#   - without -c, the image's own configuration (/ceres/nginx.conf) and,
#     the share having no index.html, the image's own page;
#   - with a configuration on the share: GET, HEAD, keep-alive reuse,
#     Range (206, 416), If-Modified-Since (304), 404, 403, autoindex,
#     rewrite, gzip, 4 MiB and 100 MiB files through sendfile,
#     checksummed, and a file name in UTF-8 with a space, percent-encoded;
#   - the status lines and headers of those requests (less Date) compared
#     with the same objects run natively on loopback: Linux is the oracle;
#   - a browser: headless Chromium in the namespace loads a page with a
#     stylesheet and an image, and its screenshot (build/tests/
#     nginx-chromium.png) has the stylesheet's background colour and the
#     image's colour block (tests/nginx/http.py decodes it);
#   - load: ab and wrk, with and without keep-alive, at 50 and at 1000
#     connections: no failed request, socket error or non-2xx answer;
#   - in 8 MiB of RAM: wrk at 50 connections, with and without keep-alive,
#     and 50 connections at once, all served, no allocation failed;
#   - hostile clients (tests/nginx/http.py): a slowloris of SLOW_CONNS
#     connections for SLOW_SECONDS while curl is served, a 64 KiB header,
#     a bogus method, a truncated request line, and ../ in every encoding
#     aimed at a file beside the share: the status lines match the native
#     run's, and the file's content is in no answer;
#   - the console: the access log, and no system call Ceres lacks.
# No traffic leaves the namespace or loopback.
source "$(dirname "$0")/../lib.sh"

READY_TIMEOUT=${READY_TIMEOUT:-60}
NGINX_TIMEOUT=${NGINX_TIMEOUT:-300} # one boot, at most
# A TCP connection holds its rings whole from the start, about 146 KiB
# (docs/tcp.md): the load's 1000 connections at full size need more than
# the default 128 MiB (with less, memory pressure makes their rings
# smaller; section 4 runs in 8 MiB).
NGINX_MEM=${NGINX_MEM:-512}
SLOW_CONNS=${SLOW_CONNS:-500}
SLOW_SECONDS=${SLOW_SECONDS:-20}
ns=ceresnginx$$
guest=172.44.0.2
# rlimit.nofile: 1000 clients need more fds than the default 1024, a
# connection and the file it sends each (docs/nginx.md).
params="netdev.ipv4_addr=$guest netdev.ipv4_gw_addr=172.44.0.1 netdev.ipv4_subnet_mask=255.255.255.0"
params+=" rlimit.nofile=8192"
image=$root/build/nginx/ceres
native=$root/build/nginx/nginx.linux
new_tmp nginx-test

missing=()
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces and taps)")
for c in ip curl gzip sha256sum chromium ab wrk /usr/bin/python3; do
	command -v "$c" >/dev/null || missing+=("$c")
done
[ -f "$image" ] || missing+=("build/nginx/ceres (make APP=nginx)")
[ -x "$native" ] || missing+=("build/nginx/nginx.linux (make APP=nginx linux)")
if [ ${#missing[@]} != 0 ]; then
	fail "nginx: prerequisites: ${missing[*]}"
	exit 0
fi

# get URL-PATH [curl options...]: curl against the guest from the namespace.
get() {
	local path=$1
	shift
	timeout 60 ip netns exec "$ns" curl -sS -m 30 "$@" "http://$guest$path"
}

# start NAME SHARE ARGS: boots nginx in the background on SHARE with the
# application arguments ARGS and waits until it answers; false if it does not.
start() {
	local name=$1 share=$2 args=$3
	new_boot "$name"
	ip netns exec "$ns" "$root/run.sh" --no-build --serial "$out/$name.serial" --pidfile "$pidfile" \
		--timeout "$NGINX_TIMEOUT" -m "$NGINX_MEM" --net tap --fs "$share" --append "$params -- $args" \
		nginx >"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
	runner=$!
	runners+=("$runner")
	local deadline=$((SECONDS + READY_TIMEOUT))
	while [ $SECONDS -lt $deadline ] && kill -0 "$runner" 2>/dev/null; do
		if get / -o /dev/null 2>/dev/null; then
			pass "$name: nginx answers"
			return 0
		fi
		sleep 0.2
	done
	fail "$name: nginx did not answer in $READY_TIMEOUT s"
	sed 's/^/    # /' "$out/$name.serial" | tail -8
	return 1
}

# stop NAME: nginx never ends by itself (no signal reaches it from here):
# the console is checked, then QEMU is killed by its pid.
stop() {
	local name=$1
	expect_no_serial "$name" 'is not implemented' "no system call Ceres lacks"
	expect_no_serial "$name" '\] [CE]: |\[(emerg|alert|crit)\]' \
		"no kernel error, crash report, or nginx emergency, alert or critical error"
	kill -9 "$(cat "$out/$name.pid")" 2>/dev/null
	wait "$runner" 2>/dev/null
	sed -i 's/\r$//' "$out/$name.serial"
}

# browser: headless Chromium, in the namespace, takes a screenshot of
# page.html; the stylesheet's background and the image's block must be in
# it, and the access log must show both fetched.
browser() {
	local shot=$out/nginx-chromium.png counts bg block
	rm -f "$shot"
	timeout 120 ip netns exec "$ns" chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/chromium" --window-size=640,480 --hide-scrollbars \
		--force-device-scale-factor=1 --screenshot="$shot" "http://$guest/page.html" \
		>"$out/nginx-chromium.log" 2>&1 </dev/null
	if ! counts=$("${py[@]}" count "$shot" "$page_bg" 2>&1); then
		fail "chromium: a screenshot (see build/tests/nginx-chromium.log)"
		echo "    # $counts" | tail -3
		return
	fi
	read -r bg _ <<<"$counts"
	read -r block _ < <("${py[@]}" count "$shot" "$block_rgb")
	# The image's 200x100 block, and more than half the 640x480 page.
	check "chromium: the image's block is in the screenshot ($block of 20000 pixels)" \
		within "$block" 19000 20000
	check "chromium: the stylesheet's background is in the screenshot ($bg pixels)" \
		within "$bg" 200000 307200
	expect_serial nginx-share '"GET /style.css HTTP/1.1" 200 ' "chromium fetched the stylesheet"
	expect_serial nginx-share '"GET /block.png HTTP/1.1" 200 ' "chromium fetched the image"
}

# within N LO HI: LO <= N <= HI, N a number.
within() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= $2 && $1 <= $3)); }

# ab_run NAME REQUESTS CONNECTIONS [ab options...]: ab from the namespace;
# every request must complete, none fail, every answer 2xx.
ab_run() {
	local name=$1 n=$2 c=$3 log complete failed non2xx
	shift 3
	log=$out/nginx-ab-$name.log
	(ulimit -n 4096 && timeout 120 ip netns exec "$ns" ab -q -s 30 -n "$n" -c "$c" "$@" \
		"http://$guest/a.txt") >"$log" 2>&1 </dev/null
	complete=$(sed -n 's/^Complete requests: *//p' "$log")
	failed=$(sed -n 's/^Failed requests: *//p' "$log")
	non2xx=$(sed -n 's/^Non-2xx responses: *//p' "$log")
	if [ "$complete" = "$n" ] && [ "$failed" = 0 ] && [ -z "$non2xx" ]; then
		pass "ab $name: $n of $n requests, $c at a time, none failed" \
			"($(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$log")/s)"
	else
		fail "ab $name: complete ${complete:-?} of $n, failed ${failed:-?}, non-2xx ${non2xx:-0}"
		grep -v '^$' "$log" | tail -4 | sed 's/^/    # /'
	fi
}

# wrk_run NAME CONNECTIONS SECONDS [wrk options...]: wrk from the namespace;
# no socket error (connect, read, write, timeout), every answer 2xx or 3xx.
wrk_run() {
	local name=$1 c=$2 d=$3 log n
	shift 3
	log=$out/nginx-wrk-$name.log
	(ulimit -n 4096 && timeout 120 ip netns exec "$ns" wrk -t 2 -c "$c" -d "${d}s" --timeout 20s \
		"$@" "http://$guest/a.txt") >"$log" 2>&1 </dev/null
	n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$log")
	if [ "${n:-0}" -gt 0 ] && ! grep -qE '^ *(Socket errors|Non-2xx or 3xx responses):' "$log"; then
		pass "wrk $name: $c connections, $n requests, no error"
	else
		fail "wrk $name: $c connections, ${n:-no} requests: $(grep -E 'errors|Non-2xx' "$log" |
			tr -s ' ' | tr '\n' ' ')"
	fi
}

# burst: 50 keep-alive connections that connect at once and send their
# requests at once, and the next as soon as an answer is whole: every one
# must be answered. nginx without EPOLLRDHUP (no AF_UNIX pair for its
# start-up check) kept serving the first few and never accepted the rest.
burst() {
	local min max none
	read -r min max none < <(timeout 60 ip netns exec "$ns" "${py[@]}" burst "$guest" 80 /a.txt 50 5)
	check "burst: 50 connections at once, every one answered (${min:-?} to ${max:-?} answers each)" \
		[ "${none:-50}" = 0 ]
}

# load: short runs of ab and wrk, keep-alive and not, 50 and 1000 at a time.
load() {
	ab_run keepalive-50 2000 50 -k
	ab_run close-50 1000 50
	ab_run keepalive-1000 2000 1000 -k
	ab_run close-1000 2000 1000
	wrk_run keepalive-50 50 3
	wrk_run close-50 50 3 -H "Connection: close"
	wrk_run keepalive-1000 1000 5
	wrk_run close-1000 1000 5 -H "Connection: close"
	burst
	check "nginx-share: served after the load" [ "$(get /a.txt)" = "hello from the share" ]
}

# hostile_clients: a slowloris while curl is served, then the hostile
# requests, whose status lines must be the native run's; nginx serves
# others throughout and after.
hostile_clients() {
	local slow=$tmp/slowloris.out slow_pid during=ok n
	ip netns exec "$ns" "${py[@]}" slowloris "$guest" 80 "$SLOW_CONNS" "$SLOW_SECONDS" \
		>"$slow" 2>&1 </dev/null &
	slow_pid=$!
	helpers+=("$slow_pid")
	sleep 3
	while kill -0 "$slow_pid" 2>/dev/null; do
		[ "$(get /a.txt)" = "hello from the share" ] || during="not served"
		sleep 2
	done
	wait "$slow_pid"
	check "slowloris: $SLOW_CONNS connections held open for $SLOW_SECONDS s, none closed" \
		[ "$(cat "$slow")" = "$SLOW_CONNS 0" ]
	# nginx logs each half-read request as a 400 when its client goes.
	for _ in $(seq 50); do
		n=$(grep -ac '"GET /a.txt HTTP/1.1" 400 0 "-" "-"' "$out/nginx-share.serial")
		[ "$n" -ge "$SLOW_CONNS" ] && break
		sleep 0.2
	done
	check "slowloris: nginx read from all of them ($n logged as they closed)" [ "$n" = "$SLOW_CONNS" ]
	check "slowloris: curl served during it" [ "$during" = ok ]
	check "slowloris: curl served after it" [ "$(get /a.txt)" = "hello from the share" ]

	each_hostile "$guest" 80 ip netns exec "$ns" >"$out/nginx-hostile.ceres"
	if diff -u "$out/nginx-hostile.native" "$out/nginx-hostile.ceres" >"$out/nginx-hostile.diff"; then
		pass "hostile: $nhostile requests' status lines agree with the native run"
	else
		fail "hostile: status lines differ from the native run"
		sed 's/^/    # /' "$out/nginx-hostile.diff" | head -20
	fi
	check "hostile: the file beside the share is in no answer" no_outside "$tmp"/hostile.*."$guest"
	check "hostile: curl served after them" [ "$(get /a.txt)" = "hello from the share" ]
}

# The share: a few files, a directory without an index, one denied.
share=$tmp/share
mkdir -p "$share/list" "$share/secret" "$share/old"
echo "hello from the share" >"$share/a.txt"
seq 1 30000 >"$share/text.txt"
head -c 4194304 /dev/urandom >"$share/big.bin"
echo one >"$share/list/first.txt"
echo two >"$share/list/second.txt"
echo hidden >"$share/secret/x.txt"
head -c 104857600 /dev/urandom >"$share/huge.bin"
utf8_name="café ünï.txt"
utf8_url="/caf%C3%A9%20%C3%BCn%C3%AF.txt"
echo "a name in UTF-8" >"$share/$utf8_name"
# The browser's page: a stylesheet's background colour and an image, a
# block of another colour, both unlike anything Chromium draws itself.
page_bg=12c896
block_rgb=e62899
printf '<!DOCTYPE html>\n<html><head><link rel="stylesheet" href="style.css"></head>\n%s\n' \
	'<body><img src="block.png" width="200" height="100"></body></html>' >"$share/page.html"
printf 'body { background: #%s; margin: 40px; }\n' "$page_bg" >"$share/style.css"
py=(/usr/bin/python3 "$root/tests/nginx/http.py")
"${py[@]}" png "$share/block.png" 200 100 "$block_rgb"
# A file beside the share, outside it: no request may read it.
outside=$(head -c 16 /dev/urandom | sha256sum | cut -c1-32)
echo "$outside" >"$tmp/outside.txt"
touch -d '2024-01-02 03:04:05 UTC' "$share/a.txt"
# The image's configuration with the test's locations, for both runs.
sed 's|^\t\tlocation = / {|\t\tlocation /list/ { autoindex on; }\n\t\tlocation /secret/ { deny all; }\n\t\tlocation /old/ { rewrite ^/old/(.*)$ /$1 permanent; }\n&|' \
	"$root/apps/nginx/nginx.conf" >"$share/test.conf"
check "nginx: the test configuration has its locations" grep -q 'autoindex on' "$share/test.conf"

# The requests compared with Linux: a path, then curl's options, one
# request a line; "|" separates the words.
requests="/a.txt
/a.txt|-I
/big.bin|-r|100-199
/big.bin|-r|9999999-
/a.txt|-H|If-Modified-Since: Tue, 02 Jan 2024 03:04:05 GMT
/nope.txt
/secret/x.txt
/list
/list/
/old/a.txt
/text.txt|-H|Accept-Encoding: gzip
$utf8_url"
nrequests=$(wc -l <<<"$requests")

# Hostile requests, on a connection each (tests/nginx/http.py raw): a
# name, the request (Python escapes), and "half" where the client half
# closes after it. ../ in every encoding tries to reach outside.txt.
big=$(head -c 65536 /dev/zero | tr '\0' a)
hostile="big-header|GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: $big\r\n\r\n|
bogus-method|FROB /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
lowercase-method|get /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
binary-method|\x01\x02\x03 / HTTP/1.1\r\nConnection: close\r\n\r\n|
truncated-line|GET /a.t|half
truncated-version|GET /a.txt HTT|half
no-version|GET /a.txt\r\n|half
bad-version|GET /a.txt HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n|
dotdot|GET /../outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
dotdot-deep|GET /list/../../outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
dotdot-relative|GET ../outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
dotdot-absolute|GET http://x/../outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
pct-2e2e|GET /%2e%2e/outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
pct-2E2E|GET /%2E%2E/outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
pct-2e.|GET /%2e./outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
pct-.2e|GET /.%2e/outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
pct-2f|GET /..%2foutside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
pct-2e2e2f|GET /%2e%2e%2foutside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
pct-deep|GET /list/%2e%2e/%2e%2e/outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
double|GET /%252e%252e/outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
double-2f|GET /..%252foutside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
backslash|GET /..\\\\outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
backslash-pct|GET /%2e%2e%5coutside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
overlong-utf8|GET /..%c0%afoutside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|
nul|GET /a.txt%00/../../outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|"
nhostile=$(wc -l <<<"$hostile")

# each_hostile HOST PORT VIA...: sends every hostile request to HOST:PORT
# (through VIA, say ip netns exec), keeping each answer in
# $out/nginx-hostile.NAME.$side, and prints each one's name and status line.
each_hostile() {
	local host=$1 port=$2 name request half f
	shift 2
	while IFS='|' read -r name request half; do
		f=$tmp/hostile.$name.$host
		timeout 30 "$@" "${py[@]}" raw "$host" "$port" "$request" ${half:+"$half"} >"$f" </dev/null
		echo "$name: $(head -1 "$f" | tr -d '\r')"
	done <<<"$hostile"
}

# no_outside FILES...: outside.txt's content is in none of them.
no_outside() { ! grep -qF "$outside" "$@"; }

# headers CURL...: the status line and headers of a request, less Date
# and the host in a Location; sorted after the status line.
headers() {
	"$@" -s -o /dev/null -D - | tr -d '\r' | grep -v '^Date: ' | grep -v '^$' |
		sed 's|^Location: http://[^/]*|Location: |' |
		{ read -r status; echo "$status"; sort; }
}

# each_request BASE CURL...: the headers of every request, against BASE.
each_request() {
	local base=$1 path words
	shift
	while IFS='|' read -r -a words; do
		path=${words[0]}
		headers "$@" -m 30 "${words[@]:1}" "$base$path" </dev/null
	done <<<"$requests"
}

# 1. The oracle: the same objects natively on loopback, the share as root.
port=$(free_port)
sed -e "s|listen 80 |listen 127.0.0.1:$port |" -e "s|root /;|root $share;|" \
	-e "s|^worker_processes 1;|&\npid $tmp/nginx.pid;|" \
	-e "s|^http {|&\n\tclient_body_temp_path $tmp/body;|" "$share/test.conf" >"$tmp/native.conf"
"$native" -c "$tmp/native.conf" >"$out/nginx-native.log" 2>&1 &
native_pid=$!
helpers+=("$native_pid")
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/a.txt" && break; sleep 0.1; done
each_request "http://127.0.0.1:$port" curl >"$out/nginx-headers.native"
each_hostile 127.0.0.1 "$port" >"$out/nginx-hostile.native"
check "nginx native: the file beside the share is in no answer to a hostile request" \
	no_outside "$tmp"/hostile.*.127.0.0.1
kill "$native_pid" # SIGTERM: nginx exits
wait "$native_pid" 2>/dev/null
check "nginx native: $(grep -c '^HTTP/' "$out/nginx-headers.native") of $nrequests requests answered" \
	[ "$(grep -c '^HTTP/' "$out/nginx-headers.native")" = "$nrequests" ]

if ! new_netns "$ns"; then
	fail "nginx: could not make the network namespace $ns"
	exit 0
fi

# 2. No -c: the image's own configuration and page.
if start nginx-default "$share" ""; then
	check "nginx-default: / is the image's own page (the share has no index.html)" \
		grep -q 'nginx on Ceres' <(get /)
	check "nginx-default: a file of the share" [ "$(get /a.txt)" = "hello from the share" ]
	check "nginx-default: /etc/passwd is the image's (the share has no /etc)" \
		grep -q '^nobody:' <(get /etc/passwd)
	expect_serial nginx-default '"GET /a.txt HTTP/1.1" 200 21 ' "the access log is on the console"
	stop nginx-default
fi

# 3. The test configuration from the share, which has an /etc of its own.
echo "<h1>the share's own index</h1>" >"$tmp/index.html"
mkdir -p "$share/etc"
printf 'root:x:0:0:the share:/:/bin/false\nnobody:x:65534:65534:the share:/:/bin/false\n' \
	>"$share/etc/passwd"
printf 'nogroup:x:65534:\n' >"$share/etc/group"
if start nginx-share "$share" "-c /test.conf"; then
	check "nginx-share: GET" [ "$(get /a.txt)" = "hello from the share" ]
	check "nginx-share: /etc is the share's own, not the image's" \
		grep -q '^nobody:x:65534:65534:the share:' <(get /etc/passwd)
	h=$(get /a.txt -I | tr -d '\r')
	check "nginx-share: HEAD: 200, Content-Length 21" \
		bash -c 'grep -q "^HTTP/1.1 200" <<<"$1" && grep -q "^Content-Length: 21$" <<<"$1"' _ "$h"
	check "nginx-share: HEAD has no body" [ "$(get /a.txt -I -o /dev/null -w '%{size_download}')" = 0 ]
	v=$(get /a.txt -v -o /dev/null --next "http://$guest/text.txt" -o /dev/null 2>&1)
	check "nginx-share: keep-alive: the second request reuses the connection" \
		grep -q 'Re-using existing connection' <<<"$v"
	check "nginx-share: Range 100-199: 206 and those bytes" \
		cmp -s <(get /big.bin -r 100-199) <(tail -c +101 "$share/big.bin" | head -c 100)
	check "nginx-share: Range past the end: 416" \
		[ "$(get /big.bin -r 9999999- -o /dev/null -w '%{http_code}')" = 416 ]
	check "nginx-share: If-Modified-Since the file's time: 304" \
		[ "$(get /a.txt -H 'If-Modified-Since: Tue, 02 Jan 2024 03:04:05 GMT' -o /dev/null -w '%{http_code}')" = 304 ]
	check "nginx-share: a missing file: 404" [ "$(get /nope.txt -o /dev/null -w '%{http_code}')" = 404 ]
	check "nginx-share: a denied location: 403" [ "$(get /secret/x.txt -o /dev/null -w '%{http_code}')" = 403 ]
	l=$(get /list/)
	check "nginx-share: autoindex lists the directory" \
		bash -c 'grep -q "first.txt" <<<"$1" && grep -q "second.txt" <<<"$1"' _ "$l"
	check "nginx-share: rewrite: 301 to /a.txt" \
		[ "$(get /old/a.txt -o /dev/null -w '%{http_code} %{redirect_url}')" = "301 http://$guest/a.txt" ]
	check "nginx-share: gzip: the body unpacks to the file" \
		cmp -s <(get /text.txt -H 'Accept-Encoding: gzip' | gzip -dc) "$share/text.txt"
	want=$(sha256sum <"$share/big.bin" | cut -d' ' -f1)
	got=$(get /big.bin | sha256sum | cut -d' ' -f1)
	check "nginx-share: 4 MiB through sendfile: sha256 matches" [ "$got" = "$want" ]
	want=$(sha256sum <"$share/huge.bin" | cut -d' ' -f1)
	got=$(get /huge.bin -m 240 | sha256sum | cut -d' ' -f1)
	check "nginx-share: 100 MiB through sendfile: sha256 matches" [ "$got" = "$want" ]
	check "nginx-share: a UTF-8 name with a space, percent-encoded" \
		[ "$(get "$utf8_url")" = "a name in UTF-8" ]
	check "nginx-share: / without an index.html: the image's page" grep -q 'nginx on Ceres' <(get /)
	cp "$tmp/index.html" "$share/index.html"
	check "nginx-share: / with the share's index.html: that one" \
		[ "$(get /)" = "<h1>the share's own index</h1>" ]
	rm -f "$share/index.html"

	each_request "http://$guest" timeout 60 ip netns exec "$ns" curl >"$out/nginx-headers.ceres"
	if diff -u "$out/nginx-headers.native" "$out/nginx-headers.ceres" >"$out/nginx-headers.diff"; then
		pass "nginx-share: $nrequests requests' status and headers agree with the native run"
	else
		fail "nginx-share: status or headers differ from the native run"
		sed 's/^/    # /' "$out/nginx-headers.diff" | head -20
	fi
	browser
	load
	hostile_clients
	stop nginx-share
fi

# 4. Little memory: the same load in 8 MiB of RAM, where every connection's
# rings at full size would not fit (docs/tcp.md, memory pressure).
if NGINX_MEM=8 start nginx-8m "$share" "-c /test.conf"; then
	wrk_run keepalive-50-8m 50 3
	wrk_run close-50-8m 50 3 -H "Connection: close"
	burst
	check "nginx-8m: served after the load" [ "$(get /a.txt)" = "hello from the share" ]
	expect_no_serial nginx-8m 'out of memory' "no allocation failed"
	stop nginx-8m
fi
exit 0
