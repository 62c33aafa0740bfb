/*
 * errno values by name, for the differential test programs (sysabi,
 * events), whose lines must read the same on Linux and on Ceres.
 */
#ifndef TESTS_APPS_ERRNAME_H
#define TESTS_APPS_ERRNAME_H

#include <errno.h>
#include <stdio.h>

/* Names indexed by number; a gap (NULL) prints as a number instead. */
#define E(x) [x] = #x
static const char *const errnames[] = {
	E(EPERM),     E(ENOENT),    E(ESRCH),	    E(EINTR),	     E(EIO),	    E(ENXIO),
	E(E2BIG),     E(ENOEXEC),   E(EBADF),	    E(ECHILD),	     E(EAGAIN),	    E(ENOMEM),
	E(EACCES),    E(EFAULT),    E(EBUSY),	    E(EEXIST),	     E(EXDEV),	    E(ENODEV),
	E(ENOTDIR),   E(EISDIR),    E(EINVAL),	    E(ENFILE),	     E(EMFILE),	    E(ENOTTY),
	E(EFBIG),     E(ENOSPC),    E(ESPIPE),	    E(EROFS),	     E(EMLINK),	    E(EPIPE),
	E(EDOM),      E(ERANGE),    E(EDEADLK),	    E(ENAMETOOLONG), E(ENOSYS),	    E(ENOTEMPTY),
	E(ELOOP),     E(EOVERFLOW), E(ENOTSOCK),    E(EOPNOTSUPP),   E(EADDRINUSE), E(ECONNREFUSED),
	E(ETIMEDOUT), E(EALREADY),  E(EINPROGRESS),
};
#undef E

static inline const char *errname(int no)
{
	static char unknown[24];

	if (no > 0 && (size_t)no < sizeof(errnames) / sizeof(errnames[0]) && errnames[no])
		return errnames[no];
	snprintf(unknown, sizeof(unknown), "errno %d", no);
	return unknown;
}

#endif
