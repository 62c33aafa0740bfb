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

/* What the data cache of a 9pfs mount did (docs/9pfs.md). */
struct fs_9p_stats {
	uint64_t data_hits;    /* reads answered from a cached copy */
	uint64_t data_fills;   /* files read whole into the cache */
	uint64_t data_stale;   /* copies dropped: the file changed, or the TTL ran out */
	uint64_t data_evicted; /* copies dropped for room, least recently read first */
	uint64_t data_no_room; /* fills the heap had no room for: read from the server */
	uint64_t data_bytes;   /* cached now */
};
void fs_9p_stats(struct mount *mnt, struct fs_9p_stats *st);

#endif
