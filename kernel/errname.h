/* The names of errno values, for messages ("page_init failed: ENOMEM"). */
#ifndef KERNEL_ERRNAME_H
#define KERNEL_ERRNAME_H

/* "ENOMEM" for -ENOMEM or ENOMEM; "an unknown error" for what it does not know. */
const char *err_name(int err);

#endif
