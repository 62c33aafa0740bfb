/*
 * Splitting a command line into words, the way GRUB writes one: words
 * are separated by spaces and tabs, a double-quoted run is part of its word
 * with the quotes removed, and a backslash takes the next character as it
 * is. kernel/params.c splits the kernel's command line with it, and
 * tools/cmdline-words.c splits an --append string the same way on the host,
 * so that an ISO's GRUB hands over the very same words.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#define CMDLINE_UNTERMINATED_QUOTE (1u << 0) /* the last word's quote never closed */
#define CMDLINE_TOO_MANY_WORDS (1u << 1)     /* more than max words: the rest is dropped */

/*
 * Splits s in place into at most max words, pointed to from words[].
 * Returns how many; what went wrong is ORed into *issues.
 */
int cmdline_split(char *s, char **words, int max, unsigned *issues);

#endif
