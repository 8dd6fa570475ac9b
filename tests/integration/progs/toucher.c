// SPDX-License-Identifier: MIT
// --rss: touch_pages() writes 8 MiB of fresh anonymous memory in 4 KiB steps
// (2048 write faults, each a new page); reserve() mallocs 64 MiB and never
// touches it; touch_release() touches 4 MiB and unmaps it again, and
// touch_dontneed() touches 2 MiB and drops it with MADV_DONTNEED: neither may
// stay charged. read_into() has the kernel write 1 MiB (read() from
// /dev/zero into a fresh mapping: faults in kernel mode). touch_brk() grows
// the heap by 1 MiB, touches it and shrinks it back; touch_moved() touches
// 1 MiB and moves it with mremap() (then only unmapping the new address
// releases it), touch_remap() touches 2 MiB, shrinks it to 1 MiB with
// mremap() and moves it: 1 MiB stays charged. touch_huge() touches a
// 2 MiB-aligned 4 MiB MADV_HUGEPAGE range: two 2 MiB faults where THP serves
// it, else 1024; it prints the process's AnonHugePages ("thp N kB").
// touch_sparse() touches 1 MiB of a 256 MiB mapping and unmaps it all (a
// range far larger than what is charged: released by walking the charges).
#define _GNU_SOURCE /* mremap */
#include <fcntl.h>
#include <stdint.h>
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

static void touch(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = 1;
}

static void touch_brk(void)
{
	char *p = sbrk(1 << 20);

	if (p == (void *)-1)
		die("sbrk failed\n");
	touch(p, 1 << 20);
	if (sbrk(-(1 << 20)) == (void *)-1)
		die("sbrk failed\n");
}

/* mremap to a reserved range, so the mapping surely moves */
static char *move(char *p, size_t old, size_t len)
{
	char *to = map(len);

	p = mremap(p, old, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	if (p != to)
		die("mremap failed\n");
	return p;
}

static void touch_moved(void)
{
	char *p = map(1 << 20);

	touch(p, 1 << 20);
	p = move(p, 1 << 20, 2 << 20);
	if (munmap(p, 2 << 20))
		die("munmap failed\n");
}

static void touch_sparse(void)
{
	char *p = map(256 << 20);

	touch(p + (64 << 20), 1 << 20);
	if (munmap(p, 256 << 20))
		die("munmap failed\n");
}

static char *touch_remap(void)
{
	char *p = map(2 << 20);

	touch(p, 2 << 20); /* RSS:touch_remap */
	if (mremap(p, 2 << 20, 1 << 20, 0) != p)
		die("mremap failed\n");
	return move(p, 1 << 20, 1 << 20);
}

static int thp_kb(void)
{
	char buf[4096], *at;
	int fd = open("/proc/self/smaps_rollup", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	at = strstr(buf, "AnonHugePages:");
	return at ? atoi(at + 14) : -1;
}

static char *touch_huge(void)
{
	char *r = map(8 << 20);
	char *p = (char *)(((uintptr_t)r + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));

	if (madvise(p, 4 << 20, MADV_HUGEPAGE))
		die("madvise failed\n");
	touch(p, 4 << 20); /* RSS:touch_huge */
	return p;
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
	char *kept, *dropped, *readbuf, *big, *remapped, *huge;

	prog_start(argc, argv);
	kept = map(8 << 20);
	dropped = map(2 << 20);
	readbuf = map(1 << 20);
	touch_pages(kept, 8 << 20);
	touch_release();
	touch_dontneed(dropped, 2 << 20);
	read_into(readbuf, 1 << 20);
	touch_brk();
	touch_moved();
	touch_sparse();
	remapped = touch_remap();
	huge = touch_huge();
	big = reserve(64 << 20);
	say("kept %p %p %p %p %p\n", kept, big, readbuf, remapped, huge);
	say("thp %d kB\n", thp_kb());
	prog_finish();
	return 0;
}
