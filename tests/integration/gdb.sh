#!/usr/bin/env bash
# gdb against QEMU's stub and against Ceres's own (docs/gdbstub.md).
#
# QEMU's: gdb attaches through tools/gdb/ceres.gdb, stops at main and reads
# argc; ceres-threads and the Python helpers (ceres runq, ...) read the
# threads of a guest stopped mid-test.
#
# Ceres's (gdb=com2, run.sh --gdb-stub), against tests/apps/gdbtest:
#   - threads: info threads names every thread; thread N + bt shows the
#     one blocked in a mutex in its futex wait; a breakpoint in target()
#     is hit by the thread "stepper"; next and step go where they should;
#     the monotonic clock skips the seconds gdb held the guest, the real
#     one does not; the helpers work through this stub too
#   - spin: Ctrl-C (gdb's SIGINT) stops a spinning guest, which ran
#     meanwhile; a hardware breakpoint and a watchpoint are hit
#   - crash: a NULL write waits for gdb, says so, and gdb shows the line;
#     so does an application's failed assert() (tests/apps/crash)
#   - raw: malformed packets by hand (tests/gdb/raw.py) get the protocol's
#     error replies, and the guest goes on running
#   - redis: info threads shows Redis's main and bio threads
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

check "gdb: the Python helpers load" bash -c "! grep -q 'Error while executing Python' '$out/gdb-threads.out'"

debug gdb-helpers schedtest '-- fairness' \
	"ceres-attach $root/build/schedtest/ceres.elf @PORT@" 'hbreak spinner' continue \
	'ceres runq' 'ceres sleepers' 'ceres heap' 'ceres pages'
check "gdb (QEMU's stub): ceres runq names the running thread" \
	grep -qE "^running: thread [0-9]+ '" "$out/gdb-helpers.out"
check "gdb (QEMU's stub): ceres sleepers lists the kernel's RTC timer" \
	grep -qE '^  at [0-9]+\.[0-9]{3} ms: kernel timer follow_rtc' "$out/gdb-helpers.out"
check "gdb (QEMU's stub): ceres heap" grep -qE '^kheap: [1-9][0-9]* bytes in use' "$out/gdb-helpers.out"
check "gdb (QEMU's stub): ceres pages" grep -qE '^pages: [1-9][0-9]* KiB in all' "$out/gdb-helpers.out"

# ---- Ceres's own stub ----

src=$root/tests/apps/gdbtest/main.c
elf=$root/build/gdbtest/ceres.elf
# line_of TEXT: the line of gdbtest's source that holds TEXT.
line_of() { grep -nF -- "$1" "$src" | head -1 | cut -d: -f1; }

# stub_boot NAME APP APPEND [run.sh options...]: boots APP in the
# background with Ceres's stub on a free port ($port); run.sh is $runner.
stub_boot() {
	local name=$1 app=$2 append=$3
	shift 3
	port=$(free_port)
	new_boot "$name"
	rm -f "$out/$name.out"
	"$root/run.sh" --no-build --gdb-stub "$port" --serial "$out/$name.serial" --pidfile "$pidfile" \
		--timeout "$TEST_TIMEOUT" --append "$append" "$@" "$app" \
		>"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
	runner=$!
	runners+=("$runner")
}

# wait_serial NAME REGEX: until the console of boot NAME says REGEX (30 s at most).
wait_serial() {
	for _ in $(seq 300); do
		serial_has "$1" "$2" && return 0
		kill -0 "$runner" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stub_args ELF COMMANDS...: gdb's arguments in $args: attach to the stub
# on $port with ELF's symbols, then the commands.
stub_args() {
	local c
	args=(-q -batch -nx -x "$root/tools/gdb/ceres.gdb" -ex "ceres-stub $1 $port")
	shift
	for c in "$@"; do args+=(-ex "$c"); done
}

# stub_gdb NAME ELF COMMANDS...: gdb in batch mode, its output in $out/NAME.out.
stub_gdb() {
	local name=$1
	shift
	stub_args "$@"
	timeout "$TEST_TIMEOUT" gdb "${args[@]}" >"$out/$name.out" 2>&1 </dev/null
}

# select_thread NAME: a gdb command that selects the thread called NAME (thread N).
select_thread() {
	echo "python [gdb.execute('thread %d' % t.num) for t in gdb.selected_inferior().threads() if t.name == '$1']"
}

# 1. Threads, a breakpoint, next and step, the clock.
stub_boot gdb-stub gdbtest '-- threads' --gdb-wait
if wait_serial gdb-stub 'gdb: the application is about to start; waiting for gdb'; then
	pass "gdb-stub: the kernel waits for gdb before the application starts (gdb.wait)"
else
	fail "gdb-stub: the kernel waits for gdb before the application starts (gdb.wait)"
fi
stub_gdb gdb-stub "$elf" 'break target' continue 'info threads' 'shell sleep 3' \
	next step bt "$(select_thread waiter)" 'echo ==waiter==\n' bt 'echo ==end==\n' \
	'ceres runq' 'ceres sleepers' 'ceres heap' 'ceres pages' continue
finish gdb-stub
o=$out/gdb-stub.out
for t in idle main holder waiter sleeper stepper; do
	check "gdb-stub: info threads shows the thread '$t' by name" grep -qE "^[* ] +[0-9]+ +Thread [0-9]+ \"$t\"" "$o"
done
check "gdb-stub: ... and what it waits in (the waiter: blocked, in futex)" \
	grep -qE "Thread [0-9]+ \"waiter\" \(blocked, in futex\)" "$o"
check "gdb-stub: the breakpoint in target() is hit by the thread 'stepper', at its first line" \
	grep -qE "^Thread [0-9]+ \"stepper\" hit Breakpoint 1, target \(.*\) at tests/apps/gdbtest/main.c:$(line_of 'int a = x + 1;')\$" "$o"
check "gdb-stub: next goes to the next line" grep -qP "^$(line_of 'int b = twice(a);')\t+int b = twice\(a\);\$" "$o"
check "gdb-stub: step goes into twice()" grep -qE '^twice \(x=.*\) at tests/apps/gdbtest/main.c:' "$o"
check "gdb-stub: bt from there: twice, target, stepper" \
	bash -c "grep -qE '^#1 .* in target \(' '$o' && grep -qE '^#2 .* in stepper \(' '$o'"
sed -n '/^==waiter==$/,/^==end==$/p' "$o" >"$out/gdb-stub.waiter"
check "gdb-stub: thread N + bt: the waiter is in pthread_mutex_lock's futex wait" \
	grep -qE ' in (pthread_mutex_(timed)?lock|__timedwait(_cp)?) \(' "$out/gdb-stub.waiter"
check "gdb-stub: ... called from waiter() at its pthread_mutex_lock line" \
	grep -qE " in waiter \(.*\) at tests/apps/gdbtest/main.c:$(line_of 'pthread_mutex_lock(&lock); /* the holder')\$" \
	"$out/gdb-stub.waiter"
check "gdb-stub: ceres runq (the stub's helpers)" grep -qE "^running: thread [0-9]+ 'stepper'" "$o"
check "gdb-stub: ceres sleepers" grep -qE '^  at [0-9]+\.[0-9]{3} ms: kernel timer follow_rtc' "$o"
check "gdb-stub: ceres heap" grep -qE '^kheap: [1-9][0-9]* bytes in use' "$o"
check "gdb-stub: ceres pages" grep -qE '^pages: [1-9][0-9]* KiB in all' "$o"
check "gdb-stub: no Python errors" bash -c "! grep -q 'Error while executing Python' '$o'"
read -r mono real < <(sed -nE 's/^gdbtest: target\(20\) is 63 after ([0-9]+) ms monotonic, ([0-9]+) ms real$/\1 \2/p' \
	"$out/gdb-stub.serial")
check "gdb-stub: the monotonic clock skipped the 3 s gdb held the guest (${mono:-?} ms passed)" \
	bash -c '[ -n "$1" ] && [ "$1" -lt 1500 ]' _ "${mono:-}"
check "gdb-stub: ... and the real clock did not (${real:-?} ms)" bash -c '[ -n "$1" ] && [ "$1" -ge 2500 ]' _ "${real:-}"
check "gdb-stub: gdb sees the guest exit normally" grep -q 'exited normally' "$o"
expect_status gdb-stub 0

# 2. Ctrl-C stops a spinning guest; a hardware breakpoint and a watchpoint.
stub_boot gdb-spin gdbtest '-- spin'
wait_serial gdb-spin '^gdbtest: spin'
stub_args "$elf" 'print spin_count' continue 'print spin_count' \
	"hbreak tests/apps/gdbtest/main.c:$(line_of 'spin_count++;')" continue delete \
	'watch spin_count' continue delete kill
gdb "${args[@]}" >"$out/gdb-spin.out" 2>&1 </dev/null &
gdb_pid=$!
helpers+=("$gdb_pid")
for _ in $(seq 200); do grep -q '^\$1 = ' "$out/gdb-spin.out" && break; sleep 0.1; done
sleep 2
kill -INT "$gdb_pid" 2>/dev/null
for _ in $(seq 300); do kill -0 "$gdb_pid" 2>/dev/null || break; sleep 0.1; done
finish gdb-spin
o=$out/gdb-spin.out
check "gdb-spin: Ctrl-C stops the spinning thread in spin()" \
	grep -qE '^Thread [0-9]+ "spinner" received signal SIGINT' "$o"
first=$(sed -n 's/^\$1 = //p' "$o")
second=$(sed -n 's/^\$2 = //p' "$o")
check "gdb-spin: it spun while gdb let it go on (${first:-?}, then ${second:-?})" \
	bash -c '[ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt "$1" ]' _ "${first:-}" "${second:-}"
check "gdb-spin: a hardware breakpoint (Z1) is hit" \
	grep -qE '^Thread [0-9]+ "spinner" hit Breakpoint [0-9]+, spin \(\)' "$o"
check "gdb-spin: a watchpoint (Z2) is hit" grep -qE '^Thread [0-9]+ "spinner" hit Hardware watchpoint [0-9]+: spin_count' "$o"
expect_status gdb-spin 120

# 3. A crash waits for gdb, which shows the faulting line.
stub_boot gdb-crash gdbtest '-- crash'
if wait_serial gdb-crash 'gdb: CPU exception: waiting for gdb on com2'; then
	pass "gdb-crash: the crash waits for gdb, and says so"
	stub_gdb gdb-crash "$elf" bt continue
else
	fail "gdb-crash: the crash waits for gdb, and says so"
fi
finish gdb-crash
check "gdb-crash: gdb is at the faulting line" \
	grep -qE "^#0 .*crash_here \(\) at tests/apps/gdbtest/main.c:$(line_of '*null_pointer = 42;')\$" "$out/gdb-crash.out"
check "gdb-crash: ... in the thread 'crasher'" grep -qE '^#1 .* in crasher \(' "$out/gdb-crash.out"
check "gdb-crash: going on ends it with SIGSEGV" grep -q 'terminated with signal SIGSEGV' "$out/gdb-crash.out"
expect_status gdb-crash 121

# ... and so does an application's failed assert(), its SIGABRT: gdb is at the assert.
stub_boot gdb-assert crash '-- assert'
if wait_serial gdb-assert 'gdb: SIGABRT ended the application: waiting for gdb on com2'; then
	pass "gdb-assert: SIGABRT waits for gdb, and says so"
	stub_gdb gdb-assert "$root/build/crash/ceres.elf" bt continue
else
	fail "gdb-assert: SIGABRT waits for gdb, and says so"
fi
finish gdb-assert
assert_line=$(grep -nF 'assert(argc == 0);' "$root/tests/apps/crash/main.c" | cut -d: -f1)
check "gdb-assert: gdb shows abort() ..." grep -qE ' in abort \(' "$out/gdb-assert.out"
check "gdb-assert: ... called from the line of the assert()" \
	grep -qE " in crash_assert \(.*\) at tests/apps/crash/main.c:$assert_line\$" "$out/gdb-assert.out"
check "gdb-assert: going on ends it with SIGABRT" grep -q 'terminated with signal SIGABRT' "$out/gdb-assert.out"
expect_status gdb-assert 120

# 4. Malformed packets, by hand.
stub_boot gdb-raw gdbtest '-- spin'
wait_serial gdb-raw '^gdbtest: spin'
timeout "$TEST_TIMEOUT" python3 "$root/tests/gdb/raw.py" "$port" \
	"$(nm "$elf" | awk '$3 == "spin_count" { print $1 }')" >"$out/gdb-raw.out" 2>&1
finish gdb-raw
o=$out/gdb-raw.out
check "gdb-raw: a bad checksum is answered '-'" grep -qx 'badsum=-' "$o"
check "gdb-raw: an overlong packet is answered '-'" grep -qx 'overlong=-' "$o"
check "gdb-raw: an unknown command gets the empty reply" grep -qx 'unknown=' "$o"
check "gdb-raw: arguments that do not parse get an error" grep -qx 'badargs=E16' "$o"
check "gdb-raw: then '?' answers with the stop" grep -qE '^stop=T05thread:[0-9a-f]+;' "$o"
check "gdb-raw: reading address 0 is an error, not a crash" grep -qx 'null=E0e' "$o"
check "gdb-raw: so is a non-canonical address" grep -qx 'noncanon=E0e' "$o"
check "gdb-raw: the target description is x86-64" grep -qx 'xml=1' "$o"
check "gdb-raw: the kernel kept running: the counter grew after all that" grep -qx 'grew=1' "$o"
check "gdb-raw: Ctrl-C (0x03) stopped it again" grep -qE '^ctrlc=T02thread:[0-9a-f]+;' "$o"
check "gdb-raw: k ends the guest" grep -qx 'killed' "$o"
expect_serial gdb-raw 'gdb: packet with a bad checksum dropped \(1 so far\)'
expect_serial gdb-raw 'gdb: packet of more than 4096 bytes dropped \(1 so far\)'
expect_status gdb-raw 120

# 5. Redis's threads.
stub_boot gdb-redis redis ''
if wait_serial gdb-redis 'Ready to accept connections'; then
	stub_gdb gdb-redis "$root/build/redis/ceres.elf" 'info threads' kill
fi
finish gdb-redis
for t in main bio_close_file bio_aof_fsync bio_lazy_free; do
	check "gdb-redis: info threads shows Redis's thread '$t'" \
		grep -qE "^[* ] +[0-9]+ +Thread [0-9]+ \"$t\"" "$out/gdb-redis.out"
done
