#include "kernel/errname.h"

#include <errno.h>

#define NAME(e) [e] = #e

static const char *const names[] = {
	NAME(EPERM),  NAME(ENOENT),    NAME(E2BIG),	NAME(EINTR),	NAME(EIO),
	NAME(EBADF),  NAME(EAGAIN),    NAME(ENOMEM),	NAME(EACCES),	NAME(EFAULT),
	NAME(EBUSY),  NAME(EEXIST),    NAME(ENODEV),	NAME(ENOTDIR),	NAME(EISDIR),
	NAME(EINVAL), NAME(ENFILE),    NAME(EMFILE),	NAME(ENOSPC),	NAME(ESPIPE),
	NAME(EPIPE),  NAME(EDOM),      NAME(ERANGE),	NAME(EDEADLK),	NAME(ENAMETOOLONG),
	NAME(ENOSYS), NAME(ENOTEMPTY), NAME(ETIMEDOUT), NAME(EALREADY),
};

const char *err_name(int err)
{
	unsigned e = (unsigned)(err < 0 ? -err : err);

	if (e < sizeof(names) / sizeof(names[0]) && names[e])
		return names[e];
	return "an unknown error";
}
