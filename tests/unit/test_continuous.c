// SPDX-License-Identifier: MIT
/* Continuous mode without root or a server: its options, --out-dir rotation,
 * and the push spool's cap (the server is a closed loopback port). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "env.h"
#include "log.h"
#include "outdir.h"
#include "push.h"
#include "unit.h"

static int parse(struct lt_env *env, char **argv)
{
	int argc = 0, err;

	while (argv[argc])
		argc++;
	optind = 0;
	lt_verbosity = -2;
	err = cli_parse(argc, argv, env);
	lt_verbosity = 0;
	return err;
}

UT_TEST(cli_continuous_options)
{
	char *a[] = { "leaktrace", "--push", "http://h:4040", "--spool-max", "2K", "-p", "1", NULL };
	char *b[] = { "leaktrace", "--every", "10", "--out-dir", "/d", "--max-files", "0",
		      "--max-bytes", "1M", "--service", "svc", "-p", "1", NULL };
	struct lt_env env;

	CHECK_EQ_INT(parse(&env, a), 0);
	CHECK(env.continuous && env.every == 60 && env.interval == 60);
	CHECK_EQ_STR(env.push_url, "http://h:4040");
	CHECK_EQ_INT(env.spool_max, 2048);
	CHECK_EQ_INT(env.max_files, 100);
	CHECK_EQ_INT(parse(&env, b), 0);
	CHECK(env.continuous && env.every == 10 && env.interval == 10);
	CHECK_EQ_INT(env.max_files, 0);
	CHECK_EQ_INT(env.max_bytes, 1 << 20);
	CHECK_EQ_STR(env.service, "svc");
}

UT_TEST(cli_continuous_rejects)
{
	char *bad[][8] = {
		{ "leaktrace", "--continuous", "-p", "1" },		/* nowhere to go */
		{ "leaktrace", "--every", "5", "-p", "1" },
		{ "leaktrace", "--every", "0.5", "--out-dir", "/d", "-p", "1" },
		{ "leaktrace", "--max-files", "3", "--push", "http://h", "-p", "1" },
		{ "leaktrace", "--spool", "/s", "--out-dir", "/d", "-p", "1" },
		{ "leaktrace", "--spool-max", "1x", "--push", "http://h", "-p", "1" },
		{ "leaktrace", "--service", "s", "-p", "1" },
		{ "leaktrace", "-i", "5", "--out-dir", "/d", "-p", "1" },
		{ "leaktrace", "--live", "--out-dir", "/d", "-p", "1" },
	};
	struct lt_env env;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&env, bad[i]) != -EINVAL) {
			printf("  accepted: %s %s\n", bad[i][1], bad[i][2]);
			ut_failed = 1;
		}
	}
}

static int count_suffix(const char *dir, const char *suffix, long *bytes)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	*bytes = 0;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name), m = strlen(suffix);
		char path[4096];
		struct stat st;

		if (l < m || strcmp(de->d_name + l - m, suffix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!stat(path, &st))
			*bytes += st.st_size;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

UT_TEST(outdir_rotation_keeps_newest)
{
	char dir[] = "/tmp/lt-outdir-XXXXXX", sub[64], path[128];
	static const char data[100];
	struct outdir *o = NULL;
	long bytes;
	FILE *f;

	CHECK(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	snprintf(path, sizeof(path), "%s/notes.pb.gz", sub); /* not ours: kept */
	CHECK_EQ_INT(outdir_new(sub, 3, 250, 0, &o), 0);
	f = fopen(path, "w");
	CHECK(f && fclose(f) == 0);
	for (int i = 0; i < 5; i++) {
		char name[64];

		snprintf(name, sizeof(name), "2026010%dT000000.000Z-s-1.pb.gz", i);
		CHECK_EQ_INT(outdir_write(o, name, data, sizeof(data)), 0);
	}
	/* 3 files but 300 bytes > 250: the two newest stay */
	CHECK_EQ_INT(count_suffix(sub, ".pb.gz", &bytes), 3);
	snprintf(path, sizeof(path), "%s/20260104T000000.000Z-s-1.pb.gz", sub);
	CHECK(!access(path, F_OK));
	snprintf(path, sizeof(path), "%s/20260102T000000.000Z-s-1.pb.gz", sub);
	CHECK(access(path, F_OK));
	outdir_free(o);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(!system(path));
}

UT_TEST(push_spool_cap)
{
	char dir[] = "/tmp/lt-spool-XXXXXX", cmd[64];
	struct push_stats st = {};
	struct pusher *p = NULL;
	static const char body[600] = { 0x1f, (char)0x8b };
	long bytes;
	int n;

	CHECK(mkdtemp(dir));
	lt_verbosity = -2;
	/* port 1 on loopback refuses: every profile stays spooled */
	CHECK_EQ_INT(pusher_new("http://127.0.0.1:1", dir, 2048, 1, &p), 0);
	for (int i = 0; i < 6 && p; i++) {
		CHECK_EQ_INT(pusher_submit(p, "name=x%7B%7D&from=1&until=2", body, sizeof(body)), 0);
		n = count_suffix(dir, ".push", &bytes);
		CHECK(bytes <= 2048);
	}
	pusher_free(p, &st);
	lt_verbosity = 0;
	n = count_suffix(dir, ".push", &bytes);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(st.spooled, 6);
	CHECK_EQ_INT(st.dropped, 3);
	CHECK_EQ_INT(st.pushed, 0);
	CHECK_EQ_INT(st.left, 3);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(!system(cmd));
}
