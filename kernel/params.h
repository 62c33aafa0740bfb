/*
 * Kernel parameters. The command line is split at "--": "key=value" kernel
 * parameters before it, the application's arguments after it. A parameter is
 * declared next to the code that uses it:
 *
 *	static int timeslice_ms = 10;
 *	PARAM_INT("sched.timeslice_ms", timeslice_ms, 1, 1000, "round-robin slice");
 *
 * The declarations land in the section "ceres_params"; params_parse() walks
 * it. Unknown or malformed parameters and bad values give a warning that
 * names them, and the parameter keeps its default. "help" lists them all.
 */
#ifndef KERNEL_PARAMS_H
#define KERNEL_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

struct param {
	const char *name;
	const char *help;
	/* Returns 0, or -EINVAL if val is not a valid value (the variable is unchanged). */
	int (*set)(const struct param *p, const char *val);
	/* Writes the current value, as text, into buf. */
	void (*show)(const struct param *p, char *buf, size_t size);
	void *var;
	long min, max;
	bool is_flag; /* "name" alone means "name=1" */
};

int param_set_int(const struct param *p, const char *val);
void param_show_int(const struct param *p, char *buf, size_t size);
int param_set_bool(const struct param *p, const char *val);
void param_show_bool(const struct param *p, char *buf, size_t size);
int param_set_string(const struct param *p, const char *val);
void param_show_string(const struct param *p, char *buf, size_t size);

#define PARAM_CAT2(a, b) a##b
#define PARAM_CAT(a, b) PARAM_CAT2(a, b)
#define PARAM_DEFINE(...)                                     \
	static const struct param PARAM_CAT(param_, __LINE__) \
		__attribute__((section("ceres_params"), used, aligned(8))) = { __VA_ARGS__ }

/* An int variable, accepted from lo to hi (decimal or 0x hex). */
#define PARAM_INT(pname, v, lo, hi, text)                                                       \
	PARAM_DEFINE(.name = pname, .help = text, .set = param_set_int, .show = param_show_int, \
		     .var = &(v), .min = lo, .max = hi)
/* A bool variable: 1/0, yes/no, on/off, true/false; the name alone means 1. */
#define PARAM_BOOL(pname, v, text)                                                                \
	PARAM_DEFINE(.name = pname, .help = text, .set = param_set_bool, .show = param_show_bool, \
		     .var = &(v), .is_flag = true)
/* A const char * variable; the value stays valid for the kernel's lifetime. */
#define PARAM_STRING(pname, v, text)                                       \
	PARAM_DEFINE(.name = pname, .help = text, .set = param_set_string, \
		     .show = param_show_string, .var = &(v))
/* Parsed and shown by the caller's own functions. */
#define PARAM_CUSTOM(pname, setfn, showfn, text) \
	PARAM_DEFINE(.name = pname, .help = text, .set = setfn, .show = showfn)

#define PARAMS_ARGV_MAX 128
#define PARAMS_ENV_MAX 64
/* Before "--", "env.NAME=value" sets an environment variable of the application. */
#define ENV_PREFIX "env."

struct params_result {
	/* argv[0] is left NULL for the caller; argv[argc] is NULL; argc <= PARAMS_ARGV_MAX. */
	int argc;
	char *argv[PARAMS_ARGV_MAX + 1];
	/* "NAME=value" strings, envp[envc] NULL; a name given twice keeps the last value. */
	int envc;
	char *envp[PARAMS_ENV_MAX + 1];
	bool help;    /* "help" was given: the table was printed */
	int warnings; /* unknown, malformed or rejected kernel parameters */
};

/*
 * Splits cmdline in place (double quotes group words and are removed, a
 * backslash escapes the next character),
 * applies the kernel parameters found in [begin, end) and collects the
 * application's arguments into res->argv[1..].
 */
void params_parse(char *cmdline, const struct param *begin, const struct param *end,
		  struct params_result *res);

/* Prints every parameter, in name order, with its current value and help text. */
void params_print_help(const struct param *begin, const struct param *end);

/* The parameters linked into this image. */
extern const struct param __start_ceres_params[], __stop_ceres_params[];

#endif
