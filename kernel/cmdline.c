#include "kernel/cmdline.h"

#include <stdbool.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

int cmdline_split(char *s, char **words, int max, unsigned *issues)
{
	char *out = s;
	int n = 0;

	while (*s) {
		bool quoted = false;

		while (is_space(*s))
			s++;
		if (!*s)
			break;
		if (n == max) {
			*issues |= CMDLINE_TOO_MANY_WORDS;
			break;
		}
		words[n++] = out;
		for (; *s && (quoted || !is_space(*s)); s++) {
			if (*s == '"')
				quoted = !quoted;
			else if (*s == '\\' && s[1])
				*out++ = *++s;
			else
				*out++ = *s;
		}
		if (*s)
			s++;
		*out++ = '\0';
		if (quoted)
			*issues |= CMDLINE_UNTERMINATED_QUOTE;
	}
	return n;
}
