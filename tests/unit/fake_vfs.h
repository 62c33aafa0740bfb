/*
 * Host stand-ins for what the VFS core calls beyond fake_kernel.c's, shared
 * by test_vfs.c and test_procfs.c: the clocks read fake_now (a test moves
 * it), pages come from malloc, random bytes are 0x5a, the console has no
 * input, the umask is 022. page_stats() is each test's own.
 */
#ifndef TESTS_UNIT_FAKE_VFS_H
#define TESTS_UNIT_FAKE_VFS_H

#include <stdint.h>

extern uint64_t fake_now; /* the monotonic clock, in ns; starts at 1 */

#endif
