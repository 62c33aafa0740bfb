#!/usr/bin/env bash
# nginx (docs/nginx.md): Debian's nginx 1.22.1 linked with Ceres, on a tap
# in a network namespace this test makes (host 172.44.0.1/24, guest
# 172.44.0.2), serving a 9p share, driven by curl from the namespace:
#   - without -c, the image's own configuration (/ceres/nginx.conf) and,
#     the share having no index.html, the image's own page;
#   - with a configuration on the share: GET, HEAD, keep-alive reuse,
#     Range (206, 416), If-Modified-Since (304), 404, 403, autoindex,
#     rewrite, gzip, and a 4 MiB file through sendfile, checksummed;
#   - the status lines and headers of those requests (less Date) compared
#     with the same objects run natively on loopback: Linux is the oracle;
#   - the console: the access log, and no system call Ceres lacks.
# No traffic leaves the namespace or loopback.
source "$(dirname "$0")/../lib.sh"

READY_TIMEOUT=${READY_TIMEOUT:-60}
NGINX_TIMEOUT=${NGINX_TIMEOUT:-300} # one boot, at most
ns=ceresnginx$$
guest=172.44.0.2
params="netdev.ipv4_addr=$guest netdev.ipv4_gw_addr=172.44.0.1 netdev.ipv4_subnet_mask=255.255.255.0"
image=$root/build/nginx/ceres
native=$root/build/nginx/nginx.linux
new_tmp nginx-test

missing=()
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces and taps)")
for c in ip curl gzip sha256sum; do
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
		--timeout "$NGINX_TIMEOUT" --net tap --fs "$share" --append "$params -- $args" \
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
	expect_no_serial "$name" '\] [CE]: |\[emerg\]' "no kernel error, crash report or nginx emergency"
	kill -9 "$(cat "$out/$name.pid")" 2>/dev/null
	wait "$runner" 2>/dev/null
	sed -i 's/\r$//' "$out/$name.serial"
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
/text.txt|-H|Accept-Encoding: gzip"
nrequests=$(wc -l <<<"$requests")

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
sed -e "s|listen 80;|listen 127.0.0.1:$port;|" -e "s|root /;|root $share;|" \
	-e "s|^worker_processes 1;|&\npid $tmp/nginx.pid;|" \
	-e "s|^http {|&\n\tclient_body_temp_path $tmp/body;|" "$share/test.conf" >"$tmp/native.conf"
"$native" -c "$tmp/native.conf" >"$out/nginx-native.log" 2>&1 &
native_pid=$!
helpers+=("$native_pid")
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/a.txt" && break; sleep 0.1; done
each_request "http://127.0.0.1:$port" curl >"$out/nginx-headers.native"
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
	stop nginx-share
fi
exit 0
