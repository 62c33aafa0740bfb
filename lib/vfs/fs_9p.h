/*
 * 9pfs (docs/9pfs.md): what the file system shows beyond vfs.h's
 * fs_9p_type, for reports and the host unit test.
 */
#ifndef LIB_VFS_FS_9P_H
#define LIB_VFS_FS_9P_H

#include <stdint.h>

#include "lib/vfs/vfs.h"

/* Fids the 9pfs mount mnt holds on the server now: the root's, path fids and open ones. */
uint64_t fs_9p_fids(const struct mount *mnt);

#endif
