/*
 * A differential test of the interval timers (docs/abi.md): setitimer,
 * getitimer and alarm, natively on Linux and in Ceres, compared line for
 * line (tests/integration/abi.sh). Nothing printed depends on timing:
 * remaining times are printed as the range they fall in ("in (9s, 10s]"),
 * a case that needs a timer to have fired waits for the signal, or sleeps
 * much longer than the timer, before it looks, and the rounding cases
 * leave a few hundred milliseconds for a stalled host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../errname.h"
#include "../say.h"

#define USEC 1000000L
#define MSEC 1000L
#define BAD_PTR ((void *)1)
#define CPU_LIMIT_NS 20000000000ULL /* a CPU timer that has not fired after this is lost */

static volatile sig_atomic_t caught;
static volatile int last_signo, last_code, last_errno, last_pid, last_uid;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	caught++;
	last_signo = sig;
	last_code = si->si_code;
	last_errno = si->si_errno;
	last_pid = si->si_pid;
	last_uid = (int)si->si_uid;
}

/* The return value, or "-1 ENAME". */
static void result(const char *what, long ret)
{
	if (ret == -1)
		say(what, "-1 %s", errname(errno));
	else
		say(what, "%ld", ret);
}

static long set(int which, const struct itimerval *v, struct itimerval *old)
{
	return syscall(SYS_setitimer, which, v, old);
}

static long get(int which, struct itimerval *v)
{
	return syscall(SYS_getitimer, which, v);
}

static struct itimerval itv(long value_us, long interval_us)
{
	return (struct itimerval){ .it_value = { value_us / USEC, value_us % USEC },
				   .it_interval = { interval_us / USEC, interval_us % USEC } };
}

static long us(const struct timeval *tv)
{
	return tv->tv_sec * USEC + tv->tv_usec;
}

/* "value in (lo, hi]" as 1 or 0, and the interval exactly. */
static void show(const char *what, const struct itimerval *v, long lo_us, long hi_us)
{
	long value = us(&v->it_value);

	say(what, "value in (%ld, %ld] us: %d, usec < 1e6: %d, interval %ld.%06ld", lo_us, hi_us,
	    value > lo_us && value <= hi_us, v->it_value.tv_usec < USEC,
	    (long)v->it_interval.tv_sec, (long)v->it_interval.tv_usec);
}

static void show_now(const char *what, int which, long lo_us, long hi_us)
{
	struct itimerval v;

	memset(&v, 0xff, sizeof(v));
	if (get(which, &v) < 0)
		result(what, -1);
	else
		show(what, &v, lo_us, hi_us);
}

static void handle(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };

	sigaction(sig, &sa, NULL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / MSEC, ms % MSEC * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* What the last signal was; how many came as "caught N", or "caught >= N" for one at least. */
static void show_signals(const char *what, int at_least)
{
	char count[32];

	if (at_least)
		snprintf(count, sizeof(count), "caught >= %d: %d", at_least, caught >= at_least);
	else
		snprintf(count, sizeof(count), "caught %d", (int)caught);
	say(what, "%s, %s, si_code %d, si_errno %d, si_pid %d, si_uid %d", count,
	    last_signo == SIGALRM     ? "SIGALRM"
	    : last_signo == SIGVTALRM ? "SIGVTALRM"
	    : last_signo == SIGPROF   ? "SIGPROF"
				      : "other",
	    last_code, last_errno, last_pid, last_uid);
}

static void show_signal(const char *what)
{
	show_signals(what, 0);
}

static void errors(void)
{
	struct itimerval v = itv(5 * USEC, 0), old;

	result("errors: which 3", set(3, &v, NULL));
	result("errors: which -1", set(-1, &v, NULL));
	result("errors: getitimer which 3", get(3, &old));
	result("errors: getitimer which 3, NULL", get(3, NULL));
	result("errors: getitimer NULL", get(ITIMER_REAL, NULL));
	result("errors: getitimer bad pointer", get(ITIMER_VIRTUAL, BAD_PTR));
	result("errors: value bad pointer", set(ITIMER_REAL, BAD_PTR, NULL));
	result("errors: which 3, value bad pointer", set(3, BAD_PTR, NULL));
	v.it_value.tv_usec = USEC;
	result("errors: value usec 1000000", set(ITIMER_REAL, &v, NULL));
	result("errors: which 3, usec 1000000", set(3, &v, NULL));
	v.it_value.tv_usec = -1;
	result("errors: value usec -1", set(ITIMER_REAL, &v, NULL));
	v = itv(5 * USEC, 0);
	v.it_value.tv_sec = -1;
	result("errors: value sec -1", set(ITIMER_REAL, &v, NULL));
	v = itv(5 * USEC, 0);
	v.it_interval.tv_usec = USEC;
	result("errors: interval usec 1000000", set(ITIMER_PROF, &v, NULL));
	show_now("errors: nothing was armed", ITIMER_REAL, -1, 0);
	v = itv(5 * USEC, 0);
	result("errors: old value bad pointer", set(ITIMER_REAL, &v, BAD_PTR));
	show_now("errors: ... the timer was set all the same", ITIMER_REAL, 4 * USEC, 5 * USEC);
	result("errors: NULL value disarms", set(ITIMER_REAL, NULL, &old));
	show("errors: ... and gives the old one", &old, 4 * USEC, 5 * USEC);
	show_now("errors: ... disarmed", ITIMER_REAL, -1, 0);
}

static void real_values(void)
{
	struct itimerval v = itv(10 * USEC, 1500 * MSEC), old;

	show_now("real: at start", ITIMER_REAL, -1, 0);
	memset(&old, 0xff, sizeof(old));
	result("real: set 10 s, every 1.5 s", set(ITIMER_REAL, &v, &old));
	show("real: ... the old one", &old, -1, 0);
	show_now("real: getitimer", ITIMER_REAL, 9 * USEC, 10 * USEC);
	v = itv(3 * USEC, 0);
	result("real: set 3 s, once", set(ITIMER_REAL, &v, &old));
	show("real: ... the old one", &old, 9 * USEC, 10 * USEC);
	show_now("real: getitimer", ITIMER_REAL, 2 * USEC, 3 * USEC);
	v = itv(0, 250 * MSEC);
	result("real: value 0, interval 0.25 s", set(ITIMER_REAL, &v, &old));
	show("real: ... the old one", &old, 2 * USEC, 3 * USEC);
	show_now("real: getitimer (disarmed, no interval)", ITIMER_REAL, -1, 0);
	handle(SIGALRM);
	caught = 0;
	v = itv(1, 0);
	result("real: 1 us", set(ITIMER_REAL, &v, NULL));
	sleep_ms(20);
	v = itv(0, 0);
	result("real: disarm", set(ITIMER_REAL, &v, &old));
	show("real: ... the 1 us one fired", &old, -1, 0);
	show_signal("real: ... its signal");
}

static void real_signals(void)
{
	struct itimerval v = itv(20 * MSEC, 0);
	sigset_t none, alrm;

	handle(SIGALRM);
	caught = 0;
	set(ITIMER_REAL, &v, NULL);
	result("signal: pause", pause());
	show_signal("signal: one shot");
	show_now("signal: ... then disarmed", ITIMER_REAL, -1, 0);

	caught = 0;
	v = itv(10 * MSEC, 10 * MSEC);
	set(ITIMER_REAL, &v, NULL);
	sigemptyset(&none);
	while (caught < 3)
		sigsuspend(&none);
	show_signal("signal: periodic, three");
	/* At most a period left (0 if the next one has fired already: a stalled host). */
	show_now("signal: ... re-armed", ITIMER_REAL, -1, 10 * MSEC);
	v = itv(0, 0);
	set(ITIMER_REAL, &v, NULL);

	/* Blocked: it fires once and waits; Linux reloads it as the signal is taken. */
	caught = 0;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	v = itv(5 * MSEC, USEC);
	set(ITIMER_REAL, &v, NULL);
	sleep_ms(100);
	sigpending(&none);
	say("blocked: SIGALRM pending", "%d", sigismember(&none, SIGALRM));
	show_now("blocked: getitimer while it is pending", ITIMER_REAL, -1, 0);
	sigprocmask(SIG_UNBLOCK, &alrm, NULL);
	show_signal("blocked: unblocked");
	show_now("blocked: ... re-armed once taken", ITIMER_REAL, 0, USEC);
	v = itv(0, 0);
	set(ITIMER_REAL, &v, NULL);

	/* Ignored: the signal is dropped, so nothing reloads the timer. */
	signal(SIGALRM, SIG_IGN);
	v = itv(5 * MSEC, 5 * MSEC);
	set(ITIMER_REAL, &v, NULL);
	sleep_ms(100);
	show_now("ignored: getitimer", ITIMER_REAL, -1, 0);
	v = itv(0, 0);
	set(ITIMER_REAL, &v, NULL);
	signal(SIGALRM, SIG_DFL);
}

static void alarms(void)
{
	struct itimerval v;

	result("alarm: 100", syscall(SYS_alarm, 100));
	result("alarm: 5 (100 s were left)", syscall(SYS_alarm, 5));
	v = itv(2900 * MSEC, 0);
	set(ITIMER_REAL, &v, NULL);
	result("alarm: 0 (2.9 s were left)", syscall(SYS_alarm, 0));
	show_now("alarm: ... disarmed", ITIMER_REAL, -1, 0);
	v = itv(2300 * MSEC, 0);
	set(ITIMER_REAL, &v, NULL);
	result("alarm: 0 (2.3 s were left)", syscall(SYS_alarm, 0));
	v = itv(400 * MSEC, 0);
	set(ITIMER_REAL, &v, NULL);
	result("alarm: 0 (0.4 s were left)", syscall(SYS_alarm, 0));
	result("alarm: 0 (none was set)", syscall(SYS_alarm, 0));
	v = itv(2600 * MSEC, 0);
	set(ITIMER_REAL, &v, NULL);
	say("alarm: musl's alarm(0) (2.6 s were left)", "%u", alarm(0));
	alarm(7);
	show_now("alarm: musl's alarm(7)", ITIMER_REAL, 6 * USEC, 7 * USEC);
	alarm(0);

	handle(SIGALRM);
	caught = 0;
	result("alarm: 1", syscall(SYS_alarm, 1));
	result("alarm: pause", pause());
	show_signal("alarm: fired");
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Burns CPU (with system calls, where Ceres delivers signals) until n signals came. */
static int burn_until(int n)
{
	uint64_t start = cpu_ns();
	volatile unsigned long spin = 0;

	while (caught < n) {
		for (int i = 0; i < 1000; i++)
			spin++;
		getppid();
		if (cpu_ns() - start > CPU_LIMIT_NS)
			return 0;
	}
	return 1;
}

static void cpu_timer(const char *name, int which, int sig)
{
	struct itimerval v = itv(USEC, 250 * MSEC), old;
	char what[64];

	snprintf(what, sizeof(what), "%s: set 1 s, every 0.25 s", name);
	result(what, set(which, &v, NULL));
	/* Linux adds a tick (4 ms at HZ 250) to a CPU timer's first expiry. */
	snprintf(what, sizeof(what), "%s: getitimer", name);
	show_now(what, which, USEC, USEC + 10 * MSEC);
	v = itv(0, 0);
	snprintf(what, sizeof(what), "%s: disarm", name);
	result(what, set(which, &v, &old));
	snprintf(what, sizeof(what), "%s: ... the old one", name);
	show(what, &old, USEC, USEC + 10 * MSEC);
	snprintf(what, sizeof(what), "%s: ... disarmed", name);
	show_now(what, which, -1, 0);
	v = itv(0, 250 * MSEC);
	set(which, &v, NULL);
	snprintf(what, sizeof(what), "%s: value 0, interval 0.25 s", name);
	show_now(what, which, -1, 0);

	handle(sig);
	caught = 0;
	v = itv(30 * MSEC, 20 * MSEC);
	set(which, &v, NULL);
	snprintf(what, sizeof(what), "%s: two signals while burning CPU", name);
	say(what, "%d", burn_until(2));
	/* A CPU timer that fell behind (the host stalled) may fire again before the loop ends. */
	snprintf(what, sizeof(what), "%s: fired", name);
	show_signals(what, 2);
	v = itv(0, 0);
	set(which, &v, NULL);
	signal(sig, SIG_DFL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	errors();
	real_values();
	real_signals();
	alarms();
	cpu_timer("virtual", ITIMER_VIRTUAL, SIGVTALRM);
	cpu_timer("prof", ITIMER_PROF, SIGPROF);
	say("itimer", "done");
	return 0;
}
