// SPDX-License-Identifier: MIT
/*
 * A C++ service, g++ -O2 without frame pointers: a configuration read once
 * at start (256 strings of 1,000 characters, kept) and a session leaked per
 * request, every 50 ms for about 6 s:
 *   main -> serve -> handle -> open_session -> operator new  120 x 512 B
 *   main -> load_config -> std::string(1000, c) ... -> operator new
 *                                                            256 x 1001 B
 * The sessions are the suspect; the configuration, larger, is none.
 */
#include <string>
#include <time.h>
#include <vector>
#include "prog.h"

#define KEEP __attribute__((noipa))
#define STEPS 120

struct Session {
	char buf[512];
};

static std::vector<std::string> config;
static std::vector<Session *> sessions;

KEEP void load_config()
{
	for (int i = 0; i < 256; i++)
		config.emplace_back(std::string(1000, (char)('a' + i % 26))); /* LEAK:load_config */
}

KEEP Session *open_session(int i)
{
	Session *s = new Session; /* LEAK:open_session */

	s->buf[0] = (char)i;
	return s;
}

KEEP void handle(int i)
{
	sessions.push_back(open_session(i));
}

KEEP void serve()
{
	for (int i = 0; i < STEPS; i++) {
		struct timespec left = { 0, 50 * 1000 * 1000 };

		handle(i);
		while (nanosleep(&left, &left))
			;
	}
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	config.reserve(256);
	sessions.reserve(STEPS);
	load_config();
	serve();
	prog_finish();
	return 0;
}
