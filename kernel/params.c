#include "kernel/params.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/printk.h"
#include "lib/kc/strto.h"

#define PARAM_VALUE_MAX 64
#define PARAMS_TOKEN_MAX 256
#define ARGS_SEPARATOR "--"

int param_set_int(const struct param *p, const char *val)
{
	char *end;
	unsigned long long u;
	long v;

	/* [sign] decimal or 0x hex digits: a leading zero does not mean octal. */
	bool neg = *val == '-';
	const char *digits = val + (neg || *val == '+');
	bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');

	digits += hex ? 2 : 0;
	if (!isxdigit((unsigned char)digits[0]) || digits[1] == 'x' || digits[1] == 'X')
		return -EINVAL;
	if (kstrtoull(digits, &end, hex ? 16 : 10, &u) < 0 || *end || u > LONG_MAX)
		return -EINVAL;
	v = neg ? -(long)u : (long)u;
	if (v < p->min || v > p->max)
		return -EINVAL;
	*(int *)p->var = (int)v;
	return 0;
}

void param_show_int(const struct param *p, char *buf, size_t size)
{
	snprintf(buf, size, "%d", *(int *)p->var);
}

int param_set_bool(const struct param *p, const char *val)
{
	static const char *const yes[] = { "1", "yes", "on", "true" };
	static const char *const no[] = { "0", "no", "off", "false" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(val, yes[i]) || !strcmp(val, no[i])) {
			*(bool *)p->var = !strcmp(val, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

void param_show_bool(const struct param *p, char *buf, size_t size)
{
	snprintf(buf, size, "%d", *(bool *)p->var);
}

int param_set_string(const struct param *p, const char *val)
{
	*(const char **)p->var = val;
	return 0;
}

void param_show_string(const struct param *p, char *buf, size_t size)
{
	const char *s = *(const char **)p->var;

	snprintf(buf, size, "%s", s ? s : "");
}

/* What a rejected value should have looked like, for the warning. */
static void describe_expected(const struct param *p, char *buf, size_t size)
{
	if (p->set == param_set_int)
		snprintf(buf, size, "an integer from %ld to %ld", p->min, p->max);
	else if (p->set == param_set_bool)
		snprintf(buf, size, "1/0, yes/no, on/off or true/false");
	else
		snprintf(buf, size, "%s", p->help);
}

static const struct param *find(const struct param *begin, const struct param *end,
				const char *name, size_t len)
{
	for (const struct param *p = begin; p < end; p++)
		if (strlen(p->name) == len && !strncmp(p->name, name, len))
			return p;
	return NULL;
}

/* Applies one "key=value" (or flag) token; returns 0, or -EINVAL after a warning. */
static int apply(const struct param *begin, const struct param *end, char *tok)
{
	char *eq = strchr(tok, '=');
	size_t len = eq ? (size_t)(eq - tok) : strlen(tok);
	const struct param *p;
	char was[PARAM_VALUE_MAX], expected[PARAM_VALUE_MAX * 2];

	if (len == 0) {
		pr_warn("params: malformed kernel parameter '%s': expected key=value", tok);
		return -EINVAL;
	}
	p = find(begin, end, tok, len);
	if (!p) {
		pr_warn("params: unknown kernel parameter '%.*s' ignored ('help' lists them)",
			(int)len, tok);
		return -EINVAL;
	}
	if (!eq && !p->is_flag) {
		pr_warn("params: kernel parameter '%s' needs a value: %s=...", p->name, p->name);
		return -EINVAL;
	}
	if (p->set(p, eq ? eq + 1 : "1") < 0) {
		p->show(p, was, sizeof(was)); /* set() leaves the variable as it was */
		describe_expected(p, expected, sizeof(expected));
		pr_warn("params: bad value '%s' for %s: expected %s; keeping %s", eq ? eq + 1 : "",
			p->name, expected, was);
		return -EINVAL;
	}
	return 0;
}

/* "env.NAME=value": NAME=value joins the application's environment. */
static int add_env(struct params_result *res, char *var)
{
	char *eq = strchr(var, '=');

	if (!eq || eq == var) {
		pr_warn("params: malformed '" ENV_PREFIX "%s': expected " ENV_PREFIX "NAME=value",
			var);
		return -EINVAL;
	}
	if (res->envc == PARAMS_ENV_MAX) {
		pr_warn("params: more than %d environment variables; '%s' is dropped",
			PARAMS_ENV_MAX, var);
		return -E2BIG;
	}
	/* A name given twice: the later value wins, as in a shell. */
	for (int i = 0; i < res->envc; i++) {
		if (!strncmp(res->envp[i], var, (size_t)(eq - var) + 1)) {
			res->envp[i] = var;
			return 0;
		}
	}
	res->envp[res->envc++] = var;
	return 0;
}

void params_parse(char *cmdline, const struct param *begin, const struct param *end,
		  struct params_result *res)
{
	static char *tok[PARAMS_TOKEN_MAX];
	unsigned issues = 0;
	int n, i, sep;

	memset(res, 0, sizeof(*res));
	res->argc = 1;
	n = cmdline_split(cmdline, tok, PARAMS_TOKEN_MAX, &issues);
	if (issues & CMDLINE_TOO_MANY_WORDS) {
		pr_warn("params: more than %d words on the command line; the rest is ignored",
			PARAMS_TOKEN_MAX);
		res->warnings++;
	}
	if (issues & CMDLINE_UNTERMINATED_QUOTE) {
		pr_warn("params: unterminated quote in '%s'", tok[n - 1]);
		res->warnings++;
	}
	for (sep = 0; sep < n && strcmp(tok[sep], ARGS_SEPARATOR); sep++)
		if (!strcmp(tok[sep], "help"))
			res->help = true;
	if (res->help)
		params_print_help(begin, end);
	for (i = 0; i < sep; i++) {
		if (!strcmp(tok[i], "help"))
			continue;
		if (!strncmp(tok[i], ENV_PREFIX, strlen(ENV_PREFIX))) {
			if (add_env(res, tok[i] + strlen(ENV_PREFIX)) < 0)
				res->warnings++;
			continue;
		}
		if (apply(begin, end, tok[i]) < 0)
			res->warnings++;
	}
	res->envp[res->envc] = NULL;
	for (i = sep + 1; i < n; i++) {
		if (res->argc == PARAMS_ARGV_MAX) {
			pr_warn("params: more than %d application arguments; the rest is dropped",
				PARAMS_ARGV_MAX - 1);
			res->warnings++;
			break;
		}
		res->argv[res->argc++] = tok[i];
	}
	res->argv[res->argc] = NULL;
}

/* The parameter after prev in name order (the first if prev is NULL). */
static const struct param *next_by_name(const struct param *begin, const struct param *end,
					const struct param *prev)
{
	const struct param *best = NULL;

	for (const struct param *p = begin; p < end; p++) {
		if (prev && strcmp(p->name, prev->name) <= 0)
			continue;
		if (!best || strcmp(p->name, best->name) < 0)
			best = p;
	}
	return best;
}

void params_print_help(const struct param *begin, const struct param *end)
{
	char line[256], val[PARAM_VALUE_MAX];
	int n;

	n = snprintf(line, sizeof(line),
		     "Kernel parameters (key=value before \"--\"; application arguments after):\n");
	console_write(line, (size_t)n);
	for (const struct param *p = next_by_name(begin, end, NULL); p;
	     p = next_by_name(begin, end, p)) {
		p->show(p, val, sizeof(val));
		n = snprintf(line, sizeof(line), "  %-22s default %-10s %s\n", p->name, val,
			     p->help);
		if (n >= (int)sizeof(line)) { /* cut, but keep the line's end */
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		console_write(line, (size_t)n);
	}
}
