#!/usr/bin/env bash
# The Linux system-call layer (docs/abi.md), with Linux as the oracle: the
# same static musl programs run natively on this host and in Ceres, and
# their outputs must agree line for line (tests/apps/sysabi, libctest,
# events, udpsock, itimer, procfs), up
# to the differences tests/apps/sysabi/differences lists and explains.
# Then what only runs in the guest: the red zone under interrupts, garbage
# system calls, threads, signals, the process's start and stdin.
source "$(dirname "$0")/../lib.sh"

# guest_output NAME: the console of boot NAME without the kernel's lines.
guest_output() {
	grep -vE '^\[ *[0-9]+\.[0-9]+\] [CEWID]: ' "$out/$1.serial"
}

# differential APP: APP natively (stdout a pipe, stdin /dev/null, as in the
# guest) against APP in Ceres, after the listed differences are applied.
differential() {
	local app=$1 native=$out/$1.native want=$out/$1.want
	boot "$app" "$app"
	expect_status "$app" 0
	"$root/build/$app/$app.linux" </dev/null 2>&1 | cat >"$native"
	cp "$native" "$want"
	if [ -f "$root/tests/apps/$app/differences" ]; then
		grep -v '^#' "$root/tests/apps/$app/differences" | while IFS=$'\t' read -r from to; do
			awk -v f="$from" -v t="$to" '$0 == f {print t; next} {print}' "$want" >"$want.tmp" &&
				mv "$want.tmp" "$want"
		done
	fi
	if guest_output "$app" | diff -u "$want" - >"$out/$app.diff"; then
		pass "$app: $(wc -l <"$want") lines agree with the native run"
	else
		fail "$app: the guest's output differs from the native run's"
		sed 's/^/    # /' "$out/$app.diff" | head -20
	fi
	check "$app: the native run got to its end" grep -q "^$app: done" "$native"
}

differential sysabi
expect_serial sysabi 'W: abi: fork \(57\) is not implemented' "an unimplemented call is named"
differential libctest
differential events
differential udpsock
differential itimer
differential procfs

# stdin through poll and epoll_wait: a line that arrives while they wait
# (the console's 5 ms input timer notifies the watches).
new_boot events-stdin
(sleep 1; printf 'a line for poll\n'; sleep 3) |
	"$root/run.sh" --no-build --pidfile "$pidfile" --timeout "$TEST_TIMEOUT" --append '-- stdin' \
		events >"$out/events-stdin.serial" 2>"$out/events-stdin.stderr"
status=$?
sed -i 's/\r$//' "$out/events-stdin.serial"
expect_status events-stdin 0
expect_serial events-stdin '^stdin poll: 1 IN$' "poll() on stdin wakes when a line arrives"
expect_serial events-stdin '^stdin epoll: 1 IN$' "... and so does epoll_wait()"
expect_serial events-stdin '^stdin read: a line for poll$' "... and the line reads whole"
expect_serial events-stdin '^stdout poll: 1 OUT$' "stdout polls writable"

# The checks the guest programs print themselves, as ours.
guest_checks() {
	grep -E '^(not )?ok - ' "$out/$1.serial" | sed "s/^\(not \)\?ok - /&$1: /"
}

boot redzone redzone --append 'sched.timeslice_ms=1'
expect_status redzone 0
guest_checks redzone

boot fuzz fuzz --append '-- 20000 0x9E3779B97F4A7C15'
expect_status fuzz 0
guest_checks fuzz
expect_no_serial fuzz '\] [CE]: ' "the kernel reports no error or crash"

boot threads threads -m 256
expect_status threads 0
guest_checks threads
boot thread-crash threads --append '-- crash'
expect_status thread-crash 121
expect_serial thread-crash "C:   in thread [0-9]+ 'worker'" "the crash report names the thread"
expect_serial thread-crash '#0 +0x[0-9a-f]+ crasher\+0x' "... and the function"

# Signals' default actions end the program with a report naming the signal.
boot sig-abort crash --append '-- assert'
expect_status sig-abort 120
expect_serial sig-abort '^Assertion failed: argc == 0 \(tests/apps/crash/main.c: crash_assert: [0-9]+\)' \
	"musl's assert message comes out"
expect_serial sig-abort 'C: abi: SIGABRT \(signal 6\) ended the application, in thread 1' \
	"abort() is a SIGABRT, named"
expect_serial sig-abort '#[0-9]+ +0x[0-9a-f]+ crash_assert\+0x' "the report's backtrace finds the caller"
boot sig-term crash --append '-- term'
expect_status sig-term 120
expect_serial sig-term 'C: abi: SIGTERM \(signal 15\) ended the application' "raise(SIGTERM) is named"

# The process's start: environment, host name, stack limit, fds, stdin.
# The console is QEMU's stdio here (not a file), so that stdin reaches it.
new_boot procinfo
printf 'first line\na second, longer line of input than a FIFO holds\nend\n' |
	"$root/run.sh" --no-build --pidfile "$pidfile" --timeout "$TEST_TIMEOUT" \
		--append 'env.TZ=UTC env.GREETING="hello world" uname.nodename=box sched.main_stack_kb=512 -- echo' \
		procinfo >"$out/procinfo.serial" 2>"$out/procinfo.stderr"
status=$?
sed -i 's/\r$//' "$out/procinfo.serial"
expect_status procinfo 0
expect_serial procinfo '^env: TZ=UTC$' "env.TZ=UTC reaches the environment"
expect_serial procinfo '^env: GREETING=hello world$' "... quoted values too"
expect_serial procinfo '^uname: Linux box [0-9.]+-ceres x86_64$' "uname: Linux, the nodename parameter"
expect_serial procinfo '^stack: 512 KiB$' "RLIMIT_STACK is the main thread's stack"
expect_serial procinfo '^isatty: 0 0 0$' "fds 0-2 are pipes, not terminals"
check "procinfo: stdin reads the serial input, line by line" \
	has_lines "$out/procinfo.serial" 'echo: first line' \
	'echo: a second, longer line of input than a FIFO holds'
