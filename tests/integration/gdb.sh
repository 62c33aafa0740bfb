#!/usr/bin/env bash
# gdb attaches through tools/gdb/ceres.gdb, stops at main and reads argc.
source "$(dirname "$0")/../lib.sh"

port=$(free_port)
pidfile=$out/gdb.pid
pidfiles+=("$pidfile")
rm -f "$pidfile"
"$root/run.sh" --no-build --gdb --gdb-port "$port" --serial "$out/gdb.serial" \
	--pidfile "$pidfile" --timeout "$TEST_TIMEOUT" --append '-- a b' hello \
	>/dev/null 2>"$out/gdb.stderr" </dev/null &
for _ in $(seq 100); do
	[ -s "$pidfile" ] && break
	sleep 0.1
done
timeout "$TEST_TIMEOUT" gdb -q -batch -nx -x "$root/tools/gdb/ceres.gdb" \
	-ex "ceres-debug $root/build/hello/ceres.elf $port" \
	-ex 'print argc' -ex 'print argv[1]' -ex 'bt' -ex 'kill' >"$out/gdb.out" 2>&1 </dev/null
check "gdb: stops at main in apps/hello/main.c" grep -qE 'Breakpoint 1, main \(argc=3, .*apps/hello/main.c' "$out/gdb.out"
check "gdb: prints argc" grep -qx '\$1 = 3' "$out/gdb.out"
check "gdb: reads argv" grep -qE '^\$2 = 0x[0-9a-f]+ (<[^>]*> )?"a"$' "$out/gdb.out"
check "gdb: no register-size mismatch" bash -c "! grep -q \"'g' packet reply is too long\" '$out/gdb.out'"
wait

# ceres-threads lists the threads of a guest stopped in the middle of a test.
port=$(free_port)
pidfile=$out/gdb-threads.pid
pidfiles+=("$pidfile")
rm -f "$pidfile"
"$root/run.sh" --no-build --gdb --gdb-port "$port" --serial "$out/gdb-threads.serial" \
	--pidfile "$pidfile" --timeout "$TEST_TIMEOUT" --append '-- 2000 fairness' schedtest \
	>/dev/null 2>"$out/gdb-threads.stderr" </dev/null &
for _ in $(seq 100); do
	[ -s "$pidfile" ] && break
	sleep 0.1
done
timeout "$TEST_TIMEOUT" gdb -q -batch -nx -x "$root/tools/gdb/ceres.gdb" \
	-ex "ceres-attach $root/build/schedtest/ceres.elf $port" -ex 'hbreak spinner' \
	-ex 'continue' -ex 'continue' -ex 'continue' -ex 'ceres-threads' -ex 'kill' \
	>"$out/gdb-threads.out" 2>&1 </dev/null
check "gdb: ceres-threads shows the sleeping main thread" \
	grep -q "thread 1 'main' THREAD_SLEEPING" "$out/gdb-threads.out"
check "gdb: ... with its backtrace" grep -qE '#[0-9]+ +test_fairness \+ [0-9]+' "$out/gdb-threads.out"
check "gdb: ... and the idle thread" grep -q "thread 0 'idle'" "$out/gdb-threads.out"
wait
