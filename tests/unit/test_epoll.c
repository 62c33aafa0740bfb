/*
 * epoll's semantics (lib/vfs/epoll.c) against fake files whose readiness
 * the test sets and announces: level and edge triggering, oneshot, the
 * notify filter, items dying with their file, round robin, nesting, the
 * ctl errors, and that a wait looks only at ready items.
 *
 * epoll.c is kernel code: here its fds are a small fake table, its
 * application memory is plain memory, and its waits never block (every
 * wait has timeout 0). Interrupts are a flag (tests/unit/host); the
 * mutexes' thread and compare-exchange come from the module's line in
 * tests/unit/run.sh, one thread being all there is.
 */
#define CHECK_SUITE "epoll"
#include "tests/unit/check.h"

#include <errno.h>

#include "lib/vfs/fd.h"
#include "lib/vfs/poll.h"
#include "lib/vfs/poll_priv.h"
#include "sched/sched.h"
#include "sched/sync.h"

#define FAKE_FDS 2048
#define MANY 1000

/* ---- the host stand-ins (the shared ones: tests/unit/fake_kernel.c) ---- */

static struct {
	struct file *files[FAKE_FDS];
	int wakes; /* waitq_wake_all() calls */
} fake;

struct file *fd_get(int fd)
{
	struct file *f = fd >= 0 && fd < FAKE_FDS ? fake.files[fd] : NULL;

	if (f)
		f->refs++;
	return f;
}

struct file *fd_tryhold(struct file *f)
{
	if (f->refs <= 0)
		return NULL;
	f->refs++;
	return f;
}

void fd_put(struct file *f)
{
	if (!--f->refs && f->ops->release)
		f->ops->release(f);
}

int fd_install(struct file *f, bool cloexec)
{
	(void)cloexec;
	for (int fd = 0; fd < FAKE_FDS; fd++)
		if (!fake.files[fd]) {
			fake.files[fd] = f;
			return fd;
		}
	return -EMFILE;
}

static void fake_close(int fd)
{
	struct file *f = fake.files[fd];

	fake.files[fd] = NULL;
	fd_put(f);
}

int waitq_wait_intr(struct waitq *q, uint64_t deadline)
{
	(void)q, (void)deadline;
	abort(); /* every wait here has timeout 0 */
}

int waitq_wake_all(struct waitq *q)
{
	(void)q;
	fake.wakes++;
	return 0;
}

int signal_push_mask(const uint64_t *mask, size_t setsize)
{
	(void)mask;
	return setsize == sizeof(uint64_t) ? 0 : -EINVAL;
}

void signal_pop_mask(long ret)
{
	(void)ret;
}

uint64_t abi_deadline_after(uint64_t ns)
{
	return ns;
}

int abi_get_timespec(const void *app, uint64_t *ns)
{
	(void)app;
	*ns = 0;
	return 0;
}

/* ---- a file whose readiness the test sets ---- */

struct fake_file {
	struct file f;
	struct poll_head head;
	unsigned state; /* what poll answers */
	int polls;	/* how often poll was called */
	bool released;
};

static unsigned fake_poll(struct file *f, struct poll_watch *w)
{
	struct fake_file *ff = container_of(f, struct fake_file, f);

	if (w)
		poll_watch_add(&ff->head, w);
	ff->polls++;
	return ff->state;
}

static void fake_release(struct file *f)
{
	struct fake_file *ff = container_of(f, struct fake_file, f);

	poll_head_release(&ff->head);
	ff->released = true;
}

static const struct file_ops fake_ops = { .poll = fake_poll, .release = fake_release };
static const struct file_ops pollless_ops = { .release = NULL };

/* A fake file at a new fd; returns the fd. */
static int fake_open(struct fake_file *ff, unsigned state)
{
	memset(ff, 0, sizeof(*ff));
	ff->f = (struct file){ .ops = &fake_ops, .flags = O_RDWR, .refs = 1, .priv = ff };
	ff->state = state;
	return fd_install(&ff->f, false);
}

/* The state changes, and the file says so, with events (0: anything). */
static void set_state(struct fake_file *ff, unsigned state, unsigned events)
{
	ff->state = state;
	poll_notify(&ff->head, events);
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct abi_epoll_event ev = { events, data };

	return (int)sys_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct abi_epoll_event ev = { events, data };

	return (int)sys_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* One wait with timeout 0 into ev; the count. */
static int wait0(int ep, struct abi_epoll_event *ev, int max)
{
	return (int)sys_epoll_wait(ep, ev, max, 0);
}

/* ---- the cases ---- */

TEST(level_triggered_stays_ready_until_not)
{
	struct fake_file a;
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, 0);

	CHECK_EQ(add(ep, fd, POLLIN, 42), 0);
	CHECK_EQ(wait0(ep, ev, 4), 0);
	set_state(&a, POLLIN, POLLIN);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].events, POLLIN);
	CHECK_EQ(ev[0].data, 42);
	CHECK_EQ(wait0(ep, ev, 4), 1); /* nothing new, still ready */
	a.state = 0;		       /* drained, and files do not say so */
	CHECK_EQ(wait0(ep, ev, 4), 0);
	CHECK_EQ(wait0(ep, ev, 4), 0);
}

TEST(ready_at_add_is_reported)
{
	struct fake_file a;
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, POLLIN | POLLOUT);

	CHECK_EQ(add(ep, fd, POLLOUT, 1), 0);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].events, POLLOUT); /* only what was asked */
}

TEST(edge_triggered_once_per_notify)
{
	struct fake_file a;
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, 0);

	CHECK_EQ(add(ep, fd, POLLIN | EPOLLET, 7), 0);
	set_state(&a, POLLIN, POLLIN);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(wait0(ep, ev, 4), 0); /* still readable, but no new edge */
	set_state(&a, POLLIN, POLLIN);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data, 7);
	set_state(&a, POLLIN | POLLOUT, POLLOUT); /* an edge it does not wait for */
	CHECK_EQ(wait0(ep, ev, 4), 0);
	set_state(&a, 0, POLLIN); /* a notify, but not ready after all */
	CHECK_EQ(wait0(ep, ev, 4), 0);
}

TEST(oneshot_disarms_until_mod)
{
	struct fake_file a;
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, 0);

	CHECK_EQ(add(ep, fd, POLLIN | EPOLLONESHOT, 1), 0);
	set_state(&a, POLLIN, POLLIN);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(wait0(ep, ev, 4), 0);
	set_state(&a, POLLIN, POLLIN);
	CHECK_EQ(wait0(ep, ev, 4), 0); /* disarmed */
	CHECK_EQ(mod(ep, fd, POLLIN | EPOLLONESHOT, 2), 0);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data, 2);
	CHECK_EQ(wait0(ep, ev, 4), 0);
}

TEST(hup_and_err_always_reported)
{
	struct fake_file a;
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, 0);

	CHECK_EQ(add(ep, fd, POLLIN | EPOLLET, 1), 0);
	set_state(&a, POLLHUP | POLLERR | POLLOUT, POLLHUP);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].events, POLLHUP | POLLERR);
}

TEST(item_goes_with_its_file)
{
	struct fake_file a, b;
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, POLLIN), fd2;

	CHECK_EQ(add(ep, fd, POLLIN, 1), 0);
	fake_close(fd);
	CHECK(a.released);
	CHECK(list_empty(&a.head.watches));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	fd2 = fake_open(&b, POLLIN);
	CHECK_EQ(fd2, fd);
	CHECK_EQ(add(ep, fd2, POLLIN, 2), 0); /* not EEXIST: the old item is gone */
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data, 2);
}

TEST(closing_the_epoll_takes_its_watches_off)
{
	struct fake_file a;
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, 0);

	CHECK_EQ(add(ep, fd, POLLIN, 1), 0);
	CHECK(!list_empty(&a.head.watches));
	fake_close(ep);
	CHECK(list_empty(&a.head.watches));
	set_state(&a, POLLIN, POLLIN); /* nobody left to tell */
}

TEST(wait_looks_at_ready_items_only)
{
	static struct fake_file files[MANY];
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0), total = 0;

	for (int i = 0; i < MANY; i++)
		CHECK_EQ(add(ep, fake_open(&files[i], 0), POLLIN, (uint64_t)i), 0);
	for (int i = 0; i < MANY; i++)
		files[i].polls = 0;
	set_state(&files[MANY / 2], POLLIN, POLLIN);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data, MANY / 2);
	for (int i = 0; i < MANY; i++)
		total += files[i].polls;
	CHECK_EQ(total, 1);
}

TEST(maxevents_takes_turns)
{
	struct fake_file f[3];
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0);
	static const int order[] = { 0, 1, 2, 0, 1 };

	for (int i = 0; i < 3; i++)
		CHECK_EQ(add(ep, fake_open(&f[i], POLLIN), POLLIN, (uint64_t)i), 0);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		CHECK_CONTEXT("wait %zu", k);
		CHECK_EQ(wait0(ep, ev, 1), 1);
		CHECK_EQ(ev[0].data, order[k]);
	}
	CHECK_CONTEXT("all");
	CHECK_EQ(wait0(ep, ev, 4), 3);
}

TEST(a_failed_copy_keeps_the_item)
{
	struct fake_file a;
	struct abi_epoll_event ev[4];
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, 0);

	CHECK_EQ(add(ep, fd, POLLIN | EPOLLET, 3), 0);
	set_state(&a, POLLIN, POLLIN);
	CHECK_EQ(sys_epoll_wait(ep, NULL, 4, 0), -EFAULT);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data, 3);
}

TEST(nested_epoll_hears_its_child)
{
	struct fake_file a;
	struct abi_epoll_event ev[4];
	int inner = (int)sys_epoll_create1(0), outer = (int)sys_epoll_create1(0);
	int fd = fake_open(&a, 0);

	CHECK_EQ(add(inner, fd, POLLIN, 1), 0);
	CHECK_EQ(add(outer, inner, POLLIN | EPOLLET, 2), 0);
	CHECK_EQ(add(inner, outer, POLLIN, 3), -ELOOP);
	CHECK_EQ(wait0(outer, ev, 4), 0);
	set_state(&a, POLLIN, POLLIN);
	CHECK_EQ(wait0(outer, ev, 4), 1);
	CHECK_EQ(ev[0].data, 2);
	CHECK_EQ(ev[0].events, POLLIN);
	a.state = 0;
	set_state(&a, 0, POLLIN); /* inner looks, finds nothing ready */
	CHECK_EQ(wait0(outer, ev, 4), 0);
	fake_close(inner);
	CHECK_EQ(wait0(outer, ev, 4), 0);
}

TEST(ctl_errors_as_linux)
{
	struct fake_file a;
	struct file plain = { .ops = &pollless_ops, .flags = O_RDWR, .refs = 1 };
	struct abi_epoll_event ev = { POLLIN, 0 };
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, 0);
	int pfd = fd_install(&plain, false);
	uint64_t mask = 0;

	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_ADD, fd, NULL), -EFAULT);
	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), -EBADF);
	CHECK_EQ(sys_epoll_ctl(999, EPOLL_CTL_ADD, fd, &ev), -EBADF);
	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev), -EPERM);
	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), -EINVAL);
	CHECK_EQ(sys_epoll_ctl(fd, EPOLL_CTL_ADD, ep, &ev), -EINVAL);
	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev), -ENOENT);
	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), -ENOENT);
	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), -EEXIST);
	CHECK_EQ(sys_epoll_ctl(ep, 0, fd, &ev), -EINVAL);
	CHECK_EQ(sys_epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), 0);
	CHECK(list_empty(&a.head.watches));
	CHECK_EQ(sys_epoll_create(0), -EINVAL);
	CHECK_EQ(sys_epoll_create1(1), -EINVAL);
	CHECK_EQ(sys_epoll_wait(ep, &ev, 0, 0), -EINVAL);
	CHECK_EQ(sys_epoll_wait(fd, &ev, 1, 0), -EINVAL);
	CHECK_EQ(sys_epoll_pwait(ep, &ev, 1, 0, &mask, 4), -EINVAL);
}

TEST(notify_wakes_waiters)
{
	struct fake_file a;
	int ep = (int)sys_epoll_create1(0), fd = fake_open(&a, 0);

	CHECK_EQ(add(ep, fd, POLLIN, 1), 0);
	fake.wakes = 0;
	set_state(&a, POLLIN, POLLIN);
	CHECK_EQ(fake.wakes, 1);
	set_state(&a, POLLIN, POLLOUT); /* filtered: not what it waits for */
	CHECK_EQ(fake.wakes, 1);
}
