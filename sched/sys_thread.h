/* The system calls about threads and scheduling (docs/abi.md). */
#ifndef SCHED_SYS_THREAD_H
#define SCHED_SYS_THREAD_H

#include <stddef.h>
#include <stdint.h>

struct syscall_frame;

long sys_clone(struct syscall_frame *f);
long sys_exit(int status);
long sys_exit_group(int status);
long sys_set_tid_address(int *tidptr);
long sys_gettid(void);
long sys_arch_prctl(int code, uint64_t addr);
long sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5);
long sys_sched_yield(void);
long sys_sched_getaffinity(int pid, size_t len, void *mask);
long sys_sched_setaffinity(int pid, size_t len, const void *mask);
long sys_set_robust_list(void *head, size_t len);
long sys_get_robust_list(int pid, void *head, size_t *len);

#endif
