// SPDX-License-Identifier: MIT
// A hostile target for --max-overhead's re-attach: swapper -w COPY DECOY.
// It runs a copy of libc (COPY, found through LD_LIBRARY_PATH) and maps
// DECOY, another ELF file, executable (both before "ready"). Too hot to
// trace in full (as churner.c, for 10 s), so leaktrace duty-cycles its
// probes; 3 s in, it puts a symlink to DECOY where COPY was. Every
// 20 ms it compares both files' executable mappings with their bytes on
// disk: a uprobe shows as an int3 written into the mapping. At the end:
//     traps copy BEFORE AFTER reattached K decoy N
// the most bytes changed in its libc copy before and after the swap, how
// often its probes came back after the swap (a mapping with none, then
// some), and the most changed in the decoy: 0, or breakpoints were placed
// in another file.
#include <fcntl.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "prog.h"

#define STEPS 5000	/* of 2 ms: a leak in the shortest on-phase (20 ms) */
#define SWAP (STEPS * 3 / 10)	/* 3 s in: 7 s of duty cycles after it */
#define CHECK_EVERY 10	/* steps: comparing the mappings takes ~ms */

static void *leaked[STEPS];

struct image {
	const unsigned char *map;	/* executable, private */
	unsigned char *disk;		/* the bytes as read */
	size_t size;
};

static void leak_before(int i)
{
	leaked[i] = malloc(256); /* LEAK:swapper_before */
}

static void leak_after(int i)
{
	leaked[i] = malloc(256); /* LEAK:swapper_after */
}

static void churn(void)
{
	void *p = malloc(64); /* FREED:swapper_churn */

	free(p);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void image_open(const char *path, struct image *im)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		die("cannot open %s\n", path);
	im->size = st.st_size;
	im->disk = malloc(im->size);
	if (!im->disk || pread(fd, im->disk, im->size, 0) != (ssize_t)im->size)
		die("cannot read %s\n", path);
	im->map = mmap(NULL, im->size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (im->map == MAP_FAILED)
		die("cannot map %s\n", path);
	close(fd);
}

/* Bytes of the mapping that differ from the file: breakpoints placed in it. */
static size_t traps(const struct image *im)
{
	size_t n = 0;

	if (!memcmp(im->map, im->disk, im->size))
		return 0;
	for (size_t i = 0; i < im->size; i++)
		n += im->map[i] != im->disk[i];
	return n;
}

static size_t max(size_t a, size_t b)
{
	return a > b ? a : b;
}

int main(int argc, char **argv)
{
	size_t before = 0, after = 0, decoy = 0, last = 0, n;
	int reattached = 0;
	struct image copy, dec;
	double next;

	if (argc < 4 || strcmp(argv[1], "-w"))
		die("usage: %s -w COPY DECOY\n", argv[0]);
	/* mapped before "ready": what a tracer attaching then sees */
	image_open(argv[argc - 2], &copy);
	image_open(argv[argc - 1], &dec);
	prog_start(argc - 2, argv);
	next = now();
	for (int i = 0; i < STEPS; i++) {
		if (i == SWAP) {
			if (unlink(argv[argc - 2]) || symlink(argv[argc - 1], argv[argc - 2]))
				die("cannot swap %s for a symlink\n", argv[argc - 2]);
			last = traps(&copy);
			say("swapped\n");
		}
		if (i < SWAP)
			leak_before(i);
		else
			leak_after(i);
		next += 0.002;
		if (i % CHECK_EVERY == 0) {
			n = traps(&copy);
			if (i < SWAP) {
				before = max(before, n);
			} else {
				reattached += n && !last;
				after = max(after, n);
				last = n;
			}
			decoy = max(decoy, traps(&dec));
		}
		while (now() < next)
			for (int k = 0; k < 100; k++)
				churn();
	}
	say("traps copy %zu %zu reattached %d decoy %zu\n", before, after, reattached, decoy);
	prog_finish();
	return 0;
}
