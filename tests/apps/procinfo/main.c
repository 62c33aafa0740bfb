/*
 * What a process finds around itself at start, printed for
 * tests/integration/abi.sh: its environment (env.NAME=value parameters),
 * its host name (uname.nodename=), the fds it starts with, and, with
 * argument "echo", every line of stdin back, up to a line "end".
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	struct utsname u;
	struct rlimit stack;
	char line[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (char **e = environ; *e; e++)
		printf("env: %s\n", *e);
	uname(&u);
	printf("uname: %s %s %s %s\n", u.sysname, u.nodename, u.release, u.machine);
	getrlimit(RLIMIT_STACK, &stack);
	printf("stack: %lu KiB\n", (unsigned long)(stack.rlim_cur >> 10));
	printf("isatty: %d %d %d\n", isatty(0), isatty(1), isatty(2));
	if (argc > 1 && !strcmp(argv[1], "echo")) {
		while (fgets(line, sizeof(line), stdin)) {
			if (!strcmp(line, "end\n"))
				break;
			printf("echo: %s", line);
		}
	}
	return 0;
}
