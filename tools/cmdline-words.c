/*
 * cmdline-words "LINE": splits LINE into words exactly as the kernel does
 * (kernel/cmdline.c, compiled in) and writes each word followed by a NUL
 * byte, for tools/mkiso.sh. Exits 2 if a quote is left open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"

#define WORDS_MAX 4096

int main(int argc, char **argv)
{
	static char *words[WORDS_MAX];
	unsigned issues = 0;
	char *line;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: cmdline-words \"COMMAND LINE\"\n");
		return 1;
	}
	line = strdup(argv[1]);
	if (!line)
		return 1;
	n = cmdline_split(line, words, WORDS_MAX, &issues);
	if (issues & CMDLINE_UNTERMINATED_QUOTE) {
		fprintf(stderr, "cmdline-words: a double quote is not closed\n");
		return 2;
	}
	for (int i = 0; i < n; i++)
		fwrite(words[i], 1, strlen(words[i]) + 1, stdout);
	return 0;
}
