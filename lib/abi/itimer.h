/*
 * Interval timers (setitimer, getitimer, alarm; docs/abi.md): one set for
 * the process, as Linux has them.
 */
#ifndef LIB_ABI_ITIMER_H
#define LIB_ABI_ITIMER_H

long sys_setitimer(int which, const void *value, void *old);
long sys_getitimer(int which, void *value);
long sys_alarm(unsigned seconds);

/*
 * A SIGALRM has been taken off a pending set (delivered, or found ignored):
 * a periodic ITIMER_REAL that fired starts its next period, as Linux reloads
 * it. Interrupts off.
 */
void itimer_alarm_taken(void);

#endif
