#ifndef _UNISTD_H
#define _UNISTD_H

#include <stddef.h>
#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

ssize_t write(int fd, const void *buf, size_t n);
unsigned sleep(unsigned seconds);
int usleep(unsigned long usec);
__attribute__((noreturn)) void _exit(int status);

#endif
