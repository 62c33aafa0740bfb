#!/usr/bin/env bash
# gdb attaches through tools/gdb/ceres.gdb: it stops at main and reads
# argc, and ceres-threads lists the threads of a guest stopped mid-test.
source "$(dirname "$0")/../lib.sh"

# debug NAME APP APPEND GDB-COMMANDS...: boots APP halted with the gdb stub
# on a free port, runs gdb in batch mode with the commands (the port is in
# $port for them) and writes its output to $out/NAME.out.
debug() {
	local name=$1 app=$2 append=$3 pidfile=$out/$1.pid args=()
	shift 3
	port=$(free_port)
	pidfiles+=("$pidfile")
	rm -f "$pidfile"
	"$root/run.sh" --no-build --gdb --gdb-port "$port" --serial "$out/$name.serial" \
		--pidfile "$pidfile" --timeout "$TEST_TIMEOUT" --append "$append" "$app" \
		>/dev/null 2>"$out/$name.stderr" </dev/null &
	for _ in $(seq 100); do
		[ -s "$pidfile" ] && break
		sleep 0.1
	done
	for c in "$@"; do
		args+=(-ex "${c//@PORT@/$port}")
	done
	timeout "$TEST_TIMEOUT" gdb -q -batch -nx -x "$root/tools/gdb/ceres.gdb" "${args[@]}" \
		-ex kill >"$out/$name.out" 2>&1 </dev/null
	wait
}

debug gdb hello '-- a b' "ceres-debug $root/build/hello/ceres.elf @PORT@" \
	'print argc' 'print argv[1]' bt
check "gdb: stops at main in apps/hello/main.c" grep -qE 'Breakpoint 1, main \(argc=3, .*apps/hello/main.c' "$out/gdb.out"
check "gdb: prints argc" grep -qx '\$1 = 3' "$out/gdb.out"
check "gdb: reads argv" grep -qE '^\$2 = 0x[0-9a-f]+ (<[^>]*> )?"a"$' "$out/gdb.out"
check "gdb: no register-size mismatch" bash -c "! grep -q \"'g' packet reply is too long\" '$out/gdb.out'"

debug gdb-threads schedtest '-- fairness' \
	"ceres-attach $root/build/schedtest/ceres.elf @PORT@" 'hbreak spinner' \
	continue continue continue ceres-threads
check "gdb: ceres-threads shows the sleeping main thread" \
	grep -q "thread 1 'main' THREAD_SLEEPING" "$out/gdb-threads.out"
check "gdb: ... with its backtrace, through its system call into the application" \
	grep -qE '#[0-9]+ +(test_fairness|main) \+ [0-9]+ in section' "$out/gdb-threads.out"
check "gdb: ... and the idle thread" grep -q "thread 0 'idle'" "$out/gdb-threads.out"
