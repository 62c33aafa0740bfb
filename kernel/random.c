#include "kernel/random.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/rtc.h"
#include "kernel/irq.h"
#include "kernel/printk.h"

/* Intel's advice: a few retries before RDRAND is taken to have failed. */
#define RDRAND_RETRIES 10

static struct {
	uint64_t s[4]; /* xoshiro256** state, when there is no RDRAND */
	bool seeded;
} rnd;

static bool rdrand64(uint64_t *v)
{
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		bool ok;

		__asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
		if (ok)
			return true;
	}
	return false;
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Interrupts off. */
static uint64_t fallback64(void)
{
	uint64_t *s = rnd.s, r, t;

	if (!rnd.seeded) {
		uint64_t seed = rdtsc() ^ rotl(rtc_read_epoch(), 32);

		for (int i = 0; i < 4; i++)
			s[i] = splitmix(&seed);
		rnd.seeded = true;
		pr_warn("random: the CPU has no RDRAND; random bytes come from a generator seeded "
			"by the clocks, which is not cryptographically strong");
	}
	s[0] ^= rdtsc(); /* some of the timing jitter, each time */
	r = rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

void random_fill(void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		uint64_t v;
		size_t k = n < sizeof(v) ? n : sizeof(v);

		if (!cpu_has(CPU_RDRAND) || !rdrand64(&v)) {
			unsigned long flags = irq_save();

			v = fallback64();
			irq_restore(flags);
		}
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}
