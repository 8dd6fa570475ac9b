// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "procmaps.h"
#include "unit.h"

/* From a real process, plus what a hostile or odd target can produce. */
static const char maps_sample[] =
	"55e87b152000-55e87b154000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
	"55e87b154000-55e87b159000 r-xp 00002000 fe:00 247134                     /usr/bin/cat\n"
	"55e87c000000-55e87c021000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1000000000-7f1000001000 rw-p 00000000 00:00 0 \n"
	"7f1000001000-7f1000002000 ---p 00000000 00:00 0\n"
	"7f1000002000-7f1000003000 r-xs 00001000 08:11 12 /tmp/my dir/lib x.so\n"
	"7f1000003000-7f1000004000 r-xp 00000000 00:05 99 /tmp/gone.so (deleted)\n"
	"7f1000004000-7f1000005000 rwxs 00000000 00:01 1024 /memfd:jit (deleted)\n"
	"7f1000005000-7f1000006000 r--p 00000000 00:00 0   [anon:name with spaces]\n"
	"7ffd1c2f8000-7ffd1c2fa000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

UT_TEST(procmaps_parse_sample)
{
	struct lt_maps m;
	const struct lt_map *v;

	CHECK_EQ_INT(procmaps_parse(maps_sample, sizeof(maps_sample) - 1, &m), 0);
	CHECK_EQ_INT(m.n, 11);
	if (m.n != 11)
		goto cleanup;
	v = m.v;
	CHECK(v[0].start == 0x55e87b152000ull && v[0].end == 0x55e87b154000ull);
	CHECK(v[0].r && !v[0].w && !v[0].x && !v[0].shared);
	CHECK_EQ_STR(v[0].path, "/usr/bin/cat");
	CHECK_EQ_INT(v[1].pgoff, 0x2000);
	CHECK(v[1].x);
	CHECK_EQ_INT(v[1].dev_major, 0xfe);
	CHECK_EQ_INT(v[1].dev_minor, 0);
	CHECK_EQ_INT(v[1].inode, 247134);
	CHECK_EQ_STR(v[2].path, "[heap]");
	CHECK_EQ_STR(v[3].path, "");
	CHECK_EQ_STR(v[4].path, "");
	CHECK(!v[4].r && !v[4].w && !v[4].x);
	CHECK_EQ_STR(v[5].path, "/tmp/my dir/lib x.so");
	CHECK(v[5].shared && !v[5].deleted);
	CHECK_EQ_INT(v[5].dev_major, 8);
	CHECK_EQ_INT(v[5].dev_minor, 0x11);
	CHECK_EQ_STR(v[6].path, "/tmp/gone.so");
	CHECK(v[6].deleted);
	CHECK_EQ_STR(v[7].path, "/memfd:jit");
	CHECK(v[7].deleted && v[7].w && v[7].x);
	CHECK_EQ_STR(v[8].path, "[anon:name with spaces]");
	CHECK_EQ_STR(v[9].path, "[vdso]");
	CHECK(v[10].start == 0xffffffffff600000ull);
	CHECK_EQ_STR(v[10].path, "[vsyscall]");
cleanup:
	procmaps_free(&m);
}

UT_TEST(procmaps_malformed_lines_skipped)
{
	static const char nul_line[] = "\nd000-e000 r-xp 00000000 00:00 0 /bad/\0nul\n";
	static char buf[16384];
	struct lt_maps m;
	size_t n = 0;
	int i;

	n += snprintf(buf + n, sizeof(buf) - n,
		      "\n"
		      "garbage\n"
		      "1000-2000 r-xp 00000000 00:00 0 /ok/one\n"
		      "3000-2000 r-xp 00000000 00:00 0 /bad/reversed\n"
		      "4000-4000 r-xp 00000000 00:00 0 /bad/empty\n"
		      "10000000000000000-10000000000000001 r-xp 0 00:00 0 /bad/17digits\n"
		      "5000-6000 rwzp 00000000 00:00 0 /bad/perm\n"
		      "5000-6000 r-xq 00000000 00:00 0 /bad/privshared\n"
		      "5000-6000 r-xp 00000000 0000 0 /bad/dev\n"
		      "5000-6000 r-xp 00000000 00:00 /bad/noinode\n"
		      "5000-6000 r-xp 00000000 00:00 99999999999999999999 /bad/inode\n"
		      "5000-6000 r-xp 00000000 00:00 12x /bad/inodechar\n"
		      "5000-6000 r-xp 0000g000 00:00 0 /bad/off\n"
		      "5000 6000 r-xp 00000000 00:00 0 /bad/dash\n"
		      "5000-6000\n"
		      "7000-8000 r-xp 00000000 00:00 0 /ok/two\n"
		      "9000-a000 r-xp 00000000 00:00 0 /");
	/* A path longer than PATH_MAX. */
	for (i = 0; i < 5000; i++)
		buf[n++] = 'x';
	n += snprintf(buf + n, sizeof(buf) - n, "\nb000-c000 r-xp 00000000 00:00 0 /ok/three");
	/* An embedded NUL makes a line malformed, not a short path. */
	memcpy(buf + n, nul_line, sizeof(nul_line) - 1);
	n += sizeof(nul_line) - 1;

	CHECK_EQ_INT(procmaps_parse(buf, n, &m), 0);
	CHECK_EQ_INT(m.n, 3);
	if (m.n == 3) {
		CHECK_EQ_STR(m.v[0].path, "/ok/one");
		CHECK_EQ_STR(m.v[1].path, "/ok/two");
		CHECK_EQ_STR(m.v[2].path, "/ok/three");
		CHECK(m.v[2].start == 0xb000 && m.v[2].end == 0xc000);
	}
	procmaps_free(&m);

	CHECK_EQ_INT(procmaps_parse("", 0, &m), 0);
	CHECK_EQ_INT(m.n, 0);
	CHECK(procmaps_find(&m, 0) == NULL);
	procmaps_free(&m);
	procmaps_free(NULL);
}

UT_TEST(procmaps_sorted_no_overlap)
{
	static const char txt[] = "5000-6000 r-xp 00000000 00:00 0 /c\n"
				  "1000-2000 r-xp 00000000 00:00 0 /a\n"
				  "3000-4000 r-xp 00000000 00:00 0 /b\n"
				  "3800-4800 r-xp 00000000 00:00 0 /overlaps-b\n"
				  "1000-2000 r-xp 00000000 00:00 0 /dup-a\n";
	struct lt_maps m;

	CHECK_EQ_INT(procmaps_parse(txt, sizeof(txt) - 1, &m), 0);
	CHECK_EQ_INT(m.n, 3);
	if (m.n == 3) {
		CHECK(m.v[0].start == 0x1000 && m.v[1].start == 0x3000 && m.v[2].start == 0x5000);
		CHECK_EQ_STR(m.v[1].path, "/b");
		CHECK_EQ_STR(m.v[2].path, "/c");
	}
	procmaps_free(&m);
}

UT_TEST(procmaps_find_boundaries)
{
	static const char txt[] = "1000-2000 r-xp 00000000 00:00 0 /a\n"
				  "2000-3000 r-xp 00000000 00:00 0 /b\n"
				  "5000-6000 r-xp 00000000 00:00 0 /c\n";
	const struct lt_map *f;
	struct lt_maps m;

	CHECK_EQ_INT(procmaps_parse(txt, sizeof(txt) - 1, &m), 0);
	CHECK(procmaps_find(&m, 0) == NULL);
	CHECK(procmaps_find(&m, 0xfff) == NULL);
	f = procmaps_find(&m, 0x1000);
	CHECK(f && !strcmp(f->path, "/a"));
	f = procmaps_find(&m, 0x1fff);
	CHECK(f && !strcmp(f->path, "/a"));
	f = procmaps_find(&m, 0x2000);
	CHECK(f && !strcmp(f->path, "/b"));
	CHECK(procmaps_find(&m, 0x3000) == NULL);
	CHECK(procmaps_find(&m, 0x4fff) == NULL);
	f = procmaps_find(&m, 0x5abc);
	CHECK(f && !strcmp(f->path, "/c"));
	CHECK(procmaps_find(&m, 0x6000) == NULL);
	CHECK(procmaps_find(&m, UINT64_MAX) == NULL);
	procmaps_free(&m);
}

UT_TEST(procmaps_read_self)
{
	char exe[PATH_MAX];
	const struct lt_map *f;
	struct lt_maps m;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	exe[n > 0 ? n : 0] = '\0';
	CHECK_EQ_INT(procmaps_read(getpid(), &m), 0);
	CHECK(m.n > 5);
	f = procmaps_find(&m, (uint64_t)(uintptr_t)&procmaps_read_self);
	CHECK(f != NULL);
	if (f) {
		CHECK_EQ_STR(f->path, exe);
		CHECK(f->x && f->r && !f->w);
	}
	procmaps_free(&m);
	CHECK_EQ_INT(procmaps_read(INT_MAX, &m), -ENOENT);
	CHECK_EQ_INT(m.n, 0);
}

/* The streaming reader must skip a line longer than its buffer and keep
 * going, as procmaps_parse() does. */
UT_TEST(procmaps_read_fd_long_line)
{
	const char *good = "1000-2000 r-xp 00000000 00:00 0 /ok/first\n";
	const char *tail = "3000-4000 r-xp 00000000 00:00 0 /ok/after-long\n"
			   "5000-6000 r-xp 00000000 00:00 0 /ok/no-newline";
	struct lt_maps m;
	char *longl;
	size_t i, ll = 3 * 8192;
	int fd;

	fd = memfd_create("maps", 0);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	longl = malloc(ll);
	memcpy(longl, "7000-8000 r-xp 00000000 00:00 0 /", 34);
	for (i = 34; i < ll - 1; i++)
		longl[i] = 'y';
	longl[ll - 1] = '\n';
	CHECK(write(fd, good, strlen(good)) == (ssize_t)strlen(good));
	CHECK(write(fd, longl, ll) == (ssize_t)ll);
	CHECK(write(fd, tail, strlen(tail)) == (ssize_t)strlen(tail));
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ_INT(procmaps_read_fd(fd, &m), 0);
	CHECK_EQ_INT(m.n, 3);
	if (m.n == 3) {
		CHECK_EQ_STR(m.v[0].path, "/ok/first");
		CHECK_EQ_STR(m.v[1].path, "/ok/after-long");
		CHECK_EQ_STR(m.v[2].path, "/ok/no-newline");
	}
	procmaps_free(&m);
	free(longl);
	close(fd);
}
