/* Parsing numbers in the kernel, which has no errno: the error is the return value. */
#ifndef LIB_KC_STRTO_H
#define LIB_KC_STRTO_H

/*
 * An unsigned number in base (0: 0x hex, 0 octal, else decimal; 2-36), no
 * sign, no leading space. 0 and *v, with *end after the last digit, or
 * -EINVAL (no digit, or a bad base) or -ERANGE (more than 64 bits).
 */
int kstrtoull(const char *s, char **end, int base, unsigned long long *v);

#endif
