/*
 * Host stand-ins for the kernel services that the modules under test call:
 * printk() and console_write() append to buffers that tests read and clear;
 * ksyms_lookup() knows no symbols, so ksyms_describe() says "?".
 *
 * Also, for the modules that need them: kmalloc() and friends are the host's
 * malloc(); copy_from_app(), copy_to_app() and strncpy_from_app() see plain
 * memory, NULL being the bad pointer; and the mutexes' slow paths abort,
 * since a host test has one thread and no thread pointer (thread_self() is
 * NULL), so the inline fast paths of sched/sync.h always win.
 */
#ifndef TESTS_UNIT_FAKE_KERNEL_H
#define TESTS_UNIT_FAKE_KERNEL_H

#include <stddef.h>

/* Every printk() since the last clear, one line each: "W: params: ...\n". */
const char *fake_log(void);
/* How many messages fake_log() holds. */
int fake_log_count(void);
void fake_log_clear(void);

/* Everything console_write() was given since the last clear. */
const char *fake_console(void);
void fake_console_clear(void);

/* kmalloc_try() fails for more bytes than this (0: never), as a heap with no room would. */
extern size_t fake_kmalloc_try_max;

#endif
