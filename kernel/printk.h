/*
 * Kernel messages: "[    0.000312] I: pci: 00:03.0 virtio-net".
 * Each message carries its subsystem prefix in its text. The threshold comes
 * from the loglevel= parameter (a name or 0-4); the default is info.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdbool.h>

enum log_level {
	LOG_CRIT,
	LOG_ERR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

__attribute__((format(printf, 2, 3))) void printk(enum log_level level, const char *fmt, ...);

#define pr_crit(...) printk(LOG_CRIT, __VA_ARGS__)
#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)
/* A warning printed the first time only: for what an application may repeat. */
#define pr_warn_once(...)                     \
	do {                                  \
		static bool warned_;          \
		if (!warned_) {               \
			warned_ = true;       \
			pr_warn(__VA_ARGS__); \
		}                             \
	} while (0)

/* Would a message at level be printed? For messages that cost work to build. */
bool printk_enabled(enum log_level level);

#endif
