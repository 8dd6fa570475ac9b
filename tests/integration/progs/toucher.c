// SPDX-License-Identifier: MIT
// --rss: touch_pages() writes 8 MiB of fresh anonymous memory in 4 KiB steps
// (2048 write faults, each a new page); reserve() mallocs 64 MiB and never
// touches it; touch_release() touches 4 MiB and unmaps it again, and
// touch_dontneed() touches 2 MiB and drops it with MADV_DONTNEED: neither may
// stay charged. read_into() has the kernel write 1 MiB (read() from
// /dev/zero into a fresh mapping: faults in kernel mode).
#include <fcntl.h>
#include <sys/mman.h>
#include "prog.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define PAGE 4096

static char *map(size_t len)
{
	char *p = mmap(NULL, len, RW, ANON, -1, 0);

	if (p == MAP_FAILED)
		die("mmap failed\n");
	return p;
}

static void touch_pages(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = 1; /* RSS:touch_pages */
}

static void touch_release(void)
{
	char *p = map(4 << 20);

	for (size_t i = 0; i < (4 << 20); i += PAGE)
		p[i] = 1; /* RSS:touch_release */
	if (munmap(p, 4 << 20))
		die("munmap failed\n");
}

static void touch_dontneed(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = 1; /* RSS:touch_dontneed */
	if (madvise(p, len, MADV_DONTNEED))
		die("madvise failed\n");
}

static void read_into(char *p, size_t len)
{
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0 || read(fd, p, len) != (ssize_t)len) /* RSS:read_into */
		die("read failed\n");
	close(fd);
}

static char *reserve(size_t len)
{
	char *p = malloc(len); /* RSS:reserve */

	if (!p)
		die("malloc failed\n");
	return p;
}

int main(int argc, char **argv)
{
	char *kept, *dropped, *readbuf, *big;

	prog_start(argc, argv);
	kept = map(8 << 20);
	dropped = map(2 << 20);
	readbuf = map(1 << 20);
	touch_pages(kept, 8 << 20);
	touch_release();
	touch_dontneed(dropped, 2 << 20);
	read_into(readbuf, 1 << 20);
	big = reserve(64 << 20);
	say("kept %p %p %p\n", kept, big, readbuf);
	prog_finish();
	return 0;
}
