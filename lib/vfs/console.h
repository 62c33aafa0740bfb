/*
 * The application's fds 0, 1 and 2 (docs/abi.md): a pipe's read end fed
 * by the console's input (COM1), and two write ends into the console. As
 * pipes they are no terminal: isatty() is false, and musl buffers stdout
 * fully, as on Linux under `program | cat`.
 */
#ifndef LIB_VFS_CONSOLE_H
#define LIB_VFS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Opens fds 0-2 on the console. 0 or -errno. */
int console_files_init(void);

/*
 * What fd 0 would read, into kernel memory (/dev/console and /dev/tty,
 * lib/vfs/devfs.c): waits for input unless nonblock (-EAGAIN). The count,
 * or -ERESTARTSYS when a signal came first.
 */
long console_input_read(void *buf, size_t n, bool nonblock);

#endif
