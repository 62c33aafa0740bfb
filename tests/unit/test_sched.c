/*
 * The scheduler's pure parts: the run queue and its preemption rule, and the
 * sleep queue, driven by a fake clock in a small simulation of the kernel's
 * round robin.
 */
#define CHECK_SUITE "sched"
#include "tests/unit/check.h"

#include "sched/runq.h"
#include "sched/timerq.h"

#define MS 1000000ULL

struct fake_thread {
	int id;
	struct list_head link;
	struct timerq_entry timer;
	uint64_t ran;
};

static struct fake_thread *thread_of(struct list_head *l)
{
	return l ? list_entry(l, struct fake_thread, link) : NULL;
}

TEST(runq_is_fifo)
{
	struct runq q;
	struct fake_thread t[4];

	runq_init(&q);
	for (int i = 0; i < 4; i++) {
		t[i].id = i;
		runq_add(&q, &t[i].link);
	}
	CHECK_EQ(q.count, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(thread_of(runq_take(&q))->id, i);
	CHECK(runq_take(&q) == NULL);
	CHECK_EQ(q.count, 0);
}

TEST(runq_remove_from_middle)
{
	struct runq q;
	struct fake_thread t[3];

	runq_init(&q);
	for (int i = 0; i < 3; i++) {
		t[i].id = i;
		runq_add(&q, &t[i].link);
	}
	runq_remove(&q, &t[1].link);
	CHECK_EQ(q.count, 2);
	CHECK_EQ(thread_of(runq_take(&q))->id, 0);
	CHECK_EQ(thread_of(runq_take(&q))->id, 2);
}

TEST(preempt_rule)
{
	struct runq q;
	struct fake_thread t;

	runq_init(&q);
	CHECK(!runq_should_preempt(&q, 100 * MS, 10 * MS, false)); /* alone: runs on */
	CHECK(!runq_should_preempt(&q, 100 * MS, 10 * MS, true));
	runq_add(&q, &t.link);
	CHECK(!runq_should_preempt(&q, 5 * MS, 10 * MS, false)); /* slice not over */
	CHECK(runq_should_preempt(&q, 10 * MS, 10 * MS, false)); /* over, someone waits */
	CHECK(runq_should_preempt(&q, 1 * MS, 10 * MS, true));	 /* idle gives way at once */
}

TEST(next_deadline)
{
	struct runq q;
	struct fake_thread t;

	runq_init(&q);
	/* Nobody else runnable: no slice timer, only sleepers (or nothing). */
	CHECK_EQ(runq_next_deadline(&q, 10 * MS, false, UINT64_MAX), UINT64_MAX);
	CHECK_EQ(runq_next_deadline(&q, 10 * MS, false, 50 * MS), 50 * MS);
	runq_add(&q, &t.link);
	CHECK_EQ(runq_next_deadline(&q, 10 * MS, false, 50 * MS), 10 * MS);
	CHECK_EQ(runq_next_deadline(&q, 10 * MS, false, 5 * MS), 5 * MS);
	/* The idle thread has no slice. */
	CHECK_EQ(runq_next_deadline(&q, 10 * MS, true, UINT64_MAX), UINT64_MAX);
}

TEST(timerq_orders_by_deadline_ties_fifo)
{
	struct timerq q;
	struct fake_thread t[6];
	static const uint64_t deadline[6] = { 30, 10, 20, 10, 40, 20 };
	static const int order[6] = { 1, 3, 2, 5, 0, 4 };
	struct timerq_entry *e;

	timerq_init(&q);
	CHECK_EQ(timerq_next(&q), UINT64_MAX);
	for (int i = 0; i < 6; i++) {
		t[i].id = i;
		timerq_add(&q, &t[i].timer, deadline[i]);
	}
	CHECK_EQ(timerq_next(&q), 10);
	CHECK(timerq_pop_expired(&q, 9) == NULL);
	for (int i = 0; i < 6; i++) {
		e = timerq_pop_expired(&q, 100);
		CHECK(e != NULL);
		if (e)
			CHECK_EQ(container_of(e, struct fake_thread, timer)->id, order[i]);
	}
	CHECK(timerq_pop_expired(&q, 100) == NULL);
}

TEST(timerq_remove_and_reinsert)
{
	struct timerq q;
	struct fake_thread a, b;

	timerq_init(&q);
	a.timer.link.next = NULL;
	timerq_remove(&a.timer); /* not queued: harmless */
	timerq_add(&q, &a.timer, 5);
	timerq_add(&q, &b.timer, 7);
	timerq_remove(&a.timer);
	timerq_remove(&a.timer); /* twice: harmless */
	CHECK_EQ(timerq_next(&q), 7);
	timerq_add(&q, &a.timer, 9);
	CHECK(timerq_pop_expired(&q, 8) == &b.timer);
	CHECK(timerq_pop_expired(&q, 8) == NULL);
	CHECK(timerq_pop_expired(&q, 9) == &a.timer);
}

/*
 * The kernel's loop in miniature: a fake clock that jumps to the next timer
 * deadline, threads that either spin or sleep a fixed time, round robin
 * with 10 ms slices. CPU-bound threads must share equally; sleepers must
 * wake at their deadline, never before.
 */
TEST(simulated_round_robin)
{
	enum { SPIN = 4, SLEEPERS = 2 };
	struct runq q;
	struct timerq sleepq;
	struct fake_thread spin[SPIN], sleeper[SLEEPERS];
	struct fake_thread *running = NULL;
	uint64_t now = 0, slice_end = 0, woke_late_max = 0;
	const uint64_t slice = 10 * MS, nap = 7 * MS, end = 2000 * MS;
	int early = 0;

	runq_init(&q);
	timerq_init(&sleepq);
	for (int i = 0; i < SPIN; i++) {
		spin[i] = (struct fake_thread){ .id = i };
		runq_add(&q, &spin[i].link);
	}
	for (int i = 0; i < SLEEPERS; i++) {
		sleeper[i] = (struct fake_thread){ .id = 100 + i };
		timerq_add(&sleepq, &sleeper[i].timer, nap * (uint64_t)(i + 1));
	}
	while (now < end) {
		uint64_t next;
		struct timerq_entry *e;

		if (!running) {
			running = thread_of(runq_take(&q));
			slice_end = now + slice;
		}
		next = runq_next_deadline(&q, slice_end, false, timerq_next(&sleepq));
		if (next == UINT64_MAX || next > end)
			next = end;
		if (running)
			running->ran += next - now;
		now = next;
		while ((e = timerq_pop_expired(&sleepq, now))) {
			struct fake_thread *t = container_of(e, struct fake_thread, timer);
			early += now < e->deadline;
			if (now - e->deadline > woke_late_max)
				woke_late_max = now - e->deadline;
			/* A sleeper runs for no time and sleeps again. */
			timerq_add(&sleepq, &t->timer, now + nap);
		}
		if (running && runq_should_preempt(&q, now, slice_end, false)) {
			runq_add(&q, &running->link);
			running = NULL;
		}
	}
	for (int i = 0; i < SPIN; i++) {
		CHECK_CONTEXT("spinner %d ran %llu ms", i, (unsigned long long)(spin[i].ran / MS));
		CHECK(spin[i].ran >= 490 * MS && spin[i].ran <= 510 * MS);
	}
	CHECK_EQ(early, 0);
	CHECK_EQ(woke_late_max, 0);
}
