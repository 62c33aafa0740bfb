/*
 * The stack's counters: one per event and per drop reason, so the exit
 * report says why each packet that went nowhere went nowhere.
 */
#include "lib/net/net_priv.h"

#include <stdarg.h>
#include <stdio.h>

#include "kernel/printk.h"

/* How many bad packets are described in the log before it goes quiet. */
#define MALFORMED_LOG_MAX 8
#define MALFORMED_TEXT_MAX 160

#define NET_COUNTER_NAME(name, text) text,
static const char *const counter_text[NET_CTR_COUNT] = { NET_COUNTERS(NET_COUNTER_NAME) };
#undef NET_COUNTER_NAME

static struct {
	uint64_t counts[NET_CTR_COUNT];
	unsigned malformed_logged;
} stats;

void net_count(enum net_counter c)
{
	stats.counts[c]++;
}

uint64_t net_counter(enum net_counter c)
{
	return stats.counts[c];
}

void net_malformed(enum net_counter c, const char *fmt, ...)
{
	char text[MALFORMED_TEXT_MAX];
	va_list ap;

	net_count(c);
	if (stats.malformed_logged >= MALFORMED_LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (++stats.malformed_logged == MALFORMED_LOG_MAX)
		pr_warn("%s (no more bad packets are described)", text);
	else
		pr_warn("%s", text);
}

void net_stats_report(void)
{
	for (int i = 0; i < NET_CTR_COUNT; i++)
		if (stats.counts[i])
			pr_info("%s: %llu", counter_text[i], (unsigned long long)stats.counts[i]);
}

void net_stats_reset(void)
{
	for (int i = 0; i < NET_CTR_COUNT; i++)
		stats.counts[i] = 0;
	stats.malformed_logged = 0;
}
