/* The helpers of lib/abi/abi.h. */
#include "lib/abi/abi.h"

#include <errno.h>

#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "sched/sched.h"

/* musl's, when an application is linked in (not in a kernel test). */
extern int *__errno_location(void) __attribute__((weak));

int abi_get_timespec(const void *app, uint64_t *ns)
{
	struct abi_timespec ts;

	if (copy_from_app(&ts, app, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	if ((uint64_t)ts.tv_sec >= (UINT64_MAX - (uint64_t)ts.tv_nsec) / NSEC_PER_SEC)
		*ns = UINT64_MAX;
	else
		*ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

int abi_put_timespec(void *app, uint64_t ns)
{
	struct abi_timespec ts = { (int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC) };

	return copy_to_app(app, &ts, sizeof(ts));
}

uint64_t abi_deadline_after(uint64_t ns)
{
	uint64_t now = clock_monotonic_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

void abi_set_errno(int err)
{
	if (__errno_location && thread_fs_base())
		*__errno_location() = err;
}
