/*
 * The one process: its identity, credentials, limits and resource use,
 * and the calls about other processes, which do not exist (docs/abi.md).
 */
#ifndef LIB_ABI_PROCESS_H
#define LIB_ABI_PROCESS_H

#include <stddef.h>
#include <stdint.h>

/* The main thread's stack size: RLIMIT_STACK reports it. */
void process_set_stack_size(uint64_t bytes);

long sys_getpid(void);
long sys_getppid(void);
long sys_getpgrp(void);
long sys_getpgid(int pid);
long sys_getsid(int pid);
long sys_setsid(void);
long sys_setpgid(int pid, int pgid);
long sys_getuid(void);
long sys_geteuid(void);
long sys_getgid(void);
long sys_getegid(void);
long sys_setuid(uint32_t uid);
long sys_setgid(uint32_t gid);
long sys_setreuid(uint32_t r, uint32_t e);
long sys_setregid(uint32_t r, uint32_t e);
long sys_setresuid(uint32_t r, uint32_t e, uint32_t s);
long sys_setresgid(uint32_t r, uint32_t e, uint32_t s);
long sys_getresuid(uint32_t *r, uint32_t *e, uint32_t *s);
long sys_getresgid(uint32_t *r, uint32_t *e, uint32_t *s);
long sys_getgroups(int size, uint32_t *list);
long sys_setgroups(size_t size, const uint32_t *list);
long sys_umask(uint32_t mask);
/* The file mode creation mask, for the VFS's creating calls. */
uint32_t process_umask(void);
long sys_uname(void *buf);
long sys_sethostname(const char *name, size_t len);
long sys_getrandom(void *buf, size_t len, unsigned flags);
long sys_getrlimit(int resource, void *rlim);
long sys_setrlimit(int resource, const void *rlim);
long sys_prlimit64(int pid, int resource, const void *new_rlim, void *old_rlim);
long sys_sysinfo(void *info);
long sys_getrusage(int who, void *usage);
long sys_times(void *buf);
long sys_wait4(int pid, int *status, int options, void *rusage);
long sys_getcpu(unsigned *cpu, unsigned *node, void *cache);

#endif
