// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mapfile.h"
#include "procmaps.h"
#include "unit.h"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* Our own mapping of a file that another file is then renamed over: the
 * path given opens the mapped inode (map_files, as root) or there is none,
 * never the file that now has the name. */
UT_TEST(mapfile_renamed_over)
{
	char tmpl[] = "/tmp/lt-mapfile-XXXXXX", file[PATH_MAX], other[PATH_MAX];
	char path[PATH_MAX + 64];
	struct lt_maps maps = {};
	const struct lt_map *m;
	struct lt_map wrong;
	struct stat st, got;
	void *p = MAP_FAILED;
	int fd = -1;

	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(file, sizeof(file), "%s/mapped", tmpl);
	snprintf(other, sizeof(other), "%s/other", tmpl);
	CHECK_EQ_INT(write_file(file, "mapped"), 0);
	CHECK_EQ_INT(write_file(other, "other"), 0);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	if (ut_failed)
		goto cleanup;
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(procmaps_read(getpid(), &maps), 0);
	m = procmaps_find(&maps, (uint64_t)(uintptr_t)p);
	CHECK(m != NULL);
	if (ut_failed)
		goto cleanup;

	CHECK_EQ_INT(mapfile_path(getpid(), m, path, sizeof(path)), 0);
	CHECK(!stat(path, &got) && got.st_ino == st.st_ino && got.st_dev == st.st_dev);
	/* another inode than the line's: nothing names it */
	wrong = *m;
	wrong.inode++;
	CHECK_EQ_INT(mapfile_path(getpid(), &wrong, path, sizeof(path)), -ENOENT);
	CHECK_EQ_INT(rename(other, file), 0);
	if (geteuid() == 0) { /* /proc/PID/map_files needs CAP_SYS_ADMIN */
		CHECK_EQ_INT(mapfile_path(getpid(), m, path, sizeof(path)), 0);
		CHECK(!strncmp(path, "/proc/", 6) && strstr(path, "/map_files/"));
		CHECK(!stat(path, &got) && got.st_ino == st.st_ino);
	} else {
		CHECK_EQ_INT(mapfile_path(getpid(), m, path, sizeof(path)), -ENOENT);
	}
	/* not a file */
	wrong.path = "[heap]";
	CHECK_EQ_INT(mapfile_path(getpid(), &wrong, path, sizeof(path)), -ENOENT);
cleanup:
	procmaps_free(&maps);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	if (fd >= 0)
		close(fd);
	unlink(file);
	unlink(other);
	rmdir(tmpl);
}
