#!/usr/bin/env bash
# Direct boots (QEMU -kernel) of hello: arguments, exit status, parameters,
# log levels, help, ACPI power-off, and a CPU without long mode.
source "$(dirname "$0")/../lib.sh"

boot hello-args hello --append '-- one two "three four"'
expect_status hello-args 3
expect_serial hello-args '^Hello from Ceres! I am hello\.' "greets with argv[0] = the app's name"
check "hello-args: each argument on its own line, quotes grouping words" \
	has_lines "$out/hello-args.serial" one two 'three four'
expect_serial hello-args '^\[ *[0-9]+\.[0-9]{6}\] I: boot: the application starts [0-9]+ us after the first instruction' \
	"timestamped info message with the time to the application's start"
expect_serial hello-args 'I: abi: [0-9]+ system calls, 0 of them not implemented' \
	"the exit report counts the system calls"
expect_serial hello-args 'I: time: TSC at [0-9]+\.[0-9]{3} MHz' "TSC frequency logged"
expect_serial hello-args 'I: cpu: features:.* sse2' "CPU features logged"
expect_serial hello-args 'Multiboot 1 from qemu' "bootinfo names the loader"
check "hello-args: run.sh names the accelerator and why" \
	grep -qE 'booting hello with (tcg|kvm) \(.+\)' "$out/hello-args.stderr"

boot hello-noargs hello
expect_status hello-noargs 0

boot params hello --append 'loglevel=debug bogus=1 loglevel=9 =x loglevel -- x'
expect_status params 1
expect_serial params "W: params: unknown kernel parameter 'bogus' ignored" "unknown parameter named"
expect_serial params "W: params: bad value '9' for loglevel: expected .*; keeping debug" \
	"bad value named, default kept"
expect_serial params "W: params: malformed kernel parameter '=x'" "malformed parameter named"
expect_serial params "W: params: kernel parameter 'loglevel' needs a value" "missing value named"
expect_serial params '] D: ' "loglevel=debug shows debug messages"

boot quiet hello --append 'loglevel=err -- a'
expect_status quiet 1
expect_no_serial quiet '] [IWD]: ' "loglevel=err hides info and warnings"
expect_serial quiet '^a$' "the application still prints"

boot help hello --append 'help -- a b'
expect_status help 0
expect_serial help '^  loglevel +default info +kernel message threshold' "help lists loglevel with its default"
expect_no_serial help 'Hello from Ceres' "help does not run the application"

# Without isa-debug-exit (as under libvirt) the kernel must power the VM
# off through ACPI, so QEMU ends by itself with status 0 instead of hanging.
boot acpi-qboot hello --no-exit-device --append '-- a'
expect_status acpi-qboot 0
expect_serial acpi-qboot 'application exited with status 1' "status logged before power-off"

boot no-long-mode hello --cpu qemu32
expect_status no-long-mode 122
expect_serial no-long-mode 'this CPU has no 64-bit long mode' "clear message before halting"

"$root/run.sh" --dry-run --accel tcg hello >"$out/dry-run.stdout" 2>&1
check "run.sh --dry-run: direct boot uses qboot" grep -q -- '-bios qboot.rom' "$out/dry-run.stdout"
check "run.sh --dry-run: --accel tcg gives TCG" grep -q -- '-accel tcg' "$out/dry-run.stdout"
"$root/run.sh" --accel bogus hello >/dev/null 2>"$out/bad-accel.stderr"
check "run.sh: a bad --accel is refused with status 125" test $? = 125
check "run.sh: ... and a message" grep -q "takes auto, kvm or tcg" "$out/bad-accel.stderr"
for m in 0 1; do
	"$root/run.sh" --no-build -m "$m" hello >/dev/null 2>"$out/mem-$m.stderr"
	check "run.sh: -m $m is refused with status 125" test $? = 125
	check "run.sh: ... and says why" grep -q "Ceres needs at least 2 MiB" "$out/mem-$m.stderr"
done

# Ceres runs on one CPU, and says so when the machine has more.
boot smp hello --smp 2
expect_status smp 0
expect_serial smp 'W: boot: this machine has 2 CPUs; Ceres uses CPU 0 only' "a second CPU is named as unused"
boot smp1 hello
expect_no_serial smp1 'CPUs; Ceres uses' "one CPU: nothing to say"
