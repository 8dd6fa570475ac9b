// SPDX-License-Identifier: MIT
/*
 * Leaks across threads: 4 workers, started together, each malloc 50 x 256 B;
 * after they are joined a reaper thread frees every other block. Outstanding:
 * 100 x 256 B from worker(), nothing from reaper().
 */
#include <pthread.h>
#include "prog.h"

#define NWORKERS 4
#define PER_WORKER 50
#define BLOCK 256

static void *blocks[NWORKERS * PER_WORKER];
static pthread_barrier_t start_line;

static void *worker(void *arg)
{
	void **mine = &blocks[(long)arg * PER_WORKER];

	pthread_barrier_wait(&start_line);
	for (int i = 0; i < PER_WORKER; i++)
		mine[i] = malloc(BLOCK); /* LEAK:worker */
	return NULL;
}

static void *reaper(void *arg)
{
	for (int i = 1; i < NWORKERS * PER_WORKER; i += 2) {
		free(blocks[i]);
		blocks[i] = NULL;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[NWORKERS], rtid;

	prog_start(argc, argv);
	pthread_barrier_init(&start_line, NULL, NWORKERS);
	for (long i = 0; i < NWORKERS; i++)
		if (pthread_create(&tid[i], NULL, worker, (void *)i))
			die("pthread_create failed\n");
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(tid[i], NULL);
	if (pthread_create(&rtid, NULL, reaper, NULL))
		die("pthread_create failed\n");
	pthread_join(rtid, NULL);
	pthread_barrier_destroy(&start_line);
	say("%d blocks outstanding\n", NWORKERS * PER_WORKER / 2);
	prog_finish();
	return 0;
}
