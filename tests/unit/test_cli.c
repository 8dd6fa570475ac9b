// SPDX-License-Identifier: MIT
#include <getopt.h>
#include <stdlib.h>
#include "env.h"
#include "log.h"
#include "unit.h"

static int parse(struct lt_env *env, char **argv)
{
	int argc = 0, err;

	while (argv[argc])
		argc++;
	optind = 0; /* reset getopt between runs */
	lt_verbosity = -2; /* keep the error messages out of the test log */
	err = cli_parse(argc, argv, env);
	lt_verbosity = 0;
	return err;
}

UT_TEST(cli_defaults_and_launch)
{
	char *argv[] = { "leaktrace", "-d", "2.5", "--json", "-", "--", "ls", "-l", NULL };
	struct lt_env env;

	CHECK_EQ_INT(parse(&env, argv), 0);
	CHECK(env.duration == 2.5);
	CHECK(env.interval == 5);
	CHECK_EQ_INT(env.top, 10);
	CHECK_EQ_INT(env.pid, 0);
	CHECK_EQ_STR(env.json_path, "-");
	CHECK(env.cmd && !strcmp(env.cmd[0], "ls") && !strcmp(env.cmd[1], "-l") && !env.cmd[2]);
}

UT_TEST(cli_command_options_stay_its_own)
{
	char *argv[] = { "leaktrace", "-p", "1", NULL };
	char *argv2[] = { "leaktrace", "./app", "-d", "7", NULL };
	struct lt_env env;

	CHECK_EQ_INT(parse(&env, argv), 0);
	CHECK_EQ_INT(env.pid, 1);
	CHECK(!env.cmd);
	CHECK_EQ_INT(parse(&env, argv2), 0);
	CHECK(env.duration == 0); /* -d belongs to ./app */
	CHECK(env.cmd && !strcmp(env.cmd[1], "-d"));
}

UT_TEST(cli_rejects_bad_values)
{
	char *bad[][6] = {
		{ "leaktrace", "-p", "0", NULL },
		{ "leaktrace", "-p", "12x", NULL },
		{ "leaktrace", "-i", "0", "-p", "1" },
		{ "leaktrace", "-d", "-1", "-p", "1" },
		{ "leaktrace", "-d", "nan", "-p", "1" },
		{ "leaktrace", "-t", "abc", "-p", "1" },
		{ "leaktrace", "--max-allocs", "5", "-p", "1" },
		{ "leaktrace", NULL },
		{ "leaktrace", "-p", "1", "ls", NULL },
		{ "leaktrace", "--mode", "fast", "-p", "1" },
		{ "leaktrace", "--max-overhead", "-1", "-p", "1" },
		{ "leaktrace", "--max-overhead", "5%", "-p", "1" },
		{ "leaktrace", "--mode", "lite", "--objects", "-p", "1" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lt_env env;

		if (parse(&env, bad[i]) >= 0) {
			printf("  accepted bad argv #%zu\n", i);
			ut_failed = 1;
		}
	}
}

UT_TEST(cli_mode_and_budget)
{
	char *def[] = { "leaktrace", "-p", "1", NULL };
	char *lite[] = { "leaktrace", "--mode", "lite", "--max-overhead", "2.5", "-p", "1", NULL };
	char *exact[] = { "leaktrace", "--mode", "exact", "--max-overhead", "0", "-p", "1", NULL };
	struct lt_env env;

	CHECK_EQ_INT(parse(&env, def), 0);
	CHECK_EQ_INT(env.mode, LT_MODE_AUTO);
	CHECK(env.max_overhead == 5);
	CHECK_EQ_INT(parse(&env, lite), 0);
	CHECK_EQ_INT(env.mode, LT_MODE_LITE);
	CHECK(env.max_overhead == 2.5);
	CHECK_EQ_INT(parse(&env, exact), 0);
	CHECK_EQ_INT(env.mode, LT_MODE_EXACT);
	CHECK(env.max_overhead == 0);
}

UT_TEST(cli_sample_bytes)
{
	char *ok[] = { "leaktrace", "--sample-bytes", "524288", "-p", "1", NULL };
	char *bad[][5] = {
		{ "leaktrace", "--sample-bytes", "0", "-p", "1" },
		{ "leaktrace", "--sample-bytes", "1k", "-p", "1" },
		{ "leaktrace", "--sample-bytes", "1073741825", "-p", "1" },
	};
	struct lt_env env;

	CHECK_EQ_INT(parse(&env, ok), 0);
	CHECK_EQ_INT(env.sample_bytes, 524288);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[6] = { bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4], NULL };

		CHECK(parse(&env, argv) < 0);
	}
	char *dflt[] = { "leaktrace", "-p", "1", NULL };

	CHECK_EQ_INT(parse(&env, dflt), 0);
	CHECK_EQ_INT(env.sample_bytes, 0);
}

UT_TEST(cli_system_wide)
{
	char *all[] = { "leaktrace", "-a", "--comm", "nginx", "--comm", "python3", "--pid", "7",
			"--pid", "9", "--uid", "0", "--cgroup", "/system.slice", NULL };
	char *bad[][6] = {
		{ "leaktrace", "--comm", "x", "-p", "1" },	/* filters need -a */
		{ "leaktrace", "-a", "--", "ls" },
		{ "leaktrace", "-a", "--live" },
		{ "leaktrace", "-a", "--rss" },
		{ "leaktrace", "-a", "--pprof", "x.pb.gz" },
		{ "leaktrace", "-a", "--comm", "a-name-over-15-chars" },
		{ "leaktrace", "-a", "--uid", "nosuchuser-xyz" },
		{ "leaktrace", "-p", "1", "-p", "2" },		/* several: -a --pid */
		{ "leaktrace", "-a", "--max-procs", "1" },
	};
	struct lt_env env;

	CHECK_EQ_INT(parse(&env, all), 0);
	CHECK(env.all);
	CHECK_EQ_INT(env.pid, 0);
	CHECK_EQ_INT(env.npids, 2);
	CHECK_EQ_INT(env.pids[1], 9);
	CHECK_EQ_INT(env.ncomms, 2);
	CHECK_EQ_STR(env.comms[1], "python3");
	CHECK_EQ_INT(env.uid, 0);
	CHECK_EQ_STR(env.cgroup, "/system.slice");
	CHECK_EQ_INT(env.max_procs, 16384);
	CHECK_EQ_INT(env.max_allocs, 1 << 20); /* a host's defaults */
	CHECK_EQ_INT(env.max_agg, 1 << 18);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[7] = { bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4], bad[i][5],
				  NULL };

		if (parse(&env, argv) >= 0) {
			printf("  accepted bad argv #%zu\n", i);
			ut_failed = 1;
		}
	}
}

/* One of cli_print_help/man/completion into a string (free it). */
static char *doc(void (*print)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	print(f);
	fclose(f);
	return buf;
}

/* Every option --help shows is in the man page and the completion; the build-time
 * ones are in none of them. */
UT_TEST(cli_docs_from_one_table)
{
	static const char *const secs[] = { ".SH SYNOPSIS", ".SH OPTIONS", ".SH EXIT STATUS",
					    ".SH EXAMPLES" };
	char *help = doc(cli_print_help), *man = doc(cli_print_man);
	char *comp = doc(cli_print_completion);
	int n = 0;

	CHECK(help && man && comp);
	if (!help || !man || !comp)
		goto out;
	for (const char *p = help; (p = strstr(p, " --")); p += 3) {
		char name[32], roff[64], *r = roff;
		size_t len = strspn(p + 3, "abcdefghijklmnopqrstuvwxyz-");

		if (!len || len >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "--%.*s", (int)len, p + 3);
		for (const char *c = name; *c; c++)
			r += sprintf(r, *c == '-' ? "\\-" : "%c", *c);
		if (!strstr(man, roff) || !strstr(comp, name)) {
			printf("  %s: in --help, not in the %s\n", name,
			       strstr(man, roff) ? "completion" : "man page");
			ut_failed = 1;
		}
		n++;
	}
	CHECK(n > 40);
	CHECK(!strstr(help, "--gen-"));
	CHECK(!strstr(man, "\\-\\-gen"));
	CHECK(!strstr(comp, "--gen-man"));
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		CHECK(strstr(man, secs[i]));
	CHECK(strstr(comp, "complete -F _leaktrace leaktrace"));
out:
	free(help);
	free(man);
	free(comp);
}

/* Unique prefixes of long options still work: the build-time options share none. */
UT_TEST(cli_abbreviations)
{
	char *argv[] = { "leaktrace", "--du", "3", "--max-o", "1", "-p", "1", NULL };
	struct lt_env env;

	CHECK_EQ_INT(parse(&env, argv), 0);
	CHECK(env.duration == 3);
	CHECK(env.max_overhead == 1);
}
