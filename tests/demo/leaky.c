// SPDX-License-Identifier: MIT
/*
 * The `make demo` target: a small "service" that handles a batch of requests
 * once a second for about 6 s. Two of its parts leak, one does not:
 *   - session_open(): a session cache that never evicts, so every new user's
 *     session stays allocated (malloc),
 *   - log_request(): an in-memory request log that only ever grows (realloc),
 *   - handle_request(): borrows a scratch buffer from a pool and gives it back,
 *     which frees it: lots of allocations, none outstanding.
 * leaktrace should rank session_open() first, then log_request(), and never
 * show handle_request().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICKS 6
#define REQUESTS_PER_TICK 400
#define NEW_USERS_PER_TICK 150
#define SCRATCH_SIZE 2048

struct session {
	unsigned int user;
	char name[48];
	char state[256]; /* preferences, cart, ... */
	struct session *next;
};

static struct session *sessions; /* the cache: nothing ever removes an entry */
static unsigned int nsessions;
static char *request_log;
static size_t log_len, log_cap;

static struct session *session_open(unsigned int user)
{
	struct session *s;

	for (s = sessions; s; s = s->next)
		if (s->user == user)
			return s;
	s = malloc(sizeof(*s));
	if (!s)
		abort();
	memset(s, 0, sizeof(*s));
	s->user = user;
	snprintf(s->name, sizeof(s->name), "user-%u", user);
	s->next = sessions;
	sessions = s;
	nsessions++;
	return s;
}

static void log_request(const struct session *s, unsigned int request)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "request %u from %s\n", request, s->name);

	if (log_len + n + 1 > log_cap) {
		size_t cap = log_cap ? log_cap * 2 : 1024;
		char *grown = realloc(request_log, cap);

		if (!grown)
			abort();
		request_log = grown;
		log_cap = cap;
	}
	memcpy(request_log + log_len, line, n + 1);
	log_len += n;
}

static void *pool_get(void)
{
	void *buf = malloc(SCRATCH_SIZE);

	if (!buf)
		abort();
	return buf;
}

static void pool_put(void *buf)
{
	free(buf);
}

static void handle_request(unsigned int tick, unsigned int request)
{
	unsigned int user = tick * NEW_USERS_PER_TICK + request % NEW_USERS_PER_TICK;
	struct session *s = session_open(user);
	char *scratch = pool_get();

	snprintf(scratch, SCRATCH_SIZE, "reply to %s", s->name);
	log_request(s, request);
	pool_put(scratch);
}

int main(void)
{
	/* A static stdout buffer: stdio would otherwise malloc one, and it would
	 * show up in the report as a (harmless) outstanding allocation. */
	static char outbuf[BUFSIZ];
	unsigned int request = 0;

	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
	for (unsigned int tick = 0; tick < TICKS; tick++) {
		if (tick)
			sleep(1);
		for (int i = 0; i < REQUESTS_PER_TICK; i++)
			handle_request(tick, request++);
		printf("leaky: t=%us %u requests, %u sessions cached, request log %zu KiB\n",
		       tick, request, nsessions, log_cap / 1024);
	}
	return 0;
}
