// SPDX-License-Identifier: MIT
// A direct anonymous mmap kept (64 KiB) and one unmapped again (128 KiB).
#include <sys/mman.h>
#include "prog.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static char *kept;

static void map_keep(void)
{
	kept = mmap(NULL, 65536, RW, ANON, -1, 0); /* LEAK:map_keep */
	if (kept == MAP_FAILED)
		die("mmap failed\n");
	memset(kept, 1, 65536);
}

static void map_release(void)
{
	char *p = mmap(NULL, 131072, RW, ANON, -1, 0); /* FREED:map_release */

	if (p == MAP_FAILED)
		die("mmap failed\n");
	memset(p, 1, 131072);
	if (munmap(p, 131072))
		die("munmap failed\n");
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	map_keep();
	map_release();
	say("kept a mapping at %p\n", kept);
	prog_finish();
	return 0;
}
