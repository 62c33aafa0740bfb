/*
 * The command line parser: kernel parameters before "--", the application's
 * arguments after it. The parameters below are declared with the kernel's
 * macros, so they land in the "ceres_params" section that params_parse() is
 * given, as in the kernel. Each case runs in a fresh process, so each starts
 * from these defaults.
 */
#define CHECK_SUITE "params"
#include "tests/unit/check.h"

#include <errno.h>

#include "kernel/params.h"
#include "tests/unit/fake_kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int count = 5;
PARAM_INT("test.count", count, 1, 100, "how many");
static int offset = -3;
PARAM_INT("test.offset", offset, -10, 10, "a signed int");
static bool verbose;
PARAM_BOOL("test.verbose", verbose, "talk more");
static bool fast = true;
PARAM_BOOL("test.fast", fast, "go fast");
static const char *name = "ceres";
PARAM_STRING("test.name", name, "a name");

/* A custom parameter: one of three colours. */
static const char *const colours[] = { "red", "green", "blue" };
static int colour = 1;

static int colour_set(const struct param *p, const char *val)
{
	(void)p;
	for (size_t i = 0; i < ARRAY_SIZE(colours); i++) {
		if (!strcmp(val, colours[i])) {
			colour = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void colour_show(const struct param *p, char *buf, size_t size)
{
	(void)p;
	snprintf(buf, size, "%s", colours[colour]);
}

PARAM_CUSTOM("test.colour", colour_set, colour_show, "red, green or blue");

static struct params_result res;

/*
 * Parses a copy of cmdline with this file's parameters. The copy has its exact
 * size, so the sanitizer sees any access beyond it, and it is kept: the parser
 * writes into it, and res.argv and string parameters point into it.
 */
static void parse(const char *cmdline)
{
	static char *copies[32];
	static size_t n;

	if (n == ARRAY_SIZE(copies)) {
		fprintf(stderr, "%s: more than %zu parses in one case\n", __func__, n);
		abort();
	}
	copies[n] = strdup(cmdline);
	fake_log_clear();
	fake_console_clear();
	params_parse(copies[n++], __start_ceres_params, __stop_ceres_params, &res);
}

/* The help text from p's name to the end of its line, or "" if p is not there. */
static const char *help_line(const char *p, char *line, size_t size)
{
	const char *s = strstr(fake_console(), p);

	snprintf(line, size, "%.*s", s ? (int)strcspn(s, "\n") : 0, s ? s : "");
	return line;
}

TEST(split_at_separator)
{
	parse("test.count=7 -- app -v x");
	CHECK_EQ(count, 7);
	CHECK_EQ(res.argc, 4);
	CHECK(res.argv[0] == NULL);
	CHECK_STREQ(res.argv[1], "app");
	CHECK_STREQ(res.argv[2], "-v");
	CHECK_STREQ(res.argv[3], "x");
	CHECK(res.argv[4] == NULL);
	CHECK_EQ(res.warnings, 0);
	CHECK(!res.help);
	CHECK_STREQ(fake_log(), "");
}

TEST(separator_at_either_end)
{
	parse("-- a b");
	CHECK_EQ(res.argc, 3);
	CHECK_STREQ(res.argv[1], "a");
	CHECK_STREQ(res.argv[2], "b");
	CHECK_EQ(res.warnings, 0);

	parse("test.count=9 --");
	CHECK_EQ(count, 9);
	CHECK_EQ(res.argc, 1);
	CHECK(res.argv[1] == NULL);
	CHECK_EQ(res.warnings, 0);
}

TEST(second_separator_is_an_argument)
{
	parse("-- a -- b");
	CHECK_EQ(res.argc, 4);
	CHECK_STREQ(res.argv[1], "a");
	CHECK_STREQ(res.argv[2], "--");
	CHECK_STREQ(res.argv[3], "b");
}

TEST(no_separator_means_all_kernel)
{
	parse("test.count=7 test.verbose app");
	CHECK_EQ(count, 7);
	CHECK(verbose);
	CHECK_EQ(res.argc, 1);
	CHECK(res.argv[0] == NULL);
	CHECK(res.argv[1] == NULL);
	/* "app" was taken for a kernel parameter. */
	CHECK_EQ(res.warnings, 1);
	CHECK_STRSTR(fake_log(), "'app'");
}

TEST(empty_command_line)
{
	parse("");
	CHECK_EQ(res.argc, 1);
	CHECK(res.argv[0] == NULL);
	CHECK(res.argv[1] == NULL);
	CHECK_EQ(res.warnings, 0);
	CHECK(!res.help);
	CHECK_STREQ(fake_log(), "");

	parse(" \t  ");
	CHECK_EQ(res.argc, 1);
	CHECK_EQ(res.warnings, 0);
	CHECK_STREQ(fake_log(), "");
}

TEST(tabs_separate_words)
{
	parse("\ttest.count=3\ttest.verbose\t--\ta\t\tb\t");
	CHECK_EQ(count, 3);
	CHECK(verbose);
	CHECK_EQ(res.argc, 3);
	CHECK_STREQ(res.argv[1], "a");
	CHECK_STREQ(res.argv[2], "b");
	CHECK_EQ(res.warnings, 0);
}

TEST(unknown_parameter_warns_and_others_apply)
{
	parse("test.count=9 bogus=1 test.verbose");
	CHECK_EQ(res.warnings, 1);
	CHECK_EQ(fake_log_count(), 1);
	CHECK_STRSTR(fake_log(), "W: params: unknown kernel parameter 'bogus'");
	CHECK_EQ(count, 9);
	CHECK(verbose);

	/* Names match whole, not by prefix either way. */
	parse("test.coun=2 test.count.x=3 test.count");
	CHECK_EQ(res.warnings, 3);
	CHECK_STRSTR(fake_log(), "'test.coun'");
	CHECK_STRSTR(fake_log(), "'test.count.x'");
	CHECK_EQ(count, 9);
}

TEST(malformed_parameter_warns)
{
	parse("=5 test.count=6");
	CHECK_EQ(res.warnings, 1);
	CHECK_STRSTR(fake_log(), "malformed kernel parameter '=5'");
	CHECK_EQ(count, 6);
}

TEST(int_out_of_range_keeps_default)
{
	parse("test.count=101");
	CHECK_EQ(count, 5);
	CHECK_EQ(res.warnings, 1);
	CHECK_STRSTR(fake_log(), "'101'");
	CHECK_STRSTR(fake_log(), "test.count");
	CHECK_STRSTR(fake_log(), "from 1 to 100");
	CHECK_STRSTR(fake_log(), "keeping 5");

	parse("test.count=0 test.offset=-11 test.offset=11");
	CHECK_EQ(count, 5);
	CHECK_EQ(offset, -3);
	CHECK_EQ(res.warnings, 3);
	CHECK_STRSTR(fake_log(), "from -10 to 10");
	CHECK_STRSTR(fake_log(), "keeping -3");

	/* Beyond long. */
	parse("test.count=99999999999999999999999");
	CHECK_EQ(count, 5);
	CHECK_EQ(res.warnings, 1);
}

TEST(int_limits_are_inclusive)
{
	parse("test.count=1 test.offset=-10");
	CHECK_EQ(count, 1);
	CHECK_EQ(offset, -10);
	parse("test.count=100 test.offset=10");
	CHECK_EQ(count, 100);
	CHECK_EQ(offset, 10);
	CHECK_EQ(res.warnings, 0);
}

TEST(int_not_a_number_keeps_default)
{
	static const char *const bad[] = { "abc", "",	 "5x",	 "0x",	   "1 2", "- 1",
					   " 5",  "+-1", "0x1g", "0x0x10", "0x-1" };
	char line[64], want[128];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(line, sizeof(line), "test.count=\"%s\"", bad[i]);
		CHECK_CONTEXT("%s", line);
		parse(line);
		CHECK_EQ(count, 5);
		CHECK_EQ(res.warnings, 1);
		snprintf(want, sizeof(want),
			 "'%s' for test.count: expected an integer from 1 to 100; keeping 5",
			 bad[i]);
		CHECK_STRSTR(fake_log(), want);
		count = 5; /* for the next one, whatever this one did */
	}
}

TEST(int_hex)
{
	parse("test.count=0x10 test.offset=-0xA");
	CHECK_EQ(count, 16);
	CHECK_EQ(offset, -10);
	CHECK_EQ(res.warnings, 0);
}

/* params.h: "accepted from lo to hi (decimal or 0x hex)", so a leading 0 is not octal. */
TEST(int_leading_zero_is_decimal)
{
	parse("test.count=010");
	CHECK_EQ(count, 10);
	parse("test.count=09");
	CHECK_EQ(count, 9);
	CHECK_EQ(res.warnings, 0);
}

TEST(bool_flag)
{
	parse("test.verbose");
	CHECK(verbose);
	CHECK_EQ(res.warnings, 0);
}

TEST(bool_words)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {
		{ "1", true },	{ "yes", true }, { "on", true },   { "true", true },
		{ "0", false }, { "no", false }, { "off", false }, { "false", false },
	};
	char line[64];

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		verbose = !words[i].value;
		snprintf(line, sizeof(line), "test.verbose=%s", words[i].word);
		CHECK_CONTEXT("%s", line);
		parse(line);
		CHECK_EQ(verbose, words[i].value);
		CHECK_EQ(res.warnings, 0);
	}
}

TEST(bool_bad_value_keeps_default)
{
	parse("test.verbose=maybe test.fast=");
	CHECK(!verbose);
	CHECK(fast);
	CHECK_EQ(res.warnings, 2);
	CHECK_STRSTR(fake_log(), "'maybe' for test.verbose");
	CHECK_STRSTR(fake_log(), "1/0, yes/no, on/off or true/false");
	CHECK_STRSTR(fake_log(), "keeping 0");
	CHECK_STRSTR(fake_log(), "test.fast");
	CHECK_STRSTR(fake_log(), "keeping 1");
}

TEST(value_missing_warns)
{
	parse("test.count test.name test.colour");
	CHECK_EQ(res.warnings, 3);
	CHECK_STRSTR(fake_log(), "'test.count' needs a value");
	CHECK_STRSTR(fake_log(), "'test.name' needs a value");
	CHECK_STRSTR(fake_log(), "'test.colour' needs a value");
	CHECK_EQ(count, 5);
	CHECK_STREQ(name, "ceres");
}

TEST(string_param)
{
	parse("test.name=hello");
	CHECK_STREQ(name, "hello");
	/* The value is everything after the first '='. */
	parse("test.name=a=b");
	CHECK_STREQ(name, "a=b");
	parse("test.name=");
	CHECK_STREQ(name, "");
	CHECK_EQ(res.warnings, 0);
}

TEST(custom_param)
{
	parse("test.colour=blue");
	CHECK_EQ(colour, 2);
	CHECK_EQ(res.warnings, 0);

	parse("test.colour=pink");
	CHECK_EQ(colour, 2);
	CHECK_EQ(res.warnings, 1);
	CHECK_STRSTR(fake_log(),
		     "'pink' for test.colour: expected red, green or blue; keeping blue");
}

TEST(last_value_wins)
{
	parse("test.count=3 test.count=4 test.verbose=1 test.verbose=0");
	CHECK_EQ(count, 4);
	CHECK(!verbose);
	/* A bad later value keeps the earlier good one. */
	parse("test.count=3 test.count=x");
	CHECK_EQ(count, 3);
	CHECK_STRSTR(fake_log(), "keeping 3");
}

TEST(quotes_group_words)
{
	parse("test.name=\"hello world\" -- \"a b\" c x\"y z\"w \"\"");
	CHECK_STREQ(name, "hello world");
	CHECK_EQ(res.argc, 5);
	CHECK_STREQ(res.argv[1], "a b");
	CHECK_STREQ(res.argv[2], "c");
	CHECK_STREQ(res.argv[3], "xy zw");
	CHECK_STREQ(res.argv[4], "");
	CHECK_EQ(res.warnings, 0);
}

TEST(backslash_escapes)
{
	parse("test.name=a\\ b -- c\\\"d e\\\\f \"g\\\"h\" i\\");
	CHECK_STREQ(name, "a b");
	CHECK_EQ(res.argc, 5);
	CHECK_STREQ(res.argv[1], "c\"d");
	CHECK_STREQ(res.argv[2], "e\\f");
	CHECK_STREQ(res.argv[3], "g\"h");
	/* A backslash at the very end stays. */
	CHECK_STREQ(res.argv[4], "i\\");
	CHECK_EQ(res.warnings, 0);
}

TEST(unterminated_quote_warns)
{
	parse("test.count=6 test.name=\"abc def");
	CHECK_EQ(res.warnings, 1);
	CHECK_EQ(count, 6);
	CHECK_STREQ(name, "abc def");
	/* The warning shows the word as it was taken, and nothing after it. */
	CHECK_STRSTR(fake_log(), "unterminated quote in 'test.name=abc def'");
}

TEST(help_prints_every_parameter)
{
	static const struct {
		const char *name, *value, *help;
	} want[] = {
		{ "test.count", " 5 ", "how many" },
		{ "test.offset", " -3 ", "a signed int" },
		{ "test.verbose", " 0 ", "talk more" },
		{ "test.fast", " 1 ", "go fast" },
		{ "test.name", " ceres ", "a name" },
		{ "test.colour", " green ", "red, green or blue" },
	};
	char line[256];

	parse("help");
	CHECK(res.help);
	CHECK_EQ(res.warnings, 0);
	CHECK_STREQ(fake_log(), "");
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		help_line(want[i].name, line, sizeof(line));
		CHECK_STRSTR(line, want[i].name);
		CHECK_STRSTR(line, want[i].value);
		CHECK_STRSTR(line, want[i].help);
	}
}

TEST(help_is_in_name_order)
{
	/* Not the order they are declared in above. */
	static const char *const names[] = { "test.colour", "test.count",  "test.fast",
					     "test.name",   "test.offset", "test.verbose" };
	const char *prev = fake_console();

	parse("help");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *at = strstr(fake_console(), names[i]);

		CHECK(at && at > prev);
		prev = at ? at : prev;
	}
}

TEST(help_still_applies_parameters)
{
	parse("test.count=7 help -- help");
	CHECK(res.help);
	CHECK_EQ(count, 7);
	CHECK_EQ(res.argc, 2);
	CHECK_STREQ(res.argv[1], "help");

	/* After "--", "help" is the application's. */
	parse("-- help");
	CHECK(!res.help);
	CHECK_STREQ(fake_console(), "");
}

TEST(help_lists_the_given_table)
{
	static int a = 1;
	static bool b;
	static const struct param table[] = {
		{ .name = "only.a",
		  .help = "first",
		  .set = param_set_int,
		  .show = param_show_int,
		  .var = &a,
		  .min = 0,
		  .max = 9 },
		{ .name = "only.b",
		  .help = "second",
		  .set = param_set_bool,
		  .show = param_show_bool,
		  .var = &b,
		  .is_flag = true },
	};
	char copy[] = "only.a=4 only.b test.count=2";

	params_parse(copy, table, table + ARRAY_SIZE(table), &res);
	CHECK_EQ(a, 4);
	CHECK(b);
	CHECK_EQ(count, 5);
	CHECK_EQ(res.warnings, 1);
	CHECK_STRSTR(fake_log(), "'test.count'");

	params_print_help(table, table + ARRAY_SIZE(table));
	CHECK_STRSTR(fake_console(), "only.a");
	CHECK_STRSTR(fake_console(), "only.b");
	CHECK(!strstr(fake_console(), "test.count"));
}

TEST(help_lines_stay_apart)
{
	/* A help text longer than any line the printer expects. */
	static char text[400];
	static int a, b;
	const struct param table[] = {
		{ .name = "long.a",
		  .help = text,
		  .set = param_set_int,
		  .show = param_show_int,
		  .var = &a,
		  .max = 1 },
		{ .name = "long.b",
		  .help = "short",
		  .set = param_set_int,
		  .show = param_show_int,
		  .var = &b,
		  .max = 1 },
	};
	size_t lines = 0;

	memset(text, 'x', sizeof(text) - 1);
	params_print_help(table, table + ARRAY_SIZE(table));
	for (const char *s = fake_console(); (s = strchr(s, '\n')); s++)
		lines++;
	/* The heading and one line each. */
	CHECK_EQ(lines, 1 + ARRAY_SIZE(table));
	CHECK_STRSTR(fake_console(), "\n  long.b");
}

/* Builds "-- a0 a1 ... a<n-1>". */
static char *app_args(int n)
{
	static char line[PARAMS_ARGV_MAX * 8 + 64];
	int len = snprintf(line, sizeof(line), "--");

	for (int i = 0; i < n; i++)
		len += snprintf(line + len, sizeof(line) - (size_t)len, " a%d", i);
	return line;
}

TEST(app_args_fill_argv)
{
	/* argv[0] is the caller's and argv[argc] is NULL. */
	int n = (int)ARRAY_SIZE(res.argv) - 2;
	char want[16];

	parse(app_args(n));
	CHECK_EQ(res.argc, n + 1);
	for (int i = 1; i < res.argc; i++) {
		snprintf(want, sizeof(want), "a%d", i - 1);
		CHECK_STREQ(res.argv[i], want);
	}
	CHECK(res.argv[res.argc] == NULL);
	CHECK_EQ(res.warnings, 0);
}

TEST(app_args_beyond_argv_are_dropped)
{
	static const int counts[] = { PARAMS_ARGV_MAX, PARAMS_ARGV_MAX + 1, PARAMS_ARGV_MAX + 10 };
	char want[16];

	for (size_t k = 0; k < ARRAY_SIZE(counts); k++) {
		CHECK_CONTEXT("%d arguments", counts[k]);
		parse(app_args(counts[k]));
		CHECK(res.argc < (int)ARRAY_SIZE(res.argv));
		if (res.argc >= (int)ARRAY_SIZE(res.argv))
			return;
		CHECK(res.argv[res.argc] == NULL);
		for (int i = 1; i < res.argc; i++) {
			snprintf(want, sizeof(want), "a%d", i - 1);
			CHECK_STREQ(res.argv[i], want);
		}
		/* One warning if any were dropped. */
		CHECK_EQ(res.warnings, res.argc - 1 < counts[k]);
		if (res.argc - 1 < counts[k])
			CHECK_STRSTR(fake_log(), "application arguments");
	}
}

TEST(too_many_words_warns)
{
	/* More words than any command line has. */
	static char line[1000 * sizeof("test.verbose ")];

	for (int i = 0; i < 1000; i++)
		strcat(line, "test.verbose ");
	parse(line);
	CHECK(verbose);
	CHECK_EQ(res.warnings, 1);
	CHECK_EQ(fake_log_count(), 1);
	CHECK_STRSTR(fake_log(), "words");
}

TEST(set_and_show_helpers)
{
	static int i = 3;
	static bool b;
	static const char *s;
	const struct param pi = { .name = "i", .var = &i, .min = -5, .max = 5 };
	const struct param pb = { .name = "b", .var = &b };
	const struct param ps = { .name = "s", .var = &s };
	char buf[16];

	CHECK_EQ(param_set_int(&pi, "-5"), 0);
	CHECK_EQ(i, -5);
	CHECK_EQ(param_set_int(&pi, "6"), -EINVAL);
	CHECK_EQ(param_set_int(&pi, "1.5"), -EINVAL);
	CHECK_EQ(i, -5);
	param_show_int(&pi, buf, sizeof(buf));
	CHECK_STREQ(buf, "-5");

	CHECK_EQ(param_set_bool(&pb, "on"), 0);
	CHECK(b);
	CHECK_EQ(param_set_bool(&pb, "ON"), -EINVAL);
	CHECK_EQ(param_set_bool(&pb, ""), -EINVAL);
	CHECK(b);
	param_show_bool(&pb, buf, sizeof(buf));
	CHECK_STREQ(buf, "1");

	param_show_string(&ps, buf, sizeof(buf));
	CHECK_STREQ(buf, "");
	CHECK_EQ(param_set_string(&ps, "a long string value"), 0);
	CHECK_STREQ(s, "a long string value");
	param_show_string(&ps, buf, 7);
	CHECK_STREQ(buf, "a long");
}

TEST(env_words_make_the_environment)
{
	parse("env.TZ=UTC test.count=9 env.LANG=C.UTF-8 env.EMPTY= -- app env.NOT=arg");
	CHECK_EQ(count, 9);
	CHECK_EQ(res.envc, 3);
	CHECK_STREQ(res.envp[0], "TZ=UTC");
	CHECK_STREQ(res.envp[1], "LANG=C.UTF-8");
	CHECK_STREQ(res.envp[2], "EMPTY=");
	CHECK(res.envp[3] == NULL);
	CHECK_EQ(res.argc, 3); /* after "--" it is an argument like any other */
	CHECK_STREQ(res.argv[2], "env.NOT=arg");
	CHECK_EQ(res.warnings, 0);
}

TEST(env_name_given_twice_keeps_the_last)
{
	parse("env.TZ=UTC env.TZ=EST5");
	CHECK_EQ(res.envc, 1);
	CHECK_STREQ(res.envp[0], "TZ=EST5");
}

TEST(env_without_name_or_value_warns)
{
	parse("env.=x env.NOEQUALS env.OK=1");
	CHECK_EQ(res.envc, 1);
	CHECK_STREQ(res.envp[0], "OK=1");
	CHECK_EQ(res.warnings, 2);
	CHECK_STRSTR(fake_log(), "env.NAME=value");
}

TEST(env_beyond_the_table_is_dropped)
{
	static char line[(PARAMS_ENV_MAX + 5) * 16];
	int len = 0;

	for (int i = 0; i < PARAMS_ENV_MAX + 5; i++)
		len += snprintf(line + len, sizeof(line) - (size_t)len, "env.V%d=%d ", i, i);
	parse(line);
	CHECK_EQ(res.envc, PARAMS_ENV_MAX);
	CHECK(res.envp[PARAMS_ENV_MAX] == NULL);
	CHECK_EQ(res.warnings, 5);
}
