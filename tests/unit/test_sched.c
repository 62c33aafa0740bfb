/*
 * The scheduler's pure parts: the run queue, its preemption rule and its
 * timer plan, and the sleep queue. tests/unit/test_scheduler.c runs the
 * scheduler itself.
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

/* runq_timer_plan against a table: each row, its inputs and the deadline to arm. */
TEST(timer_plan_table)
{
	enum { NONE = 0, OTHER = 1 }; /* who else is runnable */
	const uint64_t OFF = UINT64_MAX, now = 100 * MS, retry = now + RUNQ_PREEMPT_RETRY_NS;
	static const struct {
		const char *what;
		int others;
		struct runq_timer_in in;
		uint64_t want;
	} rows[] = {
		{ "alone, nobody sleeps: no timer",
		  NONE,
		  { now, now + 10 * MS, UINT64_MAX, UINT64_MAX, false, false, false },
		  UINT64_MAX },
		{ "alone, a sleeper: its deadline",
		  NONE,
		  { now, now + 10 * MS, now + 50 * MS, UINT64_MAX, false, false, false },
		  now + 50 * MS },
		{ "others runnable: the slice end",
		  OTHER,
		  { now, now + 10 * MS, now + 50 * MS, UINT64_MAX, false, false, false },
		  now + 10 * MS },
		{ "a sleeper before the slice end: the sleeper",
		  OTHER,
		  { now, now + 10 * MS, now + 5 * MS, UINT64_MAX, false, false, false },
		  now + 5 * MS },
		{ "idle has no slice",
		  OTHER,
		  { now, now + 10 * MS, UINT64_MAX, UINT64_MAX, true, false, false },
		  UINT64_MAX },
		{ "idle, a sleeper: the sleeper",
		  OTHER,
		  { now, now + 10 * MS, now + 7 * MS, UINT64_MAX, true, false, false },
		  now + 7 * MS },
		{ "an earlier deadline armed stays",
		  OTHER,
		  { now, now + 10 * MS, now + 50 * MS, now + 2 * MS, false, false, false },
		  now + 2 * MS },
		{ "a later one armed is brought forward",
		  OTHER,
		  { now, now + 10 * MS, now + 50 * MS, now + 30 * MS, false, false, false },
		  now + 10 * MS },
		{ "a switch due, preemption on: no slice timer",
		  OTHER,
		  { now, now + 10 * MS, UINT64_MAX, UINT64_MAX, false, true, false },
		  UINT64_MAX },
		{ "a switch due, preemption on, a sleeper: the sleeper",
		  OTHER,
		  { now, now + 10 * MS, now + 40 * MS, UINT64_MAX, false, true, false },
		  now + 40 * MS },
		{ "a switch due, preemption off: a retry soon",
		  OTHER,
		  { now, now + 10 * MS, UINT64_MAX, UINT64_MAX, false, true, true },
		  retry },
		{ "a switch due, preemption off, a sleeper sooner: the sleeper",
		  OTHER,
		  { now, now + 10 * MS, now + 1000, UINT64_MAX, false, true, true },
		  now + 1000 },
		{ "preemption off, no switch due: the slice end",
		  OTHER,
		  { now, now + 10 * MS, UINT64_MAX, UINT64_MAX, false, false, true },
		  now + 10 * MS },
		{ "a slice already over: at once",
		  OTHER,
		  { now, now - MS, UINT64_MAX, OFF, false, false, false },
		  now - MS },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct runq q;
		struct fake_thread t;

		runq_init(&q);
		if (rows[i].others)
			runq_add(&q, &t.link);
		CHECK_CONTEXT("%s", rows[i].what);
		CHECK_EQ(runq_timer_plan(&q, &rows[i].in), rows[i].want);
	}
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
